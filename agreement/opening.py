"""Opening an agreement for one leader, and the unit of work its changes are made in.

Every function takes an open ``AsyncSession`` (one per turn or job) and leaves committing to
the caller: a dialog turn commits its changes together with the dialog position they lead to.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.exc import StaleDataError

from agreement import access
from agreement.access import Action, ContentContext, Role
from agreement.errors import AccessDenied, AgreementError, ConcurrentChange, NotFound
from agreement.status import AgreementStatus, both_prepared, derive_status, is_signed
from agreement.template import Template, TemplateError, load_template
from storage.models import Agreement, AgreementEvent, Leader, Phase

logger = logging.getLogger(__name__)

#: The history kind that marks a leader's autumn reflections done. The agreement has no column
#: for it: the step kept in the history is the mark.
REFLECTED = "followup_reflected"


class _ReadsAgreement:
    """What every reader of an agreement derives from it: status, the autumn marks, the access question."""

    agreement: Agreement
    role: Role
    template: Template
    reflected: frozenset[int]

    @property
    def status(self) -> AgreementStatus:
        return derive_status(self.agreement)

    @property
    def both_reflected(self) -> bool:
        """Both leaders have marked their autumn reflections done."""
        return {self.agreement.superior_id, self.agreement.subordinate_id} <= self.reflected

    def _may(self, action: Action, section_key: str, phase: Phase, author_is_viewer: bool,
             question_key: str | None) -> bool:
        agreement, template = self.agreement, self.template
        content = ContentContext(
            section_key=section_key,
            phase=phase,
            author_is_viewer=author_is_viewer,
            both_prepared=both_prepared(agreement),
            followup_recorded=agreement.followup_recorded_at is not None,
            development_shared=agreement.development_shared,
            private_section=section_key in template.private_section_keys,
            both_reflected=self.both_reflected,
            personal=question_key is not None and question_key in template.personal_field_keys,
        )
        return access.can(self.role, action, content)


@dataclass(frozen=True)
class AgreementAccess(_ReadsAgreement):
    """An agreement together with the viewer's role in it."""

    agreement: Agreement
    viewer: Leader
    role: Role
    template: Template
    #: The leaders of the pair who have marked their autumn reflections done.
    reflected: frozenset[int] = frozenset()

    @property
    def other(self) -> Leader:
        """The other leader of the pair (only meaningful for pair members)."""
        if self.role is Role.SUPERIOR:
            return self.agreement.subordinate
        return self.agreement.superior

    @property
    def reflections_open(self) -> bool:
        """Whether the other leader's autumn reflections are open to the viewer (as the access rules say)."""
        return self.may(Action.READ, self.template.followup.key, Phase.FOLLOWUP_PREPARATION, self.other.id)

    def may(self, action: Action, section_key: str, phase: Phase, author_id: int,
            question_key: str | None = None) -> bool:
        """Whether the viewer may ``action`` content of ``section_key`` written in ``phase`` by ``author_id``."""
        return self._may(action, section_key, phase, author_id == self.viewer.id, question_key)


@dataclass(frozen=True)
class RecordAccess(_ReadsAgreement):
    """An agreement read as a document by someone outside the pair: the archive or the public.

    It answers :meth:`may` as :class:`AgreementAccess` does, so the answers and goals are read
    through the same access-checked path; it has no viewer, and may only ever export.
    """

    agreement: Agreement
    role: Role
    template: Template
    reflected: frozenset[int] = frozenset()

    def may(self, action: Action, section_key: str, phase: Phase, author_id: int,
            question_key: str | None = None) -> bool:
        """Whether this record reader may ``action`` the content (never its author)."""
        return self._may(action, section_key, phase, False, question_key)


#: Whatever an agreement's content is read through: a leader of the pair, or a record reader.
Reader = AgreementAccess | RecordAccess

#: The readers of an agreement that are not leaders.
RECORD_ROLES = (Role.ARCHIVE, Role.PUBLIC)


def require_role(opened: AgreementAccess, role: Role) -> None:
    """Refuse anyone but the leader with ``role`` in this agreement."""
    if opened.role is not role:
        raise AccessDenied(f"only the {role.value} may do this")


def require_pair(opened: AgreementAccess) -> None:
    """Refuse anyone but the two leaders of the agreement."""
    if not opened.role.in_pair:
        raise AccessDenied("only the two leaders of the agreement may do this")


async def get_leader(session: AsyncSession, leader_id: int) -> Leader:
    """An active leader; NotFound for anyone else."""
    leader = await session.get(Leader, leader_id)
    if leader is None or not leader.active:
        raise NotFound(f"leader {leader_id}")
    return leader


async def open_agreement(
    session: AsyncSession, viewer_id: int, agreement_id: int, *, require: Role | None = None
) -> AgreementAccess:
    """Load an agreement for ``viewer_id``; anyone outside the pair, or without ``require``, gets AccessDenied."""
    opened = await open_agreement_status(session, viewer_id, agreement_id)
    require_pair(opened)
    if require is not None:
        require_role(opened, require)
    return opened


#: An active agreement with its two leaders, in one round trip (built once: a turn runs it often).
_OPEN_AGREEMENT = (
    select(Agreement)
    .where(Agreement.id == bindparam("agreement_id"), Agreement.active.is_(True))
    .options(joinedload(Agreement.superior), joinedload(Agreement.subordinate))
)


async def open_agreement_status(
    session: AsyncSession, viewer_id: int, agreement_id: int
) -> AgreementAccess:
    """Load an agreement for status and dates (pair, superior's superior and HR)."""
    agreement = await session.scalar(_OPEN_AGREEMENT, {"agreement_id": agreement_id})
    if agreement is None:
        raise NotFound(f"agreement {agreement_id}")
    # A leader of the pair came with the agreement; anyone else is looked up.
    if viewer_id == agreement.superior_id:
        viewer = agreement.superior
    elif viewer_id == agreement.subordinate_id:
        viewer = agreement.subordinate
    else:
        viewer = await get_leader(session, viewer_id)
    if not viewer.active:
        raise NotFound(f"leader {viewer_id}")
    role = access.role_of(
        viewer.id,
        viewer.is_hr_admin,
        agreement.superior_id,
        agreement.subordinate_id,
        agreement.superior.superior_id,
    )
    if not access.can_see_status(role):
        raise AccessDenied(f"leader {viewer_id} may not see agreement {agreement_id}")
    reflected = (await reflected_by(session, [agreement])).get(agreement.id, frozenset())
    return AgreementAccess(agreement, viewer, role, load_template(agreement.template_id), reflected)


async def open_agreements(
    session: AsyncSession, requests: Sequence[tuple[int, int]]
) -> dict[tuple[int, int], AgreementAccess | AgreementError | TemplateError]:
    """Many (viewer id, agreement id) as :func:`open_agreement` opens each, in two round trips.

    What cannot be opened maps to the error :func:`open_agreement` refuses it with (a viewer
    outside the pair is refused without looking them up: the pair may open it, nobody else).
    """
    ids = {agreement_id for _viewer_id, agreement_id in requests}
    rows = (
        await session.scalars(
            select(Agreement)
            .where(Agreement.id.in_(ids), Agreement.active.is_(True))
            .options(joinedload(Agreement.superior), joinedload(Agreement.subordinate))
        )
    ).unique().all()
    agreements = {row.id: row for row in rows}
    reflected = await reflected_by(session, list(rows))
    opened: dict[tuple[int, int], AgreementAccess | AgreementError | TemplateError] = {}
    for viewer_id, agreement_id in requests:
        agreement = agreements.get(agreement_id)
        if agreement is None:
            opened[viewer_id, agreement_id] = NotFound(f"agreement {agreement_id}")
            continue
        if viewer_id == agreement.superior_id:
            viewer, role = agreement.superior, Role.SUPERIOR
        elif viewer_id == agreement.subordinate_id:
            viewer, role = agreement.subordinate, Role.SUBORDINATE
        else:
            opened[viewer_id, agreement_id] = AccessDenied("only the two leaders of the agreement may do this")
            continue
        if not viewer.active:
            opened[viewer_id, agreement_id] = NotFound(f"leader {viewer_id}")
            continue
        try:
            template = load_template(agreement.template_id)
        except TemplateError as exc:
            opened[viewer_id, agreement_id] = exc
            continue
        opened[viewer_id, agreement_id] = AgreementAccess(
            agreement, viewer, role, template, reflected.get(agreement.id, frozenset())
        )
    return opened


async def open_record(session: AsyncSession, agreement_id: int, role: Role) -> RecordAccess:
    """Load an agreement for a copy made outside the pair (``role`` is ARCHIVE or PUBLIC)."""
    if role not in RECORD_ROLES:
        raise AccessDenied(f"a {role.value} does not read agreements as a record")
    agreement = await session.scalar(_OPEN_AGREEMENT, {"agreement_id": agreement_id})
    if agreement is None:
        raise NotFound(f"agreement {agreement_id}")
    reflected = (await reflected_by(session, [agreement])).get(agreement.id, frozenset())
    return RecordAccess(agreement, role, load_template(agreement.template_id), reflected)


def _reflecting(agreement: Agreement) -> bool:
    """Whether the marks of the autumn reflections can matter: signed, the follow-up not yet recorded.

    Unsigned (before signing, or reopened for a change) the reflections stay with their authors;
    once the follow-up is recorded they are open anyway. Asking only then keeps the query out of
    every spring turn.
    """
    return is_signed(agreement) and agreement.followup_recorded_at is None


async def reflected_by(session: AsyncSession, agreements: list[Agreement]) -> dict[int, frozenset[int]]:
    """Who has marked their autumn reflections done, by agreement id (only agreements where it matters)."""
    ids = [agreement.id for agreement in agreements if _reflecting(agreement)]
    if not ids:
        return {}
    rows = await session.execute(
        select(AgreementEvent.agreement_id, AgreementEvent.actor_id)
        .where(AgreementEvent.agreement_id.in_(ids), AgreementEvent.kind == REFLECTED)
        .distinct()
    )
    found: dict[int, set[int]] = {}
    for agreement_id, actor_id in rows:
        found.setdefault(agreement_id, set()).add(actor_id)
    return {agreement_id: frozenset(actors) for agreement_id, actors in found.items()}


async def agreements_of(session: AsyncSession, leader_id: int, year: int) -> list[AgreementAccess]:
    """The agreements a leader is part of in ``year``: as subordinate first, then as superior."""
    viewer = await get_leader(session, leader_id)
    rows = (
        await session.scalars(
            select(Agreement)
            .where(
                Agreement.year == year,
                Agreement.active.is_(True),
                (Agreement.superior_id == leader_id) | (Agreement.subordinate_id == leader_id),
            )
            .options(selectinload(Agreement.superior), selectinload(Agreement.subordinate))
        )
    ).all()
    reflected = await reflected_by(session, list(rows))
    result = [
        AgreementAccess(
            row,
            viewer,
            Role.SUPERIOR if row.superior_id == leader_id else Role.SUBORDINATE,
            load_template(row.template_id),
            reflected.get(row.id, frozenset()),
        )
        for row in rows
    ]
    result.sort(key=lambda item: (item.role is Role.SUPERIOR, item.other.name.lower()))
    return result


async def earlier_years(session: AsyncSession, leader_id: int, year: int) -> list[int]:
    """The years before ``year`` in which a leader is part of an agreement, the latest first."""
    rows = await session.scalars(
        select(Agreement.year)
        .where(
            Agreement.year < year,
            Agreement.active.is_(True),
            (Agreement.superior_id == leader_id) | (Agreement.subordinate_id == leader_id),
        )
        .distinct()
        .order_by(Agreement.year.desc())
    )
    return list(rows.all())


# --- units of work --------------------------------------------------------------------


def record_event(session: AsyncSession, opened: AgreementAccess, kind: str, **detail: object) -> None:
    """Keep a step of the agreement in its history, with the viewer as the actor."""
    session.add(
        AgreementEvent(agreement_id=opened.agreement.id, kind=kind, actor_id=opened.viewer.id, detail=detail)
    )


async def flush(session: AsyncSession) -> None:
    """Write the changes so far; a change made at the same moment elsewhere is a ConcurrentChange."""
    try:
        await session.flush()
    except StaleDataError as exc:
        raise ConcurrentChange("the agreement was changed at the same moment") from exc
