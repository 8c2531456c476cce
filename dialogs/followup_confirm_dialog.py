"""Each leader confirms the recorded follow-up; when both have, the year is complete."""

from __future__ import annotations

from botbuilder.core import MessageFactory
from botbuilder.dialogs import DialogTurnResult, WaterfallDialog, WaterfallStepContext

from agreement.steps import confirm_followup
from bot.cards import submit, to_activity
from dialogs.agreement_view import gather
from dialogs.cards.agreement import followup_card
from dialogs.flow import DialogDeps, FlowDialog
from dialogs.reply import CHOOSE, ReplyPrompt, check_option, options, reply_data
from dialogs.texts import followup as texts
from storage.models import Phase

STEPS = "followup_confirm.steps"
CONFIRM_PROMPT = "followup_confirm.confirm"
CONFIRM_KEY = "followup_confirm.confirm"


class FollowupConfirmDialog(FlowDialog):
    """Options: agreement_id."""

    def __init__(self, deps: DialogDeps) -> None:
        super().__init__("FollowupConfirmDialog", deps)
        self.add_dialog(WaterfallDialog(STEPS, [self.show_step, self.confirm_step]))
        self.add_dialog(ReplyPrompt(CONFIRM_PROMPT, check_option))
        self.initial_dialog_id = STEPS

    async def show_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        """Show the recorded follow-up and ask for confirmation."""
        view = await self.read(step, lambda session, opened: gather(session, opened, Phase.FOLLOWUP))
        content = followup_card(
            view,
            [submit(texts.CONFIRM_BUTTON, reply_data(CHOOSE, CONFIRM_KEY, option="confirm"), style="positive"),
             submit(texts.LATER, reply_data(CHOOSE, CONFIRM_KEY, option="later"))],
            question=texts.CONFIRM_ASK,
        )
        return await step.prompt(
            CONFIRM_PROMPT,
            options(to_activity(content, summary=texts.CONFIRM_ASK),
                    {"agreement_id": step.options["agreement_id"], "question": CONFIRM_KEY,
                     "options": {"confirm": list(texts.CONFIRM_WORDS), "later": list(texts.LATER_WORDS)},
                     "hint": texts.CONFIRM_HINT}),
        )

    async def confirm_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        """Confirm; when both have confirmed, both are told the year is complete."""
        if step.result["option"] == "later":
            await step.context.send_activity(texts.LATER_DONE)
            return await step.end_dialog(False)
        both, opened = await self.change(step, confirm_followup)
        other = opened.other
        if both:
            done = texts.BOTH_CONFIRMED.format(year=opened.agreement.year)
            await step.context.send_activity(done)
            message = f"{texts.NOTIFY_CONFIRMED.format(name=opened.viewer.name)} {done}"
            await self.notify(step, other, MessageFactory.text(message))
        else:
            await step.context.send_activity(texts.CONFIRMED_WAITING.format(name=other.name))
            await self.notify(step, other, MessageFactory.text(texts.NOTIFY_CONFIRMED.format(name=opened.viewer.name)))
        return await step.end_dialog(True)
