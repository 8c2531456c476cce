"""Preparation for the conversation: each leader alone, every answered section in order."""

from __future__ import annotations

import logging

from botbuilder.core import MessageFactory
from botbuilder.dialogs import DialogTurnResult, WaterfallDialog, WaterfallStepContext
from sqlalchemy.ext.asyncio import AsyncSession

from agreement import service
from agreement.errors import AgreementError
from agreement.service import AgreementAccess
from agreement.status import both_prepared
from bot import actions
from dialogs.base_dialog import CancelAndHelpDialog
from bot.cards import submit, to_activity
from dialogs.cards.message import message_card
from dialogs.cards.options import options_card
from dialogs.context import current_leader_id
from dialogs.deps import DialogDeps
from dialogs.prompts import ReplyPrompt, options
from dialogs.questions import question_keys
from dialogs.questions_dialog import QuestionsDialog
from dialogs.reading_dialog import send_all_reading
from dialogs.texts import preparation as texts
from dialogs.validators import option_validator
from dialogs.work import change, error_message, just_opened, notify, read
from storage.models import Phase

logger = logging.getLogger(__name__)

STEPS = "preparation.steps"
OFFER_PROMPT = "preparation.offer"
QUESTIONS = "preparation.questions"
OFFER_KEY = "preparation.reading"


class PreparationDialog(CancelAndHelpDialog):
    """Options: agreement_id."""

    def __init__(self, deps: DialogDeps) -> None:
        super().__init__("PreparationDialog", deps)
        self.add_dialog(WaterfallDialog(STEPS, [self.intro_step, self.reading_step, self.finish_step]))
        self.add_dialog(ReplyPrompt(OFFER_PROMPT, option_validator))
        self.add_dialog(QuestionsDialog(QUESTIONS, deps, Phase.PREPARATION, context_phase=Phase.PREPARATION))
        self.initial_dialog_id = STEPS

    async def intro_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        """Say what this is and that it stays private, and offer the reading sections."""
        leader = current_leader_id(step.context)
        try:
            opened = await read(self.deps, leader, step.options["agreement_id"], just_opened)
        except AgreementError as exc:
            await step.context.send_activity(error_message(exc))
            return await step.end_dialog(False)
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
                {"question": OFFER_KEY, "options": {"read": list(texts.READ_WORDS), "go": list(texts.GO_WORDS)},
                 "hint": texts.OFFER_HINT},
            ),
        )

    async def reading_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        """Show the reading sections if asked, then go through the questions."""
        if step.result["option"] == "read":
            leader = current_leader_id(step.context)
            opened = await read(self.deps, leader, step.options["agreement_id"], just_opened)
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
        leader = current_leader_id(step.context)

        async def mark(session: AsyncSession, opened: AgreementAccess) -> tuple[bool, bool, int, str, str]:
            agreement = opened.agreement
            was_both = both_prepared(agreement)
            await service.mark_prepared(session, opened)
            # The other leader is told once, when the second preparation is marked done.
            newly_both = both_prepared(agreement) and not was_both
            return both_prepared(agreement), newly_both, opened.other.id, opened.other.name, opened.viewer.name

        try:
            both, newly_both, other_id, other_name, own_name = await change(
                self.deps, leader, step.options["agreement_id"], mark
            )
        except AgreementError as exc:
            await step.context.send_activity(error_message(exc))
            return await step.end_dialog(False)
        await step.context.send_activity(texts.DONE)
        if both:
            agreement_id = step.options["agreement_id"]
            view = [submit(texts.VIEW_BUTTON, actions.submit_data(actions.VIEW_PREPARATION, agreement_id))]
            await step.context.send_activity(to_activity(message_card(texts.BOTH_DONE, view)))
            if newly_both:
                message = texts.NOTIFY_BOTH_DONE.format(name=own_name)
                await notify(self.deps, step.context, other_id, other_name,
                             to_activity(message_card(message, view), summary=message))
        else:
            await step.context.send_activity(texts.WAITING_FOR_OTHER.format(name=other_name))
        return await step.end_dialog(True)
