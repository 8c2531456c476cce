"""Each leader confirms the recorded follow-up in one step; the subordinate may comment on it first.

When both have confirmed, the year is complete.
"""

from __future__ import annotations

from botbuilder.core import MessageFactory
from botbuilder.dialogs import DialogTurnResult, WaterfallDialog, WaterfallStepContext
from botbuilder.schema import Activity
from sqlalchemy.ext.asyncio import AsyncSession

from agreement.access import Role
from agreement.answers import FOLLOWUP_COMMENT_KEY, read_answers
from agreement.opening import AgreementAccess
from agreement.steps import comment_followup, confirm_followup
from bot import actions
from bot.cards import Element, submit, to_activity
from bot.turn import turn_session
from dialogs.agreement_view import AgreementView, gather
from dialogs.cards.agreement import followup_card
from dialogs.cards.followup import comment_block
from dialogs.cards.options import free_text_card
from dialogs.flow import DialogDeps, FlowDialog, read
from dialogs.reply import CHOOSE, ReplyPrompt, check_answer, check_option, options, reply_data
from dialogs.texts import common
from dialogs.texts import followup as texts
from storage.models import Answer, Phase

STEPS = "followup_confirm.steps"
CHOICE_PROMPT = "followup_confirm.confirm"
TEXT_PROMPT = "followup_confirm.text"
CHOICE_KEY = "followup_confirm.confirm"
COMMENT_KEY = "followup_confirm.comment"


async def followup_comment(session: AsyncSession, opened: AgreementAccess) -> Answer | None:
    """The subordinate's comment on the recorded follow-up, if there is one."""
    for answer in await read_answers(session, opened, phase=Phase.FOLLOWUP, keys=[FOLLOWUP_COMMENT_KEY]):
        if answer.author_id == opened.agreement.subordinate_id:
            return answer
    return None


def comment_title(deps: DialogDeps, opened: AgreementAccess, comment: Answer) -> str:
    """Who commented, and when: «Kommentar fra Megan Bowen, 12. september 2026:»."""
    when = common.format_date(deps.local(comment.updated_at))
    return texts.COMMENT_TITLE.format(name=opened.agreement.subordinate.name, date=when)


def comment_elements(deps: DialogDeps, opened: AgreementAccess, comment: Answer | None) -> list[Element]:
    """The subordinate's comment as it stands under the record (nothing when there is none)."""
    if comment is None:
        return []
    return [comment_block(comment_title(deps, opened, comment), comment.text)]


async def _recorded(
    session: AsyncSession, opened: AgreementAccess
) -> tuple[AgreementAccess, AgreementView, Answer | None]:
    return opened, await gather(session, opened, Phase.FOLLOWUP), await followup_comment(session, opened)


async def commented_activity(deps: DialogDeps, session: AsyncSession, superior_id: int, agreement_id: int,
                             message: str) -> Activity:
    """The record with the subordinate's comment under it, as the superior sees it, with a button to change it."""
    opened, view, comment = await read(session, superior_id, agreement_id, _recorded)
    button = submit(texts.NOTIFY_COMMENTED_BUTTON, actions.submit_data(actions.FOLLOWUP_RECORD, agreement_id))
    content = followup_card(view, [button], lead=message, after=comment_elements(deps, opened, comment))
    return to_activity(content, summary=message)


class FollowupConfirmDialog(FlowDialog):
    """Options: agreement_id; lead (said above the record, e.g. right after recording it)."""

    def __init__(self, deps: DialogDeps) -> None:
        super().__init__("FollowupConfirmDialog", deps)
        self.add_dialog(WaterfallDialog(STEPS, [self.show_step, self.choose_step, self.comment_step]))
        self.add_dialog(ReplyPrompt(CHOICE_PROMPT, check_option))
        self.add_dialog(ReplyPrompt(TEXT_PROMPT, check_answer))
        self.initial_dialog_id = STEPS

    async def show_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        """Show the record once, with its comment, and the buttons: confirming is this one step."""
        opened, view, comment = await self.read(step, _recorded)
        step.values["other"] = opened.other.name
        choices = {"confirm": (texts.CONFIRM_BUTTON, texts.CONFIRM_WORDS)}
        if opened.role is Role.SUBORDINATE:
            choices["comment"] = (texts.COMMENT_BUTTON, texts.COMMENT_WORDS)
            question, hint = texts.CONFIRM_ASK_SUBORDINATE, texts.CONFIRM_HINT_SUBORDINATE
        else:
            question, hint = texts.CONFIRM_ASK, texts.CONFIRM_HINT
        choices["later"] = (texts.LATER, texts.LATER_WORDS)
        buttons = [
            submit(title, reply_data(CHOOSE, CHOICE_KEY, option=option),
                   style="positive" if option == "confirm" else None)
            for option, (title, _) in choices.items()
        ]
        content = followup_card(view, buttons, lead=step.options.get("lead"), question=question,
                                after=comment_elements(self.deps, opened, comment))
        return await step.prompt(
            CHOICE_PROMPT,
            options(to_activity(content, summary=question),
                    {"agreement_id": step.options["agreement_id"], "question": CHOICE_KEY,
                     "options": {option: list(words) for option, (_, words) in choices.items()}, "hint": hint}),
        )

    async def choose_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        """Confirm at once (when both have, both are told the year is complete), or ask for the comment."""
        option = step.result["option"]
        if option == "later":
            await step.context.send_activity(texts.LATER_DONE)
            return await step.end_dialog(False)
        if option == "comment":
            max_length = self.deps.settings.max_answer_length
            content = free_text_card(texts.ASK_COMMENT.format(name=step.values["other"]), COMMENT_KEY,
                                     max_length=max_length)
            return await step.prompt(
                TEXT_PROMPT,
                options(to_activity(content),
                        {"agreement_id": step.options["agreement_id"], "question": COMMENT_KEY,
                         "max_length": max_length}),
            )
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

    async def comment_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        """Save the comment; the superior is told, with the comment under the record."""
        comment = step.result["text"]
        max_length = self.deps.settings.max_answer_length

        async def save(session: AsyncSession, opened: AgreementAccess) -> None:
            await comment_followup(session, opened, comment, max_length=max_length)

        _, opened = await self.change(step, save)
        superior = opened.other
        await step.context.send_activity(texts.COMMENT_SENT.format(name=superior.name))
        message = texts.NOTIFY_COMMENTED.format(name=opened.viewer.name)
        await self.notify(
            step, superior,
            await commented_activity(self.deps, turn_session(step.context), superior.id, opened.agreement.id, message),
        )
        return await step.end_dialog(True)
