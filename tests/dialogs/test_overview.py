"""The overview of an agreement's answers: continue where you left off, one question alone, comments and changes."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from sqlalchemy import select

from agreement.answers import REVIEW_COMMENT_KEY, save_answer
from agreement.status import AgreementStatus
from bot import actions
from dialogs.main_dialog import MainDialog
from dialogs.texts import common
from dialogs.texts import fill as ftexts
from dialogs.texts import menu as mtexts
from dialogs.texts import overview as otexts
from dialogs.texts import preparation as ptexts
from dialogs.texts import questions as qtexts
from dialogs.texts import review as rtexts
from storage.models import Agreement, AgreementEvent, BotStateItem, Phase
from tests.agreement.helpers import MAX_LENGTH, act, status_of
from tests.dialogs.harness import Chat, answers, buttons, goals, joined, make_deps
from tests.dialogs.helpers import fill, prepare

GOD_TIL = "Hva er leder god til, og hvorfor?"


async def start_preparation(chat: Chat, agreement_id: int) -> list:
    replies = await chat.submit(actions.submit_data(actions.PREPARE, agreement_id))
    return await chat.press(replies, ptexts.GO_TO_QUESTIONS)


async def positions(session_factory) -> list[str]:
    """The keys of the stored «where the leader left off» items."""
    async with session_factory() as session:
        keys = (await session.scalars(select(BotStateItem.key))).all()
    return [key for key in keys if key.startswith("lederavtale/resume/")]


async def test_continue_where_the_preparation_was_left(session_factory, pair, chat_for) -> None:
    megan = chat_for(pair.subordinate)
    await start_preparation(megan, pair.agreement)
    for answer in ("bidrag", "hopp over", "1, 2", "god til", "utfordrende", "ferdig", "hopp over"):
        replies = await megan.say(answer)
    assert "8 av 11" in joined(replies)
    assert common.CANCELLED in joined(await megan.say("avbryt"))

    # The menu and «status» say how far she has come.
    replies = await megan.say("meny")
    assert "Fremdrift: " + mtexts.PROGRESS_PREPARATION.format(answered=4, total=11) in joined(replies)
    assert mtexts.PROGRESS_PREPARATION.format(answered=4, total=11) in joined(await megan.say("status"))

    # A new process (the service restarted): the preparation opens in its overview, marked question by question.
    chat = Chat(MainDialog(make_deps()), pair.subordinate, session_factory)
    replies = await chat.submit(actions.submit_data(actions.PREPARE, pair.agreement))
    text = joined(replies)
    assert otexts.TITLE_PREPARATION in text and otexts.COUNT.format(answered=4, total=11) in text
    assert ptexts.OFFER_READING not in text
    assert "1 av 11 · Besvart" in text and "2 av 11 · Ikke fylt ut (kan stå tomt)" in text
    assert "3 av 11 · Besvart" in text and "6 av 11 · Ikke fylt ut (kan stå tomt)" in text
    assert "8 av 11 · Mangler svar" in text and otexts.MISSING_COUNT.format(count=2) in text
    assert otexts.FINISH_PREPARATION not in text  # two questions are not answered yet
    replies = await chat.press(replies, otexts.CONTINUE)
    assert "8 av 11" in joined(replies) and "Hva fungerer godt innenfor disse områdene, og hvorfor?" in joined(replies)
    for answer in ("fungerer", "utfordringer", "ferdig"):
        replies = await chat.say(answer)
    replies = await chat.say("hopp over")
    assert ptexts.DONE in joined(replies)
    assert await answers(session_factory, pair.agreement, Phase.PREPARATION, pair.subordinate) == {
        "styringsbrev.bidrag": "bidrag",
        "ledelsesutvikling.tema": json.dumps(["apen", "retning"]),
        "ledelsesutvikling.god_til": "god til",
        "ledelsesutvikling.utfordrende": "utfordrende",
        "personell.fungerer": "fungerer",
        "personell.utfordringer": "utfordringer",
    }
    async with session_factory() as session:
        assert (await session.get(Agreement, pair.agreement)).subordinate_prepared_at is not None
    # The walk reached its end: nothing is left to continue.
    replies = await chat.submit(actions.submit_data(actions.PREPARE, pair.agreement))
    assert otexts.CONTINUE not in joined(replies) and otexts.PREPARED in joined(replies)


async def test_continue_at_the_first_unanswered_question(session_factory, pair, chat_for) -> None:
    async def first_answers(session, opened):
        for key in ("styringsbrev.bidrag", "ledelsesutvikling.god_til"):
            await save_answer(session, opened, key, Phase.PREPARATION, f"svar {key}", max_length=MAX_LENGTH)

    await act(session_factory, pair.superior, pair.agreement, first_answers)
    alex = chat_for(pair.superior)
    replies = await alex.submit(actions.submit_data(actions.PREPARE, pair.agreement))
    assert "3 av 11 · Mangler svar" in joined(replies)
    replies = await alex.say("fortsett")
    assert "3 av 11" in joined(replies) and "velg ut to-tre tema" in joined(replies)
    # Its answer, then on to the next question: the walk goes on from there.
    replies = await alex.say("1, 3")
    assert "4 av 11" in joined(replies) and GOD_TIL in joined(replies)


async def test_one_question_opened_changed_and_saved_from_the_overview(session_factory, pair, chat_for) -> None:
    await fill(session_factory, pair.superior, pair.agreement)
    alex = chat_for(pair.superior)
    replies = await alex.submit(actions.submit_data(actions.FILL, pair.agreement))
    text = joined(replies)
    assert otexts.TITLE_AGREEMENT in text and otexts.SENT in text
    assert otexts.FINISH_AGREEMENT.format(name="Megan Bowen") not in text  # sent already, nothing changed since
    # A question by its number: asked alone, where it stands in the form, with no section card first.
    replies = await alex.say("4")
    text = joined(replies)
    assert "Lederavtale med Megan Bowen · Ledelsesutvikling · 4 av 11" in text and GOD_TIL in text
    assert "Med utgangspunkt i lederplattformen" not in text
    replies = await alex.say("Tydelig og raus")
    text = joined(replies)
    assert otexts.TITLE_AGREEMENT in text and "Tydelig og raus" in text and "5 av 11" not in text.split("\n")[0]
    saved = await answers(session_factory, pair.agreement, Phase.AGREEMENT, pair.superior)
    assert saved["ledelsesutvikling.god_til"] == "Tydelig og raus"
    assert saved["ledelsesutvikling.utfordrende"] == "Avtalt ledelsesutvikling.utfordrende"
    # The change took the agreement back from review; it can be sent again from the overview.
    assert await status_of(session_factory, pair.superior, pair.agreement) is not AgreementStatus.UTFYLT
    assert otexts.FINISH_AGREEMENT.format(name="Megan Bowen") in text

    # The goals of a section, opened alone, come back to the overview when done.
    replies = await alex.say("10")
    assert "Mål i personell" in joined(replies)
    replies = await alex.press(replies, "Legg til mål")
    replies = await alex.say("Færre overtidstimer")
    replies = await alex.say("Bedre turnus")
    replies = await alex.say("ferdig")
    assert otexts.TITLE_AGREEMENT in joined(replies) and "10 av 11 · 2 mål" in joined(replies)
    stored = await goals(session_factory, pair.agreement, Phase.AGREEMENT, pair.superior)
    assert [title for section, title, _ in stored if section == "personell"] == ["Mål i personell",
                                                                                   "Færre overtidstimer"]

    # A note kept as it is: back to the overview, nothing written.
    replies = await alex.say("11")
    replies = await alex.say("behold")
    assert otexts.TITLE_AGREEMENT in joined(replies)
    # Typing something the overview does not know gets a hint, and the overview again.
    replies = await alex.say("noe annet")
    assert otexts.HINT.format(count=11) in joined(replies)
    replies = await alex.say("12")
    assert otexts.HINT.format(count=11) in joined(replies)


async def test_comment_refill_and_review_with_the_comment_shown_and_changes_marked(
    session_factory, pair, chat_for, deps
) -> None:
    await prepare(session_factory, pair.subordinate, pair.agreement, "Megan")
    await prepare(session_factory, pair.superior, pair.agreement, "Alex")
    await fill(session_factory, pair.superior, pair.agreement)
    megan, alex = chat_for(pair.subordinate), chat_for(pair.superior)
    comment = "Målet for personell bør være mer konkret. " + "Vi snakket om turnus og vikarbruk. " * 20
    replies = await megan.submit(actions.submit_data(actions.REVIEW, pair.agreement))
    replies = await megan.press(replies, rtexts.COMMENT)
    await megan.say(comment)

    # The overview: the comments at the top, nothing marked as changed yet.
    replies = await alex.submit(actions.submit_data(actions.FILL, pair.agreement))
    text = joined(replies)
    assert qtexts.COMMENTS_TITLE.format(name="Megan Bowen") in text and "Målet for personell bør" in text
    assert otexts.CHANGED not in text
    # Each question opened stands with the comments beside it, shortened, to be read whole.
    replies = await alex.say("9")
    text = joined(replies)
    assert "9 av 11" in text and "Målet for personell bør" in text and comment.strip() not in text
    whole = await alex.press(replies, common.BUTTON_READ_WHOLE)
    assert comment.strip() in joined(whole) and qtexts.COMMENTS_LABEL in joined(whole)
    replies = await alex.say("Turnus og vikarbruk følges opp hver måned")
    text = joined(replies)
    assert "9 av 11 · Besvart · " + otexts.CHANGED in text
    assert "8 av 11 · Besvart · " + otexts.CHANGED not in text
    assert otexts.CHANGED_INTRO.format(changed=otexts.CHANGED) in text
    # Changed and changed back is not a change.
    replies = await alex.say("8")
    replies = await alex.say("Endret en stund")
    replies = await alex.say("8")
    replies = await alex.say("Avtalt personell.fungerer")
    assert "8 av 11 · Besvart · " + otexts.CHANGED not in joined(replies)

    # Before it is sent: the whole agreement once, as Megan will see it.
    replies = await alex.press(replies, otexts.FINISH_AGREEMENT.format(name="Megan Bowen"))
    text = joined(replies)
    assert ftexts.PREVIEW_ASK.format(name="Megan Bowen") in text and "Turnus og vikarbruk følges opp" in text
    replies = await alex.press(replies, ftexts.CHANGE)
    assert otexts.TITLE_AGREEMENT in joined(replies)
    replies = await alex.press(replies, otexts.FINISH_AGREEMENT.format(name="Megan Bowen"))
    replies = await alex.press(replies, ftexts.SEND.format(name="Megan Bowen"))
    assert ftexts.SENT.format(name="Megan Bowen") in joined(replies)
    async with session_factory() as session:
        agreement = await session.get(Agreement, pair.agreement)
        assert agreement.filled_at is not None and agreement.review_comment_at is None
    assert (await answers(session_factory, pair.agreement, Phase.AGREEMENT, pair.subordinate))[
        REVIEW_COMMENT_KEY] == comment.strip()

    # Megan is told what changed since her comments, and reviews the new text.
    told = deps.notifier.to(pair.subordinate)[-1:]
    label = "Hvilke utfordringer ser vi, og hva kan vi gjøre for å løse utfordringene?"
    assert ftexts.NOTIFY_REVIEW_CHANGED.format(name="Alex Wilber", fields=f"«{label}»") in joined(told)
    assert actions.submit_data(actions.REVIEW, pair.agreement) in buttons(told)
    replies = await megan.press(told, ftexts.NOTIFY_BUTTON)
    assert rtexts.CHOOSE_SUBORDINATE.format(name="Alex Wilber") in joined(replies)
    assert "Turnus og vikarbruk følges opp hver måned" in joined(replies)
    # Sent back again with nothing changed, she is told that too.
    replies = await megan.press(replies, rtexts.COMMENT)
    await megan.say("Fortsatt uklart.")
    replies = await alex.submit(actions.submit_data(actions.FILL, pair.agreement))
    assert "Fortsatt uklart." in joined(replies) and otexts.CHANGED not in joined(replies)
    replies = await alex.press(replies, otexts.FINISH_AGREEMENT.format(name="Megan Bowen"))
    await alex.press(replies, ftexts.SEND.format(name="Megan Bowen"))
    assert ftexts.NOTIFY_REVIEW_UNCHANGED.format(name="Alex Wilber") in joined(deps.notifier.to(pair.subordinate)[-1:])


async def test_filling_in_before_the_planned_conversation_asks_first(session_factory, pair, chat_for, clock) -> None:
    async with session_factory() as session:
        (await session.get(Agreement, pair.agreement)).meeting_at = datetime(2026, 2, 10, 8, 0, tzinfo=timezone.utc)
        await session.commit()
    alex = chat_for(pair.superior)
    replies = await alex.submit(actions.submit_data(actions.FILL, pair.agreement))
    assert ftexts.WARN_BEFORE_MEETING.format(name="Megan Bowen", when="tirsdag 10. februar 2026 kl. 09.00") in joined(
        replies)
    replies = await alex.press(replies, ftexts.WAIT)
    assert ftexts.WAITING in joined(replies)
    assert await answers(session_factory, pair.agreement, Phase.AGREEMENT, pair.superior) == {}
    replies = await alex.submit(actions.submit_data(actions.FILL, pair.agreement))
    replies = await alex.say("fyll ut nå")
    assert ftexts.INTRO.format(name="Megan Bowen") in joined(replies) and "1 av 11" in joined(replies)
    await alex.say("avbryt")

    # After the conversation: no word about it.
    clock.now = datetime(2026, 2, 10, 12, 0, tzinfo=timezone.utc)
    replies = await alex.submit(actions.submit_data(actions.FILL, pair.agreement))
    assert ftexts.WARN_BEFORE_MEETING.split("{")[0] not in joined(replies) and "1 av 11" in joined(replies)


async def test_the_preparation_is_finished_from_its_overview(session_factory, pair, chat_for, deps) -> None:
    async def required(session, opened):
        for key in ("styringsbrev.bidrag", "ledelsesutvikling.god_til", "ledelsesutvikling.utfordrende",
                    "personell.fungerer", "personell.utfordringer"):
            await save_answer(session, opened, key, Phase.PREPARATION, f"svar {key}", max_length=MAX_LENGTH)

    await act(session_factory, pair.subordinate, pair.agreement, required)
    megan = chat_for(pair.subordinate)
    replies = await megan.submit(actions.submit_data(actions.PREPARE, pair.agreement))
    assert otexts.FINISH_PREPARATION not in joined(replies)
    replies = await megan.say("3")
    replies = await megan.say("2, 6")
    text = joined(replies)
    assert otexts.COUNT.format(answered=6, total=11) in text and otexts.MISSING_COUNT.split("}")[1] not in text
    overview = replies
    replies = await megan.press(overview, otexts.FINISH_PREPARATION)
    assert ptexts.DONE in joined(replies) and ptexts.WAITING_FOR_OTHER.format(name="Alex Wilber") in joined(replies)
    # The same button again (a second click) marks nothing twice.
    await megan.press(overview, otexts.FINISH_PREPARATION)
    async with session_factory() as session:
        assert (await session.get(Agreement, pair.agreement)).subordinate_prepared_at is not None
        marks = (await session.scalars(select(AgreementEvent.kind).where(AgreementEvent.kind == "prepared"))).all()
    assert marks == ["prepared"]
    replies = await megan.submit(actions.submit_data(actions.PREPARE, pair.agreement))
    assert otexts.FINISH_PREPARATION not in joined(replies) and otexts.PREPARED in joined(replies)


async def test_positions_are_kept_per_leader_and_agreement(session_factory, pair, chat_for) -> None:
    alex = chat_for(pair.superior)
    await start_preparation(alex, pair.agreement)
    await alex.say("Megans bidrag")
    # A reminder's button for another agreement, in the middle: the first is left where it was.
    replies = await alex.submit(actions.submit_data(actions.PREPARE, pair.other_agreement))
    replies = await alex.press(replies, ptexts.GO_TO_QUESTIONS)
    for answer in ("Adeles bidrag", "Adeles notat"):
        replies = await alex.say(answer)
    assert "3 av 11" in joined(replies)
    await alex.say("meny")
    assert await positions(session_factory) == [f"lederavtale/resume/leaders/{pair.superior}"]
    for agreement_id, at in ((pair.agreement, "2 av 11"), (pair.other_agreement, "3 av 11")):
        replies = await alex.submit(actions.submit_data(actions.PREPARE, agreement_id))
        replies = await alex.press(replies, otexts.CONTINUE)
        assert at in joined(replies)
    # Megan's own preparation knows nothing of Alex's places.
    replies = await start_preparation(chat_for(pair.subordinate), pair.agreement)
    assert "1 av 11" in joined(replies)
