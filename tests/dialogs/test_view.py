"""«Se avtalen»: what each leader sees of an agreement at every stage, in earlier years, and long texts read whole."""

from __future__ import annotations

from sqlalchemy import update

from agreement.answers import save_answer
from agreement.steps import mark_followup_recorded
from bot import actions
from dialogs.cards.whole_text import CONTEXT_LENGTH
from dialogs.texts import common
from dialogs.texts import fill as ftexts
from dialogs.texts import menu as mtexts
from dialogs.texts import overview as otexts
from dialogs.texts import preparation as ptexts
from dialogs.texts import view as vtexts
from storage.models import Agreement, Phase
from tests.agreement.helpers import MAX_LENGTH, act
from tests.dialogs.harness import all_cards, buttons, joined
from tests.dialogs.helpers import fill, prepare, sign_both
from tests.support.cards import submit_data

HIDDEN_FROM_ALEX = "Megan Bowens forberedelse vises når dere begge har merket forberedelsen som ferdig."
HIDDEN_FROM_MEGAN = "Alex Wilbers forberedelse vises når dere begge har merket forberedelsen som ferdig."


def view_button(agreement_id: int) -> dict:
    return actions.submit_data(actions.VIEW_AGREEMENT, agreement_id)


async def see(chat, agreement_id: int) -> list:
    """Press «Se avtalen» for the agreement in the menu (every stage has it)."""
    menu = await chat.say("meny")
    pressed = [data for data in submit_data(all_cards(menu))
               if data.get("action") == actions.VIEW_AGREEMENT and data.get("agreement_id") == agreement_id]
    assert pressed, joined(menu)
    return await chat.submit(pressed[0])


async def test_the_view_at_every_stage_for_both_roles(session_factory, pair, chat_for) -> None:
    megan, alex = chat_for(pair.subordinate), chat_for(pair.superior)

    # Not started: typed anywhere; Megan has one agreement this year, so it is shown at once.
    replies = await megan.say("vis avtalen")
    text = joined(replies)
    assert vtexts.TITLE.format(year=2026) in text and "Din lederavtale med Alex Wilber" in text
    assert "Status: ikke startet" in text and vtexts.NOTHING_YET in text and HIDDEN_FROM_MEGAN in text
    assert vtexts.NOT_FILLED in text
    # Alex has three: he chooses, and sees the one he chose.
    replies = await alex.say("Se avtalen")
    text = joined(replies)
    assert vtexts.CHOOSE_TITLE in text
    for name in ("Din lederavtale med Patti Fernandez", "Lederavtale med Megan Bowen", "Lederavtale med Adele Vance"):
        assert name in text
    replies = await alex.press(replies, mtexts.BUTTONS[actions.VIEW_AGREEMENT])  # the last card's first: Patti's
    assert "Din lederavtale med Patti Fernandez" in joined(replies)
    replies = await see(alex, pair.agreement)
    assert "Lederavtale med Megan Bowen" in joined(replies) and HIDDEN_FROM_ALEX in joined(replies)

    # Megan has prepared: her own preparation is there for her; Alex sees nothing of it.
    await prepare(session_factory, pair.subordinate, pair.agreement, "Megan")
    replies = await see(megan, pair.agreement)
    assert "bidrag Megan" in joined(replies) and "mål Megan" in joined(replies) and "tiltak Megan" in joined(replies)
    replies = await see(alex, pair.agreement)
    assert "bidrag Megan" not in joined(replies) and HIDDEN_FROM_ALEX in joined(replies)

    # Both have prepared: each sees the other's too.
    await prepare(session_factory, pair.superior, pair.agreement, "Alex")
    for chat, own, other in ((megan, "Megan", "Alex"), (alex, "Alex", "Megan")):
        text = joined(await see(chat, pair.agreement))
        assert f"bidrag {own}" in text and f"bidrag {other}" in text and f"mål {other}" in text
        assert HIDDEN_FROM_ALEX not in text and HIDDEN_FROM_MEGAN not in text

    # Filled in and sent: the agreed text, waiting for the signatures.
    await fill(session_factory, pair.superior, pair.agreement)
    for chat in (megan, alex):
        text = joined(await see(chat, pair.agreement))
        assert vtexts.IN_REVIEW in text and "Avtalt styringsbrev.bidrag" in text and "Mål i personell" in text
        assert vtexts.NOT_FILLED not in text

    # Signed by both: the signatures with their places and dates.
    await sign_both(session_factory, pair, pair.agreement)
    for chat in (megan, alex):
        text = joined(await see(chat, pair.agreement))
        assert "Status: signert" in text and "Lørenskog, 02.02.2026" in text and vtexts.IN_REVIEW not in text
        assert "Avtalt ledelsesutvikling.god_til" in text

    # The autumn: Megan's reflection is hers alone while it is written; the recorded follow-up is for both.
    async def reflect(session, opened):
        await save_answer(session, opened, "oppfolging.refleksjoner", Phase.FOLLOWUP_PREPARATION,
                          "refleksjon Megan", max_length=MAX_LENGTH)

    await act(session_factory, pair.subordinate, pair.agreement, reflect)
    assert "refleksjon Megan" in joined(await see(megan, pair.agreement))
    assert "refleksjon Megan" not in joined(await see(alex, pair.agreement))

    async def record(session, opened):
        await save_answer(session, opened, "oppfolging.status_styringsbrev", Phase.FOLLOWUP, "status registrert",
                          max_length=MAX_LENGTH)
        await mark_followup_recorded(session, opened)

    await act(session_factory, pair.superior, pair.agreement, record)
    for chat in (megan, alex):
        text = joined(await see(chat, pair.agreement))
        assert "Oppfølging av lederavtalen" in text and "status registrert" in text
        assert "Avtalt styringsbrev.bidrag" in text

    # Done for the year: still at hand from the menu.
    async with session_factory() as session:
        await session.execute(update(Agreement).where(Agreement.id == pair.agreement).values(
            superior_followup_confirmed_at=Agreement.followup_recorded_at,
            subordinate_followup_confirmed_at=Agreement.followup_recorded_at))
        await session.commit()
    for chat in (megan, alex):
        assert mtexts.STEP_DONE in joined(await chat.say("meny"))
        replies = await see(chat, pair.agreement)
        assert "Status: oppfølging gjennomført" in joined(replies) and "status registrert" in joined(replies)


async def test_earlier_years_are_at_hand_too(session_factory, pair, chat_for) -> None:
    async with session_factory() as session:
        last_year = Agreement(year=2025, template_id="lederavtale-2023", superior_id=pair.superior,
                              subordinate_id=pair.subordinate)
        session.add(last_year)
        await session.commit()
        last_year_id = last_year.id
    await prepare(session_factory, pair.subordinate, last_year_id, "i fjor")

    megan = chat_for(pair.subordinate)
    replies = await megan.say("meny")
    assert actions.submit_data(actions.PAST_YEARS) in buttons(replies)
    replies = await megan.press(replies, mtexts.PAST_YEARS)
    text = joined(replies)
    assert vtexts.PAST_TITLE in text and "2025: Din lederavtale med Alex Wilber" in text
    assert "2026:" not in text
    replies = await megan.press(replies, mtexts.BUTTONS[actions.VIEW_AGREEMENT])
    text = joined(replies)
    assert vtexts.TITLE.format(year=2025) in text and "bidrag i fjor" in text
    assert actions.submit_data(actions.PAST_YEARS) in buttons(replies)
    # Typed, the choice offers the earlier years as well.
    replies = await chat_for(pair.superior).say("vis avtalen")
    assert actions.submit_data(actions.PAST_YEARS) in buttons(replies)

    # A leader with no earlier agreements is told so; nobody outside the pair sees last year's.
    replies = await chat_for(pair.colleague).submit(actions.submit_data(actions.PAST_YEARS))
    assert vtexts.PAST_NONE in joined(replies)
    for intruder in (pair.colleague, pair.hr, pair.top, pair.outsider):
        replies = await chat_for(intruder).submit(view_button(last_year_id))
        assert common.NO_ACCESS in joined(replies) and "i fjor" not in joined(replies)


async def test_vis_avtalen_in_a_flow_shows_the_agreement_at_hand(session_factory, pair, chat_for) -> None:
    alex = chat_for(pair.superior)
    replies = await alex.submit(actions.submit_data(actions.PREPARE, pair.agreement))
    replies = await alex.press(replies, ptexts.GO_TO_QUESTIONS)
    await alex.say("Mitt bidrag")
    replies = await alex.say("vis avtalen")
    text = joined(replies)
    assert "Lederavtale med Megan Bowen" in text and "Mitt bidrag" in text and vtexts.CHOOSE_TITLE not in text
    # The preparation was left where it was: the overview goes on from there.
    replies = await alex.submit(actions.submit_data(actions.PREPARE, pair.agreement))
    assert otexts.CONTINUE in joined(replies)
    replies = await alex.press(replies, otexts.CONTINUE)
    assert "2 av 11" in joined(replies)


async def test_long_texts_are_shortened_beside_a_question_and_read_whole(session_factory, pair, chat_for) -> None:
    long_text = " ".join(f"Ord{number}" for number in range(400))  # about 2,800 characters
    ending = "Ord399"

    async def write_long(session, opened):
        await save_answer(session, opened, "styringsbrev.bidrag", Phase.PREPARATION, long_text, max_length=MAX_LENGTH)

    await prepare(session_factory, pair.subordinate, pair.agreement, "Megan")
    await act(session_factory, pair.subordinate, pair.agreement, write_long)
    await prepare(session_factory, pair.superior, pair.agreement, "Alex")
    alex = chat_for(pair.superior)
    replies = await alex.submit(actions.submit_data(actions.FILL, pair.agreement))
    text = joined(replies)
    assert ftexts.INTRO.format(name="Megan Bowen") in text and "1 av 11" in text
    assert "Ord0 Ord1" in text and ending not in text and len(text) < len(long_text) + 2000
    assert [data for data in buttons(replies) if data.get("action") == actions.SHOW_TEXT]

    # The whole text, read beside the question: the question is still the one being asked.
    replies = await alex.press(replies, common.BUTTON_READ_WHOLE)
    assert ending in joined(replies) and common.WHOLE_TEXT_TITLE in joined(replies)
    assert "Megan Bowen" in joined(replies)
    replies = await alex.say("Avtalt bidrag")
    assert "2 av 11" in joined(replies)

    # In the view, too; and the shortened piece is no longer than the card allows.
    replies = await see(chat_for(pair.subordinate), pair.agreement)
    assert ending not in joined(replies) and common.BUTTON_READ_WHOLE in joined(replies)
    shown = next(line for line in joined(replies).splitlines() if line.startswith("Ord0 "))
    assert CONTEXT_LENGTH < len(shown) < len(long_text)


async def test_a_text_the_leader_may_not_read_is_never_shown_whole(session_factory, pair, chat_for) -> None:
    secret = "hemmelig " * 100

    async def write(session, opened):
        return (await save_answer(session, opened, "styringsbrev.bidrag", Phase.PREPARATION, secret,
                                  max_length=MAX_LENGTH)).answer.id

    answer_id = await act(session_factory, pair.subordinate, pair.agreement, write)
    # Alex has not seen Megan's preparation (he has not prepared); others are outside the pair.
    for leader in (pair.superior, pair.colleague, pair.hr, pair.outsider):
        for data in (actions.submit_data(actions.SHOW_TEXT, pair.agreement, answer_id=answer_id),
                     actions.submit_data(actions.SHOW_TEXT, pair.other_agreement, answer_id=answer_id),
                     actions.submit_data(actions.SHOW_TEXT, pair.agreement, answer_id="1"),
                     actions.submit_data(actions.SHOW_TEXT, answer_id=answer_id)):
            replies = await chat_for(leader).submit(data)
            assert common.TEXT_NOT_FOUND in joined(replies) and "hemmelig" not in joined(replies)
    replies = await chat_for(pair.subordinate).submit(
        actions.submit_data(actions.SHOW_TEXT, pair.agreement, answer_id=answer_id))
    assert "hemmelig hemmelig" in joined(replies)
