"""The autumn as a mirror of the spring: reflections open to each other when both are done, the
subordinate's comment on the record, confirming in one step, and the form's first-person questions
recorded by the superior under a lead that says whose reflection they ask for."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from agreement.answers import FOLLOWUP_COMMENT_KEY
from agreement.errors import AccessDenied, ConcurrentChange, InvalidState
from agreement.goals import list_goals
from agreement.opening import REFLECTED, open_agreement
from agreement.status import AgreementStatus
from agreement.steps import Prepared, comment_followup, mark_followup_recorded, mark_reflected
from bot import actions
from dialogs.texts import common
from dialogs.texts import followup as texts
from dialogs.texts import menu as mtexts
from storage.db import create_engine, create_session_factory
from storage.models import Agreement, AgreementEvent, Answer, Phase
from tests.agreement.helpers import MAX_LENGTH, act, status_of
from tests.dialogs.harness import AUTUMN, Chat, answers, buttons, joined, texts_of
from tests.dialogs.helpers import fill, sign_both
from tests.support.factories import make_pair

#: The eight questions of "Oppfølging av lederavtalen", word for word as the form has them.
EIGHT = [
    "Hva er status på prioriterte områder fra styringsbrevet?",
    "Er det forhold som gjør at prioriteringene vurderes annerledes enn tidligere i år?",
    "Hva kan vi gjøre for å komme videre i arbeidet?",
    "Hvilke refleksjoner har jeg gjort meg om min lederatferd siden forrige samtale?",
    "Hva er viktig for meg å ha ekstra fokus på fremover?",
    "Hva trenger jeg av lederstøtte for å utvikle meg videre?",
    "Hva er status på personal-, økonomi- og fagansvar?",
    "Har det dukket opp noen nye utfordringer som må tas tak i, og hvordan gjør vi dette?",
]
#: The questions the form asks in the subordinate leader's own voice ("jeg", "meg", "min").
FIRST_PERSON = set(EIGHT[3:6])
LEAD = "Megan Bowens refleksjon – spørsmålet slik skjemaet stiller det:"
HIDDEN = "Megan Bowens refleksjoner vises når dere begge er ferdige med refleksjonene."


@pytest.fixture
async def autumn(session_factory, pair, clock):
    """The pair's agreement filled in and signed (two spring goals), on a day in the follow-up."""
    clock.now = AUTUMN
    await fill(session_factory, pair.superior, pair.agreement)
    await sign_both(session_factory, pair, pair.agreement)
    async with session_factory() as session:
        opened = await open_agreement(session, pair.superior, pair.agreement)
        assert len(await list_goals(session, opened, phase=Phase.AGREEMENT)) == 2
    return pair


async def reflect(chat: Chat, agreement_id: int, word: str) -> list:
    """All ten reflections (the eight questions and the two spring goals), typed."""
    replies = await chat.submit(actions.submit_data(actions.FOLLOWUP_REFLECT, agreement_id))
    for number in range(1, 11):
        assert f"{number} av 10" in joined(replies)
        replies = await chat.say(f"{word} refleksjon {number}")
    assert texts.REFLECT_DONE in joined(replies)
    return replies


async def record(chat: Chat, agreement_id: int) -> list:
    """The follow-up recorded: each of the eleven points answered; ends on the superior's confirmation card."""
    replies = await chat.submit(actions.submit_data(actions.FOLLOWUP_RECORD, agreement_id))
    for number in range(1, 12):
        assert f"{number} av 11" in joined(replies)
        replies = await chat.say(f"Registrert {number}")
    return replies


async def reflected_marks(session_factory, agreement_id: int) -> list[int]:
    async with session_factory() as session:
        return list((await session.scalars(
            select(AgreementEvent.actor_id).where(AgreementEvent.agreement_id == agreement_id,
                                                  AgreementEvent.kind == REFLECTED).order_by(AgreementEvent.id)
        )).all())


async def test_reflections_open_to_each_other_when_both_are_done(session_factory, autumn, chat_for, deps) -> None:
    pair = autumn
    subordinate, superior = chat_for(pair.subordinate), chat_for(pair.superior)
    view = actions.submit_data(actions.VIEW_REFLECTIONS, pair.agreement)

    replies = await subordinate.submit(actions.submit_data(actions.FOLLOWUP_REFLECT, pair.agreement))
    assert texts.REFLECT_INTRO.format(name="Alex Wilber") in joined(replies)
    await subordinate.say("avbryt")
    replies = await reflect(subordinate, pair.agreement, "Megan")
    assert texts.REFLECT_WAITING.format(name="Alex Wilber") in joined(replies)
    assert view not in buttons(replies)
    stored = await answers(session_factory, pair.agreement, Phase.FOLLOWUP_PREPARATION, pair.subordinate)
    assert len(stored) == 10 and stored["oppfolging.refleksjoner"] == "Megan refleksjon 4"
    assert await reflected_marks(session_factory, pair.agreement) == [pair.subordinate]
    replies = await subordinate.say("meny")
    assert mtexts.STEP_WAIT_RECORD.format(name="Alex Wilber") in joined(replies)
    assert view not in buttons(replies)

    # Only one is done: the superior sees nothing of the subordinate's reflections, anywhere.
    replies = await superior.submit(view)
    assert mtexts.REFUSE_NOT_BOTH_REFLECTED in joined(replies) and "Megan refleksjon" not in joined(replies)
    replies = await superior.submit(actions.submit_data(actions.FOLLOWUP_RECORD, pair.agreement))
    assert HIDDEN in joined(replies) and "Megan refleksjon" not in joined(replies)
    await superior.say("avbryt")
    replies = await superior.submit(actions.submit_data(actions.FOLLOWUP_REFLECT, pair.agreement))
    assert "Megan refleksjon" not in joined(replies)
    await superior.say("avbryt")
    assert deps.notifier.to(pair.subordinate) == []

    # The second one done: both are told, once, and each sees the other's.
    replies = await reflect(superior, pair.agreement, "Alex")
    assert texts.BOTH_REFLECTED in joined(replies) and view in buttons(replies)
    [told] = deps.notifier.to(pair.subordinate)
    assert texts.NOTIFY_BOTH_REFLECTED.format(name="Alex Wilber") in joined([told]) and view in buttons([told])
    assert await reflected_marks(session_factory, pair.agreement) == [pair.subordinate, pair.superior]
    for chat, own, other in ((subordinate, "Megan", "Alex"), (superior, "Alex", "Megan")):
        replies = await chat.submit(view)
        text = joined(replies)
        assert texts.REFLECTIONS_TITLE in text
        for question in EIGHT:
            assert question in text
        assert "Hvordan har det gått med utviklingsmålet «Mål i ledelsesutvikling»?" in text
        for number in range(1, 11):
            assert f"{own} refleksjon {number}" in text and f"{other} refleksjon {number}" in text
        replies = await chat.say("meny")
        assert view in buttons(replies)
    replies = await subordinate.say("meny")
    assert mtexts.STEP_WAIT_RECORD.format(name="Alex Wilber") in joined(replies)

    # While recording, the superior has the subordinate's reflection beside each question.
    replies = await superior.submit(actions.submit_data(actions.FOLLOWUP_RECORD, pair.agreement))
    assert "Megan refleksjon 1" in joined(replies) and "Alex refleksjon 1" in joined(replies)
    assert HIDDEN not in joined(replies)
    await superior.say("avbryt")
    # Going through the reflections again shows the other's beside one's own, and tells no one again.
    replies = await subordinate.submit(actions.submit_data(actions.FOLLOWUP_REFLECT, pair.agreement))
    assert "Alex refleksjon 1" in joined(replies)
    for _ in range(10):
        replies = await subordinate.say("behold")
    assert texts.BOTH_REFLECTED in joined(replies)
    assert len(deps.notifier.to(pair.superior)) == 0 and len(deps.notifier.to(pair.subordinate)) == 1
    assert await reflected_marks(session_factory, pair.agreement) == [pair.subordinate, pair.superior]

    # Nobody outside the pair sees them.
    for intruder in (pair.colleague, pair.hr, pair.top):
        replies = await chat_for(intruder).submit(view)
        assert common.NO_ACCESS in joined(replies) and "refleksjon" not in joined(replies)


async def test_marking_reflections_done_tells_once_that_both_are_done(session_factory, autumn) -> None:
    pair = autumn
    first = await act(session_factory, pair.subordinate, pair.agreement, mark_reflected)
    assert (first.both, first.both_now) == (False, False)
    again = await act(session_factory, pair.subordinate, pair.agreement, mark_reflected)
    assert (again.both, again.both_now) == (False, False)
    second = await act(session_factory, pair.superior, pair.agreement, mark_reflected)
    assert (second.both, second.both_now) == (True, True)
    assert await reflected_marks(session_factory, pair.agreement) == [pair.subordinate, pair.superior]
    for leader in (pair.superior, pair.subordinate):
        later = await act(session_factory, leader, pair.agreement, mark_reflected)
        assert (later.both, later.both_now) == (True, False)
    with pytest.raises(AccessDenied):
        await act(session_factory, pair.hr, pair.agreement, mark_reflected)


async def test_both_finish_their_reflections_at_the_same_moment(session_factory, autumn, chat_for, deps) -> None:
    pair = autumn
    subordinate, superior = chat_for(pair.subordinate), chat_for(pair.superior)
    for chat, word in ((subordinate, "Megan"), (superior, "Alex")):
        await chat.submit(actions.submit_data(actions.FOLLOWUP_REFLECT, pair.agreement))
        for number in range(1, 10):
            await chat.say(f"{word} refleksjon {number}")
    first, second = await asyncio.gather(subordinate.say("Megan siste"), superior.say("Alex siste"))
    assert texts.REFLECT_DONE in joined(first) and texts.REFLECT_DONE in joined(second)
    assert sorted(await reflected_marks(session_factory, pair.agreement)) == sorted([pair.subordinate, pair.superior])
    # Whoever finished last saw that both are done, and the other one was told once.
    assert texts.BOTH_REFLECTED in joined(first) + joined(second)
    told = [activity for _, activity in deps.notifier.sent
            if texts.NOTIFY_BOTH_REFLECTED.split("{name}")[1] in joined([activity])]
    assert len(told) == 1


@pytest.mark.postgres
async def test_two_marks_at_the_same_moment_meet_at_the_agreement(postgres_url) -> None:
    """Of two reflections marked done at once, the later runs again (as its turn does) and learns both are done."""
    engine = create_engine(postgres_url)
    factory = create_session_factory(engine)
    try:
        pair = await make_pair(factory)
        await fill(factory, pair.superior, pair.agreement)
        await sign_both(factory, pair, pair.agreement)
        async with factory() as first, factory() as second:
            mine = await open_agreement(first, pair.subordinate, pair.agreement)
            theirs = await open_agreement(second, pair.superior, pair.agreement)  # neither mark is there yet
            assert (await mark_reflected(first, mine)).both is False
            later = asyncio.create_task(mark_reflected(second, theirs))
            await first.commit()
            with pytest.raises(ConcurrentChange):
                await later
            await second.rollback()
        assert await act(factory, pair.superior, pair.agreement, mark_reflected) == Prepared(both=True, both_now=True)
        assert await reflected_marks(factory, pair.agreement) == [pair.subordinate, pair.superior]
    finally:
        await engine.dispose()


def _lines_of(replies: list) -> list[str]:
    return [line for activity in replies for line in texts_of(activity)]


async def test_the_superior_records_the_subordinates_questions_under_a_lead(session_factory, autumn, chat_for) -> None:
    pair = autumn
    # The subordinate reflecting is asked her own questions in her own voice, with no lead.
    subordinate = chat_for(pair.subordinate)
    replies = await subordinate.submit(actions.submit_data(actions.FOLLOWUP_REFLECT, pair.agreement))
    for question in EIGHT:
        assert question in _lines_of(replies) and LEAD not in joined(replies)
        replies = await subordinate.say("Min egen refleksjon")
    await subordinate.say("avbryt")

    superior = chat_for(pair.superior)
    replies = await superior.submit(actions.submit_data(actions.FOLLOWUP_RECORD, pair.agreement))
    for number, question in enumerate(EIGHT, start=1):
        lines = _lines_of(replies)
        assert question in lines and f"{number} av 11" in joined(replies)
        if question in FIRST_PERSON:
            # The lead stands right above the question, which is the form's own words.
            assert lines[lines.index(question) - 1] == LEAD
        else:
            assert LEAD not in lines
        replies = await superior.say(f"Registrert {number}")
    # The goals and the note are the superior's own record: no lead.
    for _ in range(3):
        assert LEAD not in joined(replies)
        replies = await superior.say("Registrert")
    assert texts.RECORD_DONE.format(name="Megan Bowen") in joined(replies)
    recorded = await answers(session_factory, pair.agreement, Phase.FOLLOWUP, pair.superior)
    assert recorded["oppfolging.refleksjoner"] == "Registrert 4" and len(recorded) == 11


async def test_the_subordinate_comments_then_both_confirm_in_one_step(session_factory, autumn, chat_for, deps) -> None:
    pair = autumn
    subordinate, superior = chat_for(pair.subordinate), chat_for(pair.superior)
    confirm = actions.submit_data(actions.FOLLOWUP_CONFIRM, pair.agreement)

    replies = await record(superior, pair.agreement)
    # Right after recording, the superior has the record once, with the one button that confirms it.
    text = joined(replies)
    assert texts.RECORD_DONE.format(name="Megan Bowen") in text and texts.CONFIRM_ASK in text
    assert text.count("Registrert 3") == 1 and texts.COMMENT_BUTTON not in text
    # The subordinate is told in a line and a button, not the whole record again.
    [told] = deps.notifier.to(pair.subordinate)
    assert texts.NOTIFY_RECORDED.format(name="Alex Wilber") in joined([told])
    assert "Registrert" not in joined([told]) and confirm in buttons([told])

    replies = await subordinate.say("meny")
    assert mtexts.STEP_CONFIRM_OR_COMMENT in joined(replies) and confirm in buttons(replies)
    replies = await subordinate.press([told], texts.NOTIFY_RECORDED_BUTTON)
    text = joined(replies)
    assert texts.CONFIRM_ASK_SUBORDINATE in text and text.count("Registrert 3") == 1
    assert texts.COMMENT_BUTTON in text and texts.CONFIRM_BUTTON in text and texts.LATER in text
    replies = await subordinate.press(replies, texts.COMMENT_BUTTON)
    assert texts.ASK_COMMENT.format(name="Alex Wilber") in joined(replies)
    replies = await subordinate.say("Punkt 3 var *viktigere* enn det står\nSe [notatet](http://example.com)")
    assert texts.COMMENT_SENT.format(name="Alex Wilber") in joined(replies)
    comment = "Punkt 3 var *viktigere* enn det står\nSe [notatet](http://example.com)"
    assert await answers(session_factory, pair.agreement, Phase.FOLLOWUP, pair.subordinate) == {
        FOLLOWUP_COMMENT_KEY: comment,
    }
    async with session_factory() as session:
        agreement = await session.get(Agreement, pair.agreement)
        assert agreement.subordinate_followup_confirmed_at is None  # a comment is not a confirmation
        kinds = (await session.scalars(select(AgreementEvent.kind).order_by(AgreementEvent.id))).all()
    assert kinds[-1] == "followup_commented"

    # The superior is told, with the comment under the record, as typed, and when it was written.
    async with session_factory() as session:
        written = await session.scalar(select(Answer.updated_at).where(Answer.question_key == FOLLOWUP_COMMENT_KEY))
    title = texts.COMMENT_TITLE.format(name="Megan Bowen", date=common.format_date(deps.local(written)))
    [commented] = deps.notifier.to(pair.superior)
    text = joined([commented])
    assert texts.NOTIFY_COMMENTED.format(name="Megan Bowen") in text and "Registrert 3" in text
    lines = _lines_of([commented])
    assert lines.index(title) > lines.index("Registrert 11")
    assert lines[lines.index(title) + 1:lines.index(title) + 3] == comment.split("\n")
    assert actions.submit_data(actions.FOLLOWUP_RECORD, pair.agreement) in buttons([commented])
    # ... and sees it next to the record when confirming, and when recording again.
    replies = await superior.submit(confirm)
    assert title in joined(replies) and "Punkt 3 var *viktigere* enn det står" in joined(replies)
    replies = await superior.submit(actions.submit_data(actions.FOLLOWUP_RECORD, pair.agreement))
    assert title in joined(replies) and "Punkt 3 var *viktigere* enn det står" in joined(replies)
    await superior.say("avbryt")

    # Confirming is one step: the button confirms; nothing is asked again.
    replies = await subordinate.submit(confirm)
    assert title in joined(replies)
    replies = await subordinate.press(replies, texts.CONFIRM_BUTTON)
    assert texts.CONFIRMED_WAITING.format(name="Alex Wilber") in joined(replies)
    assert texts.CONFIRM_ASK_SUBORDINATE not in joined(replies) and "Registrert" not in joined(replies)
    async with session_factory() as session:
        assert (await session.get(Agreement, pair.agreement)).subordinate_followup_confirmed_at is not None
    assert texts.NOTIFY_CONFIRMED.format(name="Megan Bowen") in joined(deps.notifier.to(pair.superior)[-1:])
    # A comment comes before confirming, not after.
    replies = await subordinate.submit(confirm)
    assert mtexts.REFUSE_ALREADY_CONFIRMED in joined(replies)
    with pytest.raises(InvalidState):
        await act(session_factory, pair.subordinate, pair.agreement,
                  lambda s, o: comment_followup(s, o, "Etterpå", max_length=MAX_LENGTH))

    replies = await superior.submit(confirm)
    replies = await superior.say("bekreft")
    assert texts.BOTH_CONFIRMED.format(year=2026) in joined(replies)
    assert texts.BOTH_CONFIRMED.format(year=2026) in joined(deps.notifier.to(pair.subordinate)[-1:])
    assert await status_of(session_factory, pair.superior, pair.agreement) is AgreementStatus.OPPFOLGING_GJENNOMFORT


async def test_the_superior_confirms_on_the_card_that_follows_the_record(session_factory, autumn, chat_for,
                                                                         deps) -> None:
    pair = autumn
    superior = chat_for(pair.superior)
    replies = await record(superior, pair.agreement)
    replies = await superior.press(replies, texts.CONFIRM_BUTTON)
    assert texts.CONFIRMED_WAITING.format(name="Megan Bowen") in joined(replies)
    assert texts.CONFIRM_ASK not in joined(replies)
    async with session_factory() as session:
        agreement = await session.get(Agreement, pair.agreement)
        assert agreement.superior_followup_confirmed_at is not None
        assert agreement.subordinate_followup_confirmed_at is None
    assert texts.NOTIFY_CONFIRMED.format(name="Alex Wilber") in joined(deps.notifier.to(pair.subordinate)[-1:])
    replies = await superior.say("meny")
    assert mtexts.STEP_WAIT_CONFIRM.format(name="Megan Bowen") in joined(replies)


async def test_only_the_subordinate_comments_and_only_on_a_recorded_follow_up(session_factory, autumn) -> None:
    pair = autumn

    def comment(text: str):
        return lambda s, o: comment_followup(s, o, text, max_length=MAX_LENGTH)

    with pytest.raises(InvalidState):
        await act(session_factory, pair.subordinate, pair.agreement, comment("For tidlig"))
    await act(session_factory, pair.superior, pair.agreement, mark_followup_recorded)
    with pytest.raises(AccessDenied):
        await act(session_factory, pair.superior, pair.agreement, comment("Fra overordnet"))
    await act(session_factory, pair.subordinate, pair.agreement, comment("Første"))
    await act(session_factory, pair.subordinate, pair.agreement, comment("Andre"))
    assert await answers(session_factory, pair.agreement, Phase.FOLLOWUP, pair.subordinate) == {
        FOLLOWUP_COMMENT_KEY: "Andre",
    }
    assert await answers(session_factory, pair.agreement, Phase.FOLLOWUP, pair.superior) == {}
