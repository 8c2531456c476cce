"""The answers of an agreement: checked, saved with every earlier text kept, and read as the viewer may.

Reads go through :func:`read_answers`, which applies the access rules to every row. A change to
the agreed text of an agreement already sent for review takes it back from review
(:func:`withdraw_after_change`, also used for the agreed goals).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import bindparam, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from agreement import access_log
from agreement.access import Action, Role
from agreement.access_log import Purpose
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
from agreement.opening import AgreementAccess, Reader, flush, record_event, require_role
from agreement.signatures import clear_signatures
from agreement.status import followup_done, is_signed
from agreement.template import FieldKind, Template
from storage.models import Answer, AnswerRevision, Goal, Phase, utcnow

logger = logging.getLogger(__name__)

#: Comments the subordinate sends back on the filled agreement.
REVIEW_COMMENT_KEY = "gjennomgang.kommentar"
#: The subordinate's comment on the recorded follow-up, in the follow-up phase (its review, as in spring).
FOLLOWUP_COMMENT_KEY = "gjennomgang.oppfolging"
#: The subordinate's comments on what the superior recorded: only the subordinate writes them.
_COMMENT_KEYS = frozenset({REVIEW_COMMENT_KEY, FOLLOWUP_COMMENT_KEY})
#: Follow-up answers about one spring goal: ``oppfolging.mal.<goal id>``.
GOAL_FOLLOWUP_PREFIX = "oppfolging.mal."

_AUTUMN = (Phase.FOLLOWUP, Phase.FOLLOWUP_PREPARATION)


@dataclass(frozen=True)
class Saved:
    """A saved answer, whether its text changed, and whether that took the agreement back from review."""

    answer: Answer
    changed: bool
    withdrawn: bool


# --- checks ---------------------------------------------------------------------------


def validate_text(text: str | None, *, max_length: int) -> str:
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


def check_phase_open(opened: AgreementAccess, phase: Phase) -> None:
    """Refuse content of ``phase`` that the agreement's state no longer (or not yet) takes."""
    agreement = opened.agreement
    if phase in (Phase.PREPARATION, Phase.AGREEMENT) and is_signed(agreement):
        raise AgreementLocked()
    if phase in _AUTUMN and not is_signed(agreement):
        raise InvalidState("the follow-up starts when the agreement is signed")
    if phase is Phase.FOLLOWUP and followup_done(agreement):
        raise AgreementLocked()


def _check_question(opened: AgreementAccess, question_key: str, phase: Phase, *, choice: bool) -> None:
    """Refuse a key not asked in ``phase``, or one answered otherwise (a choice, or text)."""
    if question_key == REVIEW_COMMENT_KEY:
        return
    if question_key == FOLLOWUP_COMMENT_KEY:
        if phase is not Phase.FOLLOWUP:
            raise InvalidState("the comment on the follow-up belongs to the follow-up")
        return
    if question_key.startswith(GOAL_FOLLOWUP_PREFIX):
        if phase not in _AUTUMN:
            raise InvalidState("goal follow-up answers belong to the autumn follow-up")
        return
    field = opened.template.field(question_key)
    followup_keys = {f.key for f in opened.template.followup_fields()}
    if (question_key in followup_keys) != (phase in _AUTUMN):
        raise InvalidState(f"{question_key} is not asked in phase {phase.value}")
    if field.kind is FieldKind.GOALS:
        raise InvalidState(f"{question_key} holds goals; use add_goal")
    if choice and field.kind is not FieldKind.PLATFORM_CHOICE:
        raise InvalidState(f"{question_key} holds text; use save_answer")
    if not choice and field.kind is FieldKind.PLATFORM_CHOICE:
        raise InvalidState(f"{question_key} holds a choice; use save_choice")


def _section_of_key(opened: Reader, question_key: str, goal_sections: dict[int, str]) -> str:
    if question_key in _COMMENT_KEYS:
        return "gjennomgang"
    if question_key.startswith(GOAL_FOLLOWUP_PREFIX):
        goal_id = int(question_key[len(GOAL_FOLLOWUP_PREFIX):])
        return goal_sections.get(goal_id, "ledelsesutvikling")
    return opened.template.section_of(question_key).key


async def _goal_sections(session: AsyncSession, agreement_id: int) -> dict[int, str]:
    rows = await session.execute(
        select(Goal.id, Goal.section_key).where(Goal.agreement_id == agreement_id)
    )
    return {goal_id: section for goal_id, section in rows}


async def _check_writable(session: AsyncSession, opened: AgreementAccess, question_key: str, phase: Phase) -> None:
    """Refuse an answer the viewer may not write now."""
    # The goals are only needed to place a goal follow-up answer in its section.
    goal_sections = (
        await _goal_sections(session, opened.agreement.id)
        if question_key.startswith(GOAL_FOLLOWUP_PREFIX)
        else {}
    )
    section_key = _section_of_key(opened, question_key, goal_sections)
    if question_key in _COMMENT_KEYS:
        if opened.role is not Role.SUBORDINATE:
            raise AccessDenied("only the subordinate sends comments on the agreement")
    elif not opened.may(Action.WRITE, section_key, phase, opened.viewer.id):
        raise AccessDenied(f"{opened.role.value} may not write {question_key} in {phase.value}")
    check_phase_open(opened, phase)


# --- saving ---------------------------------------------------------------------------


async def save_answer(
    session: AsyncSession,
    opened: AgreementAccess,
    question_key: str,
    phase: Phase,
    text: str,
    *,
    max_length: int,
) -> Saved:
    """Save a text answer now, keeping every earlier text as a revision."""
    _check_question(opened, question_key, phase, choice=False)
    await _check_writable(session, opened, question_key, phase)
    return await _save(session, opened, question_key, phase, validate_text(text, max_length=max_length))


async def save_choice(
    session: AsyncSession,
    opened: AgreementAccess,
    question_key: str,
    phase: Phase,
    chosen: Iterable[str],
) -> Saved:
    """Save a Lederplattformen choice (two or three statement keys)."""
    _check_question(opened, question_key, phase, choice=True)
    await _check_writable(session, opened, question_key, phase)
    cleaned = json.dumps(validate_choice(opened.template, question_key, chosen))
    return await _save(session, opened, question_key, phase, cleaned)


async def _save(session: AsyncSession, opened: AgreementAccess, question_key: str, phase: Phase, text: str) -> Saved:
    answer, changed = await _store_answer(session, opened, question_key, phase, text)
    # The subordinate's comments are not the agreed text: sending them has its own step.
    withdrawn = changed and question_key != REVIEW_COMMENT_KEY and await withdraw_after_change(session, opened, phase)
    return Saved(answer, changed, withdrawn)


async def withdraw_after_change(session: AsyncSession, opened: AgreementAccess, phase: Phase) -> bool:
    """The agreed text has changed: an agreement already sent for review must be sent again."""
    if phase is not Phase.AGREEMENT or opened.agreement.filled_at is None:
        return False
    return await withdraw_from_review(session, opened)


async def withdraw_from_review(session: AsyncSession, opened: AgreementAccess) -> bool:
    """The superior changed the agreed text after sending it for review: take it back.

    Any signature given to the earlier text is cleared (kept in the history), and the agreement
    must be sent for review again. Returns True when something was withdrawn.
    """
    require_role(opened, Role.SUPERIOR)
    agreement = opened.agreement
    if is_signed(agreement):
        raise AgreementLocked()
    if agreement.filled_at is None:
        return False
    record_event(
        session, opened, "withdrawn_from_review",
        superior_signed=agreement.superior_signed_at is not None,
        subordinate_signed=agreement.subordinate_signed_at is not None,
    )
    agreement.filled_at = None
    clear_signatures(agreement)
    await flush(session)
    return True


_ANSWERS = Answer.__table__
_UPSERT_FOR = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}
_ANSWER_UPSERTS: dict[str, object] = {}
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
        upsert_for = _UPSERT_FOR.get(dialect)
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
) -> tuple[Answer, bool]:
    """Insert or update the answer and keep the text as a revision: two statements.

    One upsert creates the answer or, when its text differs, replaces the text and counts the
    revision up in the database (so two writes of the same answer get distinct revisions, each
    kept); an unchanged text is left as it is and keeps no new revision. Returns the answer and
    whether its text changed.
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
            return await session.scalar(_ANSWER_BY_KEY, key), False
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
    return _answer_from_row(session, row), True


# --- reading --------------------------------------------------------------------------


async def read_answers(
    session: AsyncSession,
    opened: Reader,
    *,
    phase: Phase | None = None,
    keys: Iterable[str] | None = None,
    action: Action = Action.READ,
    purpose: Purpose | None = None,
) -> list[Answer]:
    """The answers of an agreement that this viewer may see (the one access-checked path).

    What is returned is recorded in the access log, once per part, as ``purpose`` says (a leader
    of the pair without one: shown in a card; :data:`access_log.CHECK`: an internal check, not
    recorded). See :mod:`agreement.access_log`.
    """
    purpose = access_log.resolve(opened, purpose)
    query = select(Answer).where(Answer.agreement_id == opened.agreement.id)
    if phase is not None:
        query = query.where(Answer.phase == phase)
    if keys is not None:
        query = query.where(Answer.question_key.in_(list(keys)))
    rows = (await session.scalars(query.order_by(Answer.id))).all()
    goal_sections = await _goal_sections(session, opened.agreement.id)
    visible = []
    parts: list[tuple[Phase, str]] = []
    for answer in rows:
        try:
            section_key = _section_of_key(opened, answer.question_key, goal_sections)
        except KeyError:
            logger.warning("Answer %s has a key unknown to its template", answer.id)
            continue
        if opened.may(action, section_key, answer.phase, answer.author_id, answer.question_key):
            visible.append(answer)
            parts.append((answer.phase, section_key))
    access_log.record_read(session, opened, purpose, parts)
    return visible


async def answer_history(session: AsyncSession, opened: AgreementAccess, answer_id: int) -> list[AnswerRevision]:
    """Every text an answer has had, if the viewer may read the answer."""
    answers = {a.id: a for a in await read_answers(session, opened, purpose=access_log.CHECK)}
    if answer_id not in answers:
        raise NotFound(f"answer {answer_id}")
    goal_sections = await _goal_sections(session, opened.agreement.id)
    found = answers[answer_id]
    access_log.record_read(session, opened, access_log.SHOWN,
                           [(found.phase, _section_of_key(opened, found.question_key, goal_sections))])
    return list(
        (
            await session.scalars(
                select(AnswerRevision)
                .where(AnswerRevision.answer_id == answer_id)
                .order_by(AnswerRevision.revision)
            )
        ).all()
    )
