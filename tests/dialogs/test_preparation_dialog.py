"""Preparation through the main dialog: every section, both leaders, saved as answered."""

from __future__ import annotations

import asyncio
import json

from sqlalchemy import select

from agreement.errors import ConcurrentChange
from agreement.status import AgreementStatus
from bot import actions
from bot import texts as bot_texts
from dialogs import flow
from dialogs.main_dialog import MainDialog
from dialogs.texts import common
from dialogs.texts import overview as otexts
from dialogs.texts import preparation as ptexts
from storage.models import Agreement, AnswerRevision, Phase
from tests.agreement.helpers import status_of
from tests.dialogs.harness import Chat, answers, goals, joined, make_deps

PRIVACY = "Personlige utviklingsmål er ikke gjenstand for offentlighet eller tilgjengelig for andre, med mindre det er spesielt avtalt."


async def start(chat: Chat, agreement_id: int) -> list:
    replies = await chat.submit(actions.submit_data(actions.PREPARE, agreement_id))
    assert ptexts.PRIVATE in joined(replies)
    return await chat.press(replies, ptexts.GO_TO_QUESTIONS)


async def test_subordinate_prepares_every_section(session_factory, pair, chat_for, deps) -> None:
    chat = chat_for(pair.subordinate)
    replies = await start(chat, pair.agreement)
    text = joined(replies)
    assert "Sentrale tema og oppdrag fra styringsbrevet" in text
    assert "Hva er leders viktigste bidrag inn i arbeidet med de sentrale tema og oppdrag fra styringsbrevet?" in text
    assert "1 av 11" in text

    replies = await chat.say("Å levere på oppvekstplanen")
    assert "Notatfelt" in joined(replies) and "2 av 11" in joined(replies)
    replies = await chat.press(replies, common.BUTTON_SKIP)
    text = joined(replies)
    assert "Ledelsesutvikling" in text and PRIVACY in text
    assert "Med utgangspunkt i lederplattformen, velg ut to-tre tema/forventninger." in text

    # A choice of one and of four is refused, with the count named, and asked again.
    replies = await chat.press(replies, common.BUTTON_SAVE, choice="apen")
    assert "Du valgte ett utsagn. Velg to–tre utsagn" in joined(replies)
    assert "3 av 11" in joined(replies)
    replies = await chat.press(replies, common.BUTTON_SAVE, choice="apen,retning,trygg,tillit")
    assert "Du valgte fire utsagn." in joined(replies)
    assert "ledelsesutvikling.tema" not in await answers(session_factory, pair.agreement, Phase.PREPARATION, pair.subordinate)
    replies = await chat.press(replies, common.BUTTON_SAVE, choice="apen,tillit")
    assert "Hva er leder god til, og hvorfor?" in joined(replies)

    replies = await chat.say("Tydelig kommunikasjon")
    assert "Hva er utfordrende, og hvorfor? Sett utviklingsmål og tiltak for kommende periode." in joined(replies)
    replies = await chat.say("Å delegere")

    # Goals: add one with two actions, then finish.
    assert "Ingen utviklingsmål ennå." in joined(replies)
    replies = await chat.press(replies, "Legg til mål")
    assert "Skriv utviklingsmålet, kort." in joined(replies)
    replies = await chat.say("Delegere mer")
    assert "Skriv tiltakene for «Delegere mer», ett per linje." in joined(replies)
    replies = await chat.say("Ukentlig fordeling av oppgaver\nOppfølging hver fredag")
    text = joined(replies)
    assert "Målet «Delegere mer» er lagret." in text and "Oppfølging hver fredag" in text
    replies = await chat.press(replies, "Ferdig med målene")
    assert "Notatfelt" in joined(replies) and "7 av 11" in joined(replies)
    replies = await chat.say("hopp over")

    assert "Personell, økonomi og fag" in joined(replies)
    replies = await chat.say("Godt arbeidsmiljø")
    replies = await chat.say("Sykefravær; tettere oppfølging")
    replies = await chat.say("ferdig")
    replies = await chat.say("Et notat om personell")
    text = joined(replies)
    assert ptexts.DONE in text
    assert ptexts.WAITING_FOR_OTHER.format(name="Alex Wilber") in text

    saved = await answers(session_factory, pair.agreement, Phase.PREPARATION, pair.subordinate)
    assert saved == {
        "styringsbrev.bidrag": "Å levere på oppvekstplanen",
        "ledelsesutvikling.tema": json.dumps(["apen", "tillit"]),
        "ledelsesutvikling.god_til": "Tydelig kommunikasjon",
        "ledelsesutvikling.utfordrende": "Å delegere",
        "personell.fungerer": "Godt arbeidsmiljø",
        "personell.utfordringer": "Sykefravær; tettere oppfølging",
        "personell.notat": "Et notat om personell",
    }
    assert await goals(session_factory, pair.agreement, Phase.PREPARATION, pair.subordinate) == [
        ("ledelsesutvikling", "Delegere mer", ["Ukentlig fordeling av oppgaver", "Oppfølging hver fredag"])
    ]
    async with session_factory() as session:
        agreement = await session.get(Agreement, pair.agreement)
        assert agreement.subordinate_prepared_at is not None and agreement.superior_prepared_at is None
    assert await status_of(session_factory, pair.subordinate, pair.agreement) is AgreementStatus.IKKE_STARTET


async def test_both_prepare_and_then_see_each_other(session_factory, pair, chat_for, deps) -> None:
    """The superior prepares too; the preparation is done for both and the other one is told."""
    for leader, word in ((pair.subordinate, "sub"), (pair.superior, "sup")):
        chat = chat_for(leader)
        replies = await start(chat, pair.agreement)
        replies = await chat.say(f"bidrag {word}")
        replies = await chat.say("hopp over")
        replies = await chat.say("1, 7")
        replies = await chat.say(f"god {word}")
        replies = await chat.say(f"utfordrende {word}")
        replies = await chat.say("ferdig")
        replies = await chat.say("hopp over")
        replies = await chat.say(f"fungerer {word}")
        replies = await chat.say(f"utfordringer {word}")
        replies = await chat.say("ferdig")
        replies = await chat.say("hopp over")
        assert ptexts.DONE in joined(replies)
    assert ptexts.BOTH_DONE in joined(replies)
    assert deps.notifier.to(pair.subordinate)
    assert ptexts.NOTIFY_BOTH_DONE.format(name="Alex Wilber") in joined(deps.notifier.to(pair.subordinate))
    saved = await answers(session_factory, pair.agreement, Phase.PREPARATION, pair.superior)
    assert saved["ledelsesutvikling.tema"] == json.dumps(["apen", "endring"])
    assert await status_of(session_factory, pair.superior, pair.agreement) is AgreementStatus.FORBEREDT


async def test_empty_and_too_long_answers_are_refused(session_factory, pair) -> None:
    deps = make_deps(max_answer_length=40)
    chat = Chat(MainDialog(deps), pair.subordinate, session_factory)
    await start(chat, pair.agreement)
    replies = await chat.say("   ")
    assert common.EMPTY in joined(replies) and "1 av 11" in joined(replies)
    replies = await chat.press(replies, common.BUTTON_SAVE, text="")
    assert common.EMPTY in joined(replies)
    long_answer = "x" * 41
    replies = await chat.say(long_answer)
    assert "Svaret er for langt: 41 tegn, og grensen er 40 tegn." in joined(replies)
    assert "1 av 11" in joined(replies)
    assert await answers(session_factory, pair.agreement, Phase.PREPARATION, pair.subordinate) == {}
    replies = await chat.say("x" * 40)
    assert "2 av 11" in joined(replies)
    assert (await answers(session_factory, pair.agreement, Phase.PREPARATION, pair.subordinate))["styringsbrev.bidrag"] == "x" * 40
    # A question cannot be skipped; a note can.
    replies = await chat.say("Behold")
    assert common.NOTHING_TO_KEEP in joined(replies)


async def test_an_answer_with_a_nul_character_is_saved(session_factory, pair, chat_for) -> None:
    # PostgreSQL refuses NUL in text: the turn crashed and the answer was lost.
    chat = chat_for(pair.subordinate)
    await start(chat, pair.agreement)
    replies = await chat.say("Oppvekst\x00planen")
    assert "2 av 11" in joined(replies)
    saved = await answers(session_factory, pair.agreement, Phase.PREPARATION, pair.subordinate)
    assert saved["styringsbrev.bidrag"] == "Oppvekstplanen"
    replies = await chat.say("\x00 ")
    assert common.EMPTY_SKIPPABLE in joined(replies)  # the note that follows may be skipped


async def test_question_cannot_be_skipped(session_factory, pair, chat_for) -> None:
    chat = chat_for(pair.subordinate)
    await start(chat, pair.agreement)
    replies = await chat.say("Hopp over")
    assert common.CANNOT_SKIP in joined(replies) and "1 av 11" in joined(replies)


async def test_earlier_answers_are_offered_for_editing(session_factory, pair, chat_for) -> None:
    chat = chat_for(pair.subordinate)
    await start(chat, pair.agreement)
    await chat.say("Første versjon")
    replies = await chat.say("avbryt")
    assert common.CANCELLED in joined(replies)

    # Begun, the preparation opens in its overview; a question opened there holds the earlier answer.
    replies = await chat.submit(actions.submit_data(actions.PREPARE, pair.agreement))
    replies = await chat.press(replies, otexts.OPEN_ANSWERED)
    question = [c for c in replies[-1].attachments][0].content
    field = next(e for e in question["body"] if e.get("type") == "Input.Text")
    assert field["value"] == "Første versjon"
    replies = await chat.press(replies, common.BUTTON_KEEP)
    assert otexts.TITLE_PREPARATION in joined(replies)
    saved = await answers(session_factory, pair.agreement, Phase.PREPARATION, pair.subordinate)
    assert saved["styringsbrev.bidrag"] == "Første versjon"

    await chat.say("avbryt")
    replies = await chat.submit(actions.submit_data(actions.PREPARE, pair.agreement))
    replies = await chat.press(replies, otexts.OPEN_ANSWERED)
    replies = await chat.press(replies, common.BUTTON_SAVE, text="Andre versjon")
    assert otexts.TITLE_PREPARATION in joined(replies)
    async with session_factory() as session:
        revisions = (await session.scalars(select(AnswerRevision.text).order_by(AnswerRevision.revision))).all()
    assert revisions == ["Første versjon", "Andre versjon"]


async def test_restart_between_two_questions_continues_there(session_factory, pair) -> None:
    """The service is killed between two questions; a new process continues at the same question."""
    first = Chat(MainDialog(make_deps()), pair.subordinate, session_factory)
    await start(first, pair.agreement)
    replies = await first.say("Svar før omstart")
    assert "2 av 11" in joined(replies)
    replies = await first.say("Notat før omstart")
    assert "3 av 11" in joined(replies)

    second = Chat(MainDialog(make_deps()), pair.subordinate, session_factory)
    replies = await second.say("2, 3")
    assert "Hva er leder god til, og hvorfor?" in joined(replies) and "4 av 11" in joined(replies)
    assert await answers(session_factory, pair.agreement, Phase.PREPARATION, pair.subordinate) == {
        "styringsbrev.bidrag": "Svar før omstart",
        "styringsbrev.notat": "Notat før omstart",
        "ledelsesutvikling.tema": json.dumps(["retning", "trygg"]),
    }


async def test_simultaneous_answers_from_both_leaders_are_both_saved(session_factory, pair, chat_for) -> None:
    subordinate, superior = chat_for(pair.subordinate), chat_for(pair.superior)
    await start(subordinate, pair.agreement)
    await start(superior, pair.agreement)
    first, second = await asyncio.gather(subordinate.say("Underordnets svar"), superior.say("Overordnets svar"))
    assert "2 av 11" in joined(first) and "2 av 11" in joined(second)
    await asyncio.gather(subordinate.say("Notat A"), superior.say("Notat B"))
    sub = await answers(session_factory, pair.agreement, Phase.PREPARATION, pair.subordinate)
    sup = await answers(session_factory, pair.agreement, Phase.PREPARATION, pair.superior)
    assert sub == {"styringsbrev.bidrag": "Underordnets svar", "styringsbrev.notat": "Notat A"}
    assert sup == {"styringsbrev.bidrag": "Overordnets svar", "styringsbrev.notat": "Notat B"}


async def test_commands_at_any_step(session_factory, pair, chat_for) -> None:
    chat = chat_for(pair.subordinate)
    await start(chat, pair.agreement)
    replies = await chat.say("  HJELP ")
    text = joined(replies)
    assert common.HELP_INTRO in text and "67 93 40 00" in text and "1 av 11" in text
    replies = await chat.say("Status")
    text = joined(replies)
    assert "Din lederavtale med Alex Wilber: ikke startet" in text and "1 av 11" in text
    # A command word inside an answer is an answer, not a command.
    replies = await chat.say("hjelp til å prioritere status på tiltakene")
    assert "2 av 11" in joined(replies)
    saved = await answers(session_factory, pair.agreement, Phase.PREPARATION, pair.subordinate)
    assert saved == {"styringsbrev.bidrag": "hjelp til å prioritere status på tiltakene"}
    replies = await chat.say("meny")
    assert "Lederavtalene dine 2026" in joined(replies)
    replies = await chat.say("avbryt")
    assert common.CANCELLED in joined(replies)
    replies = await chat.say("avbryt")
    assert common.NOTHING_TO_CANCEL in joined(replies)


async def test_an_old_question_card_is_stale(session_factory, pair, chat_for) -> None:
    chat = chat_for(pair.subordinate)
    first_question = await start(chat, pair.agreement)
    await chat.say("Første svar")
    replies = await chat.press(first_question, common.BUTTON_SAVE, text="Fra et gammelt kort")
    assert common.GIVEN_BACK_STALE in joined(replies) and "Fra et gammelt kort" in joined(replies)
    assert "2 av 11" in joined(replies)
    saved = await answers(session_factory, pair.agreement, Phase.PREPARATION, pair.subordinate)
    assert saved == {"styringsbrev.bidrag": "Første svar"}


async def test_a_goal_that_cannot_be_saved_is_given_back_word_for_word(
    session_factory, pair, chat_for, monkeypatch
) -> None:
    """When a save keeps colliding with other changes, the leader gets their text back, not silence."""
    chat = chat_for(pair.subordinate)
    replies = await start(chat, pair.agreement)
    replies = await chat.say("Bidrag")
    replies = await chat.press(replies, common.BUTTON_SKIP)
    replies = await chat.press(replies, common.BUTTON_SAVE, choice="apen,tillit")
    replies = await chat.say("God til")
    replies = await chat.say("Utfordrende")
    replies = await chat.press(replies, "Legg til mål")
    await chat.say("Delegere mer")

    async def always_colliding(session):
        raise ConcurrentChange()

    monkeypatch.setattr(flow, "flush", always_colliding)
    replies = await chat.say("Ukentlig fordeling\nOppfølging hver fredag")
    monkeypatch.undo()
    text = joined(replies)
    assert bot_texts.NOT_STORED in text
    assert "Ukentlig fordeling\nOppfølging hver fredag" in text
    assert await goals(session_factory, pair.agreement, Phase.PREPARATION, pair.subordinate) == []
    # Nothing of the turn was stored, and the title is not lost: sent again, the actions save the goal.
    replies = await chat.say("Ukentlig fordeling\nOppfølging hver fredag")
    assert await goals(session_factory, pair.agreement, Phase.PREPARATION, pair.subordinate) == [
        ("ledelsesutvikling", "Delegere mer", ["Ukentlig fordeling", "Oppfølging hver fredag"]),
    ]
