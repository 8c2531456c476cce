"""Retention: the content of old agreements is deleted; the agreement row, its dates and a deletion record stay.

An agreement's content is kept through the end of its year plus ``retention_years``
(``LEDERAVTALE_RETENTION_YEARS``); after that :func:`run_retention` deletes, per agreement and in
its own transaction,

- its answers and every revision of them (the review's comments, ``gjennomgang.*``, are answers too),
- its goals and their actions,
- the content in its events' ``detail`` (kind, actor and time stay: the history of dates),
- the places typed at signing (the signing dates stay),
- the dialog state that names it (a flow waiting on it), and the offers of its copy (``document_offers``),

and records a :class:`storage.models.RetentionDeletion` with the counts. A signed agreement never
exported to the archive (no ``ArchiveExport``) is kept, unless forced with a reason: its only copy
would be lost. Who left the municipality (``Leader.active`` False) changes nothing here: their
agreements go when retention takes them, like everyone's.

Beside it, the dialog state of every conversation idle longer than ``dialog_idle_days`` is cleared:
a leader who comes back starts from the menu, and their answers stay.

A dry run lists what would go (ids, years, names, counts), never content, and changes nothing.
Two processes running it at once delete once: the deletion record's unique agreement id is
written first, and the second writer's transaction is rolled back.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import aliased

from agreement.status import is_signed
from storage import bot_state
from storage.models import (
    Agreement,
    AgreementEvent,
    Answer,
    AnswerRevision,
    ArchiveExport,
    DocumentOffer,
    Goal,
    GoalAction,
    Leader,
    RetentionDeletion,
)

logger = logging.getLogger(__name__)

#: The review's comments are answers under these keys; counted apart in the record.
COMMENT_PREFIX = "gjennomgang."
#: The kinds of content counted, in the order a dry run shows them.
COUNT_KINDS = ("answers", "comments", "answer_revisions", "goals", "goal_actions", "event_details",
               "sign_places", "dialog_states", "document_offers")
MAX_REASON_LENGTH = 500


class RetentionError(ValueError):
    """Retention was asked for something it does not do (a force without a reason)."""


def last_year_due(today_year: int, retention_years: int) -> int:
    """The latest agreement year whose content is past keeping in ``today_year``."""
    if retention_years < 0:
        raise RetentionError("retention_years must be 0 or more")
    return today_year - retention_years - 1


@dataclass
class Candidate:
    """One agreement past keeping: who it is about and how much content it holds (never the content)."""

    agreement_id: int
    year: int
    superior: str
    subordinate: str
    signed: bool
    exported: bool
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def needs_force(self) -> bool:
        """Signed and never exported to the archive: deleting would lose its only copy."""
        return self.signed and not self.exported


@dataclass
class RetentionReport:
    """What one run did (or, dry, would do)."""

    last_year: int
    dry_run: bool
    forced: bool
    #: Deleted (or, dry, to be deleted).
    deleted: list[Candidate] = field(default_factory=list)
    #: Kept because signed and not exported (no --force).
    kept: list[Candidate] = field(default_factory=list)
    #: Deleted meanwhile by another process (not counted here).
    skipped: int = 0
    #: Conversations whose dialog state was (or would be) cleared for being idle.
    idle_cleared: int = 0

    def summary(self) -> dict[str, int]:
        return {"deleted": len(self.deleted), "kept": len(self.kept), "skipped": self.skipped,
                "idle_cleared": self.idle_cleared}


async def find_due(session: AsyncSession, last_year: int) -> list[Candidate]:
    """Every agreement of ``last_year`` or before whose content was not yet deleted, oldest first."""
    superior, subordinate = aliased(Leader), aliased(Leader)
    exported = select(ArchiveExport.id).where(ArchiveExport.agreement_id == Agreement.id).exists()
    done = select(RetentionDeletion.id).where(RetentionDeletion.agreement_id == Agreement.id).exists()
    rows = await session.execute(
        select(Agreement, superior.name, subordinate.name, exported)
        .join(superior, superior.id == Agreement.superior_id)
        .join(subordinate, subordinate.id == Agreement.subordinate_id)
        .where(Agreement.year <= last_year, ~done)
        .order_by(Agreement.year, Agreement.id)
    )
    return [
        Candidate(agreement.id, agreement.year, superior_name, subordinate_name, is_signed(agreement), bool(was_exported))
        for agreement, superior_name, subordinate_name, was_exported in rows
    ]


def _answers_of(agreement_id: int):
    return select(Answer.id).where(Answer.agreement_id == agreement_id)


def _goals_of(agreement_id: int):
    return select(Goal.id).where(Goal.agreement_id == agreement_id)


async def _count(session: AsyncSession, statement) -> int:
    return (await session.execute(select(func.count()).select_from(statement.subquery()))).scalar_one()


async def count_content(session: AsyncSession, agreement_id: int, named_states: int) -> dict[str, int]:
    """How many rows of each kind of content the agreement holds."""
    answers = select(Answer.id).where(Answer.agreement_id == agreement_id)
    events = await session.scalars(select(AgreementEvent.detail).where(AgreementEvent.agreement_id == agreement_id))
    agreement = await session.get(Agreement, agreement_id)
    return {
        "answers": await _count(session, answers.where(~Answer.question_key.startswith(COMMENT_PREFIX))),
        "comments": await _count(session, answers.where(Answer.question_key.startswith(COMMENT_PREFIX))),
        "answer_revisions": await _count(session, select(AnswerRevision.id).where(
            AnswerRevision.answer_id.in_(_answers_of(agreement_id)))),
        "goals": await _count(session, _goals_of(agreement_id)),
        "goal_actions": await _count(session, select(GoalAction.id).where(GoalAction.goal_id.in_(_goals_of(agreement_id)))),
        "event_details": sum(1 for detail in events if detail),
        "sign_places": sum(1 for place in (agreement.superior_sign_place, agreement.subordinate_sign_place) if place),
        "dialog_states": named_states,
        "document_offers": await _count(session, select(DocumentOffer.token_hash).where(
            DocumentOffer.agreement_id == agreement_id)),
    }


async def _delete_content(session: AsyncSession, agreement_id: int, states: list[tuple[str, str]]) -> dict[str, int]:
    """Delete the agreement's content in the session's transaction; the counts of what went."""
    answers = _answers_of(agreement_id)
    revisions = await session.execute(delete(AnswerRevision).where(AnswerRevision.answer_id.in_(answers)))
    comments = await session.execute(delete(Answer).where(
        Answer.agreement_id == agreement_id, Answer.question_key.startswith(COMMENT_PREFIX)))
    plain = await session.execute(delete(Answer).where(Answer.agreement_id == agreement_id))
    actions = await session.execute(delete(GoalAction).where(GoalAction.goal_id.in_(_goals_of(agreement_id))))
    goals = await session.execute(delete(Goal).where(Goal.agreement_id == agreement_id))
    events = (await session.execute(
        select(AgreementEvent.id, AgreementEvent.detail).where(AgreementEvent.agreement_id == agreement_id))).all()
    with_detail = [event_id for event_id, detail in events if detail]
    if with_detail:
        await session.execute(update(AgreementEvent).where(AgreementEvent.id.in_(with_detail)).values(detail={}))
    offers = await session.execute(delete(DocumentOffer).where(DocumentOffer.agreement_id == agreement_id))
    agreement = await session.get(Agreement, agreement_id)
    places = sum(1 for place in (agreement.superior_sign_place, agreement.subordinate_sign_place) if place)
    if places:
        agreement.superior_sign_place = None
        agreement.subordinate_sign_place = None
    connection = await session.connection()
    cleared = 0
    for stored, etag in states:
        cleared += await bot_state.delete_unchanged(connection, stored, etag)
    await session.flush()
    return {
        "answers": plain.rowcount, "comments": comments.rowcount, "answer_revisions": revisions.rowcount,
        "goals": goals.rowcount, "goal_actions": actions.rowcount, "event_details": len(with_detail),
        "sign_places": places, "dialog_states": cleared, "document_offers": offers.rowcount,
    }


def _check_reason(force: bool, reason: str | None) -> str | None:
    cleaned = " ".join((reason or "").split())
    if force and not cleaned:
        raise RetentionError("a forced deletion needs a reason")
    if len(cleaned) > MAX_REASON_LENGTH:
        raise RetentionError(f"the reason is longer than {MAX_REASON_LENGTH} characters")
    return cleaned or None


async def run_retention(
    session_factory: async_sessionmaker[AsyncSession],
    now: datetime,
    zone: ZoneInfo,
    *,
    retention_years: int,
    idle_days: int,
    dry_run: bool = False,
    force: bool = False,
    reason: str | None = None,
    run_by: str = "",
) -> RetentionReport:
    """Delete (``dry_run``: list) the content of agreements past keeping at ``now``, and clear idle dialog state."""
    reason = _check_reason(force, reason)
    last_year = last_year_due(now.astimezone(zone).year, retention_years)
    report = RetentionReport(last_year=last_year, dry_run=dry_run, forced=force)
    async with session_factory() as session:
        candidates = await find_due(session, last_year)
        states = await bot_state.states_naming(await session.connection(), {c.agreement_id for c in candidates})
        named: dict[int, list[tuple[str, str]]] = {}
        for stored, etag, item_ids in states:
            # One item can name several agreements; it is deleted with the first of them (and counted there).
            for candidate in candidates:
                if candidate.agreement_id in item_ids:
                    named.setdefault(candidate.agreement_id, []).append((stored, etag))
                    break
        for candidate in candidates:
            candidate.counts = await count_content(session, candidate.agreement_id,
                                                   len(named.get(candidate.agreement_id, [])))
        idle_before = now - timedelta(days=idle_days)
        if dry_run:
            report.idle_cleared = await bot_state.count_idle(await session.connection(), idle_before)
    for candidate in candidates:
        if candidate.needs_force and not force:
            report.kept.append(candidate)
            continue
        if dry_run:
            report.deleted.append(candidate)
            continue
        if await _delete_one(session_factory, candidate, named.get(candidate.agreement_id, []), now,
                             forced=candidate.needs_force, reason=reason if candidate.needs_force else None,
                             run_by=run_by):
            report.deleted.append(candidate)
        else:
            report.skipped += 1
    if not dry_run:
        async with session_factory() as session, session.begin():
            report.idle_cleared = await bot_state.clear_idle(await session.connection(), idle_before)
        logger.info("Retention: %s agreements' content deleted, %s kept (signed, not archived), "
                    "%s idle dialog states cleared", len(report.deleted), len(report.kept), report.idle_cleared)
    return report


async def _delete_one(session_factory: async_sessionmaker[AsyncSession], candidate: Candidate,
                      states: list[tuple[str, str]], now: datetime, *, forced: bool, reason: str | None,
                      run_by: str) -> bool:
    """One agreement's content in one transaction; False if another process recorded it first."""
    try:
        async with session_factory() as session, session.begin():
            record = RetentionDeletion(agreement_id=candidate.agreement_id, deleted_at=now, counts={},
                                       forced=forced, reason=reason, run_by=run_by[:200])
            session.add(record)
            await session.flush()  # the unique agreement id: a second process waits here, then fails
            counts = await _delete_content(session, candidate.agreement_id, states)
            record.counts = counts
            candidate.counts = counts
    except IntegrityError:
        logger.info("Agreement %s's content was deleted by another process", candidate.agreement_id)
        return False
    return True
