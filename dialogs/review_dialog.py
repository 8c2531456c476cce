"""Review and signing: the subordinate signs or sends comments back; both sign with "Sted og dato"."""

from __future__ import annotations

from botbuilder.dialogs import DialogTurnResult, WaterfallDialog, WaterfallStepContext
from sqlalchemy.ext.asyncio import AsyncSession

from agreement import service
from agreement.access import Role
from agreement.errors import AgreementError, ConcurrentChange
from agreement.service import AgreementAccess
from bot import actions
from dialogs.agreement_view import gather
from dialogs.base_dialog import CancelAndHelpDialog
from dialogs.cards.agreement import agreement_card
from bot.cards import submit, to_activity
from dialogs.cards.message import message_card
from dialogs.cards.options import free_text_card
from dialogs.context import current_leader_id
from dialogs.deps import DialogDeps
from dialogs.prompts import CHOOSE, ReplyPrompt, options, reply_data
from dialogs.texts import common
from dialogs.texts import review as texts
from dialogs.validators import answer_validator, option_validator
from dialogs.work import change, error_message, local, notify, read

STEPS = "review.steps"
CHOICE_PROMPT = "review.choice"
TEXT_PROMPT = "review.text"
CHOICE_KEY = "review.choice"
PLACE_KEY = "review.place"
COMMENT_KEY = "review.comment"
PLACE_MAX_LENGTH = 200


class ReviewDialog(CancelAndHelpDialog):
    """Options: agreement_id. Used for both 'review' (subordinate) and 'sign' (either leader)."""

    def __init__(self, deps: DialogDeps) -> None:
        super().__init__("ReviewDialog", deps)
        self.add_dialog(WaterfallDialog(STEPS, [self.show_step, self.choose_step, self.act_step]))
        self.add_dialog(ReplyPrompt(CHOICE_PROMPT, option_validator))
        self.add_dialog(ReplyPrompt(TEXT_PROMPT, answer_validator))
        self.initial_dialog_id = STEPS

    async def show_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        """Show the filled agreement with the buttons for this leader."""
        leader = current_leader_id(step.context)

        async def load(session: AsyncSession, opened: AgreementAccess):
            return opened, await gather(session, opened)

        try:
            opened, view = await read(self.deps, leader, step.options["agreement_id"], load)
        except AgreementError as exc:
            await step.context.send_activity(error_message(exc))
            return await step.end_dialog(False)
        subordinate = opened.role is Role.SUBORDINATE
        step.values["other"] = opened.other.name
        if subordinate:
            question = texts.CHOOSE_SUBORDINATE.format(name=opened.other.name)
            choices = {"sign": (texts.SIGN, texts.SIGN_WORDS), "comment": (texts.COMMENT, texts.COMMENT_WORDS)}
            hint = texts.HINT_SUBORDINATE
        else:
            question = texts.CHOOSE_SUPERIOR
            choices = {"sign": (texts.SIGN, texts.SIGN_WORDS), "later": (texts.LATER, texts.LATER_WORDS)}
            hint = texts.HINT_SUPERIOR
        content = agreement_card(
            view, lambda moment: local(self.deps, moment),
            [submit(title, reply_data(CHOOSE, CHOICE_KEY, option=option)) for option, (title, _) in choices.items()],
            question=question,
        )
        return await step.prompt(
            CHOICE_PROMPT,
            options(to_activity(content, summary=question),
                    {"question": CHOICE_KEY, "options": {k: list(words) for k, (_, words) in choices.items()},
                     "hint": hint}),
        )

    async def choose_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        """Ask for "Sted og dato" to sign, or for the comments."""
        option = step.result["option"]
        step.values["option"] = option
        if option == "later":
            await step.context.send_activity(texts.LATER_DONE)
            return await step.end_dialog(False)
        if option == "sign":
            leader = current_leader_id(step.context)
            template = await read(self.deps, leader, step.options["agreement_id"], _template_of)
            content = free_text_card(template.signing.place_and_date, PLACE_KEY, hint=texts.PLACE_HINT, multiline=False)
            return await step.prompt(
                TEXT_PROMPT,
                options(to_activity(content), {"question": PLACE_KEY, "max_length": PLACE_MAX_LENGTH}),
            )
        content = free_text_card(texts.ASK_COMMENT.format(name=step.values["other"]), COMMENT_KEY)
        return await step.prompt(
            TEXT_PROMPT,
            options(to_activity(content),
                    {"question": COMMENT_KEY, "max_length": self.deps.settings.max_answer_length}),
        )

    async def act_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        """Sign (when both have, both get the summary) or send the comments back to the superior."""
        leader = current_leader_id(step.context)
        agreement_id = step.options["agreement_id"]
        answer = step.result["text"]
        signing = step.values["option"] == "sign"

        async def act(session: AsyncSession, opened: AgreementAccess):
            if signing:
                return await service.sign(session, opened, answer), opened
            await service.send_comments(session, opened, answer, max_length=self.deps.settings.max_answer_length)
            return False, opened

        try:
            both, opened = await change(self.deps, leader, agreement_id, act)
        except ConcurrentChange:
            # Nothing was saved: give the leader back what they wrote.
            await step.context.send_activity(common.CONCURRENT_UNSAVED.format(text=answer))
            return await step.end_dialog(False)
        except AgreementError as exc:
            await step.context.send_activity(error_message(exc))
            return await step.end_dialog(False)
        other = opened.other
        own = opened.viewer.name
        if not signing:
            await step.context.send_activity(texts.COMMENT_SENT.format(name=other.name))
            message = texts.NOTIFY_COMMENT.format(name=own)
            await notify(
                self.deps, step.context, other.id, other.name,
                to_activity(
                    message_card(message, [submit(texts.NOTIFY_COMMENT_BUTTON,
                                                  actions.submit_data(actions.FILL, agreement_id))], quoted=answer),
                    summary=message,
                ),
            )
            return await step.end_dialog(True)
        if both:
            await step.context.send_activity(await summary_activity(self.deps, leader, agreement_id))
            await notify(self.deps, step.context, other.id, other.name,
                         await summary_activity(self.deps, other.id, agreement_id))
            return await step.end_dialog(True)
        await step.context.send_activity(texts.SIGNED_WAITING.format(name=other.name))
        message = texts.NOTIFY_SIGNED.format(name=own)
        button_action = actions.SIGN if opened.role is Role.SUBORDINATE else actions.REVIEW
        await notify(
            self.deps, step.context, other.id, other.name,
            to_activity(message_card(message, [submit(texts.NOTIFY_SIGNED_BUTTON,
                                                      actions.submit_data(button_action, agreement_id))]),
                        summary=message),
        )
        return await step.end_dialog(True)


async def _template_of(session: AsyncSession, opened: AgreementAccess):
    return opened.template


async def summary_activity(deps: DialogDeps, recipient_id: int, agreement_id: int):
    """The signed agreement as its recipient may see it."""
    view = await read(deps, recipient_id, agreement_id, gather)
    content = agreement_card(view, lambda moment: local(deps, moment), lead=texts.BOTH_SIGNED)
    return to_activity(content, summary=texts.BOTH_SIGNED)
