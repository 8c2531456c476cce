"""The development goals of one section: add a goal with its actions, remove one (once confirmed), reuse one."""

from __future__ import annotations

from botbuilder.dialogs import DialogTurnResult, WaterfallDialog, WaterfallStepContext
from sqlalchemy.ext.asyncio import AsyncSession

from agreement.errors import AgreementError, NotFound
from agreement.goals import (
    MAX_ACTIONS_PER_GOAL,
    GoalAlreadyUsed,
    add_goal,
    list_goals,
    remove_goal,
    replace_goal,
    use_goal,
)
from agreement.opening import AgreementAccess
from bot.cards import text, to_activity
from bot.turn import STEP
from dialogs.cards.goals import GoalView, goals_card, remove_card
from dialogs.cards.options import free_text_card
from dialogs.flow import DialogDeps, FlowDialog, error_message
from dialogs.reply import KEEP, ReplyPrompt, check_actions, check_answer, check_goals_menu, check_option, options
from dialogs.texts import common
from dialogs.texts import goals as texts
from dialogs.texts import questions as qtexts
from storage.models import Phase

LOOP = "goals.loop"
REMOVE = "goals.remove"
MENU_PROMPT = "goals.menu"
TITLE_PROMPT = "goals.title"
ACTIONS_PROMPT = "goals.actions"
CONFIRM_PROMPT = "goals.confirm"
#: The goal asked about in the REMOVE dialog's options (the list's options besides).
REMOVING = "removing"


def _view(goal, who: str | None = None) -> GoalView:
    return GoalView(goal.id, goal.title, tuple(action.text for action in goal.current_actions), who)


def _listing(opts: dict) -> dict:
    """The goal list's options, without the goal a removal asked about."""
    return {key: value for key, value in opts.items() if key != REMOVING}


class GoalsDialog(FlowDialog):
    """Options: agreement_id, question (the goals field key), section_key, progress, label."""

    def __init__(self, dialog_id: str, deps: DialogDeps, phase: Phase) -> None:
        super().__init__(dialog_id, deps)
        self.phase = phase
        self.add_dialog(WaterfallDialog(LOOP, [self.show_step, self.choose_step, self.title_step, self.actions_step]))
        self.add_dialog(WaterfallDialog(REMOVE, [self.confirm_step, self.remove_step]))
        self.add_dialog(ReplyPrompt(MENU_PROMPT, check_goals_menu))
        self.add_dialog(ReplyPrompt(TITLE_PROMPT, check_answer))
        self.add_dialog(ReplyPrompt(ACTIONS_PROMPT, check_actions))
        self.add_dialog(ReplyPrompt(CONFIRM_PROMPT, check_option))
        self.initial_dialog_id = LOOP

    async def _load(self, session: AsyncSession, opened: AgreementAccess, section_key: str):
        own = [
            _view(goal)
            for goal in await list_goals(session, opened, phase=self.phase, section_key=section_key)
            if goal.author_id == opened.viewer.id
        ]
        suggestions = []
        if self.phase is Phase.AGREEMENT:
            for goal in await list_goals(session, opened, phase=Phase.PREPARATION, section_key=section_key):
                who = qtexts.CONTEXT_OWN if goal.author_id == opened.viewer.id else opened.other.name
                suggestions.append(_view(goal, who))
        return own, suggestions

    async def _back_to_list(self, step: WaterfallStepContext, exc: AgreementError | KeyError) -> DialogTurnResult:
        """The goal a card named is refused or gone (a stale card): say so and show the list as it is now."""
        refused = isinstance(exc, AgreementError) and not isinstance(exc, NotFound)
        await step.context.send_activity(error_message(exc) if refused else common.STALE_CARD)
        return await step.replace_dialog(LOOP, _listing(step.options))

    async def show_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        """Show the goals so far and ask what to do."""
        opts = step.options
        own, suggestions = await self.read(step, lambda s, o: self._load(s, o, opts["section_key"]))
        content = goals_card(opts["label"], opts["progress"], opts["question"], own, suggestions)
        return await step.prompt(
            MENU_PROMPT,
            options(
                to_activity(content),
                {
                    "agreement_id": opts["agreement_id"],
                    "question": opts["question"],
                    "goal_ids": [g.goal_id for g in own],
                    "suggestion_ids": [g.goal_id for g in suggestions],
                },
            ),
        )

    async def choose_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        """Add or change a goal (ask its title), remove one, reuse a suggestion, or finish."""
        choice = step.result
        opts = step.options
        option = choice["option"]
        if option == "done":
            return await step.end_dialog({"kind": "done"})
        if option in ("add", "edit"):
            editing = None
            if option == "edit":
                goal_id = choice["goal_id"]

                async def load(session: AsyncSession, opened: AgreementAccess) -> dict:
                    own = {
                        g.id: g for g in await list_goals(session, opened, phase=self.phase)
                        if g.author_id == opened.viewer.id
                    }
                    goal = own[goal_id]
                    return {"goal_id": goal.id, "title": goal.title,
                            "actions": [action.text for action in goal.current_actions]}

                try:
                    editing = await self.read(step, load)
                except (AgreementError, KeyError) as exc:
                    return await self._back_to_list(step, exc)
            # Kept in the dialog state, so that a restart between title and actions keeps them.
            step.values["editing"] = editing
            key = f"{opts['question']}:title"
            content = free_text_card(
                texts.ASK_TITLE_EDIT if editing else texts.ASK_TITLE, key,
                max_length=self.deps.settings.max_answer_length, placeholder=texts.TITLE_PLACEHOLDER,
                multiline=False, value=editing["title"] if editing else None, keep=editing is not None,
                body_before=[text(opts["progress"], subtle=True)],
            )
            return await step.prompt(
                TITLE_PROMPT,
                options(
                    to_activity(content),
                    {"agreement_id": step.options["agreement_id"], "question": key,
                     "max_length": self.deps.settings.max_answer_length, "has_current": editing is not None},
                ),
            )
        if option == "remove":
            return await step.replace_dialog(REMOVE, {**opts, REMOVING: choice["goal_id"]})
        max_length = self.deps.settings.max_answer_length

        async def use(session: AsyncSession, opened: AgreementAccess) -> str:
            return (await use_goal(session, opened, choice["goal_id"], max_length=max_length)).title

        try:
            title, _ = await self.change(step, use)
        except GoalAlreadyUsed as exc:
            await step.context.send_activity(texts.ALREADY_USED.format(title=exc.title))
            return await step.replace_dialog(LOOP, opts)
        except AgreementError as exc:
            return await self._back_to_list(step, exc)
        await step.context.send_activity(texts.SAVED.format(title=title))
        return await step.replace_dialog(LOOP, opts)

    async def confirm_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        """Ask whether the goal is to be removed, showing it."""
        opts = step.options
        goal_id = opts[REMOVING]

        async def load(session: AsyncSession, opened: AgreementAccess) -> GoalView:
            own = {g.id: g for g in await list_goals(session, opened, phase=self.phase)
                   if g.author_id == opened.viewer.id}
            return _view(own[goal_id])

        try:
            goal = await self.read(step, load)
        except (AgreementError, KeyError) as exc:
            return await self._back_to_list(step, exc)
        step.values["title"] = goal.title
        key = f"{opts['question']}:remove"
        return await step.prompt(
            CONFIRM_PROMPT,
            options(
                to_activity(remove_card(opts["progress"], key, goal)),
                {"agreement_id": opts["agreement_id"], "question": key, "hint": texts.CONFIRM_REMOVE_HINT,
                 "options": {"remove": list(texts.REMOVE_WORDS), "keep": list(texts.KEEP_WORDS)}},
            ),
        )

    async def remove_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        """Remove the goal if the leader said so, then show the list again."""
        opts = step.options
        title = step.values["title"]
        if step.result["option"] == "keep":
            await step.context.send_activity(texts.KEPT.format(title=title))
            return await step.replace_dialog(LOOP, _listing(opts))
        try:
            await self.change(step, lambda session, opened: remove_goal(session, opened, opts[REMOVING]))
        except NotFound:
            # Changed or removed in another chat since the question was asked.
            await step.context.send_activity(texts.ALREADY_REMOVED.format(title=title))
            return await step.replace_dialog(LOOP, _listing(opts))
        except AgreementError as exc:
            return await self._back_to_list(step, exc)
        await step.context.send_activity(texts.REMOVED.format(title=title))
        return await step.replace_dialog(LOOP, _listing(opts))

    async def title_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        """Keep the title and ask for the actions (the current ones, when changing a goal)."""
        editing = step.values.get("editing")
        title = editing["title"] if step.result["kind"] == KEEP else step.result["text"]
        step.values["title"] = title
        key = f"{step.options['question']}:actions"
        # Each action (one per line) is checked against the answer length; the field holds them all.
        field_length = MAX_ACTIONS_PER_GOAL * (self.deps.settings.max_answer_length + 1)
        if editing:
            content = free_text_card(texts.ASK_ACTIONS_EDIT.format(title=title), key, max_length=field_length,
                                     placeholder=texts.ACTIONS_PLACEHOLDER, value="\n".join(editing["actions"]),
                                     keep=True, body_before=[text(step.options["progress"], subtle=True)])
        else:
            content = free_text_card(texts.ASK_ACTIONS.format(title=title), key, max_length=field_length,
                                     placeholder=texts.ACTIONS_PLACEHOLDER,
                                     body_before=[text(step.options["progress"], subtle=True)])
        return await step.prompt(
            ACTIONS_PROMPT,
            options(
                to_activity(content),
                {"agreement_id": step.options["agreement_id"], "question": key, "max_length": self.deps.settings.max_answer_length,
                 "max_actions": MAX_ACTIONS_PER_GOAL, "has_current": editing is not None},
            ),
        )

    async def actions_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        """Save the goal with its actions (a changed goal replaces the old one), then show the list again."""
        opts = step.options
        title = step.values["title"]
        editing = step.values.get("editing")
        lines = editing["actions"] if step.result["kind"] == KEEP else step.result["lines"]
        if editing and title == editing["title"] and list(lines) == editing["actions"]:
            await step.context.send_activity(texts.UNCHANGED.format(title=title))
            return await step.replace_dialog(LOOP, opts)
        max_length = self.deps.settings.max_answer_length
        token = step.result[STEP]

        async def save(session: AsyncSession, opened: AgreementAccess) -> None:
            if editing:
                await replace_goal(session, opened, editing["goal_id"], title, lines, max_length=max_length,
                                   source_token=token)
            else:
                await add_goal(session, opened, opts["section_key"], self.phase, title, lines, max_length=max_length,
                               source_token=token)

        try:
            await self.change(step, save)
        except NotFound as exc:
            # The goal was changed or removed elsewhere in the meantime.
            return await self._back_to_list(step, exc)
        await step.context.send_activity((texts.CHANGED if editing else texts.SAVED).format(title=title))
        return await step.replace_dialog(LOOP, opts)
