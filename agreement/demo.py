"""Last year for the demo municipality: every agreement signed and followed up, loaded through the agreement rules.

The demo answers are data (``storage/demo/last_year.yaml``), one entry per agreement. Each
agreement is taken through its year by the same steps a leader takes in Teams: the meeting
planned, both preparations marked, every question answered and the goals set by the superior,
both signatures with their own place and date, the follow-up recorded and confirmed by both.

The steps stamp the moment they run (``utcnow()``), and a leader's steps must keep doing so:
nothing a leader does may carry a time they choose. So the loader runs each step as it is and
then, in the same transaction, gives what that step wrote (the agreement's column for it, and
the history, answers, revisions, goals and actions it added) the step's moment last year from
the data. Only times are set afterwards; every row is written by the rules.

An agreement that already has content is left as it is, so loading twice changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timezone, tzinfo
from importlib.resources import files
from typing import Any

import yaml
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import selectinload

import storage
from agreement.answers import GOAL_FOLLOWUP_PREFIX, save_answer, save_choice
from agreement.goals import add_goal
from agreement.opening import AgreementAccess, open_agreement
from agreement.roster.apply import ImportResult, load_demo
from agreement.signatures import format_place_and_date
from agreement.steps import confirm_followup, mark_filled, mark_followup_recorded, mark_prepared, plan_meeting, sign
from agreement.template import FieldKind, Template, default_template_id_for_year, load_template
from agreement.texts import demo as texts
from storage.models import Agreement, AgreementEvent, Answer, AnswerRevision, Goal, GoalAction, Phase

logger = logging.getLogger(__name__)

DEMO_YEAR_DATA = files(storage) / "demo" / "last_year.yaml"

#: The columns that show an agreement has been worked on: such an agreement is left as it is.
_PROGRESS_COLUMNS = (
    "meeting_at", "superior_prepared_at", "subordinate_prepared_at", "filled_at",
    "superior_signed_at", "subordinate_signed_at", "followup_recorded_at",
)


class DemoDataError(ValueError):
    """The demo data file is not as the loader needs it; the message says where."""


@dataclass(frozen=True, order=True)
class Moment:
    """A moment of the demo year, without the year: "MM-DD HH:MM" in the municipality's time zone."""

    month: int
    day: int
    hour: int
    minute: int

    def at(self, year: int, zone: tzinfo) -> datetime:
        """This moment in ``year``, in UTC (the only kind of timestamp stored)."""
        return datetime(year, self.month, self.day, self.hour, self.minute, tzinfo=zone).astimezone(timezone.utc)


@dataclass(frozen=True)
class DemoGoal:
    """A development goal with its actions, and how it went by the autumn."""

    title: str
    actions: tuple[str, ...]
    followup: str


@dataclass(frozen=True)
class DemoSignature:
    at: Moment
    place: str
    shares: bool


@dataclass(frozen=True)
class DemoAgreement:
    """One agreement's year as the data gives it."""

    subordinate_email: str
    invited: Moment
    subordinate_prepared: Moment
    superior_prepared: Moment
    meeting: Moment
    filled: Moment
    subordinate_signature: DemoSignature
    superior_signature: DemoSignature
    followup: Moment
    subordinate_confirmed: Moment
    superior_confirmed: Moment
    #: The spring's answers by question key: text, or the chosen statements' keys.
    answers: dict[str, str | tuple[str, ...]]
    #: The goals by section key.
    goals: dict[str, tuple[DemoGoal, ...]]
    #: The follow-up's answers by question key.
    followup_answers: dict[str, str]


@dataclass
class LastYearResult:
    """What loading last year did, for the operator's report."""

    year: int
    roster: ImportResult
    completed: int = 0
    unchanged: int = 0

    def summary(self) -> str:
        """A short Norwegian summary."""
        lines = [texts.LAST_YEAR_SUMMARY.format(year=self.year, completed=self.completed, unchanged=self.unchanged)]
        lines.extend(kept.describe() for kept in self.roster.kept_agreements)
        return "\n".join(lines)


# --- the data file ---------------------------------------------------------------------


def _mapping(raw: Any, where: str, keys: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(raw, dict) or set(raw) != set(keys):
        found = sorted(raw) if isinstance(raw, dict) else type(raw).__name__
        raise DemoDataError(f"{where}: expected the keys {sorted(keys)}, found {found}")
    return raw


def _text(raw: Any, where: str) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise DemoDataError(f"{where}: expected a text")
    return raw.strip()


def _moment(raw: Any, where: str) -> Moment:
    try:
        # A year without 29 February: a moment must exist in every year.
        parsed = datetime.strptime(f"2001-{raw}", "%Y-%m-%d %H:%M")
    except (TypeError, ValueError):
        raise DemoDataError(f"{where}: expected a moment \"MM-DD HH:MM\", found {raw!r}") from None
    return Moment(parsed.month, parsed.day, parsed.hour, parsed.minute)


def _flag(raw: Any, where: str) -> bool:
    if not isinstance(raw, bool):
        raise DemoDataError(f"{where}: expected true or false")
    return raw


def _agreement(raw: Any, where: str) -> DemoAgreement:
    entry = _mapping(raw, where, ("subordinate", "shares", "dates", "answers", "goals", "followup"))
    email = _text(entry["subordinate"], f"{where}.subordinate").lower()
    where = f"{where} ({email})"
    shares = _mapping(entry["shares"], f"{where}.shares", ("subordinate", "superior"))
    dates = _mapping(entry["dates"], f"{where}.dates",
                     ("invited", "prepared", "meeting", "filled", "signed", "followup", "confirmed"))
    prepared = _mapping(dates["prepared"], f"{where}.dates.prepared", ("subordinate", "superior"))
    signed = _mapping(dates["signed"], f"{where}.dates.signed", ("subordinate", "superior"))
    confirmed = _mapping(dates["confirmed"], f"{where}.dates.confirmed", ("subordinate", "superior"))

    def signature(role: str) -> DemoSignature:
        raw_signature = _mapping(signed[role], f"{where}.dates.signed.{role}", ("at", "place"))
        return DemoSignature(_moment(raw_signature["at"], f"{where}.dates.signed.{role}.at"),
                             _text(raw_signature["place"], f"{where}.dates.signed.{role}.place"),
                             _flag(shares[role], f"{where}.shares.{role}"))

    answers: dict[str, str | tuple[str, ...]] = {}
    if not isinstance(entry["answers"], dict):
        raise DemoDataError(f"{where}.answers: expected the answers by question key")
    for key, value in entry["answers"].items():
        answers[key] = (tuple(_text(k, f"{where}.answers.{key}") for k in value)
                        if isinstance(value, list) else _text(value, f"{where}.answers.{key}"))
    goals: dict[str, tuple[DemoGoal, ...]] = {}
    if not isinstance(entry["goals"], dict):
        raise DemoDataError(f"{where}.goals: expected the goals by section key")
    for section_key, section_goals in entry["goals"].items():
        if not isinstance(section_goals, list) or not section_goals:
            raise DemoDataError(f"{where}.goals.{section_key}: expected a list of goals")
        parsed = []
        for index, raw_goal in enumerate(section_goals):
            goal_where = f"{where}.goals.{section_key}[{index}]"
            goal = _mapping(raw_goal, goal_where, ("title", "actions", "followup"))
            if not isinstance(goal["actions"], list) or not goal["actions"]:
                raise DemoDataError(f"{goal_where}.actions: expected a list of actions")
            parsed.append(DemoGoal(_text(goal["title"], f"{goal_where}.title"),
                                   tuple(_text(a, f"{goal_where}.actions") for a in goal["actions"]),
                                   _text(goal["followup"], f"{goal_where}.followup")))
        goals[section_key] = tuple(parsed)
    followup = _mapping(entry["followup"], f"{where}.followup", ("answers",))
    if not isinstance(followup["answers"], dict):
        raise DemoDataError(f"{where}.followup.answers: expected the answers by question key")
    followup_answers = {key: _text(value, f"{where}.followup.answers.{key}")
                        for key, value in followup["answers"].items()}

    demo = DemoAgreement(
        subordinate_email=email,
        invited=_moment(dates["invited"], f"{where}.dates.invited"),
        subordinate_prepared=_moment(prepared["subordinate"], f"{where}.dates.prepared.subordinate"),
        superior_prepared=_moment(prepared["superior"], f"{where}.dates.prepared.superior"),
        meeting=_moment(dates["meeting"], f"{where}.dates.meeting"),
        filled=_moment(dates["filled"], f"{where}.dates.filled"),
        subordinate_signature=signature("subordinate"),
        superior_signature=signature("superior"),
        followup=_moment(dates["followup"], f"{where}.dates.followup"),
        subordinate_confirmed=_moment(confirmed["subordinate"], f"{where}.dates.confirmed.subordinate"),
        superior_confirmed=_moment(confirmed["superior"], f"{where}.dates.confirmed.superior"),
        answers=answers,
        goals=goals,
        followup_answers=followup_answers,
    )
    # The steps run in this order: a moment before the one it follows would tell another story.
    order = [demo.invited, min(demo.subordinate_prepared, demo.superior_prepared),
             max(demo.subordinate_prepared, demo.superior_prepared), demo.meeting, demo.filled,
             min(demo.subordinate_signature.at, demo.superior_signature.at),
             max(demo.subordinate_signature.at, demo.superior_signature.at), demo.followup,
             min(demo.subordinate_confirmed, demo.superior_confirmed)]
    if order != sorted(order):
        raise DemoDataError(f"{where}.dates: the moments are not in the order of the year")
    return demo


def read_demo_year(text: str | None = None) -> dict[str, DemoAgreement]:
    """The demo agreements by the subordinate's e-mail (from the shipped data file unless ``text`` is given)."""
    raw = yaml.safe_load(DEMO_YEAR_DATA.read_text(encoding="utf-8") if text is None else text)
    entries = _mapping(raw, "last_year.yaml", ("agreements",))["agreements"]
    if not isinstance(entries, list):
        raise DemoDataError("last_year.yaml: agreements must be a list")
    demos: dict[str, DemoAgreement] = {}
    for index, entry in enumerate(entries):
        demo = _agreement(entry, f"agreements[{index}]")
        if demo.subordinate_email in demos:
            raise DemoDataError(f"agreements[{index}]: {demo.subordinate_email} is given twice")
        demos[demo.subordinate_email] = demo
    return demos


def check_against(demo: DemoAgreement, template: Template) -> None:
    """Refuse demo data that does not answer exactly the questions of ``template``."""
    asked = {spec.key for section in template.sections for spec in section.fields if spec.kind is not FieldKind.GOALS}
    goal_sections = {section.key for section in template.sections
                     if any(spec.kind is FieldKind.GOALS for spec in section.fields)}
    followup = {spec.key for spec in template.followup.fields}
    for what, given, wanted in (("answers", set(demo.answers), asked), ("goals", set(demo.goals), goal_sections),
                                ("followup.answers", set(demo.followup_answers), followup)):
        if given != wanted:
            raise DemoDataError(f"{demo.subordinate_email}: {what} must hold {sorted(wanted)}; "
                                f"missing {sorted(wanted - given)}, unknown {sorted(given - wanted)}")


# --- loading ---------------------------------------------------------------------------


class _Completion:
    """One agreement taken through its year by the rules, each step given its moment last year."""

    def __init__(self, session: AsyncSession, agreement: Agreement, demo: DemoAgreement, zone: tzinfo,
                 max_length: int) -> None:
        self.session = session
        self.agreement = agreement
        self.demo = demo
        self.zone = zone
        self.max_length = max_length
        self.goal_followups: list[tuple[int, str]] = []

    def when(self, moment: Moment) -> datetime:
        return moment.at(self.agreement.year, self.zone)

    async def run(self) -> None:
        session, demo = self.session, self.demo
        superior = await open_agreement(session, self.agreement.superior_id, self.agreement.id)
        subordinate = await open_agreement(session, self.agreement.subordinate_id, self.agreement.id)
        check_against(demo, superior.template)
        await self.step(demo.invited, None, lambda: plan_meeting(session, superior, self.when(demo.meeting)))
        await self.step(demo.subordinate_prepared, "subordinate_prepared_at",
                        lambda: mark_prepared(session, subordinate))
        await self.step(demo.superior_prepared, "superior_prepared_at", lambda: mark_prepared(session, superior))
        await self.step(demo.filled, "filled_at", lambda: self.fill(superior))
        await self.step(demo.subordinate_signature.at, "subordinate_signed_at",
                        lambda: self.sign(subordinate, demo.subordinate_signature))
        await self.step(demo.superior_signature.at, "superior_signed_at",
                        lambda: self.sign(superior, demo.superior_signature))
        await self.step(demo.followup, "followup_recorded_at", lambda: self.follow_up(superior))
        await self.step(demo.subordinate_confirmed, "subordinate_followup_confirmed_at",
                        lambda: confirm_followup(session, subordinate))
        await self.step(demo.superior_confirmed, "superior_followup_confirmed_at",
                        lambda: confirm_followup(session, superior))
        self.agreement.updated_at = self.when(max(demo.subordinate_confirmed, demo.superior_confirmed))
        await session.flush()

    async def fill(self, superior: AgreementAccess) -> None:
        """The superior records the agreed text, sets the goals and sends it for review."""
        for section in superior.template.sections:
            for spec in section.fields:
                if spec.kind is FieldKind.GOALS:
                    for goal in self.demo.goals[section.key]:
                        added = await add_goal(self.session, superior, section.key, Phase.AGREEMENT, goal.title,
                                               goal.actions, max_length=self.max_length)
                        self.goal_followups.append((added.id, goal.followup))
                elif spec.kind is FieldKind.PLATFORM_CHOICE:
                    await save_choice(self.session, superior, spec.key, Phase.AGREEMENT, self.demo.answers[spec.key])
                else:
                    await save_answer(self.session, superior, spec.key, Phase.AGREEMENT, self.demo.answers[spec.key],
                                      max_length=self.max_length)
        await mark_filled(self.session, superior)

    async def sign(self, opened: AgreementAccess, signature: DemoSignature) -> None:
        day = self.when(signature.at).astimezone(self.zone).date()
        await sign(self.session, opened, format_place_and_date(signature.place, day), today=day,
                   share_development=signature.shares)

    async def follow_up(self, superior: AgreementAccess) -> None:
        """The superior records the autumn conversation, one answer per spring goal included."""
        for spec in superior.template.followup.fields:
            await save_answer(self.session, superior, spec.key, Phase.FOLLOWUP, self.demo.followup_answers[spec.key],
                              max_length=self.max_length)
        for goal_id, text in self.goal_followups:
            await save_answer(self.session, superior, f"{GOAL_FOLLOWUP_PREFIX}{goal_id}", Phase.FOLLOWUP, text,
                              max_length=self.max_length)
        await mark_followup_recorded(self.session, superior)

    async def step(self, moment: Moment, column: str | None, work: Callable[[], Awaitable[object]]) -> None:
        """Run one step through the rules, then give what it wrote ``moment`` last year."""
        marks = await self._marks()
        await work()
        when = self.when(moment)
        if column is not None:
            setattr(self.agreement, column, when)
        await self.session.flush()
        agreement_id = self.agreement.id
        answers = select(Answer.id).where(Answer.agreement_id == agreement_id).scalar_subquery()
        goals = select(Goal.id).where(Goal.agreement_id == agreement_id).scalar_subquery()
        statements = (
            update(AgreementEvent).where(AgreementEvent.agreement_id == agreement_id, AgreementEvent.id > marks[0])
            .values(created_at=when),
            update(Answer).where(Answer.agreement_id == agreement_id, Answer.id > marks[1])
            .values(created_at=when, updated_at=when),
            update(AnswerRevision).where(AnswerRevision.answer_id.in_(answers), AnswerRevision.id > marks[2])
            .values(created_at=when),
            update(Goal).where(Goal.agreement_id == agreement_id, Goal.id > marks[3]).values(created_at=when),
            update(GoalAction).where(GoalAction.goal_id.in_(goals), GoalAction.id > marks[4]).values(created_at=when),
        )
        for statement in statements:
            # Nothing in this session reads these times again before the commit.
            await self.session.execute(statement.execution_options(synchronize_session=False))

    async def _marks(self) -> tuple[int, ...]:
        """The highest id of each kind of row this agreement has so far (0 for none)."""
        agreement_id = self.agreement.id
        answers = select(Answer.id).where(Answer.agreement_id == agreement_id).scalar_subquery()
        goals = select(Goal.id).where(Goal.agreement_id == agreement_id).scalar_subquery()
        highest = (
            select(func.max(AgreementEvent.id)).where(AgreementEvent.agreement_id == agreement_id),
            select(func.max(Answer.id)).where(Answer.agreement_id == agreement_id),
            select(func.max(AnswerRevision.id)).where(AnswerRevision.answer_id.in_(answers)),
            select(func.max(Goal.id)).where(Goal.agreement_id == agreement_id),
            select(func.max(GoalAction.id)).where(GoalAction.goal_id.in_(goals)),
        )
        row = (await self.session.execute(select(*(func.coalesce(q.scalar_subquery(), 0) for q in highest)))).one()
        return tuple(row)


async def _agreements_with_content(session: AsyncSession, year: int) -> set[int]:
    ids: set[int] = set()
    for model in (Answer, Goal):
        statement = (
            select(model.agreement_id).join(Agreement, Agreement.id == model.agreement_id)
            .where(Agreement.year == year).distinct()
        )
        ids.update((await session.scalars(statement)).all())
    return ids


async def load_last_year(session_factory: async_sessionmaker[AsyncSession], year: int, *, zone: tzinfo,
                         max_length: int) -> LastYearResult:
    """Load the demo municipality for ``year`` with every untouched agreement signed and followed up.

    Raises TemplateError when no form exists for ``year``, before anything is written.
    """
    template_id = default_template_id_for_year(year)
    demos = read_demo_year()
    template = load_template(template_id)
    for demo in demos.values():
        check_against(demo, template)
    roster = await load_demo(session_factory, year, template_id)
    result = LastYearResult(year=year, roster=roster)
    async with session_factory.begin() as session:
        rows = await session.scalars(
            select(Agreement).where(Agreement.year == year, Agreement.active.is_(True))
            .options(selectinload(Agreement.subordinate)).order_by(Agreement.id)
        )
        agreements = list(rows.all())
        with_content = await _agreements_with_content(session, year)
        for agreement in agreements:
            if agreement.id in with_content or any(getattr(agreement, c) is not None for c in _PROGRESS_COLUMNS):
                result.unchanged += 1
                continue
            demo = demos.get(agreement.subordinate.email)
            if demo is None:
                raise DemoDataError(f"no demo answers for {agreement.subordinate.email}")
            await _Completion(session, agreement, demo, zone, max_length).run()
            result.completed += 1
    logger.info("Demo year %s: %d agreements completed, %d left as they were", year, result.completed,
                result.unchanged)
    return result
