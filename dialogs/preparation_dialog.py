"""Preparation for the conversation: each leader alone, every answered section in order.

The first time the questions are walked one by one; once begun, the preparation opens in its
overview, where any question can be changed and «Fortsett der du slapp» goes on.
"""

from __future__ import annotations

from botbuilder.core import MessageFactory
from botbuilder.dialogs import DialogTurnResult, WaterfallDialog, WaterfallStepContext
from sqlalchemy.ext.asyncio import AsyncSession

from agreement.opening import AgreementAccess
from agreement import access_log
from agreement.progress import own_preparation_done, progress_of
from agreement.steps import mark_prepared
from bot import actions
from bot.cards import submit, to_activity
from dialogs.cards.message import message_card
from dialogs.flow import DialogDeps, FlowDialog
from dialogs.overview_dialog import OverviewDialog
from dialogs.reading_dialog import send_all_reading
from dialogs.reply import ReplyPrompt, check_option
from dialogs.texts import preparation as texts
from storage.models import Phase

STEPS = "preparation.steps"
OFFER_PROMPT = "preparation.offer"
OVERVIEW = "preparation.overview"
OFFER_KEY = "preparation.reading"


class PreparationDialog(FlowDialog):
    """Options: agreement_id."""

    def __init__(self, deps: DialogDeps) -> None:
        super().__init__("PreparationDialog", deps)
        self.add_dialog(WaterfallDialog(STEPS, [self.intro_step, self.reading_step, self.finish_step]))
        self.add_dialog(ReplyPrompt(OFFER_PROMPT, check_option))
        self.add_dialog(OverviewDialog(OVERVIEW, deps, Phase.PREPARATION, context_phase=Phase.PREPARATION))
        self.initial_dialog_id = STEPS

    async def intro_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        """Begun before: the overview. Else say what this is and that it stays private, and offer the reading."""

        async def begun(session: AsyncSession, opened: AgreementAccess) -> tuple[AgreementAccess, bool]:
            return opened, (await progress_of(session, opened, Phase.PREPARATION, purpose=access_log.CHECK)).started

        opened, started = await self.read(step, begun)
        if started:
            return await step.next({"option": "overview"})
        await step.context.send_activity(
            MessageFactory.text(f"{texts.INTRO.format(name=opened.other.name)}\n\n{texts.PRIVATE}")
        )
        return await self.ask_option(
            step, OFFER_PROMPT, OFFER_KEY, texts.OFFER_READING,
            [("read", texts.READ_FIRST, texts.READ_WORDS), ("go", texts.GO_TO_QUESTIONS, texts.GO_WORDS)],
            texts.OFFER_HINT,
        )

    async def reading_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        """Show the reading sections if asked, then go through the questions (or to the overview)."""
        option = step.result["option"]
        agreement_id = step.options["agreement_id"]
        if option == "overview":
            return await step.begin_dialog(OVERVIEW, {"agreement_id": agreement_id})
        if option == "read":
            opened = await self.open(step)
            await send_all_reading(step.context, opened.template)
        return await step.begin_dialog(OVERVIEW, {"agreement_id": agreement_id, "walk_from": 0})

    async def finish_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        """Mark the preparation done; when both are done, both are told they can see each other's."""
        if step.result is not True:
            if isinstance(step.result, dict):
                return await step.end_dialog(step.result)
            await step.context.send_activity(texts.NOT_FINISHED)
            return await step.end_dialog(False)
        if own_preparation_done(await self.open(step)):
            # Marked done before: nobody is told again.
            await step.context.send_activity(texts.DONE)
            return await step.end_dialog(True)
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
