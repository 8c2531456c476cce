"""Planning the conversation (superior): date and time; both leaders are told."""

from __future__ import annotations

from datetime import datetime, timezone

from botbuilder.dialogs import DialogTurnResult, WaterfallDialog, WaterfallStepContext
from sqlalchemy.ext.asyncio import AsyncSession

from agreement import service
from agreement.access import Role
from agreement.errors import AccessDenied, AgreementError
from agreement.service import AgreementAccess
from bot import actions
from dialogs.base_dialog import CancelAndHelpDialog
from bot.cards import submit, to_activity
from dialogs.cards.message import message_card
from dialogs.cards.plan import plan_card
from dialogs.context import current_leader_id
from dialogs.deps import DialogDeps
from dialogs.prompts import ReplyPrompt, options
from dialogs.texts import common
from dialogs.texts import plan as texts
from dialogs.validators import meeting_validator
from dialogs.work import change, error_message, just_opened, local, notify, read, today

STEPS = "plan.steps"
WHEN_PROMPT = "plan.when"
WHEN_KEY = "plan.when"


class PlanDialog(CancelAndHelpDialog):
    """Options: agreement_id."""

    def __init__(self, deps: DialogDeps) -> None:
        super().__init__("PlanDialog", deps)
        self.add_dialog(WaterfallDialog(STEPS, [self.ask_step, self.save_step]))
        self.add_dialog(ReplyPrompt(WHEN_PROMPT, meeting_validator))
        self.initial_dialog_id = STEPS

    async def ask_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        """Ask for the date and time (showing the current ones when moving the meeting)."""
        leader = current_leader_id(step.context)
        try:
            opened = await read(self.deps, leader, step.options["agreement_id"], just_opened)
            if opened.role is not Role.SUPERIOR:
                raise AccessDenied("only the superior plans the conversation")
        except AgreementError as exc:
            await step.context.send_activity(error_message(exc))
            return await step.end_dialog(False)
        meeting = opened.agreement.meeting_at
        current = local(self.deps, meeting) if meeting is not None else None
        day = today(self.deps)
        content = plan_card(opened.other.name, WHEN_KEY, current, day,
                            common.format_when(current) if current else None)
        return await step.prompt(
            WHEN_PROMPT,
            options(to_activity(content),
                    {"question": WHEN_KEY, "timezone": self.deps.settings.timezone, "today": day.isoformat()}),
        )

    async def save_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        """Save the meeting time and tell the subordinate, with a button to prepare."""
        when = datetime.fromisoformat(step.result["when"])
        # Stored in UTC: SQLite keeps the wall time of a timestamp but not its offset.
        stored = when.astimezone(timezone.utc)
        leader = current_leader_id(step.context)
        agreement_id = step.options["agreement_id"]

        async def plan(session: AsyncSession, opened: AgreementAccess) -> AgreementAccess:
            await service.plan_meeting(session, opened, stored)
            return opened

        try:
            opened = await change(self.deps, leader, agreement_id, plan)
        except AgreementError as exc:
            await step.context.send_activity(error_message(exc))
            return await step.end_dialog(False)
        said = common.format_when(when)
        other = opened.other
        prepare = [submit(texts.NOTIFY_BUTTON, actions.submit_data(actions.PREPARE, agreement_id))]
        await step.context.send_activity(
            to_activity(message_card(texts.DONE.format(name=other.name, when=said), prepare))
        )
        message = texts.NOTIFY.format(name=opened.viewer.name, when=said)
        await notify(self.deps, step.context, other.id, other.name,
                     to_activity(message_card(message, prepare), summary=message))
        return await step.end_dialog(True)
