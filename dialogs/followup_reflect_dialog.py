"""Autumn reflection before the follow-up conversation (each leader alone)."""

from __future__ import annotations

from botbuilder.dialogs import DialogTurnResult, WaterfallDialog, WaterfallStepContext
from sqlalchemy.ext.asyncio import AsyncSession

from agreement.errors import AgreementError
from agreement.service import AgreementAccess
from dialogs.agreement_view import gather
from dialogs.base_dialog import CancelAndHelpDialog
from dialogs.cards.agreement import spring_goals_card
from bot.cards import to_activity
from dialogs.context import current_leader_id
from dialogs.deps import DialogDeps
from dialogs.questions import question_keys
from dialogs.questions_dialog import QuestionsDialog
from dialogs.texts import followup as texts
from dialogs.work import error_message, read
from storage.models import Phase

STEPS = "followup_reflect.steps"
QUESTIONS = "followup_reflect.questions"


async def start_followup(
    step: WaterfallStepContext, deps: DialogDeps, phase: Phase, intro: str, questions_id: str
) -> DialogTurnResult:
    """Show the spring goals and begin the follow-up questions of ``phase`` (shared by both autumn flows)."""
    leader = current_leader_id(step.context)

    async def load(session: AsyncSession, opened: AgreementAccess):
        view = await gather(session, opened, Phase.FOLLOWUP)
        return opened, view

    try:
        opened, view = await read(deps, leader, step.options["agreement_id"], load)
    except AgreementError as exc:
        await step.context.send_activity(error_message(exc))
        return await step.end_dialog(False)
    step.values["other"] = opened.other.name
    content = spring_goals_card(view, intro.format(name=opened.other.name), texts.NO_GOALS)
    await step.context.send_activity(to_activity(content))
    keys = question_keys(opened.template, phase, [goal.id for goal in view.spring_goals])
    return await step.begin_dialog(
        questions_id, {"agreement_id": step.options["agreement_id"], "keys": keys, "index": 0}
    )


class FollowupReflectDialog(CancelAndHelpDialog):
    """Options: agreement_id."""

    def __init__(self, deps: DialogDeps) -> None:
        super().__init__("FollowupReflectDialog", deps)
        self.add_dialog(WaterfallDialog(STEPS, [self.intro_step, self.finish_step]))
        self.add_dialog(QuestionsDialog(QUESTIONS, deps, Phase.FOLLOWUP_PREPARATION))
        self.initial_dialog_id = STEPS

    async def intro_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        """Show the spring goals, then ask the follow-up questions and about each goal."""
        return await start_followup(step, self.deps, Phase.FOLLOWUP_PREPARATION, texts.REFLECT_INTRO, QUESTIONS)

    async def finish_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        """Thank the leader; the reflections stay private until the follow-up is recorded."""
        if step.result is not True:
            await step.context.send_activity(texts.NOT_FINISHED)
            return await step.end_dialog(False)
        await step.context.send_activity(texts.REFLECT_DONE)
        return await step.end_dialog(True)
