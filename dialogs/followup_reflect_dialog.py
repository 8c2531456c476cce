"""Autumn reflection before the follow-up conversation (each leader alone, open to the other once both are done)."""

from __future__ import annotations

from botbuilder.dialogs import DialogTurnResult, WaterfallDialog, WaterfallStepContext
from botbuilder.schema import Activity
from sqlalchemy.ext.asyncio import AsyncSession

from agreement.access import Role
from agreement.opening import AgreementAccess
from agreement.steps import mark_reflected
from bot import actions
from bot.cards import submit, to_activity
from dialogs.agreement_view import AgreementView, gather
from dialogs.cards.agreement import spring_goals_card
from dialogs.cards.message import message_card
from dialogs.flow import DialogDeps, FlowDialog
from dialogs.questions import question_keys
from dialogs.questions_dialog import QuestionsDialog
from dialogs.texts import followup as texts
from storage.models import Phase

STEPS = "followup_reflect.steps"
QUESTIONS = "followup_reflect.questions"


async def start_followup(
    flow: FlowDialog, step: WaterfallStepContext, phase: Phase, intro: str, questions_id: str,
    *, require: Role | None = None, then: Activity | None = None,
) -> DialogTurnResult:
    """Show the spring goals (and ``then``), and begin the follow-up questions of ``phase`` (both autumn flows)."""

    async def load(session: AsyncSession, opened: AgreementAccess) -> tuple[AgreementAccess, AgreementView]:
        return opened, await gather(session, opened, Phase.FOLLOWUP)

    opened, view = await flow.read(step, load, require=require)
    step.values["other"] = opened.other.name
    content = spring_goals_card(view, intro.format(name=opened.other.name), texts.NO_GOALS)
    await step.context.send_activity(to_activity(content))
    if then is not None:
        await step.context.send_activity(then)
    keys = question_keys(opened.template, phase, [goal.id for goal in view.spring_goals])
    return await step.begin_dialog(
        questions_id, {"agreement_id": step.options["agreement_id"], "keys": keys, "index": 0}
    )


class FollowupReflectDialog(FlowDialog):
    """Options: agreement_id."""

    def __init__(self, deps: DialogDeps) -> None:
        super().__init__("FollowupReflectDialog", deps)
        self.add_dialog(WaterfallDialog(STEPS, [self.intro_step, self.finish_step]))
        self.add_dialog(
            QuestionsDialog(QUESTIONS, deps, Phase.FOLLOWUP_PREPARATION, context_phase=Phase.FOLLOWUP_PREPARATION)
        )
        self.initial_dialog_id = STEPS

    async def intro_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        """Show the spring goals, then ask the follow-up questions and about each goal."""
        return await start_followup(self, step, Phase.FOLLOWUP_PREPARATION, texts.REFLECT_INTRO, QUESTIONS)

    async def finish_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        """Mark the reflections done; when both are done, both are told they can see each other's."""
        if step.result is not True:
            await step.context.send_activity(texts.NOT_FINISHED)
            return await step.end_dialog(False)
        reflected, opened = await self.change(step, mark_reflected)
        await step.context.send_activity(texts.REFLECT_DONE)
        if not reflected.both:
            await step.context.send_activity(texts.REFLECT_WAITING.format(name=opened.other.name))
            return await step.end_dialog(True)
        view = [submit(texts.VIEW_BUTTON, actions.submit_data(actions.VIEW_REFLECTIONS, opened.agreement.id))]
        await step.context.send_activity(to_activity(message_card(texts.BOTH_REFLECTED, view)))
        if reflected.both_now:
            # The other leader is told once, when the second leader's reflections are marked done.
            message = texts.NOTIFY_BOTH_REFLECTED.format(name=opened.viewer.name)
            await self.notify(step, opened.other, to_activity(message_card(message, view), summary=message))
        return await step.end_dialog(True)
