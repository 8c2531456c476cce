"""The superior records the autumn follow-up conversation; both are then asked to confirm."""

from __future__ import annotations

from botbuilder.dialogs import DialogTurnResult, WaterfallDialog, WaterfallStepContext
from sqlalchemy.ext.asyncio import AsyncSession

from agreement.access import Role
from agreement.steps import mark_followup_recorded
from bot import actions
from bot.cards import submit, to_activity
from bot.turn import turn_session
from dialogs.agreement_view import gather
from dialogs.cards.agreement import followup_card
from dialogs.flow import DialogDeps, FlowDialog, read
from dialogs.followup_reflect_dialog import start_followup
from dialogs.questions_dialog import QuestionsDialog
from dialogs.texts import followup as texts
from storage.models import Phase

STEPS = "followup_record.steps"
QUESTIONS = "followup_record.questions"


class FollowupRecordDialog(FlowDialog):
    """Options: agreement_id."""

    def __init__(self, deps: DialogDeps) -> None:
        super().__init__("FollowupRecordDialog", deps)
        self.add_dialog(WaterfallDialog(STEPS, [self.intro_step, self.finish_step]))
        self.add_dialog(QuestionsDialog(QUESTIONS, deps, Phase.FOLLOWUP, context_phase=Phase.FOLLOWUP_PREPARATION))
        self.initial_dialog_id = STEPS

    async def intro_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        """Show the spring goals, then record each follow-up question, each goal and the new matters."""
        return await start_followup(self, step, Phase.FOLLOWUP, texts.RECORD_INTRO, QUESTIONS, require=Role.SUPERIOR)

    async def finish_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        """Mark the follow-up recorded and ask both leaders to confirm it."""
        if step.result is not True:
            await step.context.send_activity(texts.NOT_FINISHED)
            return await step.end_dialog(False)
        _, opened = await self.change(step, mark_followup_recorded)
        own, other, agreement_id = opened.viewer, opened.other, opened.agreement.id
        await step.context.send_activity(
            await confirm_activity(self.deps, turn_session(step.context), own.id, agreement_id, texts.RECORD_DONE.format(name=other.name))
        )
        await self.notify(
            step, other,
            await confirm_activity(self.deps, turn_session(step.context), other.id, agreement_id, texts.NOTIFY_RECORDED.format(name=own.name)),
        )
        return await step.end_dialog(True)


async def confirm_activity(deps: DialogDeps, session: AsyncSession, recipient_id: int, agreement_id: int, message: str):
    """The recorded follow-up as its recipient may see it, with a button to confirm it."""
    view = await read(session, recipient_id, agreement_id, lambda s, o: gather(s, o, Phase.FOLLOWUP))
    content = followup_card(
        view, [submit(texts.CONFIRM_BUTTON, actions.submit_data(actions.FOLLOWUP_CONFIRM, agreement_id),
                      style="positive")],
        lead=message,
    )
    return to_activity(content, summary=message)
