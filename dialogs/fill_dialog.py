"""Filling in the agreement (superior, after the conversation), then sending it for review."""

from __future__ import annotations

from botbuilder.core import MessageFactory
from botbuilder.dialogs import DialogTurnResult, WaterfallDialog, WaterfallStepContext
from sqlalchemy.ext.asyncio import AsyncSession

from agreement.access import Role
from agreement.opening import AgreementAccess
from agreement.status import is_signed
from agreement.steps import mark_filled, missing_for_review, reopen
from bot import actions
from bot.cards import submit, to_activity
from bot.turn import turn_session
from dialogs.agreement_view import gather
from dialogs.cards.agreement import agreement_card
from dialogs.cards.options import options_card
from dialogs.flow import DialogDeps, FlowDialog, read
from dialogs.questions import question_keys
from dialogs.questions_dialog import QuestionsDialog
from dialogs.reply import ReplyPrompt, check_option, options
from dialogs.texts import fill as texts
from storage.models import Phase

STEPS = "fill.steps"
REOPEN_PROMPT = "fill.reopen"
REOPEN_KEY = "fill.reopen"
QUESTIONS = "fill.questions"


class FillDialog(FlowDialog):
    """Options: agreement_id."""

    def __init__(self, deps: DialogDeps) -> None:
        super().__init__("FillDialog", deps)
        self.add_dialog(WaterfallDialog(STEPS, [self.check_step, self.reopen_step, self.send_step]))
        self.add_dialog(ReplyPrompt(REOPEN_PROMPT, check_option))
        self.add_dialog(QuestionsDialog(QUESTIONS, deps, Phase.AGREEMENT, context_phase=Phase.PREPARATION))
        self.initial_dialog_id = STEPS

    async def check_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        """A signed agreement is only changed after the superior confirms reopening it."""
        opened = await self.open(step, require=Role.SUPERIOR)
        step.values["keys"] = question_keys(opened.template, Phase.AGREEMENT)
        step.values["other"] = opened.other.name
        if not is_signed(opened.agreement):
            return await step.next({"option": "edit"})
        content = options_card(texts.SIGNED_CONFIRM, REOPEN_KEY, [("yes", texts.YES_EDIT), ("no", texts.NO_KEEP)])
        return await step.prompt(
            REOPEN_PROMPT,
            options(to_activity(content),
                    {"agreement_id": step.options["agreement_id"], "question": REOPEN_KEY, "options": {"yes": list(texts.YES_WORDS), "no": list(texts.NO_WORDS)},
                     "hint": texts.CONFIRM_HINT}),
        )

    async def reopen_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        """Reopen if confirmed, then go through the questions with the preparation as context."""
        option = step.result["option"]
        agreement_id = step.options["agreement_id"]
        if option == "no":
            await step.context.send_activity(texts.NOT_REOPENED)
            return await step.end_dialog(False)
        if option == "yes":
            await self.change(step, reopen)
            await step.context.send_activity(texts.REOPENED)
        await step.context.send_activity(texts.INTRO.format(name=step.values["other"]))
        return await step.begin_dialog(QUESTIONS, {"agreement_id": agreement_id, "keys": step.values["keys"], "index": 0})

    async def send_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        """Send the filled agreement to the subordinate, or list what is still missing."""
        if step.result is not True:
            await step.context.send_activity(texts.NOT_FINISHED)
            return await step.end_dialog(False)

        async def send(session: AsyncSession, opened: AgreementAccess) -> list[str]:
            missing = await missing_for_review(session, opened)
            if missing:
                return [opened.template.field(key).label for key in missing]
            await mark_filled(session, opened)
            return []

        missing, opened = await self.change(step, send)
        if missing:
            lines = "\n".join(f"- {label}" for label in missing)
            await step.context.send_activity(MessageFactory.text(f"{texts.MISSING}\n{lines}\n\n{texts.MISSING_HINT}"))
            return await step.end_dialog(False)
        other = opened.other
        await step.context.send_activity(texts.SENT.format(name=other.name))
        await self.notify(step, other, await review_activity(self.deps, turn_session(step.context), other.id, opened.agreement.id,
                                                            texts.NOTIFY_REVIEW.format(name=opened.viewer.name)))
        return await step.end_dialog(True)


async def review_activity(deps: DialogDeps, session: AsyncSession, recipient_id: int, agreement_id: int, message: str):
    """The filled agreement as its recipient may see it, with a button to review and sign."""
    view = await read(session, recipient_id, agreement_id, gather)
    content = agreement_card(
        view, deps.local,
        [submit(texts.NOTIFY_BUTTON, actions.submit_data(actions.REVIEW, agreement_id), style="positive")],
        lead=message,
    )
    return to_activity(content, summary=message)
