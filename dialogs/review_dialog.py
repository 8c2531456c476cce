"""Review: the subordinate signs or sends comments back; the superior signs or waits. Signing is its own flow."""

from __future__ import annotations

from botbuilder.dialogs import DialogTurnResult, WaterfallDialog, WaterfallStepContext
from sqlalchemy.ext.asyncio import AsyncSession

from agreement.access import Role
from agreement.opening import AgreementAccess
from agreement.steps import send_comments
from bot import actions
from bot.cards import submit, to_activity
from dialogs.agreement_view import AgreementView, gather
from dialogs.cards.agreement import agreement_card
from dialogs.cards.message import message_card
from dialogs.cards.options import free_text_card
from dialogs.flow import DialogDeps, FlowDialog
from dialogs.reply import CHOOSE, ReplyPrompt, check_answer, check_option, options, reply_data
from dialogs.signing_dialog import SigningDialog
from dialogs.texts import review as texts

STEPS = "review.steps"
CHOICE_PROMPT = "review.choice"
TEXT_PROMPT = "review.text"
CHOICE_KEY = "review.choice"
COMMENT_KEY = "review.comment"


class ReviewDialog(FlowDialog):
    """Options: agreement_id. Used for both 'review' (subordinate) and 'sign' (either leader)."""

    def __init__(self, deps: DialogDeps) -> None:
        super().__init__("ReviewDialog", deps)
        self.add_dialog(WaterfallDialog(STEPS, [self.show_step, self.choose_step, self.act_step]))
        self.add_dialog(ReplyPrompt(CHOICE_PROMPT, check_option))
        self.add_dialog(ReplyPrompt(TEXT_PROMPT, check_answer))
        self.signing = SigningDialog(deps)
        self.add_dialog(self.signing)
        self.initial_dialog_id = STEPS

    async def show_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        """Show the filled agreement with the buttons for this leader."""

        async def load(session: AsyncSession, opened: AgreementAccess) -> tuple[AgreementAccess, AgreementView]:
            return opened, await gather(session, opened)

        opened, view = await self.read(step, load)
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
            view, self.deps.local,
            [submit(title, reply_data(CHOOSE, CHOICE_KEY, option=option)) for option, (title, _) in choices.items()],
            question=question,
        )
        return await step.prompt(
            CHOICE_PROMPT,
            options(to_activity(content, summary=question),
                    {"agreement_id": step.options["agreement_id"], "question": CHOICE_KEY, "options": {k: list(words) for k, (_, words) in choices.items()},
                     "hint": hint}),
        )

    async def choose_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        """Go on to signing, or ask for the comments."""
        option = step.result["option"]
        step.values["option"] = option
        if option == "later":
            await step.context.send_activity(texts.LATER_DONE)
            return await step.end_dialog(False)
        if option == "sign":
            return await step.begin_dialog(self.signing.id, {"agreement_id": step.options["agreement_id"]})
        content = free_text_card(texts.ASK_COMMENT.format(name=step.values["other"]), COMMENT_KEY,
                                 max_length=self.deps.settings.max_answer_length)
        return await step.prompt(
            TEXT_PROMPT,
            options(to_activity(content),
                    {"agreement_id": step.options["agreement_id"], "question": COMMENT_KEY, "max_length": self.deps.settings.max_answer_length}),
        )

    async def act_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        """Send the comments back to the superior; after signing, end with the signing's result."""
        if step.values["option"] == "sign":
            return await step.end_dialog(step.result)
        answer = step.result["text"]
        max_length = self.deps.settings.max_answer_length

        async def act(session: AsyncSession, opened: AgreementAccess) -> None:
            await send_comments(session, opened, answer, max_length=max_length)

        _, opened = await self.change(step, act)
        other = opened.other
        await step.context.send_activity(texts.COMMENT_SENT.format(name=other.name))
        message = texts.NOTIFY_COMMENT.format(name=opened.viewer.name)
        await self.notify(
            step, other,
            to_activity(
                message_card(message, [submit(texts.NOTIFY_COMMENT_BUTTON,
                                              actions.submit_data(actions.FILL, opened.agreement.id))], quoted=answer),
                summary=message,
            ),
        )
        return await step.end_dialog(True)
