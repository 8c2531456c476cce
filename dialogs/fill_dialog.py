"""Filling in the agreement (superior, after the conversation), then sending it for review."""

from __future__ import annotations

from botbuilder.core import MessageFactory
from botbuilder.dialogs import DialogTurnResult, WaterfallDialog, WaterfallStepContext
from sqlalchemy.ext.asyncio import AsyncSession

from agreement import service
from agreement.access import Role
from agreement.errors import AccessDenied, AgreementError
from agreement.service import AgreementAccess
from agreement.status import is_signed
from bot import actions
from dialogs.agreement_view import gather
from dialogs.base_dialog import CancelAndHelpDialog
from dialogs.cards.agreement import agreement_card
from bot.cards import submit, to_activity
from dialogs.cards.options import options_card
from dialogs.context import current_leader_id
from dialogs.deps import DialogDeps
from dialogs.prompts import ReplyPrompt, options
from dialogs.questions import question_keys
from dialogs.questions_dialog import QuestionsDialog
from dialogs.texts import fill as texts
from dialogs.validators import option_validator
from dialogs.work import change, error_message, just_opened, local, notify, read
from storage.models import Phase

STEPS = "fill.steps"
REOPEN_PROMPT = "fill.reopen"
REOPEN_KEY = "fill.reopen"
QUESTIONS = "fill.questions"


class FillDialog(CancelAndHelpDialog):
    """Options: agreement_id."""

    def __init__(self, deps: DialogDeps) -> None:
        super().__init__("FillDialog", deps)
        self.add_dialog(WaterfallDialog(STEPS, [self.check_step, self.reopen_step, self.send_step]))
        self.add_dialog(ReplyPrompt(REOPEN_PROMPT, option_validator))
        self.add_dialog(QuestionsDialog(QUESTIONS, deps, Phase.AGREEMENT, context_phase=Phase.PREPARATION))
        self.initial_dialog_id = STEPS

    async def check_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        """A signed agreement is only changed after the superior confirms reopening it."""
        leader = current_leader_id(step.context)
        try:
            opened = await read(self.deps, leader, step.options["agreement_id"], just_opened)
            if opened.role is not Role.SUPERIOR:
                raise AccessDenied("only the superior fills in the agreement")
        except AgreementError as exc:
            await step.context.send_activity(error_message(exc))
            return await step.end_dialog(False)
        step.values["keys"] = question_keys(opened.template, Phase.AGREEMENT)
        step.values["other"] = opened.other.name
        if not is_signed(opened.agreement):
            return await step.next({"option": "edit"})
        content = options_card(texts.SIGNED_CONFIRM, REOPEN_KEY, [("yes", texts.YES_EDIT), ("no", texts.NO_KEEP)])
        return await step.prompt(
            REOPEN_PROMPT,
            options(to_activity(content),
                    {"question": REOPEN_KEY, "options": {"yes": list(texts.YES_WORDS), "no": list(texts.NO_WORDS)},
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
            try:
                await change(self.deps, current_leader_id(step.context), agreement_id, service.reopen)
            except AgreementError as exc:
                await step.context.send_activity(error_message(exc))
                return await step.end_dialog(False)
            await step.context.send_activity(texts.REOPENED)
        await step.context.send_activity(texts.INTRO.format(name=step.values["other"]))
        return await step.begin_dialog(QUESTIONS, {"agreement_id": agreement_id, "keys": step.values["keys"], "index": 0})

    async def send_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        """Send the filled agreement to the subordinate, or list what is still missing."""
        if step.result is not True:
            await step.context.send_activity(texts.NOT_FINISHED)
            return await step.end_dialog(False)
        leader = current_leader_id(step.context)
        agreement_id = step.options["agreement_id"]

        async def send(session: AsyncSession, opened: AgreementAccess):
            missing = await service.missing_for_review(session, opened)
            if missing:
                return [opened.template.field(key).label for key in missing], opened
            await service.mark_filled(session, opened)
            return [], opened

        try:
            missing, opened = await change(self.deps, leader, agreement_id, send)
        except AgreementError as exc:
            await step.context.send_activity(error_message(exc))
            return await step.end_dialog(False)
        if missing:
            lines = "\n".join(f"- {label}" for label in missing)
            await step.context.send_activity(MessageFactory.text(f"{texts.MISSING}\n{lines}\n\n{texts.MISSING_HINT}"))
            return await step.end_dialog(False)
        other = opened.other
        await step.context.send_activity(texts.SENT.format(name=other.name))
        await notify(self.deps, step.context, other.id, other.name,
                     await review_activity(self.deps, other.id, agreement_id,
                                           texts.NOTIFY_REVIEW.format(name=opened.viewer.name)))
        return await step.end_dialog(True)


async def review_activity(deps: DialogDeps, recipient_id: int, agreement_id: int, message: str):
    """The filled agreement as its recipient may see it, with a button to review and sign."""
    view = await read(deps, recipient_id, agreement_id, gather)
    content = agreement_card(
        view, lambda moment: local(deps, moment),
        [submit(texts.NOTIFY_BUTTON, actions.submit_data(actions.REVIEW, agreement_id), style="positive")],
        lead=message,
    )
    return to_activity(content, summary=message)
