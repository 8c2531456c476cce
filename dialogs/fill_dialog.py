"""Filling in the agreement (superior, after the conversation), then sending it for review.

The first time the questions are walked one by one, with both preparations beside each; once
begun, the agreement opens in its overview, where the subordinate's comments stand at the top
and what changed since them is marked. Before it is sent, the superior sees the whole agreement
once, as the subordinate will. Filling in before the planned conversation is asked about first.
"""

from __future__ import annotations

from botbuilder.core import MessageFactory
from botbuilder.dialogs import DialogTurnResult, WaterfallDialog, WaterfallStepContext
from sqlalchemy.ext.asyncio import AsyncSession

from agreement.access import Role
from agreement.opening import AgreementAccess
from agreement import access_log
from agreement.progress import comments_pending, meeting_ahead, progress_of, review_comment
from agreement.status import is_signed
from agreement.steps import mark_filled, missing_for_review, reopen
from bot import actions
from bot.cards import submit, to_activity
from bot.turn import turn_session
from dialogs.agreement_view import gather
from dialogs.cards.agreement import agreement_card
from dialogs.flow import DialogDeps, FlowDialog, read
from dialogs.overview_dialog import OverviewDialog
from dialogs.reply import CHOOSE, ReplyPrompt, check_option, options, reply_data
from dialogs.texts import common
from dialogs.texts import fill as texts
from storage.models import Phase

STEPS = "fill.steps"
WORK = "fill.work"
REOPEN_PROMPT = "fill.reopen"
REOPEN_KEY = "fill.reopen"
EARLY_PROMPT = "fill.early"
EARLY_KEY = "fill.early"
PREVIEW_PROMPT = "fill.preview"
PREVIEW_KEY = "fill.preview"
OVERVIEW = "fill.overview"


class FillDialog(FlowDialog):
    """Options: agreement_id."""

    def __init__(self, deps: DialogDeps) -> None:
        super().__init__("FillDialog", deps)
        self.add_dialog(WaterfallDialog(STEPS, [self.check_step, self.reopen_step, self.early_step, self.done_step]))
        self.add_dialog(WaterfallDialog(WORK, [self.work_step, self.preview_step, self.send_step]))
        self.add_dialog(ReplyPrompt(REOPEN_PROMPT, check_option))
        self.add_dialog(ReplyPrompt(EARLY_PROMPT, check_option))
        self.add_dialog(ReplyPrompt(PREVIEW_PROMPT, check_option))
        self.add_dialog(OverviewDialog(OVERVIEW, deps, Phase.AGREEMENT, context_phase=Phase.PREPARATION))
        self.initial_dialog_id = STEPS

    async def check_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        """A signed agreement is only changed after the superior confirms reopening it."""
        opened = await self.open(step, require=Role.SUPERIOR)
        step.values["other"] = opened.other.name
        if not is_signed(opened.agreement):
            return await step.next({"option": "edit"})
        return await self.ask_option(
            step, REOPEN_PROMPT, REOPEN_KEY, texts.SIGNED_CONFIRM,
            [("yes", texts.YES_EDIT, texts.YES_WORDS), ("no", texts.NO_KEEP, texts.NO_WORDS)], texts.CONFIRM_HINT,
        )

    async def reopen_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        """Reopen if confirmed; before the planned conversation, ask whether to fill in now."""
        option = step.result["option"]
        if option == "no":
            await step.context.send_activity(texts.NOT_REOPENED)
            return await step.end_dialog(False)
        if option == "yes":
            await self.change(step, reopen)
            await step.context.send_activity(texts.REOPENED)
        agreement = (await self.open(step)).agreement
        if not meeting_ahead(agreement, self.deps.now()):
            return await step.next({"option": "go"})
        when = common.format_when(self.deps.local(agreement.meeting_at))
        return await self.ask_option(
            step, EARLY_PROMPT, EARLY_KEY, texts.WARN_BEFORE_MEETING.format(name=step.values["other"], when=when),
            [("go", texts.FILL_NOW, texts.FILL_NOW_WORDS), ("wait", texts.WAIT, texts.WAIT_WORDS)], texts.WARN_HINT,
        )

    async def early_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        """Wait for the conversation, or go through the agreement."""
        if step.result["option"] == "wait":
            await step.context.send_activity(texts.WAITING)
            return await step.end_dialog(False)
        return await step.begin_dialog(WORK, {"agreement_id": step.options["agreement_id"], "first": True})

    async def done_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        """The agreement was sent for review (True), or left for later."""
        return await step.end_dialog(step.result)

    async def work_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        """Begun before: the overview. Else the questions one by one, each with both preparations beside it."""
        agreement_id = step.options["agreement_id"]

        async def begun(session: AsyncSession, opened: AgreementAccess) -> tuple[AgreementAccess, bool]:
            return opened, (await progress_of(session, opened, Phase.AGREEMENT, purpose=access_log.CHECK)).started

        if step.options.get("first"):
            opened, started = await self.read(step, begun)
            if not started:
                await step.context.send_activity(texts.INTRO.format(name=opened.other.name))
                return await step.begin_dialog(OVERVIEW, {"agreement_id": agreement_id, "walk_from": 0})
        return await step.begin_dialog(OVERVIEW, {"agreement_id": agreement_id})

    async def preview_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        """The whole agreement once, as the subordinate will see it, before it is sent."""
        if step.result is not True:
            await step.context.send_activity(texts.NOT_FINISHED)
            return await step.end_dialog(False)

        async def load(session: AsyncSession, opened: AgreementAccess):
            return opened, await gather(session, opened)

        opened, view = await self.read(step, load)
        name = opened.other.name
        content = agreement_card(
            view, self.deps.local,
            [submit(texts.SEND.format(name=name), reply_data(CHOOSE, PREVIEW_KEY, option="send"), style="positive"),
             submit(texts.CHANGE, reply_data(CHOOSE, PREVIEW_KEY, option="change"))],
            lead=texts.PREVIEW_LEAD.format(name=name), question=texts.PREVIEW_ASK.format(name=name),
        )
        return await step.prompt(
            PREVIEW_PROMPT,
            options(to_activity(content, summary=texts.PREVIEW_ASK.format(name=name)),
                    {"agreement_id": step.options["agreement_id"], "question": PREVIEW_KEY,
                     "options": {"send": list(texts.SEND_WORDS), "change": list(texts.CHANGE_WORDS)},
                     "hint": texts.PREVIEW_HINT.format(name=name)}),
        )

    async def send_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        """Send the filled agreement to the subordinate (saying what changed after comments), or change more."""
        agreement_id = step.options["agreement_id"]
        if step.result["option"] == "change":
            return await step.replace_dialog(WORK, {"agreement_id": agreement_id})

        async def send(session: AsyncSession, opened: AgreementAccess) -> tuple[list[str], list[str] | None]:
            missing = await missing_for_review(session, opened)
            if missing:
                return [opened.template.field(key).label for key in missing], None
            changed = None
            if comments_pending(opened.agreement):
                comment = await review_comment(session, opened, purpose=access_log.CHECK)
                if comment is not None:
                    progress = await progress_of(session, opened, Phase.AGREEMENT, changed_since=comment.updated_at,
                                                 purpose=access_log.CHECK)
                    changed = [item.field.label for item in progress.fields if item.changed]
            await mark_filled(session, opened)
            return [], changed

        (missing, changed), opened = await self.change(step, send)
        if missing:
            lines = "\n".join(f"- {label}" for label in missing)
            await step.context.send_activity(MessageFactory.text(f"{texts.MISSING}\n{lines}\n\n{texts.MISSING_HINT}"))
            return await step.end_dialog(False)
        other, own = opened.other, opened.viewer.name
        if changed is None:
            message = texts.NOTIFY_REVIEW.format(name=own)
        elif changed:
            fields = ", ".join(f"«{label}»" for label in changed)
            message = texts.NOTIFY_REVIEW_CHANGED.format(name=own, fields=fields)
        else:
            message = texts.NOTIFY_REVIEW_UNCHANGED.format(name=own)
        await step.context.send_activity(texts.SENT.format(name=other.name))
        await self.notify(step, other, await review_activity(self.deps, turn_session(step.context), other.id,
                                                            opened.agreement.id, message))
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
