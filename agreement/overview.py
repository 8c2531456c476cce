"""HR's overview of a year: who may have it, and its counts. Status and dates only, ever.

Every query here selects named columns: ids, names, units, dates and flags. None selects an
answer, a goal, a comment, an event's detail or a signer's place (nothing a leader typed), so no
overview, chart or spreadsheet built from these can hold content. ``CONTENT_COLUMNS`` names what
must never be selected; the tests check the queries against it.

Who gets which overview (:func:`scope_of`):

- an HR admin: every active agreement of the year;
- a superior's superior: the agreements of the leaders who report to them directly, i.e. the
  agreements in which they are the superior's superior (``Role.SUPERIORS_SUPERIOR`` of the access
  matrix, "status and dates only"). One level, not all levels below: the access matrix gives a
  leader two levels up no role at all (``Role.OUTSIDER``), so showing deeper levels here would give
  them what the design does not. Their own agreements as superior are in it too (they are in that
  pair, and see the status anyway);
- anyone else: no overview (a polite refusal).
"""

from __future__ import annotations

import enum
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import Select, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from agreement.calendar import ReminderCalendar
from agreement.status import AgreementStatus
from storage.models import Agreement, ConversationRef, Leader

#: Columns that hold what a leader typed: never selected by an overview.
CONTENT_COLUMNS = frozenset({
    "answers.text", "answer_revisions.text", "goals.title", "goal_actions.text", "agreement_events.detail",
    "agreements.superior_sign_place", "agreements.subordinate_sign_place",
})


class ScopeKind(str, enum.Enum):
    HR = "hr"
    LINE = "line"


@dataclass(frozen=True)
class Scope:
    """Whose agreements a viewer's overview covers."""

    kind: ScopeKind
    viewer_id: int


@dataclass(frozen=True)
class OverviewRow:
    """One agreement's status and dates: what the overview, the chart and the spreadsheet are built from."""

    agreement_id: int
    year: int
    superior_id: int
    superior_name: str
    subordinate_id: int
    subordinate_name: str
    unit: str
    meeting_at: datetime | None
    superior_prepared_at: datetime | None
    subordinate_prepared_at: datetime | None
    filled_at: datetime | None
    superior_signed_at: datetime | None
    subordinate_signed_at: datetime | None
    followup_recorded_at: datetime | None
    superior_followup_confirmed_at: datetime | None
    subordinate_followup_confirmed_at: datetime | None
    #: False for a leader who has left (no longer in the roster): the agreement stays, marked so.
    superior_active: bool = True
    subordinate_active: bool = True

    @property
    def prepared(self) -> bool:
        return self.superior_prepared_at is not None and self.subordinate_prepared_at is not None

    @property
    def signed_at(self) -> datetime | None:
        """When the second leader signed (the agreement is signed), or None."""
        if self.superior_signed_at is None or self.subordinate_signed_at is None:
            return None
        return max(self.superior_signed_at, self.subordinate_signed_at)

    @property
    def followup_done_at(self) -> datetime | None:
        """When the follow-up was recorded and confirmed by both, or None."""
        moments = (self.followup_recorded_at, self.superior_followup_confirmed_at,
                   self.subordinate_followup_confirmed_at)
        if any(moment is None for moment in moments) or self.signed_at is None:
            return None
        return max(moments)

    @property
    def status(self) -> AgreementStatus:
        """As :func:`agreement.status.derive_status`, from the same dates."""
        if self.signed_at is not None and self.followup_done_at is not None:
            return AgreementStatus.OPPFOLGING_GJENNOMFORT
        if self.signed_at is not None:
            return AgreementStatus.SIGNERT
        if self.filled_at is not None:
            return AgreementStatus.UTFYLT
        if self.prepared:
            return AgreementStatus.FORBEREDT
        if self.meeting_at is not None:
            return AgreementStatus.PLANLAGT
        return AgreementStatus.IKKE_STARTET


@dataclass(frozen=True)
class UnitCounts:
    unit: str
    agreements: int
    planned: int
    prepared: int
    signed: int
    followed_up: int


@dataclass(frozen=True)
class Unreachable:
    leader_id: int
    name: str
    #: "no reference" (the leader never opened the bot) or the stored reason.
    reason: str | None
    #: False for a leader who has left.
    active: bool = True


@dataclass(frozen=True)
class Overdue:
    row: OverviewRow
    #: "q1" (not signed after the Q1 deadline) or "followup" (not followed up after its deadline).
    deadline: str


@dataclass(frozen=True)
class Overview:
    """A year's overview for one scope, as of ``today``."""

    year: int
    scope: Scope
    today: date
    q1_deadline: date
    followup_deadline: date
    rows: list[OverviewRow]
    unreachable: list[Unreachable] = field(default_factory=list)

    @property
    def by_status(self) -> dict[AgreementStatus, int]:
        counted = Counter(row.status for row in self.rows)
        return {status: counted.get(status, 0) for status in AgreementStatus}

    @property
    def by_unit(self) -> list[UnitCounts]:
        units: dict[str, list[OverviewRow]] = {}
        for row in self.rows:
            units.setdefault(row.unit or "", []).append(row)
        return [
            UnitCounts(
                unit=unit,
                agreements=len(rows),
                planned=sum(row.meeting_at is not None for row in rows),
                prepared=sum(row.prepared for row in rows),
                signed=sum(row.signed_at is not None for row in rows),
                followed_up=sum(row.followup_done_at is not None for row in rows),
            )
            for unit, rows in sorted(units.items())
        ]

    @property
    def overdue(self) -> list[Overdue]:
        found: list[Overdue] = []
        for row in self.rows:
            if row.signed_at is None and self.today > self.q1_deadline:
                found.append(Overdue(row, "q1"))
            elif row.signed_at is not None and row.followup_done_at is None and self.today > self.followup_deadline:
                found.append(Overdue(row, "followup"))
        return found


def _rows_query(year: int) -> tuple[Select, type[Leader]]:
    """Status and dates of the year's active agreements, by named columns only."""
    superior = aliased(Leader)
    subordinate = aliased(Leader)
    return (
        select(
            Agreement.id.label("agreement_id"), Agreement.year,
            Agreement.superior_id, superior.name.label("superior_name"),
            Agreement.subordinate_id, subordinate.name.label("subordinate_name"),
            subordinate.unit.label("unit"),
            Agreement.meeting_at, Agreement.superior_prepared_at, Agreement.subordinate_prepared_at,
            Agreement.filled_at, Agreement.superior_signed_at, Agreement.subordinate_signed_at,
            Agreement.followup_recorded_at, Agreement.superior_followup_confirmed_at,
            Agreement.subordinate_followup_confirmed_at,
            superior.active.label("superior_active"), subordinate.active.label("subordinate_active"),
        )
        .join(superior, Agreement.superior_id == superior.id)
        .join(subordinate, Agreement.subordinate_id == subordinate.id)
        .where(Agreement.year == year, Agreement.active.is_(True))
        .order_by(subordinate.unit, superior.name, subordinate.name)
    ), superior


def rows_query(year: int, scope: Scope) -> Select:
    """The query of :func:`overview_rows` (exposed so that the tests can check its columns)."""
    query, superior = _rows_query(year)
    if scope.kind is ScopeKind.LINE:
        query = query.where(or_(superior.superior_id == scope.viewer_id, Agreement.superior_id == scope.viewer_id))
    return query


async def overview_rows(session: AsyncSession, year: int, scope: Scope) -> list[OverviewRow]:
    """Status and dates of the agreements ``scope`` covers in ``year``."""
    result = await session.execute(rows_query(year, scope))
    return [OverviewRow(**row._asdict()) for row in result]


async def scope_of(session: AsyncSession, leader_id: int, year: int) -> Scope | None:
    """Which overview ``leader_id`` gets in ``year``: HR's, their line's, or none."""
    viewer = (await session.execute(
        select(Leader.is_hr_admin, Leader.active).where(Leader.id == leader_id)
    )).one_or_none()
    if viewer is None or not viewer.active:
        return None
    if viewer.is_hr_admin:
        return Scope(ScopeKind.HR, leader_id)
    superior = aliased(Leader)
    below = await session.scalar(
        select(Agreement.id)
        .join(superior, Agreement.superior_id == superior.id)
        .where(Agreement.year == year, Agreement.active.is_(True), superior.superior_id == leader_id)
        .limit(1)
    )
    return Scope(ScopeKind.LINE, leader_id) if below is not None else None


def unreachable_query(leader_ids: set[int]) -> Select:
    return (
        select(Leader.id, Leader.name, Leader.active, ConversationRef.reachable, ConversationRef.unreachable_reason)
        .outerjoin(ConversationRef, ConversationRef.leader_id == Leader.id)
        .where(Leader.id.in_(sorted(leader_ids)),
               or_(ConversationRef.leader_id.is_(None), ConversationRef.reachable.is_(False)))
        .order_by(Leader.name)
    )


async def unreachable_leaders(session: AsyncSession, leader_ids: set[int]) -> list[Unreachable]:
    """Of ``leader_ids``, those the bot cannot reach: no conversation reference, or marked unreachable."""
    if not leader_ids:
        return []
    result = await session.execute(unreachable_query(leader_ids))
    return [
        Unreachable(row.id, row.name, None if row.reachable is None else (row.unreachable_reason or ""), row.active)
        for row in result
    ]


async def build_overview(session: AsyncSession, scope: Scope, year: int, calendar: ReminderCalendar,
                         today: date) -> Overview:
    """The overview of ``year`` for ``scope`` as of ``today``."""
    rows = await overview_rows(session, year, scope)
    leaders = {row.superior_id for row in rows} | {row.subordinate_id for row in rows}
    return Overview(
        year=year, scope=scope, today=today, q1_deadline=calendar.q1_deadline,
        followup_deadline=calendar.followup_deadline, rows=rows,
        unreachable=await unreachable_leaders(session, leaders),
    )
