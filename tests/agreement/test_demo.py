"""Last year for the demo municipality: every agreement done, through the agreement rules, loaded once."""

from __future__ import annotations

import csv
import io
import json
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from agreement.answers import GOAL_FOLLOWUP_PREFIX, read_answers
from agreement.demo import DEMO_YEAR_DATA, DemoDataError, load_last_year, read_demo_year
from agreement.goals import list_goals
from agreement.opening import open_agreement
from agreement.roster.apply import DEMO_CSV, load_demo
from agreement.status import followup_done, is_signed
from agreement.template import FieldKind
from storage.models import Agreement, AgreementEvent, Answer, AnswerRevision, Goal, GoalAction, Phase

OSLO = ZoneInfo("Europe/Oslo")
THIS_YEAR, LAST_YEAR = 2026, 2025
TEMPLATE = "lederavtale-2023"
#: The steps of the year, each kept in the agreement's history by the rules.
STEPS = ["planned", "prepared", "prepared", "filled", "signed", "signed", "followup_recorded",
         "followup_confirmed", "followup_confirmed"]


async def _load(session_factory):
    await load_demo(session_factory, THIS_YEAR, TEMPLATE)
    return await load_last_year(session_factory, LAST_YEAR, zone=OSLO, max_length=4000)


async def _agreements(session, year: int) -> list[Agreement]:
    rows = await session.scalars(select(Agreement).where(Agreement.year == year).order_by(Agreement.id)
                                 .options(selectinload(Agreement.superior), selectinload(Agreement.subordinate)))
    return list(rows.all())


async def test_last_year_is_signed_and_followed_up_with_every_question_answered(session_factory) -> None:
    result = await _load(session_factory)

    assert (result.completed, result.unchanged) == (11, 0)
    async with session_factory() as session:
        agreements = await _agreements(session, LAST_YEAR)
        assert len(agreements) == 11
        contributions = set()
        for agreement in agreements:
            opened = await open_agreement(session, agreement.superior_id, agreement.id)
            template = opened.template
            assert is_signed(agreement) and followup_done(agreement)
            answers = {(a.phase, a.question_key): a.text for a in await read_answers(session, opened)
                       if a.author_id == agreement.superior_id}
            asked = [spec for section in template.sections for spec in section.fields]
            for spec in asked:
                if spec.kind is FieldKind.GOALS:
                    continue
                assert answers.get((Phase.AGREEMENT, spec.key)), (agreement.subordinate.email, spec.key)
            chosen = json.loads(answers[(Phase.AGREEMENT, "ledelsesutvikling.tema")])
            assert 2 <= len(chosen) <= 3
            for spec in template.followup.fields:
                assert answers.get((Phase.FOLLOWUP, spec.key)), (agreement.subordinate.email, spec.key)
            assert answers[(Phase.FOLLOWUP, "oppfolging.nye_forhold")]
            goals = await list_goals(session, opened, phase=Phase.AGREEMENT)
            assert {goal.section_key for goal in goals} == {"ledelsesutvikling", "personell"}
            for goal in goals:
                assert goal.current_actions
                assert answers[(Phase.FOLLOWUP, f"{GOAL_FOLLOWUP_PREFIX}{goal.id}")]
            contributions.add(answers[(Phase.AGREEMENT, "styringsbrev.bidrag")])

            for signed_at, place, day in ((agreement.subordinate_signed_at, agreement.subordinate_sign_place,
                                           agreement.subordinate_sign_date),
                                          (agreement.superior_signed_at, agreement.superior_sign_place,
                                           agreement.superior_sign_date)):
                local = signed_at.astimezone(OSLO)
                assert place and local.date() == day
                assert (local.year, local.month <= 3, 7 <= local.hour < 18) == (LAST_YEAR, True, True)
            for moment in (agreement.followup_recorded_at, agreement.subordinate_followup_confirmed_at,
                           agreement.superior_followup_confirmed_at):
                assert moment.astimezone(OSLO).year == LAST_YEAR and moment.astimezone(OSLO).month >= 9
            assert agreement.meeting_at < agreement.filled_at < agreement.subordinate_signed_at
            events = (await session.scalars(select(AgreementEvent).where(AgreementEvent.agreement_id == agreement.id)
                                            .order_by(AgreementEvent.id))).all()
            # Taken through the rules: every step is in the history, at its moment last year.
            assert [event.kind for event in events] == STEPS
            assert [event.created_at for event in events] == sorted(event.created_at for event in events)
            assert {event.created_at.astimezone(OSLO).year for event in events} == {LAST_YEAR}
        # Every leader wrote their own answers.
        assert len(contributions) == 11

        shared = {agreement.development_shared for agreement in agreements}
        assert shared == {True, False}
        assert any(a.superior_shares_development != a.subordinate_shares_development for a in agreements)
        # Whatever the rules wrote carries last year's time, the revisions and actions too.
        for column in (Answer.updated_at, AnswerRevision.created_at, Goal.created_at, GoalAction.created_at):
            years = {moment.astimezone(OSLO).year for moment in (await session.scalars(select(column))).all()}
            assert years == {LAST_YEAR}, column
        revisions = await session.scalar(select(func.count()).select_from(AnswerRevision))
        assert revisions == await session.scalar(select(func.count()).select_from(Answer))
        # This year's demo stays as it was: nothing started.
        assert await session.scalar(select(func.count()).select_from(Answer).join(Agreement).where(
            Agreement.year == THIS_YEAR)) == 0


async def _snapshot(session_factory) -> dict[str, list]:
    async with session_factory() as session:
        snapshot = {}
        for model in (Agreement, AgreementEvent, Answer, AnswerRevision, Goal, GoalAction):
            rows = (await session.scalars(select(model).order_by(model.id))).all()
            snapshot[model.__tablename__] = [
                {column.key: getattr(row, column.key) for column in model.__mapper__.column_attrs} for row in rows
            ]
        return snapshot


async def test_loading_twice_leaves_last_year_as_it_is(session_factory) -> None:
    await _load(session_factory)
    before = await _snapshot(session_factory)

    again = await _load(session_factory)

    assert (again.completed, again.unchanged) == (0, 11)
    assert again.summary() == "Lederavtaler 2025 med demosvar, signert og fulgt opp: 0 nye, 11 uendret."
    assert await _snapshot(session_factory) == before


def test_the_data_holds_one_agreement_per_demo_pair_each_its_own() -> None:
    demos = read_demo_year()
    rows = list(csv.DictReader(io.StringIO(DEMO_CSV.read_text(encoding="utf-8")), delimiter=";"))
    assert set(demos) == {row["e-post"] for row in rows if row["overordnet_epost"]}
    for key in ("ledelsesutvikling.god_til", "personell.utfordringer"):
        assert len({demo.answers[key] for demo in demos.values()}) == len(demos)
    assert len({demo.followup_answers["oppfolging.refleksjoner"] for demo in demos.values()}) == len(demos)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda text: text.replace('filled: "01-12 14:20"', 'filled: "12-12 14:20"', 1), "order of the year"),
        (lambda text: text.replace('meeting: "01-12 10:00"', 'meeting: "02-30 10:00"', 1), "expected a moment"),
        (lambda text: text.replace("shares: {subordinate: true, superior: true}", "shares: {subordinate: ja}", 1),
         "shares"),
        (lambda text: text.replace("  - subordinate: alexw@example.com", "  - subordinate: lynner@example.com", 1),
         "given twice"),
    ],
)
def test_broken_demo_data_is_refused_saying_where(change, message: str) -> None:
    with pytest.raises(DemoDataError, match=message):
        read_demo_year(change(DEMO_YEAR_DATA.read_text(encoding="utf-8")))
