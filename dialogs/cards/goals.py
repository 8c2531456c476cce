"""The list of development goals with their actions, and the buttons to change it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.cards import Element, action_set, as_typed, card, container, submit, text
from dialogs.reply import CHOOSE, reply_data
from dialogs.texts import goals as texts


@dataclass(frozen=True)
class GoalView:
    """A goal as shown: its title, its actions and (for suggestions) whose it is."""

    goal_id: int
    title: str
    actions: tuple[str, ...]
    who: str | None = None


def _goal_block(goal: GoalView, buttons: Sequence[Element] = ()) -> Element:
    items: list[Element] = []
    if goal.who:
        items.append(text(goal.who, subtle=True))
    items.append(as_typed(goal.title, bold=True))
    if goal.actions:
        items.append(text(texts.ACTIONS, subtle=True, spacing="Small"))
        items += [as_typed(action, bullet=True, spacing="None") for action in goal.actions]
    if buttons:
        items.append(action_set(list(buttons)))
    return container(items, separator=True)


def goals_card(
    label: str,
    progress: str,
    prompt_key: str,
    goals: Sequence[GoalView],
    suggestions: Sequence[GoalView] = (),
) -> dict:
    """The leader's goals for one section, each to change or remove, plus goals from the preparation to reuse."""
    body: list[Element] = [text(progress, subtle=True), text(label, bold=True), text(texts.HINT, subtle=True)]
    if not goals:
        body.append(text(texts.NONE_YET, subtle=True))
    for goal in goals:
        body.append(
            _goal_block(goal, [
                submit(texts.EDIT, reply_data(CHOOSE, prompt_key, option="edit", goal_id=goal.goal_id)),
                submit(texts.REMOVE, reply_data(CHOOSE, prompt_key, option="remove", goal_id=goal.goal_id)),
            ])
        )
    if suggestions:
        block: list[Element] = [text(texts.SUGGESTIONS, bold=True)]
        block += [
            _goal_block(goal, [submit(texts.USE, reply_data(CHOOSE, prompt_key, option="use", goal_id=goal.goal_id))])
            for goal in suggestions
        ]
        body.append(container(block, style="emphasis"))
    return card(
        body,
        [
            submit(texts.ADD, reply_data(CHOOSE, prompt_key, option="add"), style="positive"),
            submit(texts.DONE, reply_data(CHOOSE, prompt_key, option="done")),
        ],
        fallback=label,
    )


def remove_card(progress: str, prompt_key: str, goal: GoalView) -> dict:
    """Whether to remove this goal, shown with its actions: «Fjern» or «Behold»."""
    question = texts.CONFIRM_REMOVE.format(title=goal.title)
    # The question names the leader's goal, so it is shown as typed.
    body: list[Element] = [text(progress, subtle=True), as_typed(question, bold=True)]
    if goal.actions:
        body.append(text(texts.ACTIONS, subtle=True, spacing="Small"))
        body += [as_typed(action, bullet=True, spacing="None") for action in goal.actions]
    return card(
        body,
        [
            submit(texts.REMOVE, reply_data(CHOOSE, prompt_key, option="remove"), style="destructive"),
            submit(texts.KEEP, reply_data(CHOOSE, prompt_key, option="keep")),
        ],
        fallback=question,
    )
