"""Applying a checked roster: the leaders and the year's agreements, in one transaction."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from importlib.resources import files

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

import storage
from agreement.texts import roster as texts
from agreement.roster.parse import parse_leaders_csv
from agreement.roster.rows import CheckedRoster, LeaderRow
from storage.models import Agreement, AgreementEvent, Answer, Goal, Leader, utcnow

logger = logging.getLogger(__name__)

DEMO_CSV = files(storage) / "demo" / "leaders.csv"
SUPERIOR_CHANGED = "superior_changed"


@dataclass(frozen=True)
class KeptAgreement:
    """An agreement with content that stays with its superior although the file says otherwise."""

    agreement_id: int
    subordinate_email: str
    superior_email: str
    new_superior_email: str | None

    def describe(self) -> str:
        """The notice for HR, in Norwegian."""
        if self.new_superior_email is None:
            return texts.KEPT_WITHOUT_SUPERIOR.format(
                subordinate=self.subordinate_email, superior=self.superior_email
            )
        return texts.KEPT_WITH_SUPERIOR.format(
            subordinate=self.subordinate_email,
            superior=self.superior_email,
            new_superior=self.new_superior_email,
        )


@dataclass(frozen=True)
class LeaderChange:
    """One leader an import created, changed (``fields``) or marked as left, named for HR."""

    leader: str
    fields: tuple[str, ...] = ()


@dataclass(frozen=True)
class PairChange:
    """One agreement an import created, reactivated or moved (``old_superior`` then set)."""

    subordinate: str
    superior: str
    old_superior: str | None = None


@dataclass
class ImportResult:
    """What an import did, for the operator's report."""

    year: int
    leaders_created: int = 0
    leaders_updated: int = 0
    leaders_unchanged: int = 0
    leaders_deactivated: int = 0
    agreements_created: int = 0
    agreements_unchanged: int = 0
    agreements_moved: int = 0
    agreements_reactivated: int = 0
    agreements_deactivated: int = 0
    kept_agreements: list[KeptAgreement] = field(default_factory=list)
    new_leaders: list[LeaderChange] = field(default_factory=list)
    changed_leaders: list[LeaderChange] = field(default_factory=list)
    left_leaders: list[LeaderChange] = field(default_factory=list)
    new_pairs: list[PairChange] = field(default_factory=list)
    moved_pairs: list[PairChange] = field(default_factory=list)

    @property
    def changed_anything(self) -> bool:
        """True unless every leader and agreement was already as the file says."""
        return any(
            (
                self.leaders_created,
                self.leaders_updated,
                self.leaders_deactivated,
                self.agreements_created,
                self.agreements_moved,
                self.agreements_reactivated,
                self.agreements_deactivated,
            )
        )

    def summary(self) -> str:
        """A short Norwegian summary for HR."""
        lines = [
            texts.SUMMARY_LEADERS.format(
                created=self.leaders_created,
                updated=self.leaders_updated,
                unchanged=self.leaders_unchanged,
                deactivated=self.leaders_deactivated,
            ),
            texts.SUMMARY_AGREEMENTS.format(
                year=self.year,
                created=self.agreements_created,
                unchanged=self.agreements_unchanged,
                moved=self.agreements_moved,
                reactivated=self.agreements_reactivated,
                deactivated=self.agreements_deactivated,
            ),
        ]
        lines.extend(kept.describe() for kept in self.kept_agreements)
        return "\n".join(lines)

    def changes(self) -> str:
        """Each new, changed and left leader and each new and moved agreement, in Norwegian."""
        lines = [texts.CHANGE_NEW_LEADER.format(leader=change.leader) for change in self.new_leaders]
        lines.extend(
            texts.CHANGE_CHANGED_LEADER.format(
                leader=change.leader,
                fields=texts.CHANGE_FIELD_SEPARATOR.join(texts.CHANGE_FIELD_LABELS[name] for name in change.fields),
            )
            for change in self.changed_leaders
        )
        lines.extend(texts.CHANGE_LEFT_LEADER.format(leader=change.leader) for change in self.left_leaders)
        lines.extend(
            texts.CHANGE_NEW_PAIR.format(subordinate=pair.subordinate, superior=pair.superior)
            for pair in self.new_pairs
        )
        lines.extend(
            texts.CHANGE_MOVED_PAIR.format(
                subordinate=pair.subordinate, superior=pair.superior, old_superior=pair.old_superior
            )
            for pair in self.moved_pairs
        )
        return "\n".join(lines) if lines else texts.CHANGE_NOTHING


_PROGRESS_COLUMNS = (
    "meeting_at",
    "superior_prepared_at",
    "subordinate_prepared_at",
    "filled_at",
    "review_comment_at",
    "superior_signed_at",
    "subordinate_signed_at",
    "followup_recorded_at",
    "superior_followup_confirmed_at",
    "subordinate_followup_confirmed_at",
)


def _who(leader: Leader) -> str:
    """A leader as the list of changes names them."""
    return texts.PERSON.format(name=leader.name, email=leader.email)


def _set(obj: object, attribute: str, value: object) -> bool:
    """Assign only when the value differs (no needless UPDATE or updated_at churn)."""
    if getattr(obj, attribute) == value:
        return False
    setattr(obj, attribute, value)
    return True


class _Importer:
    """One import, applied inside one transaction."""

    def __init__(
        self, session: AsyncSession, roster: CheckedRoster, year: int, template_id: str, now: datetime
    ) -> None:
        self.session = session
        self.now = now
        self.rows = roster.rows
        self.year = year
        self.template_id = template_id
        self.result = ImportResult(year=year)
        self.rows_by_email = roster.by_email()
        self.leader_for_email: dict[str, Leader] = {}
        self.leaders_by_id: dict[int, Leader] = {}

    async def run(self) -> ImportResult:
        await self._apply_leaders()
        await self._apply_agreements()
        return self.result

    async def _apply_leaders(self) -> None:
        existing = list((await self.session.scalars(select(Leader).order_by(Leader.id))).all())
        matched = self._match(existing)
        row_for_leader = {leader.id: self.rows_by_email[email] for email, leader in matched.items()}
        target_object_ids = self._target_object_ids(existing, row_for_leader)

        # Object ids are unique: release every id that moves before assigning any.
        changed: dict[int, list[str]] = {}
        for leader in existing:
            if leader.aad_object_id is not None and target_object_ids[leader.id] != leader.aad_object_id:
                leader.aad_object_id = None
                changed.setdefault(leader.id, []).append("aad_object_id")
        if changed:
            await self.session.flush()

        for leader in existing:
            row = row_for_leader.get(leader.id)
            if _set(leader, "aad_object_id", target_object_ids[leader.id]) and "aad_object_id" not in changed.get(
                leader.id, ()
            ):
                changed.setdefault(leader.id, []).append("aad_object_id")
            if row is None:
                if leader.active:
                    leader.active = False
                    leader.left_at = self.now
                    self.result.leaders_deactivated += 1
                    self.result.left_leaders.append(LeaderChange(_who(leader)))
                continue
            _set(leader, "left_at", None)  # back in the roster; "active" says so
            for attribute, value in (
                ("name", row.name),
                ("email", row.email),
                ("unit", row.unit),
                ("is_hr_admin", row.is_hr_admin),
                ("active", True),
            ):
                if _set(leader, attribute, value):
                    changed.setdefault(leader.id, []).append(attribute)

        for row in self.rows:
            leader = matched.get(row.email)
            if leader is None:
                leader = Leader(
                    name=row.name,
                    email=row.email,
                    aad_object_id=row.aad_object_id,
                    unit=row.unit,
                    is_hr_admin=row.is_hr_admin,
                    active=True,
                )
                self.session.add(leader)
                self.result.leaders_created += 1
                self.result.new_leaders.append(LeaderChange(_who(leader)))
            self.leader_for_email[row.email] = leader
        await self.session.flush()

        for row in self.rows:
            leader = self.leader_for_email[row.email]
            superior_id = self.leader_for_email[row.superior_email].id if row.superior_email else None
            if _set(leader, "superior_id", superior_id) and row.email in matched:
                changed.setdefault(leader.id, []).append("superior_id")
        await self.session.flush()

        changed_in_file = [leader for leader in matched.values() if leader.id in changed]
        self.result.leaders_updated = len(changed_in_file)
        self.result.leaders_unchanged = len(matched) - len(changed_in_file)
        self.result.changed_leaders = [
            LeaderChange(_who(leader), tuple(changed[leader.id])) for leader in changed_in_file
        ]
        self.leaders_by_id = {leader.id: leader for leader in existing}
        self.leaders_by_id.update({leader.id: leader for leader in self.leader_for_email.values()})

    def _match(self, existing: list[Leader]) -> dict[str, Leader]:
        """File e-mail → stored leader: by e-mail first, then by object id."""
        by_email = {leader.email.strip().lower(): leader for leader in existing}
        by_object_id = {leader.aad_object_id: leader for leader in existing if leader.aad_object_id}
        matched: dict[str, Leader] = {}
        taken: set[int] = set()
        for row in self.rows:
            leader = by_email.get(row.email)
            if leader is not None:
                matched[row.email] = leader
                taken.add(leader.id)
        for row in self.rows:
            if row.email in matched or not row.aad_object_id:
                continue
            leader = by_object_id.get(row.aad_object_id)
            if leader is not None and leader.id not in taken:
                matched[row.email] = leader
                taken.add(leader.id)
        return matched

    def _target_object_ids(
        self, existing: list[Leader], row_for_leader: dict[int, LeaderRow]
    ) -> dict[int, str | None]:
        """The object id each stored leader should end with; the file wins every conflict."""
        claimed = {row.aad_object_id: row.email for row in self.rows if row.aad_object_id}
        targets: dict[int, str | None] = {}
        for leader in existing:
            row = row_for_leader.get(leader.id)
            # An empty cell keeps what we know (the bot may have learnt the id from Teams).
            target = row.aad_object_id if row is not None and row.aad_object_id else leader.aad_object_id
            if target is not None and target in claimed and (row is None or claimed[target] != row.email):
                target = None
            targets[leader.id] = target
        return targets

    async def _apply_agreements(self) -> None:
        stored = await self.session.scalars(select(Agreement).where(Agreement.year == self.year))
        agreements = {agreement.subordinate_id: agreement for agreement in stored.all()}
        with_content = await self._agreements_with_written_content()
        last_change = await self._last_superior_change_events()

        def has_content(agreement: Agreement) -> bool:
            return agreement.id in with_content or any(
                getattr(agreement, column) is not None for column in _PROGRESS_COLUMNS
            )

        pairs: dict[int, Leader] = {}
        for row in self.rows:
            if row.superior_email is not None:
                pairs[self.leader_for_email[row.email].id] = self.leader_for_email[row.superior_email]

        for subordinate_id, superior in pairs.items():
            agreement = agreements.get(subordinate_id)
            if agreement is None:
                self.session.add(
                    Agreement(
                        year=self.year,
                        template_id=self.template_id,
                        superior_id=superior.id,
                        subordinate_id=subordinate_id,
                        active=True,
                    )
                )
                self.result.agreements_created += 1
                self.result.new_pairs.append(self._pair(subordinate_id, superior))
            elif agreement.superior_id == superior.id:
                if _set(agreement, "active", True):
                    self.result.agreements_reactivated += 1
                    self.result.new_pairs.append(self._pair(subordinate_id, superior))
                else:
                    self.result.agreements_unchanged += 1
            elif not has_content(agreement):
                self.result.moved_pairs.append(
                    self._pair(subordinate_id, superior, self.leaders_by_id[agreement.superior_id])
                )
                self._record_superior_change(agreement, superior.id, moved=True)
                agreement.superior_id = superior.id
                agreement.active = True
                self.result.agreements_moved += 1
            else:
                self._keep(agreement, superior, last_change)

        for subordinate_id, agreement in agreements.items():
            if subordinate_id in pairs or not agreement.active:
                continue
            if has_content(agreement):
                self._keep(agreement, None, last_change)
            else:
                agreement.active = False
                self.result.agreements_deactivated += 1
        await self.session.flush()

    def _pair(self, subordinate_id: int, superior: Leader, old_superior: Leader | None = None) -> PairChange:
        return PairChange(
            subordinate=_who(self.leaders_by_id[subordinate_id]),
            superior=_who(superior),
            old_superior=_who(old_superior) if old_superior is not None else None,
        )

    def _keep(
        self, agreement: Agreement, new_superior: Leader | None, last_change: dict[int, AgreementEvent]
    ) -> None:
        """Leave a started agreement with its superior, and tell HR (the event is recorded once)."""
        new_superior_id = new_superior.id if new_superior is not None else None
        previous = last_change.get(agreement.id)
        if previous is None or previous.detail.get("new_superior_id") != new_superior_id:
            self._record_superior_change(agreement, new_superior_id, moved=False)
            logger.warning(
                "Agreement %s has content and stays with its superior although the file changed it",
                agreement.id,
            )
        self.result.agreements_unchanged += 1
        self.result.kept_agreements.append(
            KeptAgreement(
                agreement_id=agreement.id,
                subordinate_email=self.leaders_by_id[agreement.subordinate_id].email,
                superior_email=self.leaders_by_id[agreement.superior_id].email,
                new_superior_email=new_superior.email if new_superior is not None else None,
            )
        )

    def _record_superior_change(
        self, agreement: Agreement, new_superior_id: int | None, *, moved: bool
    ) -> None:
        self.session.add(
            AgreementEvent(
                agreement_id=agreement.id,
                kind=SUPERIOR_CHANGED,
                actor_id=None,
                detail={
                    "source": "leader_import",
                    "old_superior_id": agreement.superior_id,
                    "new_superior_id": new_superior_id,
                    "moved": moved,
                },
            )
        )

    async def _agreements_with_written_content(self) -> set[int]:
        ids: set[int] = set()
        for model in (Answer, Goal):
            statement = (
                select(model.agreement_id)
                .join(Agreement, Agreement.id == model.agreement_id)
                .where(Agreement.year == self.year)
                .distinct()
            )
            ids.update((await self.session.scalars(statement)).all())
        return ids

    async def _last_superior_change_events(self) -> dict[int, AgreementEvent]:
        statement = (
            select(AgreementEvent)
            .join(Agreement, Agreement.id == AgreementEvent.agreement_id)
            .where(Agreement.year == self.year, AgreementEvent.kind == SUPERIOR_CHANGED)
            .order_by(AgreementEvent.id)
        )
        return {event.agreement_id: event for event in (await self.session.scalars(statement)).all()}


async def apply_roster(
    session_factory: async_sessionmaker[AsyncSession],
    roster: CheckedRoster,
    year: int,
    template_id: str,
    *,
    dry_run: bool = False,
) -> ImportResult:
    """Make the leaders and the year's agreements what the roster says, in one transaction.

    A dry run applies the roster the same way and rolls it back: the result says what would change.
    """
    if dry_run:
        async with session_factory() as session:
            result = await _Importer(session, roster, year, template_id, utcnow()).run()
            await session.rollback()
        return result
    async with session_factory.begin() as session:
        result = await _Importer(session, roster, year, template_id, utcnow()).run()
    logger.info(
        "Leader import for %s: leaders %d created, %d updated, %d unchanged, %d deactivated; "
        "agreements %d created, %d unchanged, %d moved, %d reactivated, %d deactivated, %d kept",
        year,
        result.leaders_created,
        result.leaders_updated,
        result.leaders_unchanged,
        result.leaders_deactivated,
        result.agreements_created,
        result.agreements_unchanged,
        result.agreements_moved,
        result.agreements_reactivated,
        result.agreements_deactivated,
        len(result.kept_agreements),
    )
    return result


async def import_leaders(
    session_factory: async_sessionmaker[AsyncSession], data: bytes, year: int, template_id: str
) -> ImportResult:
    """Import HR's leader file and the year's agreements in one transaction; refuse a bad file whole."""
    return await apply_roster(session_factory, parse_leaders_csv(data), year, template_id)


async def load_demo(
    session_factory: async_sessionmaker[AsyncSession], year: int, template_id: str
) -> ImportResult:
    """Import the demo municipality (with the Agents Playground's default users)."""
    return await import_leaders(session_factory, DEMO_CSV.read_bytes(), year, template_id)
