"""Development goals ("utviklingsmål") with their actions ("tiltak"): added, changed, removed, kept as history.

A change to the agreed goals of an agreement already sent for review takes it back from review.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from agreement.access import Action
from agreement.answers import check_phase_open, validate_text, withdraw_after_change
from agreement.errors import AccessDenied, AnswerTooLong, InvalidState, NotFound
from agreement.opening import AgreementAccess
from agreement.template import FieldKind
from storage.models import Goal, GoalAction, Phase, utcnow

MAX_ACTIONS_PER_GOAL = 20


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

    ``source_token`` names the card it was added from: the same card can add one goal only (a
    second insert breaks a unique key, and the turn is run again and seen to be a repeat).
    """
    if phase not in (Phase.PREPARATION, Phase.AGREEMENT):
        raise InvalidState("goals are set in preparation and in the agreement")
    _check_goals_section(opened, section_key)
    if not opened.may(Action.WRITE, section_key, phase, opened.viewer.id):
        raise AccessDenied(f"{opened.role.value} may not write goals in {phase.value}")
    check_phase_open(opened, phase)
    cleaned_title = validate_text(title, max_length=max_length)
    cleaned_actions = [validate_text(text, max_length=max_length) for text in actions if text and text.strip()]
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
        source_token=source_token,
    )
    goal.actions = [GoalAction(position=i, text=text) for i, text in enumerate(cleaned_actions)]
    session.add(goal)
    await session.flush()
    await withdraw_after_change(session, opened, phase)
    return goal


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
    """Change a goal: the old version is kept (removed) and a new one takes its place."""
    goal = await remove_goal(session, opened, goal_id)
    return await add_goal(
        session, opened, goal.section_key, goal.phase, title, actions,
        max_length=max_length, position=goal.position, source_token=source_token,
    )


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
    opened: AgreementAccess,
    *,
    phase: Phase | None = None,
    section_key: str | None = None,
    action: Action = Action.READ,
) -> list[Goal]:
    """The goals this viewer may see (``Goal.current_actions`` holds their actions)."""
    goals = await _goals(session, opened.agreement.id, phase, section_key, None)
    return [goal for goal in goals if opened.may(action, goal.section_key, goal.phase, goal.author_id)]
