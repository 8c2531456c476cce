"""The autumn follow-up: reflection by each leader, the superior's record, and both confirming."""

from __future__ import annotations

from datetime import timedelta

from agreement.goals import list_goals
from agreement.opening import open_agreement
from agreement.status import AgreementStatus
from bot import actions
from dialogs.questions import goal_key
from dialogs.texts import followup as texts
from dialogs.texts import menu as mtexts
from agreement.calendar import set_calendar
from storage.models import Phase
from tests.agreement.helpers import status_of
from tests.dialogs.harness import AUTUMN, answers, buttons, joined
from tests.dialogs.helpers import fill, sign_both

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


async def _signed(session_factory, pair) -> list[int]:
    await fill(session_factory, pair.superior, pair.agreement)
    await sign_both(session_factory, pair, pair.agreement)
    async with session_factory() as session:
        opened = await open_agreement(session, pair.superior, pair.agreement)
        return [g.id for g in await list_goals(session, opened, phase=Phase.AGREEMENT)]


async def test_followup_is_offered_from_september(session_factory, pair, chat_for, clock) -> None:
    await _signed(session_factory, pair)
    replies = await chat_for(pair.subordinate).say("meny")
    assert "Oppfølgingen starter 1. september 2026." in joined(replies)
    clock.now = AUTUMN
    replies = await chat_for(pair.subordinate).say("meny")
    assert mtexts.STEP_REFLECT in joined(replies)
    assert actions.submit_data(actions.FOLLOWUP_REFLECT, pair.agreement) in buttons(replies)


async def test_followup_opens_on_the_day_hr_set_for_the_year(session_factory, pair, chat_for, clock) -> None:
    await _signed(session_factory, pair)
    async with session_factory() as session:
        await set_calendar(session, 2026, {"followup_start": "2026-09-15"})
        await session.commit()
    clock.now = AUTUMN  # 7 September: after the default start, before HR's
    replies = await chat_for(pair.subordinate).say("meny")
    assert "Oppfølgingen starter 15. september 2026." in joined(replies)
    assert actions.submit_data(actions.FOLLOWUP_REFLECT, pair.agreement) not in buttons(replies)
    clock.now = AUTUMN + timedelta(days=8)
    replies = await chat_for(pair.subordinate).say("meny")
    assert mtexts.STEP_REFLECT in joined(replies)


async def test_reflection_record_and_confirmation(session_factory, pair, chat_for, deps, clock) -> None:
    clock.now = AUTUMN
    goal_ids = await _signed(session_factory, pair)
    assert len(goal_ids) == 2

    subordinate = chat_for(pair.subordinate)
    replies = await subordinate.submit(actions.submit_data(actions.FOLLOWUP_REFLECT, pair.agreement))
    text = joined(replies)
    assert texts.REFLECT_INTRO.format(name="Alex Wilber") in text
    assert "Mål i ledelsesutvikling" in text and "Tiltak i personell" in text
    assert "Oppfølging av lederavtalen" in text and "Her er noen punkter til hjelp i oppfølgingssamtalen:" in text
    assert EIGHT[0] in text and "1 av 10" in text
    for number, question in enumerate(EIGHT[1:], start=2):
        replies = await subordinate.say(f"Refleksjon {number - 1}")
        assert question in joined(replies) and f"{number} av 10" in joined(replies)
    replies = await subordinate.say("Refleksjon 8")
    assert "Hvordan har det gått med utviklingsmålet «Mål i ledelsesutvikling»?" in joined(replies)
    assert "Tiltak i ledelsesutvikling" in joined(replies)
    replies = await subordinate.say("Godt på vei")
    assert "Hvordan har det gått med utviklingsmålet «Mål i personell»?" in joined(replies)
    replies = await subordinate.say("Ikke startet")
    assert texts.REFLECT_DONE in joined(replies) and texts.REFLECT_WAITING.format(name="Alex Wilber") in joined(replies)
    reflected = await answers(session_factory, pair.agreement, Phase.FOLLOWUP_PREPARATION, pair.subordinate)
    assert reflected[goal_key(goal_ids[0])] == "Godt på vei"
    assert reflected["oppfolging.status_styringsbrev"] == "Refleksjon 1" and len(reflected) == 10

    superior = chat_for(pair.superior)
    replies = await superior.submit(actions.submit_data(actions.FOLLOWUP_RECORD, pair.agreement))
    text = joined(replies)
    assert texts.RECORD_INTRO.format(name="Megan Bowen") in text
    # Alex has not reflected: Megan's reflections stay with her, as a preparation does in spring.
    assert "Megan Bowens refleksjoner vises når dere begge er ferdige med refleksjonene." in text
    assert "Refleksjon 1" not in text
    for number in range(1, 9):
        replies = await superior.say(f"Registrert {number}")
    replies = await superior.say("Målet er nådd")
    replies = await superior.say("Utsatt til neste år")
    text = joined(replies)
    assert "Nye forhold i oppfølgingssamtalen" in text and "11 av 11" in text
    replies = await superior.say("Ny enhet fra 1. januar")
    assert texts.RECORD_DONE.format(name="Megan Bowen") in joined(replies) and texts.CONFIRM_ASK in joined(replies)
    recorded = await answers(session_factory, pair.agreement, Phase.FOLLOWUP, pair.superior)
    assert recorded["oppfolging.nye_forhold"] == "Ny enhet fra 1. januar"
    assert recorded[goal_key(goal_ids[1])] == "Utsatt til neste år"
    told = deps.notifier.to(pair.subordinate)
    assert texts.NOTIFY_RECORDED.format(name="Alex Wilber") in joined(told)
    # The record is shown once, where it is confirmed, not in the notice as well.
    assert "Ny enhet fra 1. januar" not in joined(told)
    assert actions.submit_data(actions.FOLLOWUP_CONFIRM, pair.agreement) in buttons(told)

    replies = await subordinate.submit(actions.submit_data(actions.FOLLOWUP_CONFIRM, pair.agreement))
    assert texts.CONFIRM_ASK_SUBORDINATE in joined(replies) and "Registrert 3" in joined(replies)
    replies = await subordinate.press(replies, texts.CONFIRM_BUTTON)
    assert texts.CONFIRMED_WAITING.format(name="Alex Wilber") in joined(replies)
    assert await status_of(session_factory, pair.superior, pair.agreement) is AgreementStatus.SIGNERT
    replies = await superior.submit(actions.submit_data(actions.FOLLOWUP_CONFIRM, pair.agreement))
    replies = await superior.say("bekreft")
    assert texts.BOTH_CONFIRMED.format(year=2026) in joined(replies)
    assert texts.BOTH_CONFIRMED.format(year=2026) in joined(deps.notifier.to(pair.subordinate)[-1:])
    assert await status_of(session_factory, pair.superior, pair.agreement) is AgreementStatus.OPPFOLGING_GJENNOMFORT
    replies = await subordinate.say("meny")
    assert mtexts.STEP_DONE in joined(replies)
