"""Every change to an agreement, and every read of its content, in one place.

Functions take an open ``AsyncSession`` (one per turn or job) and leave committing to the
caller; :func:`run_in_transaction` wraps one unit of work with a retry on concurrent changes.
Reads of content go through :func:`read_answers` / :func:`list_goals`, which apply
``agreement.access.can`` to every row.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import aliased, joinedload, make_transient_to_detached, selectinload
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key
from sqlalchemy.orm.exc import StaleDataError

from agreement import access
from agreement.access import Action, ContentContext, Role
from agreement.errors import (
    AccessDenied,
    AgreementLocked,
    AnswerEmpty,
    AnswerTooLong,
    ConcurrentChange,
    InvalidChoice,
    InvalidState,
    NotFound,
)
from agreement.status import AgreementStatus, both_prepared, derive_status, followup_done, is_signed
from agreement.template import FieldKind, Template, load_template
from storage.models import (
    Agreement,
    AgreementEvent,
    Answer,
    AnswerRevision,
    Goal,
    GoalAction,
    Leader,
    Phase,
    utcnow,
)

logger = logging.getLogger(__name__)

T = TypeVar("T")

#: Comments the subordinate sends back on the filled agreement.
REVIEW_COMMENT_KEY = "gjennomgang.kommentar"
#: Follow-up answers about one spring goal: ``oppfolging.mal.<goal id>``.
GOAL_FOLLOWUP_PREFIX = "oppfolging.mal."
DEFAULT_MAX_LENGTH = 4000
MAX_ACTIONS_PER_GOAL = 20


# --- loading and roles ---------------------------------------------------------------


@dataclass(frozen=True)
class AgreementAccess:
    """An agreement together with the viewer's role in it."""

    agreement: Agreement
    viewer: Leader
    role: Role
    template: Template

    @property
    def status(self) -> AgreementStatus:
        return derive_status(self.agreement)

    @property
    def other(self) -> Leader:
        """The other leader of the pair (only meaningful for pair members)."""
        if self.role is Role.SUPERIOR:
            return self.agreement.subordinate
        return self.agreement.superior


async def get_leader(session: AsyncSession, leader_id: int) -> Leader:
    leader = await session.get(Leader, leader_id)
    if leader is None or not leader.active:
        raise NotFound(f"leader {leader_id}")
    return leader


async def open_agreement(session: AsyncSession, viewer_id: int, agreement_id: int) -> AgreementAccess:
    """Load an agreement for ``viewer_id``; anyone outside the pair gets AccessDenied."""
    opened = await open_agreement_status(session, viewer_id, agreement_id)
    if not opened.role.in_pair:
        raise AccessDenied(f"leader {viewer_id} is not in agreement {agreement_id}")
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
    return AgreementAccess(agreement, viewer, role, load_template(agreement.template_id))


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
    result = [
        AgreementAccess(
            row,
            viewer,
            Role.SUPERIOR if row.superior_id == leader_id else Role.SUBORDINATE,
            load_template(row.template_id),
        )
        for row in rows
    ]
    result.sort(key=lambda item: (item.role is Role.SUPERIOR, item.other.name.lower()))
    return result


# --- answers -------------------------------------------------------------------------


def _section_of_key(opened: AgreementAccess, question_key: str, goal_sections: dict[int, str]) -> str:
    if question_key == REVIEW_COMMENT_KEY:
        return "gjennomgang"
    if question_key.startswith(GOAL_FOLLOWUP_PREFIX):
        goal_id = int(question_key[len(GOAL_FOLLOWUP_PREFIX):])
        return goal_sections.get(goal_id, "ledelsesutvikling")
    return opened.template.section_of(question_key).key


def _context(
    opened: AgreementAccess, section_key: str, phase: Phase, author_id: int
) -> ContentContext:
    agreement = opened.agreement
    return ContentContext(
        section_key=section_key,
        phase=phase,
        author_is_viewer=author_id == opened.viewer.id,
        both_prepared=both_prepared(agreement),
        followup_recorded=agreement.followup_recorded_at is not None,
        development_shared=agreement.development_shared,
        private_section=section_key in opened.template.private_section_keys,
    )


def validate_text(text: str | None, max_length: int = DEFAULT_MAX_LENGTH) -> str:
    """Trim an answer and refuse empty or over-long text (never truncate).

    NUL characters are dropped: they carry nothing a leader can type or read, and PostgreSQL
    refuses them in text (the whole turn failed).
    """
    cleaned = (text or "").replace("\x00", "").strip()
    if not cleaned:
        raise AnswerEmpty()
    if len(cleaned) > max_length:
        raise AnswerTooLong(max_length, len(cleaned))
    return cleaned


def validate_choice(template: Template, question_key: str, chosen: Iterable[str]) -> list[str]:
    """Check a Lederplattformen choice against the template's bounds and statement keys."""
    field = template.field(question_key)
    keys = list(dict.fromkeys(k.strip() for k in chosen if k and k.strip()))
    known = {statement.key for statement in template.platform_statements}
    unknown = tuple(k for k in keys if k not in known)
    if unknown or not field.min_choices <= len(keys) <= field.max_choices:
        raise InvalidChoice(field.min_choices, field.max_choices, len(keys), unknown)
    return keys


def _check_question(opened: AgreementAccess, question_key: str, phase: Phase) -> None:
    if question_key == REVIEW_COMMENT_KEY:
        return
    if question_key.startswith(GOAL_FOLLOWUP_PREFIX):
        if phase not in (Phase.FOLLOWUP, Phase.FOLLOWUP_PREPARATION):
            raise InvalidState("goal follow-up answers belong to the autumn follow-up")
        return
    field = opened.template.field(question_key)
    followup_keys = {f.key for f in opened.template.followup_fields()}
    if (question_key in followup_keys) != (phase in (Phase.FOLLOWUP, Phase.FOLLOWUP_PREPARATION)):
        raise InvalidState(f"{question_key} is not asked in phase {phase.value}")
    if field.kind is FieldKind.GOALS:
        raise InvalidState(f"{question_key} holds goals; use add_goal")


def _check_phase_state(opened: AgreementAccess, phase: Phase) -> None:
    agreement = opened.agreement
    if phase in (Phase.PREPARATION, Phase.AGREEMENT) and is_signed(agreement):
        raise AgreementLocked()
    if phase in (Phase.FOLLOWUP, Phase.FOLLOWUP_PREPARATION) and not is_signed(agreement):
        raise InvalidState("the follow-up starts when the agreement is signed")
    if phase is Phase.FOLLOWUP and followup_done(agreement):
        raise AgreementLocked()


async def save_answer(
    session: AsyncSession,
    opened: AgreementAccess,
    question_key: str,
    phase: Phase,
    text: str,
    *,
    max_length: int = DEFAULT_MAX_LENGTH,
) -> Answer:
    """Save an answer now, keeping every earlier text as a revision."""
    _check_question(opened, question_key, phase)
    # The goals are only needed to place a goal follow-up answer in its section.
    goal_sections = (
        await _goal_sections(session, opened.agreement.id)
        if question_key.startswith(GOAL_FOLLOWUP_PREFIX)
        else {}
    )
    section_key = _section_of_key(opened, question_key, goal_sections)
    if question_key == REVIEW_COMMENT_KEY:
        if opened.role is not Role.SUBORDINATE:
            raise AccessDenied("only the subordinate sends comments on the agreement")
    elif not access.can(opened.role, Action.WRITE, _context(opened, section_key, phase, opened.viewer.id)):
        raise AccessDenied(f"{opened.role.value} may not write {question_key} in {phase.value}")
    _check_phase_state(opened, phase)
    field = None if "." not in question_key or question_key == REVIEW_COMMENT_KEY else _field_or_none(opened, question_key)
    if field is not None and field.kind is FieldKind.PLATFORM_CHOICE:
        cleaned = json.dumps(validate_choice(opened.template, question_key, json.loads(text)))
    else:
        cleaned = validate_text(text, max_length)
    return await _store_answer(session, opened, question_key, phase, cleaned)


def _field_or_none(opened: AgreementAccess, question_key: str):
    try:
        return opened.template.field(question_key)
    except KeyError:
        return None


async def save_choice(
    session: AsyncSession,
    opened: AgreementAccess,
    question_key: str,
    phase: Phase,
    chosen: Iterable[str],
) -> Answer:
    """Save a Lederplattformen choice (two or three statement keys)."""
    return await save_answer(session, opened, question_key, phase, json.dumps(list(chosen)))


_ANSWER_UPSERTS: dict[str, object] = {}
_ANSWERS = Answer.__table__
#: A revision row (a Core insert: no unit of work needed for a row nothing reads back).
_REVISION_INSERT = AnswerRevision.__table__.insert()
#: The same answer, when an upsert found its text unchanged.
_ANSWER_BY_KEY = select(Answer).where(
    Answer.agreement_id == bindparam("agreement_id"),
    Answer.question_key == bindparam("question_key"),
    Answer.author_id == bindparam("author_id"),
    Answer.phase == bindparam("phase"),
)


def _answer_upsert(dialect: str):
    """The answer upsert, built once per dialect (building it costs more than running it).

    A Core statement on the table: run through the ORM it would take the bulk-insert path and
    rebuild its cache key on every call, which cost more than the statement itself.
    """
    statement = _ANSWER_UPSERTS.get(dialect)
    if statement is None:
        from sqlalchemy.dialects import postgresql, sqlite

        upsert_for = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}.get(dialect)
        if upsert_for is None:
            raise RuntimeError("answers are stored in PostgreSQL or SQLite")
        names = ("agreement_id", "question_key", "author_id", "phase", "text", "revision", "created_at", "updated_at")
        statement = upsert_for(_ANSWERS).values({name: bindparam(name) for name in names})
        statement = statement.on_conflict_do_update(
            index_elements=[_ANSWERS.c.agreement_id, _ANSWERS.c.question_key, _ANSWERS.c.author_id, _ANSWERS.c.phase],
            set_={
                "text": statement.excluded.text,
                "revision": _ANSWERS.c.revision + 1,
                "updated_at": statement.excluded.updated_at,
            },
            where=_ANSWERS.c.text != statement.excluded.text,
        ).returning(*_ANSWERS.c)
        _ANSWER_UPSERTS[dialect] = statement
    return statement


def _answer_from_row(session: AsyncSession, row) -> Answer:
    """The saved answer as an ``Answer``: the session's own copy brought up to date, or a detached one."""
    values = dict(row._mapping)
    loaded = session.identity_map.get(identity_key(Answer, values["id"]))
    if loaded is not None:
        # Loaded earlier in this unit of work: it must not go on showing the old text.
        for name, value in values.items():
            set_committed_value(loaded, name, value)
        return loaded
    answer = Answer(**values)
    make_transient_to_detached(answer)
    return answer


async def _store_answer(
    session: AsyncSession, opened: AgreementAccess, question_key: str, phase: Phase, text: str
) -> Answer:
    """Insert or update the answer and keep the text as a revision: two statements.

    One upsert creates the answer or, when its text differs, replaces the text and counts the
    revision up in the database (so two writes of the same answer get distinct revisions, each
    kept); an unchanged text is left as it is and keeps no new revision.
    """
    now = utcnow()
    key = {
        "agreement_id": opened.agreement.id,
        "question_key": question_key,
        "author_id": opened.viewer.id,
        "phase": phase,
    }
    connection = await session.connection()
    try:
        row = (
            await connection.execute(
                _answer_upsert(connection.dialect.name),
                {**key, "text": text, "revision": 1, "created_at": now, "updated_at": now},
            )
        ).first()
        if row is None:
            # The same text again: nothing changed, no revision.
            return await session.scalar(_ANSWER_BY_KEY, key)
        await connection.execute(
            _REVISION_INSERT,
            {
                "answer_id": row.id,
                "revision": row.revision,
                "text": text,
                "changed_by_id": opened.viewer.id,
                "created_at": now,
            },
        )
    except IntegrityError as exc:
        raise ConcurrentChange("the answer was changed at the same moment") from exc
    return _answer_from_row(session, row)


async def read_answers(
    session: AsyncSession,
    opened: AgreementAccess,
    *,
    phase: Phase | None = None,
    keys: Iterable[str] | None = None,
    action: Action = Action.READ,
) -> list[Answer]:
    """The answers of an agreement that this viewer may see (the one access-checked path)."""
    query = select(Answer).where(Answer.agreement_id == opened.agreement.id)
    if phase is not None:
        query = query.where(Answer.phase == phase)
    if keys is not None:
        query = query.where(Answer.question_key.in_(list(keys)))
    rows = (await session.scalars(query.order_by(Answer.id))).all()
    goal_sections = await _goal_sections(session, opened.agreement.id)
    visible = []
    for answer in rows:
        try:
            section_key = _section_of_key(opened, answer.question_key, goal_sections)
        except KeyError:
            logger.warning("Answer %s has a key unknown to its template", answer.id)
            continue
        if access.can(opened.role, action, _context(opened, section_key, answer.phase, answer.author_id)):
            visible.append(answer)
    return visible


async def answer_history(session: AsyncSession, opened: AgreementAccess, answer_id: int) -> list[AnswerRevision]:
    """Every text an answer has had, if the viewer may read the answer."""
    answers = {a.id: a for a in await read_answers(session, opened)}
    if answer_id not in answers:
        raise NotFound(f"answer {answer_id}")
    return list(
        (
            await session.scalars(
                select(AnswerRevision)
                .where(AnswerRevision.answer_id == answer_id)
                .order_by(AnswerRevision.revision)
            )
        ).all()
    )


# --- goals ---------------------------------------------------------------------------


async def _goal_sections(session: AsyncSession, agreement_id: int) -> dict[int, str]:
    rows = await session.execute(
        select(Goal.id, Goal.section_key).where(Goal.agreement_id == agreement_id)
    )
    return {goal_id: section for goal_id, section in rows}


def _goal_field(opened: AgreementAccess, section_key: str):
    section = opened.template.section(section_key)
    for field in section.fields:
        if field.kind is FieldKind.GOALS:
            return field
    raise InvalidState(f"section {section_key} has no goals")


async def add_goal(
    session: AsyncSession,
    opened: AgreementAccess,
    section_key: str,
    phase: Phase,
    title: str,
    actions: Iterable[str],
    *,
    max_length: int = DEFAULT_MAX_LENGTH,
    position: int | None = None,
) -> Goal:
    """Add a development goal ("utviklingsmål") with its actions ("tiltak")."""
    if phase not in (Phase.PREPARATION, Phase.AGREEMENT):
        raise InvalidState("goals are set in preparation and in the agreement")
    _goal_field(opened, section_key)
    if not access.can(opened.role, Action.WRITE, _context(opened, section_key, phase, opened.viewer.id)):
        raise AccessDenied(f"{opened.role.value} may not write goals in {phase.value}")
    _check_phase_state(opened, phase)
    cleaned_title = validate_text(title, max_length)
    cleaned_actions = [validate_text(text, max_length) for text in actions if text and text.strip()]
    if len(cleaned_actions) > MAX_ACTIONS_PER_GOAL:
        raise AnswerTooLong(MAX_ACTIONS_PER_GOAL, len(cleaned_actions))
    if position is None:
        existing = await _goals(session, opened.agreement.id, phase, section_key, opened.viewer.id)
        position = (max((g.position for g in existing), default=-1)) + 1
    goal = Goal(
        agreement_id=opened.agreement.id,
        section_key=section_key,
        phase=phase,
        author_id=opened.viewer.id,
        position=position,
        title=cleaned_title,
    )
    goal.actions = [GoalAction(position=i, text=text) for i, text in enumerate(cleaned_actions)]
    session.add(goal)
    await session.flush()
    return goal


async def remove_goal(session: AsyncSession, opened: AgreementAccess, goal_id: int) -> None:
    """Remove a goal from the agreement; the row is kept with ``removed_at`` as history."""
    goal = await session.get(Goal, goal_id)
    if goal is None or goal.agreement_id != opened.agreement.id or goal.removed_at is not None:
        raise NotFound(f"goal {goal_id}")
    if not access.can(opened.role, Action.WRITE, _context(opened, goal.section_key, goal.phase, goal.author_id)):
        raise AccessDenied("may not change this goal")
    _check_phase_state(opened, goal.phase)
    goal.removed_at = utcnow()
    await session.flush()


async def replace_goal(
    session: AsyncSession,
    opened: AgreementAccess,
    goal_id: int,
    title: str,
    actions: Iterable[str],
    *,
    max_length: int = DEFAULT_MAX_LENGTH,
) -> Goal:
    """Change a goal: the old version is kept (removed) and a new one takes its place."""
    goal = await session.get(Goal, goal_id)
    if goal is None or goal.agreement_id != opened.agreement.id or goal.removed_at is not None:
        raise NotFound(f"goal {goal_id}")
    await remove_goal(session, opened, goal_id)
    return await add_goal(
        session, opened, goal.section_key, goal.phase, title, actions,
        max_length=max_length, position=goal.position,
    )


async def _goals(
    session: AsyncSession, agreement_id: int, phase: Phase | None, section_key: str | None, author_id: int | None
) -> list[Goal]:
    query = select(Goal).where(Goal.agreement_id == agreement_id, Goal.removed_at.is_(None))
    if phase is not None:
        query = query.where(Goal.phase == phase)
    if section_key is not None:
        query = query.where(Goal.section_key == section_key)
    if author_id is not None:
        query = query.where(Goal.author_id == author_id)
    return list((await session.scalars(query.order_by(Goal.section_key, Goal.position, Goal.id))).all())


async def list_goals(
    session: AsyncSession,
    opened: AgreementAccess,
    *,
    phase: Phase | None = None,
    section_key: str | None = None,
    action: Action = Action.READ,
) -> list[Goal]:
    """The goals this viewer may see (``Goal.current_actions`` holds their actions)."""
    goals = await _goals(session, opened.agreement.id, phase, section_key, None)
    visible = [
        goal
        for goal in goals
        if access.can(opened.role, action, _context(opened, goal.section_key, goal.phase, goal.author_id))
    ]
    return visible


# --- the agreement's steps ------------------------------------------------------------


def _event(session: AsyncSession, opened: AgreementAccess, kind: str, **detail: object) -> None:
    session.add(
        AgreementEvent(agreement_id=opened.agreement.id, kind=kind, actor_id=opened.viewer.id, detail=detail)
    )


def _require(opened: AgreementAccess, role: Role) -> None:
    if opened.role is not role:
        raise AccessDenied(f"only the {role.value} may do this")


def _require_pair(opened: AgreementAccess) -> None:
    if not opened.role.in_pair:
        raise AccessDenied("only the two leaders of the agreement may do this")


async def plan_meeting(session: AsyncSession, opened: AgreementAccess, when: datetime) -> None:
    """Set (or move) the meeting time of the conversation."""
    _require(opened, Role.SUPERIOR)
    if is_signed(opened.agreement):
        raise AgreementLocked()
    if when.tzinfo is None:
        raise ValueError("meeting time must be timezone-aware")
    opened.agreement.meeting_at = when
    _event(session, opened, "planned", meeting_at=when.isoformat())
    await _flush(session)


async def mark_prepared(session: AsyncSession, opened: AgreementAccess) -> None:
    """Mark the viewer's own preparation as done."""
    _require_pair(opened)
    if is_signed(opened.agreement):
        raise AgreementLocked()
    now = utcnow()
    if opened.role is Role.SUPERIOR:
        opened.agreement.superior_prepared_at = opened.agreement.superior_prepared_at or now
    else:
        opened.agreement.subordinate_prepared_at = opened.agreement.subordinate_prepared_at or now
    _event(session, opened, "prepared")
    await _flush(session)


async def missing_for_review(session: AsyncSession, opened: AgreementAccess) -> list[str]:
    """Question keys the superior must answer before sending the agreement for review."""
    answered = {
        a.question_key
        for a in await read_answers(session, opened, phase=Phase.AGREEMENT)
        if a.author_id == opened.agreement.superior_id
    }
    required = [
        field.key
        for section in opened.template.sections
        for field in section.fields
        if field.kind in (FieldKind.TEXT, FieldKind.PLATFORM_CHOICE)
    ]
    return [key for key in required if key not in answered]


async def mark_filled(session: AsyncSession, opened: AgreementAccess) -> None:
    """The superior has recorded the agreed text and sends it to the subordinate for review."""
    _require(opened, Role.SUPERIOR)
    if is_signed(opened.agreement):
        raise AgreementLocked()
    missing = await missing_for_review(session, opened)
    if missing:
        raise InvalidState("unanswered: " + ", ".join(missing))
    opened.agreement.filled_at = utcnow()
    opened.agreement.review_comment_at = None
    _event(session, opened, "filled")
    await _flush(session)


async def withdraw_from_review(session: AsyncSession, opened: AgreementAccess) -> bool:
    """The superior changed the agreed text after sending it for review: take it back.

    Any signature given to the earlier text is cleared (kept in the history), and the agreement
    must be sent for review again. Returns True when something was withdrawn.
    """
    _require(opened, Role.SUPERIOR)
    agreement = opened.agreement
    if is_signed(agreement):
        raise AgreementLocked()
    if agreement.filled_at is None:
        return False
    _event(
        session, opened, "withdrawn_from_review",
        superior_signed=agreement.superior_signed_at is not None,
        subordinate_signed=agreement.subordinate_signed_at is not None,
    )
    agreement.filled_at = None
    agreement.superior_signed_at = None
    agreement.subordinate_signed_at = None
    await _flush(session)
    return True


async def send_comments(session: AsyncSession, opened: AgreementAccess, text: str, *, max_length: int = DEFAULT_MAX_LENGTH) -> None:
    """The subordinate sends the filled agreement back to the superior with comments."""
    _require(opened, Role.SUBORDINATE)
    if opened.agreement.filled_at is None:
        raise InvalidState("the agreement has not been sent for review")
    if is_signed(opened.agreement):
        raise AgreementLocked()
    await save_answer(session, opened, REVIEW_COMMENT_KEY, Phase.AGREEMENT, text, max_length=max_length)
    opened.agreement.filled_at = None
    opened.agreement.review_comment_at = utcnow()
    opened.agreement.superior_signed_at = None
    opened.agreement.subordinate_signed_at = None
    _event(session, opened, "comments_sent")
    await _flush(session)


async def sign(session: AsyncSession, opened: AgreementAccess, place_and_date: str) -> bool:
    """Sign with "Sted og dato"; returns True when both have now signed (the agreement is locked)."""
    _require_pair(opened)
    agreement = opened.agreement
    if agreement.filled_at is None:
        raise InvalidState("the agreement must be filled in and sent for review before signing")
    if is_signed(agreement):
        raise AgreementLocked()
    place = validate_text(place_and_date, 200)
    now = utcnow()
    agreement.sign_place_date = place
    if opened.role is Role.SUPERIOR:
        agreement.superior_signed_at = now
    else:
        agreement.subordinate_signed_at = now
    _event(session, opened, "signed", place_and_date=place)
    await _flush(session)
    return is_signed(agreement)


async def reopen(session: AsyncSession, opened: AgreementAccess) -> None:
    """Reopen a signed agreement for changes: both signatures are cleared, history is kept."""
    _require(opened, Role.SUPERIOR)
    agreement = opened.agreement
    if not is_signed(agreement):
        return
    if agreement.followup_recorded_at is not None:
        raise InvalidState("the follow-up has been recorded; the spring agreement can no longer change")
    _event(
        session, opened, "reopened",
        superior_signed_at=agreement.superior_signed_at.isoformat(),
        subordinate_signed_at=agreement.subordinate_signed_at.isoformat(),
        place_and_date=agreement.sign_place_date,
    )
    agreement.superior_signed_at = None
    agreement.subordinate_signed_at = None
    await _flush(session)


async def set_share_development(session: AsyncSession, opened: AgreementAccess, share: bool) -> None:
    """The viewer's consent to let Ledelsesutvikling leave the pair (both must agree)."""
    _require_pair(opened)
    if opened.role is Role.SUPERIOR:
        opened.agreement.superior_shares_development = share
    else:
        opened.agreement.subordinate_shares_development = share
    _event(session, opened, "share_development", share=share)
    await _flush(session)


async def mark_followup_recorded(session: AsyncSession, opened: AgreementAccess) -> None:
    """The superior has recorded the follow-up conversation; both are asked to confirm."""
    _require(opened, Role.SUPERIOR)
    if not is_signed(opened.agreement):
        raise InvalidState("the follow-up starts when the agreement is signed")
    if followup_done(opened.agreement):
        raise AgreementLocked()
    opened.agreement.followup_recorded_at = utcnow()
    opened.agreement.superior_followup_confirmed_at = None
    opened.agreement.subordinate_followup_confirmed_at = None
    _event(session, opened, "followup_recorded")
    await _flush(session)


async def confirm_followup(session: AsyncSession, opened: AgreementAccess) -> bool:
    """Confirm the recorded follow-up; returns True when both have confirmed."""
    _require_pair(opened)
    agreement = opened.agreement
    if agreement.followup_recorded_at is None:
        raise InvalidState("the follow-up has not been recorded yet")
    now = utcnow()
    if opened.role is Role.SUPERIOR:
        agreement.superior_followup_confirmed_at = agreement.superior_followup_confirmed_at or now
    else:
        agreement.subordinate_followup_confirmed_at = agreement.subordinate_followup_confirmed_at or now
    _event(session, opened, "followup_confirmed")
    await _flush(session)
    return followup_done(agreement)


async def _flush(session: AsyncSession) -> None:
    try:
        await session.flush()
    except StaleDataError as exc:
        raise ConcurrentChange("the agreement was changed at the same moment") from exc


# --- status (no content) --------------------------------------------------------------


@dataclass(frozen=True)
class StatusRow:
    """One agreement's status and dates: everything HR may see."""

    agreement_id: int
    year: int
    superior_name: str
    superior_email: str
    subordinate_name: str
    subordinate_email: str
    unit: str
    status: AgreementStatus
    meeting_at: datetime | None
    superior_signed_at: datetime | None
    subordinate_signed_at: datetime | None


async def status_rows(session: AsyncSession, year: int) -> list[StatusRow]:
    """Status and dates of every active agreement of ``year``, never their content."""
    superior = aliased(Leader)
    subordinate = aliased(Leader)
    rows = await session.execute(
        select(Agreement, superior, subordinate)
        .join(superior, Agreement.superior_id == superior.id)
        .join(subordinate, Agreement.subordinate_id == subordinate.id)
        .where(Agreement.year == year, Agreement.active.is_(True))
        .order_by(superior.name, subordinate.name)
    )
    return [
        StatusRow(
            agreement_id=agreement.id,
            year=agreement.year,
            superior_name=sup.name,
            superior_email=sup.email,
            subordinate_name=sub.name,
            subordinate_email=sub.email,
            unit=sub.unit,
            status=derive_status(agreement),
            meeting_at=agreement.meeting_at,
            superior_signed_at=agreement.superior_signed_at,
            subordinate_signed_at=agreement.subordinate_signed_at,
        )
        for agreement, sup, sub in rows
    ]


# --- units of work --------------------------------------------------------------------


async def run_in_transaction(
    session_factory: async_sessionmaker[AsyncSession],
    work: Callable[[AsyncSession], Awaitable[T]],
    *,
    attempts: int = 5,
) -> T:
    """Run ``work`` in its own transaction and commit; retry when a concurrent change collides."""
    for attempt in range(1, attempts + 1):
        async with session_factory() as session:
            try:
                result = await work(session)
                await session.commit()
                return result
            except (ConcurrentChange, StaleDataError):
                await session.rollback()
                if attempt == attempts:
                    raise ConcurrentChange("gave up after repeated concurrent changes") from None
                logger.info("Concurrent change, retrying (attempt %d)", attempt)
        await asyncio.sleep(random.uniform(0.005, 0.05) * attempt)
    raise AssertionError("unreachable")
