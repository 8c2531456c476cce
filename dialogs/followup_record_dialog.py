"""The superior records the autumn follow-up conversation; both are then asked to confirm."""

from __future__ import annotations

from botbuilder.dialogs import DialogTurnResult, WaterfallDialog, WaterfallStepContext
from sqlalchemy.ext.asyncio import AsyncSession

from agreement import service
from agreement.access import Role
from agreement.errors import AccessDenied, AgreementError
from agreement.service import AgreementAccess
from bot import actions
from dialogs.agreement_view import gather
from dialogs.base_dialog import CancelAndHelpDialog
from dialogs.cards.agreement import followup_card
from bot.cards import submit, to_activity
from dialogs.context import current_leader_id
from dialogs.deps import DialogDeps
from dialogs.followup_reflect_dialog import start_followup
from dialogs.questions_dialog import QuestionsDialog
from dialogs.texts import followup as texts
from dialogs.work import change, error_message, just_opened, notify, read
from storage.models import Phase

STEPS = "followup_record.steps"
QUESTIONS = "followup_record.questions"


class FollowupRecordDialog(CancelAndHelpDialog):
    """Options: agreement_id."""

    def __init__(self, deps: DialogDeps) -> None:
        super().__init__("FollowupRecordDialog", deps)
        self.add_dialog(WaterfallDialog(STEPS, [self.intro_step, self.finish_step]))
        self.add_dialog(QuestionsDialog(QUESTIONS, deps, Phase.FOLLOWUP, context_phase=Phase.FOLLOWUP_PREPARATION))
        self.initial_dialog_id = STEPS

    async def intro_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        """Show the spring goals, then record each follow-up question, each goal and the new matters."""
        leader = current_leader_id(step.context)
        try:
            opened = await read(self.deps, leader, step.options["agreement_id"], just_opened)
            if opened.role is not Role.SUPERIOR:
                raise AccessDenied("only the superior records the follow-up")
        except AgreementError as exc:
            await step.context.send_activity(error_message(exc))
            return await step.end_dialog(False)
        return await start_followup(step, self.deps, Phase.FOLLOWUP, texts.RECORD_INTRO, QUESTIONS)

    async def finish_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        """Mark the follow-up recorded and ask both leaders to confirm it."""
        if step.result is not True:
            await step.context.send_activity(texts.NOT_FINISHED)
            return await step.end_dialog(False)
        leader = current_leader_id(step.context)
        agreement_id = step.options["agreement_id"]

        async def record(session: AsyncSession, opened: AgreementAccess) -> AgreementAccess:
            await service.mark_followup_recorded(session, opened)
            return opened

        try:
            opened = await change(self.deps, leader, agreement_id, record)
        except AgreementError as exc:
            await step.context.send_activity(error_message(exc))
            return await step.end_dialog(False)
        other = opened.other
        await step.context.send_activity(
            await confirm_activity(self.deps, leader, agreement_id, texts.RECORD_DONE.format(name=other.name))
        )
        await notify(
            self.deps, step.context, other.id, other.name,
            await confirm_activity(self.deps, other.id, agreement_id,
                                   texts.NOTIFY_RECORDED.format(name=opened.viewer.name)),
        )
        return await step.end_dialog(True)


async def confirm_activity(deps: DialogDeps, recipient_id: int, agreement_id: int, message: str):
    """The recorded follow-up as its recipient may see it, with a button to confirm it."""
    view = await read(deps, recipient_id, agreement_id, lambda s, o: gather(s, o, Phase.FOLLOWUP))
    content = followup_card(
        view, [submit(texts.CONFIRM_BUTTON, actions.submit_data(actions.FOLLOWUP_CONFIRM, agreement_id),
                      style="positive")],
        lead=message,
    )
    return to_activity(content, summary=message)
