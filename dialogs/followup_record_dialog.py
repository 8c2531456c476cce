"""The superior records the autumn follow-up conversation; the subordinate is told, and both confirm it."""

from __future__ import annotations

import re

from botbuilder.dialogs import DialogTurnResult, WaterfallDialog, WaterfallStepContext
from botbuilder.schema import Activity
from sqlalchemy.ext.asyncio import AsyncSession

from agreement.access import Role
from agreement.opening import AgreementAccess
from agreement.steps import mark_followup_recorded
from agreement.template import FieldKind
from bot import actions
from bot.cards import submit, to_activity
from dialogs.cards.message import message_card
from dialogs.flow import DialogDeps, FlowDialog
from dialogs.followup_confirm_dialog import FollowupConfirmDialog, comment_title, followup_comment
from dialogs.followup_reflect_dialog import start_followup
from dialogs.questions import Question
from dialogs.questions_dialog import QuestionsDialog
from dialogs.texts import common
from dialogs.texts import followup as texts
from storage.models import Phase

STEPS = "followup_record.steps"
QUESTIONS = "followup_record.questions"

_WORD = re.compile(r"\w+")


def subordinate_voice(opened: AgreementAccess, question: Question) -> str | None:
    """The lead over a form question in the subordinate's own voice ("jeg", "meg", "min"), as the superior records it.

    The question stands word for word as the form has it; the lead says it is the subordinate
    leader's reflection, not the superior's own.
    """
    if question.kind != FieldKind.TEXT.value:
        return None
    if set(_WORD.findall(question.label.lower())).isdisjoint(texts.FIRST_PERSON_WORDS):
        return None
    return texts.SUBORDINATE_VOICE.format(name=common.possessive(opened.other.name))


class FollowupRecordDialog(FlowDialog):
    """Options: agreement_id."""

    def __init__(self, deps: DialogDeps) -> None:
        super().__init__("FollowupRecordDialog", deps)
        self.add_dialog(WaterfallDialog(STEPS, [self.intro_step, self.finish_step]))
        self.add_dialog(QuestionsDialog(QUESTIONS, deps, Phase.FOLLOWUP, context_phase=Phase.FOLLOWUP_PREPARATION,
                                        lead_for=subordinate_voice))
        self.confirm = FollowupConfirmDialog(deps)
        self.add_dialog(self.confirm)
        self.initial_dialog_id = STEPS

    async def intro_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        """Show the spring goals and any comment on an earlier record, then record each question and goal."""

        async def comment(session: AsyncSession, opened: AgreementAccess) -> Activity | None:
            found = await followup_comment(session, opened)
            if found is None:
                return None
            title = comment_title(self.deps, opened, found)
            return to_activity(message_card(title, quoted=found.text), summary=title)

        then = await self.read(step, comment, require=Role.SUPERIOR)
        return await start_followup(self, step, Phase.FOLLOWUP, texts.RECORD_INTRO, QUESTIONS,
                                    require=Role.SUPERIOR, then=then)

    async def finish_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        """Mark the follow-up recorded, tell the subordinate, and let the superior confirm it at once."""
        if step.result is not True:
            await step.context.send_activity(texts.NOT_FINISHED)
            return await step.end_dialog(False)
        _, opened = await self.change(step, mark_followup_recorded)
        agreement_id = opened.agreement.id
        message = texts.NOTIFY_RECORDED.format(name=opened.viewer.name)
        button = submit(texts.NOTIFY_RECORDED_BUTTON, actions.submit_data(actions.FOLLOWUP_CONFIRM, agreement_id))
        await self.notify(step, opened.other, to_activity(message_card(message, [button]), summary=message))
        return await step.begin_dialog(
            self.confirm.id,
            {"agreement_id": agreement_id, "lead": texts.RECORD_DONE.format(name=opened.other.name)},
        )
