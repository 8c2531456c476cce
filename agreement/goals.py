"""Development goals ("utviklingsmål") with their actions ("tiltak"): added, changed, removed, kept as history.

A change to the agreed goals of an agreement already sent for review takes it back from review.
A goal taken from a preparation into the agreement remembers its source in ``source_token``
(``use:<source goal>:<phase>:<n>``, n counting earlier uses, removed ones included): the same
source goal stands in the agreement once, and two uses at the same moment break a unique key.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from agreement import access_log
from agreement.access import Action
from agreement.access_log import Purpose
from agreement.answers import check_phase_open, validate_text, withdraw_after_change
from agreement.errors import AccessDenied, AnswerTooLong, InvalidState, NotFound
from agreement.opening import AgreementAccess, Reader
from agreement.template import FieldKind
from storage.models import Goal, GoalAction, Phase, utcnow

MAX_ACTIONS_PER_GOAL = 20

_USE = "use"


class GoalAlreadyUsed(InvalidState):
    """The goal from the preparation is in the agreement already (taken from it, or with the same title and actions)."""

    def __init__(self, title: str):
        super().__init__("the goal is in the agreement already")
        self.title = title


def _check_goals_section(opened: AgreementAccess, section_key: str) -> None:
    section = opened.template.section(section_key)
    if not any(field.kind is FieldKind.GOALS for field in section.fields):
        raise InvalidState(f"section {section_key} has no goals")


async def add_goal(
    session: AsyncSession,
    opened: AgreementAccess,
    section_key: str,
    phase: Phase,
    title: str,
    actions: Iterable[str],
    *,
    max_length: int,
    position: int | None = None,
    source_token: str | None = None,
) -> Goal:
    """Add a development goal with its actions (blank actions are left out).

    ``source_token`` names where it came from, unique in the agreement: the card it was added from
    (the same card adds one goal only: a second insert breaks a unique key, and the turn is run
    again and seen to be a repeat), or the preparation goal it was taken from (see :func:`use_goal`).
    """
    _check_writable(opened, section_key, phase)
    cleaned_title, cleaned_actions = _cleaned(title, actions, max_length)
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
        source_token=source_token,
    )
    goal.actions = [GoalAction(position=i, text=text) for i, text in enumerate(cleaned_actions)]
    session.add(goal)
    await session.flush()
    await withdraw_after_change(session, opened, phase)
    return goal


async def use_goal(session: AsyncSession, opened: AgreementAccess, source_goal_id: int, *, max_length: int) -> Goal:
    """Take a goal from a preparation (either leader's, as this viewer sees it) into the agreement, once.

    Refused with :class:`GoalAlreadyUsed` when a current goal of the agreement in that section was
    taken from the same source goal, or has the same title and actions.
    """
    source = next(
        (goal for goal in await list_goals(session, opened, phase=Phase.PREPARATION, purpose=access_log.CHECK)
         if goal.id == source_goal_id),
        None,
    )
    if source is None:
        raise NotFound(f"goal {source_goal_id}")
    phase = Phase.AGREEMENT
    _check_writable(opened, source.section_key, phase)
    actions = [action.text for action in source.current_actions]
    prefix = _use_prefix(source.id, phase)
    for goal in await _goals(session, opened.agreement.id, phase, source.section_key, None):
        if _used_from(goal, prefix) or _same_goal(goal, source.title, actions):
            raise GoalAlreadyUsed(source.title)
    return await add_goal(
        session, opened, source.section_key, phase, source.title, actions,
        max_length=max_length, source_token=await _next_use_token(session, opened.agreement.id, prefix),
    )


async def remove_goal(session: AsyncSession, opened: AgreementAccess, goal_id: int) -> Goal:
    """Remove a goal from the agreement and return it; the row is kept with ``removed_at`` as history."""
    goal = await _current_goal(session, opened, goal_id)
    if not opened.may(Action.WRITE, goal.section_key, goal.phase, goal.author_id):
        raise AccessDenied("may not change this goal")
    check_phase_open(opened, goal.phase)
    goal.removed_at = utcnow()
    await session.flush()
    await withdraw_after_change(session, opened, goal.phase)
    return goal


async def replace_goal(
    session: AsyncSession,
    opened: AgreementAccess,
    goal_id: int,
    title: str,
    actions: Iterable[str],
    *,
    max_length: int,
    source_token: str | None = None,
) -> Goal:
    """Change a goal: the old version is kept (removed) and a new one takes its place.

    A goal taken from a preparation stays taken from it when changed (it gets the next use token).
    """
    goal = await remove_goal(session, opened, goal_id)
    prefix = _use_family(goal.source_token)
    if prefix is not None:
        source_token = await _next_use_token(session, opened.agreement.id, prefix)
    return await add_goal(
        session, opened, goal.section_key, goal.phase, title, actions,
        max_length=max_length, position=goal.position, source_token=source_token,
    )


def _check_writable(opened: AgreementAccess, section_key: str, phase: Phase) -> None:
    if phase not in (Phase.PREPARATION, Phase.AGREEMENT):
        raise InvalidState("goals are set in preparation and in the agreement")
    _check_goals_section(opened, section_key)
    if not opened.may(Action.WRITE, section_key, phase, opened.viewer.id):
        raise AccessDenied(f"{opened.role.value} may not write goals in {phase.value}")
    check_phase_open(opened, phase)


def _cleaned(title: str, actions: Iterable[str], max_length: int) -> tuple[str, list[str]]:
    """The checked title and actions (blank actions left out)."""
    cleaned_title = validate_text(title, max_length=max_length)
    cleaned_actions = [validate_text(text, max_length=max_length) for text in actions if text and text.strip()]
    if len(cleaned_actions) > MAX_ACTIONS_PER_GOAL:
        raise AnswerTooLong(MAX_ACTIONS_PER_GOAL, len(cleaned_actions))
    return cleaned_title, cleaned_actions


def _use_prefix(source_goal_id: int, phase: Phase) -> str:
    return f"{_USE}:{source_goal_id}:{phase.value}:"


def _use_family(token: str | None) -> str | None:
    """The use prefix of a goal taken from a preparation; None for any other goal."""
    if token is None or not token.startswith(f"{_USE}:"):
        return None
    return token.rpartition(":")[0] + ":"


def _used_from(goal: Goal, prefix: str) -> bool:
    return goal.source_token is not None and goal.source_token.startswith(prefix)


def _comparable(text: str) -> str:
    return " ".join(text.split()).casefold()


def _same_goal(goal: Goal, title: str, actions: list[str]) -> bool:
    return _comparable(goal.title) == _comparable(title) and [
        _comparable(action.text) for action in goal.current_actions
    ] == [_comparable(action) for action in actions]


async def _next_use_token(session: AsyncSession, agreement_id: int, prefix: str) -> str:
    """The use token after every earlier one (removed goals keep theirs as history)."""
    earlier = await session.scalar(
        select(func.count()).select_from(Goal).where(
            Goal.agreement_id == agreement_id, Goal.source_token.startswith(prefix, autoescape=True)
        )
    )
    return f"{prefix}{earlier}"


async def _current_goal(session: AsyncSession, opened: AgreementAccess, goal_id: int) -> Goal:
    goal = await session.get(Goal, goal_id)
    if goal is None or goal.agreement_id != opened.agreement.id or goal.removed_at is not None:
        raise NotFound(f"goal {goal_id}")
    return goal


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
    opened: Reader,
    *,
    phase: Phase | None = None,
    section_key: str | None = None,
    action: Action = Action.READ,
    purpose: Purpose | None = None,
) -> list[Goal]:
    """The goals this viewer may see (``Goal.current_actions`` holds their actions).

    What is returned is recorded in the access log as ``purpose`` says (see :mod:`agreement.access_log`).
    """
    purpose = access_log.resolve(opened, purpose)
    goals = await _goals(session, opened.agreement.id, phase, section_key, None)
    visible = [goal for goal in goals if opened.may(action, goal.section_key, goal.phase, goal.author_id)]
    access_log.record_read(session, opened, purpose, [(goal.phase, goal.section_key) for goal in visible])
    return visible


async def list_goals_of(
    session: AsyncSession, readers: Sequence[Reader], *, phase: Phase | None = None, purpose: Purpose | None = None
) -> list[list[Goal]]:
    """:func:`list_goals` for many readers in one query: each reader's goals, recorded as it records them."""
    query = select(Goal).where(
        Goal.agreement_id.in_({reader.agreement.id for reader in readers}), Goal.removed_at.is_(None)
    )
    if phase is not None:
        query = query.where(Goal.phase == phase)
    goals: dict[int, list[Goal]] = {}
    for goal in (await session.scalars(query.order_by(Goal.agreement_id, Goal.section_key, Goal.position, Goal.id))).all():
        goals.setdefault(goal.agreement_id, []).append(goal)
    result = []
    for reader in readers:
        visible = [goal for goal in goals.get(reader.agreement.id, [])
                   if reader.may(Action.READ, goal.section_key, goal.phase, goal.author_id)]
        access_log.record_read(session, reader, access_log.resolve(reader, purpose),
                               [(goal.phase, goal.section_key) for goal in visible])
        result.append(visible)
    return result
