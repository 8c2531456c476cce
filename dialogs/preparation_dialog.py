"""Preparation for the conversation: each leader alone, every answered section in order."""

from __future__ import annotations

from botbuilder.core import MessageFactory
from botbuilder.dialogs import DialogTurnResult, WaterfallDialog, WaterfallStepContext

from agreement.steps import mark_prepared
from bot import actions
from bot.cards import submit, to_activity
from dialogs.cards.message import message_card
from dialogs.cards.options import options_card
from dialogs.flow import DialogDeps, FlowDialog
from dialogs.questions import question_keys
from dialogs.questions_dialog import QuestionsDialog
from dialogs.reading_dialog import send_all_reading
from dialogs.reply import ReplyPrompt, check_option, options
from dialogs.texts import preparation as texts
from storage.models import Phase

STEPS = "preparation.steps"
OFFER_PROMPT = "preparation.offer"
QUESTIONS = "preparation.questions"
OFFER_KEY = "preparation.reading"


class PreparationDialog(FlowDialog):
    """Options: agreement_id."""

    def __init__(self, deps: DialogDeps) -> None:
        super().__init__("PreparationDialog", deps)
        self.add_dialog(WaterfallDialog(STEPS, [self.intro_step, self.reading_step, self.finish_step]))
        self.add_dialog(ReplyPrompt(OFFER_PROMPT, check_option))
        self.add_dialog(QuestionsDialog(QUESTIONS, deps, Phase.PREPARATION, context_phase=Phase.PREPARATION))
        self.initial_dialog_id = STEPS

    async def intro_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        """Say what this is and that it stays private, and offer the reading sections."""
        opened = await self.open(step)
        step.values["keys"] = question_keys(opened.template, Phase.PREPARATION)
        await step.context.send_activity(
            MessageFactory.text(f"{texts.INTRO.format(name=opened.other.name)}\n\n{texts.PRIVATE}")
        )
        content = options_card(
            texts.OFFER_READING, OFFER_KEY, [("read", texts.READ_FIRST), ("go", texts.GO_TO_QUESTIONS)]
        )
        return await step.prompt(
            OFFER_PROMPT,
            options(
                to_activity(content),
                {"agreement_id": step.options["agreement_id"], "question": OFFER_KEY, "options": {"read": list(texts.READ_WORDS), "go": list(texts.GO_WORDS)},
                 "hint": texts.OFFER_HINT},
            ),
        )

    async def reading_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        """Show the reading sections if asked, then go through the questions."""
        if step.result["option"] == "read":
            opened = await self.open(step)
            await send_all_reading(step.context, opened.template)
        return await step.begin_dialog(
            QUESTIONS, {"agreement_id": step.options["agreement_id"], "keys": step.values["keys"], "index": 0}
        )

    async def finish_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        """Mark the preparation done; when both are done, both are told they can see each other's."""
        if step.result is not True:
            if isinstance(step.result, dict):
                return await step.end_dialog(step.result)
            await step.context.send_activity(texts.NOT_FINISHED)
            return await step.end_dialog(False)
        prepared, opened = await self.change(step, mark_prepared)
        await step.context.send_activity(texts.DONE)
        if not prepared.both:
            await step.context.send_activity(texts.WAITING_FOR_OTHER.format(name=opened.other.name))
            return await step.end_dialog(True)
        view = [submit(texts.VIEW_BUTTON, actions.submit_data(actions.VIEW_PREPARATION, opened.agreement.id))]
        await step.context.send_activity(to_activity(message_card(texts.BOTH_DONE, view)))
        if prepared.both_now:
            # The other leader is told once, when the second preparation is marked done.
            message = texts.NOTIFY_BOTH_DONE.format(name=opened.viewer.name)
            await self.notify(step, opened.other, to_activity(message_card(message, view), summary=message))
        return await step.end_dialog(True)
