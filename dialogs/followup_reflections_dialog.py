"""Both leaders' autumn reflections side by side, once both have marked theirs done (as the spring's preparations)."""

from __future__ import annotations

from botbuilder.dialogs import DialogTurnResult, WaterfallDialog, WaterfallStepContext
from sqlalchemy.ext.asyncio import AsyncSession

from agreement.answers import read_answers
from agreement.goals import list_goals
from agreement.opening import AgreementAccess
from bot import actions
from bot.cards import submit, to_activity
from dialogs.cards.followup import ReflectionsView, reflections_card
from dialogs.flow import DialogDeps, FlowDialog
from dialogs.texts import common
from dialogs.texts import followup as texts
from dialogs.texts import menu as mtexts
from storage.models import Phase

SHOW = "followup_reflections.show"


async def gather_reflections(session: AsyncSession, opened: AgreementAccess) -> ReflectionsView | None:
    """Both leaders' reflections as the viewer may see them; None while the other's are not open."""
    if not opened.reflections_open:
        return None
    own: dict[str, str] = {}
    other: dict[str, str] = {}
    by_author = {opened.viewer.id: own, opened.other.id: other}
    for answer in await read_answers(session, opened, phase=Phase.FOLLOWUP_PREPARATION):
        target = by_author.get(answer.author_id)
        if target is not None:
            target[answer.question_key] = answer.text
    superior_id = opened.agreement.superior_id
    goals = tuple(g for g in await list_goals(session, opened, phase=Phase.AGREEMENT) if g.author_id == superior_id)
    return ReflectionsView(opened.template, opened.other.name, goals, own, other)


class FollowupReflectionsDialog(FlowDialog):
    """Options: agreement_id."""

    def __init__(self, deps: DialogDeps) -> None:
        super().__init__("FollowupReflectionsDialog", deps)
        self.add_dialog(WaterfallDialog(SHOW, [self.show_step]))
        self.initial_dialog_id = SHOW

    async def show_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        """Show both reflections (the access rules are checked again when reading)."""
        view = await self.read(step, gather_reflections)
        if view is None:
            await step.context.send_activity(mtexts.REFUSE_NOT_BOTH_REFLECTED)
            return await step.end_dialog(False)
        content = reflections_card(view, [submit(common.BUTTON_MENU, actions.submit_data(actions.OPEN_MENU))])
        await step.context.send_activity(to_activity(content, summary=texts.REFLECTIONS_TITLE))
        return await step.end_dialog(True)
