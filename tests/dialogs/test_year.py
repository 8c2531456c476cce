"""Whole flows through the chat only: status transitions, privacy of the preparation, goals, signing."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timezone

from sqlalchemy import select

from agreement.status import AgreementStatus
from bot import actions
from bot import texts as bot_texts
from dialogs.main_dialog import MainDialog
from dialogs.texts import common
from dialogs.texts import fill as ftexts
from dialogs.texts import goals as gtexts
from dialogs.texts import menu as mtexts
from dialogs.texts import overview as otexts
from dialogs.texts import preparation as ptexts
from dialogs.texts import review as rtexts
from storage.models import Agreement, AgreementEvent, Goal, Phase
from tests.agreement.helpers import status_of
from tests.dialogs.harness import Chat, all_cards, answers, buttons, goals, joined, make_deps
from tests.dialogs.helpers import fill
from tests.support.cards import submit_data

READING = {
    "Lederavtale": "Lederavtalen inngås mellom underordnet og overordnet leder.",
    "LEDERPLATTFORMEN": "BYGGER ENDRINGSKULTUR, ER MODIGE OG MOTIVERER TIL INNOVASJON OG UTVIKLING",
    "Struktur og oppfølgingsansvar": "Underordnet leder er ansvarlig for å delta aktivt i samtalene",
    "Lederens myndighet og ansvar": "Felles omdømmebygging",
    "Lederstøtte": "At lederutvikling prioriteres",
}


def keep_going(replies: list) -> str:
    """What to type to keep the current answer and go on: «ferdig», «behold» or «hopp over»."""
    text = joined(replies[-1:])
    if gtexts.DONE in text:
        return "ferdig"
    return "behold" if common.BUTTON_KEEP in text else "hopp over"


async def prepare_in_chat(chat: Chat, agreement_id: int, word: str) -> list:
    """Go through the whole preparation by typing, one answer per question, one goal."""
    replies = await chat.submit(actions.submit_data(actions.PREPARE, agreement_id))
    replies = await chat.press(replies, ptexts.GO_TO_QUESTIONS)
    for answer in (f"bidrag {word}", "hopp over", "1, 7", f"god til {word}", f"utfordrende {word}"):
        replies = await chat.say(answer)
    replies = await chat.say("legg til")
    replies = await chat.say(f"mål {word}")
    replies = await chat.say(f"tiltak {word}")
    for answer in ("ferdig", f"notat {word}", f"fungerer {word}", f"utfordringer {word}", "ferdig", "hopp over"):
        replies = await chat.say(answer)
    assert ptexts.DONE in joined(replies)
    return replies


async def test_reading_is_offered_at_the_start_of_preparation(
    session_factory, pair, chat_for, state_codec_matches_jsonpickle
) -> None:
    chat = chat_for(pair.subordinate)
    replies = await chat.submit(actions.submit_data(actions.PREPARE, pair.agreement))
    assert ptexts.OFFER_READING in joined(replies)
    replies = await chat.say("noe annet")
    assert ptexts.OFFER_HINT in joined(replies)
    replies = await chat.press(replies, ptexts.READ_FIRST)
    # Five reading cards, in the form's order, then the first question.
    headings = [a.attachments[0].content["body"][0]["text"] for a in replies if a.attachments][:5]
    assert headings == list(READING)
    text = joined(replies)
    for passage in READING.values():
        assert passage in text
    assert "Hva er leders viktigste bidrag" in text and "1 av 11" in text
    # The states of these turns (prompts holding whole cards) took the codec's fast path.
    checked = state_codec_matches_jsonpickle
    assert checked["encoded"] >= 3 and checked["decoded"] >= 2 and checked["jsonpickle"] == 0


async def test_goals_are_added_changed_and_removed_each_saved_at_once(session_factory, pair, chat_for) -> None:
    chat = chat_for(pair.subordinate)
    replies = await chat.submit(actions.submit_data(actions.PREPARE, pair.agreement))
    replies = await chat.press(replies, ptexts.GO_TO_QUESTIONS)
    for answer in ("bidrag", "hopp over", "1, 2", "god til", "utfordrende"):
        replies = await chat.say(answer)
    assert gtexts.NONE_YET in joined(replies)

    async def stored():
        return await goals(session_factory, pair.agreement, Phase.PREPARATION, pair.subordinate)

    replies = await chat.press(replies, gtexts.ADD)
    replies = await chat.say("Delegere mer")
    assert await stored() == []  # a goal is saved with its actions
    replies = await chat.say("   ")
    assert common.EMPTY in joined(replies)
    replies = await chat.say("Fordele oppgaver\nFølge opp fredag")
    assert gtexts.SAVED.format(title="Delegere mer") in joined(replies)
    assert await stored() == [("ledelsesutvikling", "Delegere mer", ["Fordele oppgaver", "Følge opp fredag"])]
    replies = await chat.press(replies, gtexts.ADD)
    replies = await chat.say("Bedre møter")
    replies = await chat.say("Agenda på forhånd")
    assert len(await stored()) == 2

    # Change the first: the card holds the current title and actions; «Behold» keeps the title.
    replies = await chat.press(replies, gtexts.EDIT)  # the last card's first «Endre» is the first goal
    field = next(e for e in replies[-1].attachments[0].content["body"] if e.get("type") == "Input.Text")
    assert field["value"] == "Delegere mer"
    replies = await chat.press(replies, common.BUTTON_KEEP)
    field = next(e for e in replies[-1].attachments[0].content["body"] if e.get("type") == "Input.Text")
    assert field["value"] == "Fordele oppgaver\nFølge opp fredag"
    replies = await chat.press(replies, common.BUTTON_SAVE, text="Fordele oppgaver\nUkentlig oppfølging")
    assert gtexts.CHANGED.format(title="Delegere mer") in joined(replies)
    assert await stored() == [
        ("ledelsesutvikling", "Delegere mer", ["Fordele oppgaver", "Ukentlig oppfølging"]),
        ("ledelsesutvikling", "Bedre møter", ["Agenda på forhånd"]),
    ]
    # Change the title only, by typing.
    replies = await chat.press(replies, gtexts.EDIT)
    replies = await chat.say("Delegere mye mer")
    replies = await chat.say("behold")
    assert gtexts.CHANGED.format(title="Delegere mye mer") in joined(replies)
    # Unchanged is not saved again.
    replies = await chat.press(replies, gtexts.EDIT)
    replies = await chat.say("behold")
    replies = await chat.say("behold")
    assert gtexts.UNCHANGED.format(title="Delegere mye mer") in joined(replies)

    # Remove the second; the removed one is kept as history, not shown.
    # As Teams sends them: with the step token the card was sent with.
    remove = [data for data in submit_data(all_cards(replies[-1:])) if data.get("option") == "remove"]
    replies = await chat.submit(remove[1])
    assert gtexts.CONFIRM_REMOVE.format(title="Bedre møter") in joined(replies)
    remove = [data for data in submit_data(all_cards(replies[-1:])) if data.get("option") == "remove"]
    replies = await chat.submit(remove[0])
    assert gtexts.REMOVED.format(title="Bedre møter") in joined(replies)
    assert await stored() == [("ledelsesutvikling", "Delegere mye mer", ["Fordele oppgaver", "Ukentlig oppfølging"])]
    async with session_factory() as session:
        kept = (await session.scalars(select(Goal.title).where(Goal.removed_at.is_not(None)))).all()
    assert sorted(kept) == ["Bedre møter", "Delegere mer", "Delegere mer"]
    # The same button again at once (a double click) is answered quietly; nothing changes.
    listing = replies
    replies = await chat.submit(remove[0])
    assert bot_texts.ALREADY_RECEIVED in joined(replies)
    assert await stored() == [("ledelsesutvikling", "Delegere mye mer", ["Fordele oppgaver", "Ukentlig oppfølging"])]
    replies = await chat.press(listing, gtexts.DONE)
    assert "Notatfelt" in joined(replies) and "7 av 11" in joined(replies)


async def test_restart_between_goal_title_and_actions(session_factory, pair) -> None:
    first = Chat(MainDialog(make_deps()), pair.subordinate, session_factory)
    replies = await first.submit(actions.submit_data(actions.PREPARE, pair.agreement))
    replies = await first.press(replies, ptexts.GO_TO_QUESTIONS)
    for answer in ("bidrag", "hopp over", "1, 2", "god til", "utfordrende", "legg til", "Målet"):
        replies = await first.say(answer)
    assert gtexts.ASK_ACTIONS.format(title="Målet") in joined(replies)

    second = Chat(MainDialog(make_deps()), pair.subordinate, session_factory)
    replies = await second.say("Tiltaket")
    assert gtexts.SAVED.format(title="Målet") in joined(replies)
    assert await goals(session_factory, pair.agreement, Phase.PREPARATION, pair.subordinate) == [
        ("ledelsesutvikling", "Målet", ["Tiltaket"])
    ]
    assert (await answers(session_factory, pair.agreement, Phase.PREPARATION, pair.subordinate))[
        "ledelsesutvikling.utfordrende"] == "utfordrende"


async def test_the_year_through_the_chat(session_factory, pair, chat_for, deps, clock) -> None:
    """Plan, prepare (private until both are done), fill in, review and sign, with every status."""
    superior, subordinate = chat_for(pair.superior), chat_for(pair.subordinate)

    async def status() -> AgreementStatus:
        return await status_of(session_factory, pair.superior, pair.agreement)

    replies = await subordinate.say("meny")
    assert "Status: ikke startet" in joined(replies) and mtexts.STEP_PREPARE in joined(replies)
    assert await status() is AgreementStatus.IKKE_STARTET

    replies = await superior.submit(actions.submit_data(actions.PLAN, pair.agreement))
    replies = await superior.press(replies, "Lagre tidspunktet", date="2026-02-10", time="09:00")
    assert "Ledersamtalen med Megan Bowen er satt til tirsdag 10. februar 2026 kl. 09.00." in joined(replies)
    assert "tirsdag 10. februar 2026 kl. 09.00" in joined(deps.notifier.to(pair.subordinate))
    assert await status() is AgreementStatus.PLANLAGT
    replies = await subordinate.say("meny")
    assert "Status: planlagt" in joined(replies) and "Samtale: tirsdag 10. februar 2026 kl. 09.00" in joined(replies)

    # The subordinate prepares; the superior sees nothing of it yet.
    replies = await prepare_in_chat(subordinate, pair.agreement, "Megan")
    assert ptexts.WAITING_FOR_OTHER.format(name="Alex Wilber") in joined(replies)
    assert await status() is AgreementStatus.PLANLAGT
    replies = await superior.submit(actions.submit_data(actions.VIEW_PREPARATION, pair.agreement))
    assert mtexts.REFUSE_NOT_BOTH_PREPARED in joined(replies) and "Megan" not in joined(replies).replace(
        "Megan Bowen", "")
    replies = await superior.submit(actions.submit_data(actions.FILL, pair.agreement))
    # The conversation is on 10 February: filling in now is asked about first.
    assert ftexts.WARN_BEFORE_MEETING.format(name="Megan Bowen", when="tirsdag 10. februar 2026 kl. 09.00") in joined(
        replies)
    replies = await superior.press(replies, ftexts.FILL_NOW)
    assert "Megan Bowens forberedelse vises når dere begge har merket forberedelsen som ferdig." in joined(replies)
    assert "bidrag Megan" not in joined(replies)
    await superior.say("avbryt")

    replies = await prepare_in_chat(superior, pair.agreement, "Alex")
    assert ptexts.BOTH_DONE in joined(replies)
    assert await status() is AgreementStatus.FORBEREDT
    told = deps.notifier.to(pair.subordinate)[-1:]
    assert ptexts.NOTIFY_BOTH_DONE.format(name="Alex Wilber") in joined(told)
    assert actions.submit_data(actions.VIEW_PREPARATION, pair.agreement) in buttons(told)

    # Now each sees the other's preparation: as a card, and beside their own answers.
    for chat, other_word in ((subordinate, "Alex"), (superior, "Megan")):
        replies = await chat.submit(actions.submit_data(actions.VIEW_PREPARATION, pair.agreement))
        text = joined(replies)
        assert ptexts.PREPARATIONS_TITLE in text
        assert f"bidrag {other_word}" in text and f"mål {other_word}" in text and f"tiltak {other_word}" in text
    replies = await subordinate.submit(actions.submit_data(actions.PREPARE, pair.agreement))
    replies = await subordinate.press(replies, otexts.OPEN_ANSWERED)
    assert "bidrag Alex" in joined(replies) and "Alex Wilber" in joined(replies)
    await subordinate.say("avbryt")
    # A leader of another agreement and HR see nothing of it.
    for intruder in (pair.colleague, pair.hr):
        replies = await chat_for(intruder).submit(actions.submit_data(actions.VIEW_PREPARATION, pair.agreement))
        assert common.NO_ACCESS in joined(replies) and "bidrag" not in joined(replies)

    # Fill in: both preparations shown; sent to the subordinate as a card.
    replies = await superior.submit(actions.submit_data(actions.FILL, pair.agreement))
    replies = await superior.press(replies, ftexts.FILL_NOW)
    assert "bidrag Megan" in joined(replies) and "bidrag Alex" in joined(replies)
    for answer in ("Avtalt bidrag", "hopp over", "1 7", "Avtalt god til", "Avtalt utfordrende"):
        replies = await superior.say(answer)
    replies = await superior.press(replies, gtexts.USE)
    replies = await superior.say("ferdig")
    for answer in ("hopp over", "Avtalt fungerer", "Avtalt utfordringer", "ferdig", "hopp over"):
        replies = await superior.say(answer)
    assert ftexts.PREVIEW_ASK.format(name="Megan Bowen") in joined(replies)
    replies = await superior.say("send")
    assert ftexts.SENT.format(name="Megan Bowen") in joined(replies)
    assert await status() is AgreementStatus.UTFYLT
    review_card = deps.notifier.to(pair.subordinate)[-1:]
    assert "Avtalt god til" in joined(review_card)
    assert actions.submit_data(actions.REVIEW, pair.agreement) in buttons(review_card)

    # The superior signs first this time, then the subordinate; both get the summary. The meeting
    # was on 10 February: signing on the 11th and 12th needs no word about it.
    clock.now = datetime(2026, 2, 11, 12, 0, tzinfo=timezone.utc)
    replies = await superior.submit(actions.submit_data(actions.SIGN, pair.agreement))
    replies = await superior.press(replies, rtexts.SIGN)
    replies = await superior.press(replies, rtexts.PLACE_NEXT, text="Lørenskog, 11.02.2026")
    replies = await superior.press(replies, rtexts.SHARE_NO)
    replies = await superior.press(replies, rtexts.SIGN)
    assert rtexts.SIGNED_WAITING.format(name="Megan Bowen") in joined(replies)
    assert await status() is AgreementStatus.UTFYLT
    clock.now = datetime(2026, 2, 12, 12, 0, tzinfo=timezone.utc)
    replies = await subordinate.press(review_card, ftexts.NOTIFY_BUTTON)
    assert rtexts.CHOOSE_SUBORDINATE.format(name="Alex Wilber") in joined(replies)
    for answer in ("signer", "Lørenskog, 12.02.2026", "nei", "signer"):
        replies = await subordinate.say(answer)
    assert rtexts.BOTH_SIGNED in joined(replies) and "Lørenskog, 12.02.2026" in joined(replies)
    assert "Lørenskog, 11.02.2026" in joined(replies)
    assert rtexts.BOTH_SIGNED in joined(deps.notifier.to(pair.superior)[-1:])
    assert await status() is AgreementStatus.SIGNERT

    # Locked: preparing and planning are refused; saved answers are as given.
    replies = await subordinate.submit(actions.submit_data(actions.PREPARE, pair.agreement))
    assert mtexts.REFUSE_SIGNED in joined(replies)
    saved = await answers(session_factory, pair.agreement, Phase.AGREEMENT, pair.superior)
    assert saved == {
        "styringsbrev.bidrag": "Avtalt bidrag",
        "ledelsesutvikling.tema": json.dumps(["apen", "endring"]),
        "ledelsesutvikling.god_til": "Avtalt god til",
        "ledelsesutvikling.utfordrende": "Avtalt utfordrende",
        "personell.fungerer": "Avtalt fungerer",
        "personell.utfordringer": "Avtalt utfordringer",
    }
    assert await goals(session_factory, pair.agreement, Phase.AGREEMENT, pair.superior) == [
        ("ledelsesutvikling", "mål Megan", ["tiltak Megan"])
    ]


async def test_a_change_after_one_signature_clears_it(session_factory, pair, chat_for, deps) -> None:
    await fill(session_factory, pair.superior, pair.agreement)
    subordinate, superior = chat_for(pair.subordinate), chat_for(pair.superior)
    replies = await subordinate.submit(actions.submit_data(actions.REVIEW, pair.agreement))
    replies = await subordinate.press(replies, rtexts.SIGN)
    for answer in ("Lørenskog, 02.02.2026", "nei", "signer"):
        await subordinate.say(answer)

    # Opening an answer and keeping it changes nothing: the signature stays.
    replies = await superior.submit(actions.submit_data(actions.FILL, pair.agreement))
    replies = await superior.press(replies, otexts.OPEN_ANSWERED)
    replies = await superior.say("behold")
    replies = await superior.say("avbryt")
    async with session_factory() as session:
        assert (await session.get(Agreement, pair.agreement)).subordinate_signed_at is not None

    replies = await superior.submit(actions.submit_data(actions.FILL, pair.agreement))
    replies = await superior.press(replies, otexts.OPEN_ANSWERED)
    overview = await superior.say("Et nytt bidrag")
    async with session_factory() as session:
        agreement = await session.get(Agreement, pair.agreement)
        assert agreement.subordinate_signed_at is None and agreement.filled_at is None
        kinds = (await session.scalars(select(AgreementEvent.kind).order_by(AgreementEvent.id))).all()
    assert kinds[-1] == "withdrawn_from_review"
    # The subordinate cannot sign the text while it is being changed.
    replies = await subordinate.submit(actions.submit_data(actions.SIGN, pair.agreement))
    assert mtexts.REFUSE_NOT_FILLED in joined(replies)
    replies = await superior.press(overview, otexts.FINISH_AGREEMENT.format(name="Megan Bowen"))
    replies = await superior.press(replies, ftexts.SEND.format(name="Megan Bowen"))
    assert ftexts.SENT.format(name="Megan Bowen") in joined(replies)
    assert "Et nytt bidrag" in joined(deps.notifier.to(pair.subordinate)[-1:])
    assert await status_of(session_factory, pair.subordinate, pair.agreement) is AgreementStatus.UTFYLT


async def test_both_finish_preparation_at_the_same_moment(session_factory, pair, chat_for, deps) -> None:
    subordinate, superior = chat_for(pair.subordinate), chat_for(pair.superior)
    for chat in (subordinate, superior):
        replies = await chat.submit(actions.submit_data(actions.PREPARE, pair.agreement))
        replies = await chat.press(replies, ptexts.GO_TO_QUESTIONS)
        for answer in ("bidrag", "hopp over", "1, 2", "god til", "utfordrende", "ferdig", "hopp over",
                       "fungerer", "utfordringer", "ferdig"):
            replies = await chat.say(answer)
    first, second = await asyncio.gather(subordinate.say("hopp over"), superior.say("hopp over"))
    assert ptexts.DONE in joined(first) and ptexts.DONE in joined(second)
    async with session_factory() as session:
        agreement = await session.get(Agreement, pair.agreement)
        assert agreement.subordinate_prepared_at is not None and agreement.superior_prepared_at is not None
    assert await status_of(session_factory, pair.superior, pair.agreement) is AgreementStatus.FORBEREDT
    # Whoever finished last saw that both are done, and the other one was told once.
    assert ptexts.BOTH_DONE in joined(first) + joined(second)

    def told_both_done() -> int:
        return sum(
            joined([activity]).count(ptexts.NOTIFY_BOTH_DONE.split("{name}")[1]) for _, activity in deps.notifier.sent
        )

    assert told_both_done() == 1
    # Going through the preparation again (it opens in its overview) does not tell the other leader again.
    replies = await subordinate.submit(actions.submit_data(actions.PREPARE, pair.agreement))
    assert otexts.PREPARED in joined(replies)
    replies = await subordinate.press(replies, otexts.GO_THROUGH)
    for _ in range(12):
        if ptexts.DONE in joined(replies):
            break
        replies = await subordinate.say(keep_going(replies))
    assert ptexts.DONE in joined(replies) and told_both_done() == 1


async def test_forged_and_broken_card_values_get_a_message(session_factory, pair, chat_for) -> None:
    chat = chat_for(pair.subordinate)
    replies = await chat.submit(actions.submit_data(actions.PREPARE, pair.agreement))
    replies = await chat.forge(replies, {"reply": "choose", "question": "preparation.reading", "option": ["go"]})
    assert ptexts.OFFER_HINT in joined(replies)
    replies = await chat.press(replies, ptexts.GO_TO_QUESTIONS)
    replies = await chat.forge(replies, {"reply": "answer", "question": "styringsbrev.bidrag", "text": 5})
    assert common.EMPTY in joined(replies) and "1 av 11" in joined(replies)
    replies = await chat.forge(replies, {"reply": "answer", "question": "styringsbrev.bidrag", "text": {"a": 1}})
    assert common.EMPTY in joined(replies)
    replies = await chat.say("bidrag")
    replies = await chat.say("hopp over")
    replies = await chat.forge(replies, {"reply": "answer", "question": "ledelsesutvikling.tema", "choice": ["apen"]})
    assert "Du valgte ingen utsagn." in joined(replies) and "3 av 11" in joined(replies)
    # A forged goals button for a goal that is not the leader's.
    replies = await chat.say("1, 2")
    replies = await chat.say("god")
    replies = await chat.say("utfordrende")
    replies = await chat.forge(replies, {"reply": "choose", "question": "ledelsesutvikling.mal", "option": "edit",
                                 "goal_id": 1})
    assert common.STALE_CARD in joined(replies)
    assert await answers(session_factory, pair.agreement, Phase.PREPARATION, pair.subordinate) == {
        "styringsbrev.bidrag": "bidrag", "ledelsesutvikling.tema": json.dumps(["apen", "retning"]),
        "ledelsesutvikling.god_til": "god", "ledelsesutvikling.utfordrende": "utfordrende",
    }
