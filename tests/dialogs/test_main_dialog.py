"""The main menu, routing of card buttons, and refusals that reveal nothing."""

from __future__ import annotations

from datetime import datetime, timezone

from bot import actions
from dialogs.texts import common
from dialogs.texts import menu as mtexts
from storage.models import Agreement
from tests.dialogs.harness import buttons, joined
from tests.dialogs.helpers import fill, prepare


async def test_menu_lists_agreements_as_subordinate_and_superior(pair, chat_for) -> None:
    replies = await chat_for(pair.superior).say("hei")
    text = joined(replies)
    assert "Lederavtalene dine 2026" in text
    assert "Din lederavtale med Patti Fernandez" in text
    assert "Lederavtale med Megan Bowen" in text and "Lederavtale med Adele Vance" in text
    assert text.count("Status: ikke startet") == 3
    assert mtexts.STEP_PLAN.format(name="Megan Bowen") in text
    data = buttons(replies)
    assert actions.submit_data(actions.PLAN, pair.agreement) in data
    assert actions.submit_data(actions.PREPARE, pair.top_agreement) in data
    assert actions.submit_data(actions.PLAN, pair.top_agreement) not in data


async def test_menu_for_a_leader_without_agreements(pair, chat_for) -> None:
    replies = await chat_for(pair.outsider).say("start")
    assert "Du er ikke med i noen lederavtale i 2026." in joined(replies)


async def test_status_and_help_with_nothing_running(pair, chat_for) -> None:
    chat = chat_for(pair.subordinate)
    assert "Din lederavtale med Alex Wilber: ikke startet" in joined(await chat.say("status"))
    assert "postmottak@lorenskog.kommune.no" in joined(await chat.say("Hjelp"))
    assert "Din lederavtale med Alex Wilber: ikke startet" in joined(await chat.submit(actions.submit_data(actions.STATUS)))


async def test_typing_at_the_menu_gives_a_hint(pair, chat_for) -> None:
    chat = chat_for(pair.subordinate)
    await chat.say("hei")
    replies = await chat.say("noe annet")
    assert common.NOT_UNDERSTOOD in joined(replies) and "Lederavtalene dine 2026" in joined(replies)


async def test_outsider_and_other_pair_cannot_open_the_agreement(session_factory, pair, chat_for) -> None:
    await prepare(session_factory, pair.subordinate, pair.agreement, "hemmelig")
    for intruder in (pair.outsider, pair.colleague, pair.hr, pair.top):
        chat = chat_for(intruder)
        for action in sorted(actions.FLOW_ACTIONS):
            replies = await chat.submit(actions.submit_data(action, pair.agreement))
            text = joined(replies)
            assert common.NO_ACCESS in text, (intruder, action)
            assert "hemmelig" not in text and "Megan Bowen" not in text
            assert "Lederavtalene dine 2026" in text
    # In the middle of a flow, too: the flow is left and nothing is shown.
    chat = chat_for(pair.colleague)
    await chat.submit(actions.submit_data(actions.PREPARE, pair.other_agreement))
    replies = await chat.submit(actions.submit_data(actions.PREPARE, pair.agreement))
    assert common.NO_ACCESS in joined(replies) and "hemmelig" not in joined(replies)


async def test_unknown_and_malformed_card_actions(pair, chat_for) -> None:
    chat = chat_for(pair.subordinate)
    for data in (
        {"action": "slett_alt", "agreement_id": pair.agreement},
        {"action": actions.PREPARE},
        {"action": actions.PREPARE, "agreement_id": "1"},
        {"action": actions.PREPARE, "agreement_id": True},
        {"action": 7},
        # Ids no database can hold (SQLite raised OverflowError and the turn crashed).
        {"action": actions.PREPARE, "agreement_id": 10**30},
        {"action": actions.PREPARE, "agreement_id": -1},
    ):
        replies = await chat.submit(data)
        assert common.UNKNOWN_ACTION in joined(replies), data
        assert "Lederavtalene dine 2026" in joined(replies)
    replies = await chat.submit({"action": actions.PREPARE, "agreement_id": 999999})
    assert common.NO_ACCESS in joined(replies)


async def test_stale_steps_get_a_message_and_the_menu(session_factory, pair, chat_for) -> None:
    chat = chat_for(pair.subordinate)
    replies = await chat.submit(actions.submit_data(actions.REVIEW, pair.agreement))
    assert mtexts.REFUSE_NOT_FILLED in joined(replies) and "Lederavtalene dine 2026" in joined(replies)
    replies = await chat.submit(actions.submit_data(actions.PLAN, pair.agreement))
    assert mtexts.REFUSE_ROLE in joined(replies)
    replies = await chat.submit(actions.submit_data(actions.FOLLOWUP_CONFIRM, pair.agreement))
    assert mtexts.REFUSE_NOT_SIGNED in joined(replies)
    # A card answering a question that is no longer asked, with nothing running.
    replies = await chat.submit({"reply": "answer", "question": "styringsbrev.bidrag", "text": ""})
    assert common.STALE_CARD_MENU in joined(replies)
    # Its text is given back, never dropped.
    replies = await chat.submit({"reply": "answer", "question": "styringsbrev.bidrag", "text": "sent"})
    assert common.GIVEN_BACK_STALE in joined(replies) and "sent" in joined(replies)
    assert "Lederavtalene dine 2026" in joined(replies)
    await fill(session_factory, pair.superior, pair.agreement)
    replies = await chat_for(pair.superior).submit(actions.submit_data(actions.PLAN, pair.agreement))
    assert "Når skal ledersamtalen med Megan Bowen være?" in joined(replies)


async def test_a_reminder_button_in_the_middle_of_another_flow_opens_that_flow(pair, chat_for) -> None:
    chat = chat_for(pair.superior)
    replies = await chat.submit(actions.submit_data(actions.PREPARE, pair.top_agreement))
    assert "Forberedelse til ledersamtalen med Patti Fernandez." in joined(replies)
    replies = await chat.submit(actions.submit_data(actions.PLAN, pair.agreement))
    assert "Når skal ledersamtalen med Megan Bowen være?" in joined(replies)
    replies = await chat.say("meny")
    assert "Lederavtalene dine 2026" in joined(replies)


async def test_reading_sections_from_the_menu(pair, chat_for) -> None:
    chat = chat_for(pair.subordinate)
    replies = await chat.say("meny")
    replies = await chat.press(replies, common.BUTTON_READING)
    text = joined(replies)
    for heading in ("Lederavtale", "LEDERPLATTFORMEN", "Struktur og oppfølgingsansvar",
                    "Lederens myndighet og ansvar", "Lederstøtte"):
        assert heading in text
    replies = await chat.press(replies, "LEDERPLATTFORMEN")
    assert "GIR TILLIT OG UTØVER LEDERSKAPET HELHETLIG OG STØTTENDE" in joined(replies)
    replies = await chat.press(replies, "Neste: Struktur og oppfølgingsansvar")
    assert "Alle ledersamtaler skal være gjennomført i løpet av første kvartal." in joined(replies)
    replies = await chat.press(replies, "Neste: Lederens myndighet og ansvar")
    replies = await chat.press(replies, "Neste: Lederstøtte")
    assert "At lederutvikling prioriteres" in joined(replies)
    assert "Neste:" not in joined(replies)
    replies = await chat.press(replies, common.BUTTON_MENU)
    assert "Lederavtalene dine 2026" in joined(replies)


async def test_greetings_show_the_menu_anywhere(pair, chat_for) -> None:
    chat = chat_for(pair.subordinate)
    await chat.say("meny")
    for greeting in ("hei", "Hallo!", "God morgen", "god kveld."):
        replies = await chat.say(greeting)
        assert "Lederavtalene dine 2026" in joined(replies) and common.NOT_UNDERSTOOD not in joined(replies), greeting
    # In the middle of a question, too: the question is left (its place kept), and nothing is saved.
    replies = await chat.submit(actions.submit_data(actions.PREPARE, pair.agreement))
    replies = await chat.press(replies, "Gå til spørsmålene")
    replies = await chat.say("Hei")
    assert "Lederavtalene dine 2026" in joined(replies) and "1 av 11" not in joined(replies)
    # A greeting inside an answer is an answer.
    replies = await chat.submit(actions.submit_data(actions.PREPARE, pair.agreement))
    replies = await chat.press(replies, "Gå til spørsmålene")
    assert "2 av 11" in joined(await chat.say("Hei til alle i teamet, vi skal levere"))


async def test_status_and_menu_show_progress_and_the_meeting(session_factory, pair, chat_for) -> None:
    async with session_factory() as session:
        (await session.get(Agreement, pair.agreement)).meeting_at = datetime(2026, 2, 10, 8, 0, tzinfo=timezone.utc)
        await session.commit()
    await prepare(session_factory, pair.subordinate, pair.agreement, "Megan")
    megan, alex = chat_for(pair.subordinate), chat_for(pair.superior)
    text = joined(await megan.say("status"))
    assert "Din lederavtale med Alex Wilber: planlagt · samtale tirsdag 10. februar 2026 kl. 09.00" in text
    assert "besvart i forberedelsen din" not in text  # her preparation is done
    text = joined(await alex.say("status"))
    assert ("Lederavtale med Megan Bowen: planlagt · samtale tirsdag 10. februar 2026 kl. 09.00 · "
            + mtexts.PROGRESS_PREPARATION.format(answered=0, total=11)) in text
    assert "Lederavtale med Adele Vance: ikke startet · " + mtexts.PROGRESS_PREPARATION.format(
        answered=0, total=11) in text
    await prepare(session_factory, pair.superior, pair.agreement, "Alex")
    replies = await alex.say("meny")
    assert "Fremdrift: " + mtexts.PROGRESS_AGREEMENT.format(answered=0, total=11) in joined(replies)
    assert "Samtale: tirsdag 10. februar 2026 kl. 09.00" in joined(replies)
    await fill(session_factory, pair.superior, pair.agreement)
    assert "Fremdrift: " not in joined(await megan.say("meny")).split("Status: ")[1]


async def test_help_names_the_view(pair, chat_for) -> None:
    assert "**vis avtalen**" in joined(await chat_for(pair.subordinate).say("hjelp"))
