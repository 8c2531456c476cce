"""Changing one's answer on sharing Ledelsesutvikling after signing: withdraw it (or say yes after all)."""

from __future__ import annotations

from botbuilder.dialogs import DialogTurnResult, WaterfallDialog, WaterfallStepContext
from sqlalchemy.ext.asyncio import AsyncSession

from agreement.access import Role
from agreement.opening import AgreementAccess
from agreement.signatures import signature_of
from agreement.steps import set_share_development
from bot import actions
from bot.cards import heading, submit, text, to_activity
from dialogs.cards.message import message_card
from dialogs.flow import DialogDeps, FlowDialog
from dialogs.reply import ReplyPrompt, check_option
from dialogs.texts import review as texts

STEPS = "sharing.steps"
CHOICE_PROMPT = "sharing.choice"
CHOICE_KEY = "sharing.choice"


class SharingDialog(FlowDialog):
    """Options: agreement_id. A leader who has signed changes their answer; both are told, the history keeps it."""

    def __init__(self, deps: DialogDeps) -> None:
        super().__init__("SharingDialog", deps)
        self.add_dialog(WaterfallDialog(STEPS, [self.ask_step, self.change_step]))
        self.add_dialog(ReplyPrompt(CHOICE_PROMPT, check_option))
        self.initial_dialog_id = STEPS

    async def ask_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        """Show both answers and offer the other answer (or to keep one's own)."""
        opened = await self.open(step)
        superior = opened.role is Role.SUPERIOR
        own = signature_of(opened.agreement, opened.role)
        if own is None:
            await step.context.send_activity(texts.SHARING_NOT_SIGNED)
            return await step.end_dialog(False)
        other = signature_of(opened.agreement, Role.SUBORDINATE if superior else Role.SUPERIOR)
        name = opened.other.name
        if other is None:
            other_line = texts.SHARING_OTHER_UNSIGNED.format(name=name)
        else:
            other_line = (texts.SHARING_OTHER_YES if other.shares_development
                          else texts.SHARING_OTHER_NO).format(name=name)
        shared = own.shares_development and other is not None and other.shares_development
        if own.shares_development:
            own_line, change, title, words, hint = (texts.SHARING_OWN_YES, "withdraw", texts.WITHDRAW,
                                                    texts.WITHDRAW_WORDS, texts.WITHDRAW_HINT)
        else:
            own_line, change, title, words, hint = (texts.SHARING_OWN_NO, "consent", texts.CONSENT,
                                                    texts.CONSENT_WORDS, texts.CONSENT_HINT)
        step.values["share"] = change == "consent"
        return await self.ask_option(
            step, CHOICE_PROMPT, CHOICE_KEY, texts.SHARE_QUESTION,
            [(change, title, words), ("keep", texts.KEEP_ANSWER, texts.KEEP_ANSWER_WORDS)], hint,
            body_before=[heading(texts.SHARE_TITLE, size="Medium"), text(own_line), text(other_line),
                         text(texts.SHARED if shared else texts.NOT_SHARED, subtle=True)],
            summary=texts.SHARE_TITLE,
        )

    async def change_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        """Change the answer; the leader and the other leader are told what it means now."""
        if step.result["option"] == "keep":
            await step.context.send_activity(texts.KEPT)
            return await step.end_dialog(False)
        share = step.values["share"]

        async def act(session: AsyncSession, opened: AgreementAccess) -> bool:
            return await set_share_development(session, opened, share)

        shared, opened = await self.change(step, act)
        name, other = opened.viewer.name, opened.other
        if not share:
            told, notice = texts.WITHDRAWN, texts.NOTIFY_WITHDRAWN
        elif shared:
            told, notice = texts.CONSENTED_SHARED, texts.NOTIFY_CONSENTED_SHARED
        else:
            told, notice = texts.CONSENTED_WAITING, texts.NOTIFY_CONSENTED_WAITING
        await step.context.send_activity(told.format(name=other.name))
        message = notice.format(name=name)
        button = submit(texts.SHARING_BUTTON, actions.submit_data(actions.SHARING, opened.agreement.id))
        await self.notify(step, other, to_activity(message_card(message, [button]), summary=message))
        return await step.end_dialog(True)
