"""How far the answers of one spring phase have come: each field answered, missing or changed.

In the preparation the fields are the viewer's own; in the agreement they are the superior's
(the agreed text). A question (text or a Lederplattformen choice) must be answered; a note and
the goals may stay empty. A field has changed since a moment when its text then differs from its
text now, or a goal of its section was added or removed after it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from agreement.access import Action, Role
from agreement import access_log
from agreement.answers import REVIEW_COMMENT_KEY, read_answers
from agreement.goals import list_goals
from agreement.opening import AgreementAccess
from agreement.template import Field, FieldKind
from storage.models import Agreement, Answer, AnswerRevision, Goal, Phase

#: The phases whose fields are the form's answered sections.
SPRING = (Phase.PREPARATION, Phase.AGREEMENT)


def is_required(field: Field) -> bool:
    """Questions must be answered; notes and goals may stay empty."""
    return field.kind in (FieldKind.TEXT, FieldKind.PLATFORM_CHOICE)


@dataclass(frozen=True)
class FieldProgress:
    """One field of the form: its answer or goals, whether it must be answered, whether it changed."""

    field: Field
    section_key: str
    answer: Answer | None = None
    goals: tuple[Goal, ...] = ()
    changed: bool = False

    @property
    def key(self) -> str:
        return self.field.key

    @property
    def required(self) -> bool:
        return is_required(self.field)

    @property
    def answered(self) -> bool:
        """Something is written: an answer, or at least one goal."""
        return self.answer is not None or bool(self.goals)

    @property
    def missing(self) -> bool:
        """A question not answered yet."""
        return self.required and not self.answered


@dataclass(frozen=True)
class Progress:
    """Every field of one phase, in form order, for one author."""

    phase: Phase
    author_id: int
    fields: tuple[FieldProgress, ...]

    @property
    def answered(self) -> int:
        return sum(1 for item in self.fields if item.answered)

    @property
    def total(self) -> int:
        return len(self.fields)

    @property
    def missing(self) -> tuple[str, ...]:
        """The keys of the questions not answered yet."""
        return tuple(item.key for item in self.fields if item.missing)

    @property
    def changed(self) -> tuple[str, ...]:
        return tuple(item.key for item in self.fields if item.changed)

    @property
    def started(self) -> bool:
        return self.answered > 0

    def field(self, key: str) -> FieldProgress:
        """The progress of the field with this key."""
        for item in self.fields:
            if item.key == key:
                return item
        raise KeyError(key)


def own_preparation_done(opened: AgreementAccess) -> bool:
    """The viewer has marked their preparation done."""
    agreement = opened.agreement
    marked = agreement.superior_prepared_at if opened.role is Role.SUPERIOR else agreement.subordinate_prepared_at
    return marked is not None


def author_of(opened: AgreementAccess, phase: Phase) -> int:
    """Whose answers count: the viewer's own preparation; the superior's agreed text."""
    if phase is Phase.PREPARATION:
        return opened.viewer.id
    if phase is Phase.AGREEMENT:
        return opened.agreement.superior_id
    raise ValueError(f"progress is kept for the spring phases, not {phase.value}")


async def progress_of(session: AsyncSession, opened: AgreementAccess, phase: Phase, *,
                      changed_since: datetime | None = None,
                      purpose: access_log.Purpose | None = None) -> Progress:
    """The fields of ``phase`` as the viewer may see them; with ``changed_since``, which changed after it.

    Read as ``purpose`` says: shown in a card unless the caller only checks (:data:`access_log.CHECK`).
    """
    author = author_of(opened, phase)
    answers = {
        answer.question_key: answer
        for answer in await read_answers(session, opened, phase=phase, purpose=purpose)
        if answer.author_id == author
    }
    goals: dict[str, list[Goal]] = {}
    for goal in await list_goals(session, opened, phase=phase, purpose=purpose):
        if goal.author_id == author:
            goals.setdefault(goal.section_key, []).append(goal)
    changed_answers: set[str] = set()
    changed_goals: set[str] = set()
    if changed_since is not None:
        changed_answers = await _changed_answers(session, answers.values(), changed_since)
        changed_goals = await _changed_goal_sections(session, opened, phase, author, changed_since)
    fields = []
    for section in opened.template.sections:
        for field in section.fields:
            if field.kind is FieldKind.GOALS:
                fields.append(FieldProgress(field, section.key, goals=tuple(goals.get(section.key, ())),
                                            changed=section.key in changed_goals))
            else:
                fields.append(FieldProgress(field, section.key, answer=answers.get(field.key),
                                            changed=field.key in changed_answers))
    return Progress(phase, author, tuple(fields))


async def _changed_answers(session: AsyncSession, answers: Iterable[Answer], since: datetime) -> set[str]:
    """The keys of the answers whose text now differs from their text at ``since`` (none then counts)."""
    by_id = {answer.id: answer for answer in answers}
    if not by_id:
        return set()
    rows = await session.execute(
        select(AnswerRevision.answer_id, AnswerRevision.text)
        .where(AnswerRevision.answer_id.in_(list(by_id)), AnswerRevision.created_at <= since)
        .order_by(AnswerRevision.answer_id, AnswerRevision.revision)
    )
    then = {answer_id: text for answer_id, text in rows}  # the last revision at ``since`` wins
    return {answer.question_key for answer_id, answer in by_id.items() if then.get(answer_id) != answer.text}


async def _changed_goal_sections(session: AsyncSession, opened: AgreementAccess, phase: Phase, author: int,
                                 since: datetime) -> set[str]:
    """The sections where a goal of ``author`` was added or removed after ``since`` (a change replaces a goal)."""
    rows = await session.scalars(
        select(Goal).where(
            Goal.agreement_id == opened.agreement.id, Goal.phase == phase, Goal.author_id == author,
            or_(Goal.created_at > since, Goal.removed_at > since),
        )
    )
    return {goal.section_key for goal in rows
            if opened.may(Action.READ, goal.section_key, goal.phase, goal.author_id)}


async def review_comment(session: AsyncSession, opened: AgreementAccess, *,
                         purpose: access_log.Purpose | None = None) -> Answer | None:
    """The subordinate's latest comments on the filled agreement, if any (read as ``purpose`` says)."""
    comments = await read_answers(session, opened, phase=Phase.AGREEMENT, keys=[REVIEW_COMMENT_KEY], purpose=purpose)
    return next((answer for answer in comments if answer.author_id == opened.agreement.subordinate_id), None)


def comments_pending(agreement: Agreement) -> bool:
    """The subordinate sent the agreement back with comments, and it has not been sent again since."""
    return agreement.review_comment_at is not None and agreement.filled_at is None


def meeting_ahead(agreement: Agreement, now: datetime) -> bool:
    """The planned conversation has not taken place yet."""
    meeting = agreement.meeting_at
    if meeting is None:
        return False
    if meeting.tzinfo is None:  # SQLite gives stored timestamps back naive, in UTC
        meeting = meeting.replace(tzinfo=timezone.utc)
    return meeting > now
