"""Planning the conversation (superior): date and time; both leaders are told."""

from __future__ import annotations

from datetime import datetime, timezone

from botbuilder.dialogs import DialogTurnResult, WaterfallDialog, WaterfallStepContext

from agreement.access import Role
from agreement.steps import plan_meeting
from bot import actions
from bot.cards import submit, to_activity
from dialogs.cards.message import message_card
from dialogs.cards.plan import plan_card
from dialogs.flow import DialogDeps, FlowDialog
from dialogs.reply import ReplyPrompt, check_meeting, options
from dialogs.texts import common
from dialogs.texts import plan as texts

STEPS = "plan.steps"
WHEN_PROMPT = "plan.when"
WHEN_KEY = "plan.when"


class PlanDialog(FlowDialog):
    """Options: agreement_id."""

    def __init__(self, deps: DialogDeps) -> None:
        super().__init__("PlanDialog", deps)
        self.add_dialog(WaterfallDialog(STEPS, [self.ask_step, self.save_step]))
        self.add_dialog(ReplyPrompt(WHEN_PROMPT, check_meeting))
        self.initial_dialog_id = STEPS

    async def ask_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        """Ask for the date and time (showing the current ones when moving the meeting)."""
        opened = await self.open(step, require=Role.SUPERIOR)
        meeting = opened.agreement.meeting_at
        current = self.deps.local(meeting) if meeting is not None else None
        day = self.deps.today()
        content = plan_card(opened.other.name, WHEN_KEY, current, day,
                            common.format_when(current) if current else None)
        return await step.prompt(
            WHEN_PROMPT,
            options(to_activity(content),
                    {"agreement_id": step.options["agreement_id"], "question": WHEN_KEY, "timezone": self.deps.settings.timezone, "today": day.isoformat()}),
        )

    async def save_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        """Save the meeting time and tell the subordinate, with a button to prepare."""
        when = datetime.fromisoformat(step.result["when"])
        # Stored in UTC: SQLite keeps the wall time of a timestamp but not its offset.
        stored = when.astimezone(timezone.utc)
        _, opened = await self.change(step, lambda session, opened: plan_meeting(session, opened, stored))
        said = common.format_when(when)
        other = opened.other
        prepare = [submit(texts.NOTIFY_BUTTON, actions.submit_data(actions.PREPARE, opened.agreement.id))]
        await step.context.send_activity(
            to_activity(message_card(texts.DONE.format(name=other.name, when=said), prepare))
        )
        message = texts.NOTIFY.format(name=opened.viewer.name, when=said)
        await self.notify(step, other, to_activity(message_card(message, prepare), summary=message))
        return await step.end_dialog(True)
