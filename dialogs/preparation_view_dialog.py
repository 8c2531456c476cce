"""Both leaders' preparation side by side, once both have marked theirs done."""

from __future__ import annotations

from botbuilder.dialogs import DialogTurnResult, WaterfallDialog, WaterfallStepContext
from sqlalchemy.ext.asyncio import AsyncSession

from agreement.opening import AgreementAccess
from agreement.status import both_prepared
from bot import actions
from bot.cards import submit, to_activity
from dialogs.agreement_view import PreparationView, gather_preparations
from dialogs.cards.agreement import preparations_card
from dialogs.flow import DialogDeps, FlowDialog
from dialogs.texts import common
from dialogs.texts import menu as mtexts
from dialogs.texts import preparation as texts

SHOW = "preparation_view.show"


async def _both_preparations(session: AsyncSession, opened: AgreementAccess) -> PreparationView | None:
    """Both preparations as the viewer may see them; None while either is not done."""
    if not both_prepared(opened.agreement):
        return None
    return await gather_preparations(session, opened)


class PreparationViewDialog(FlowDialog):
    """Options: agreement_id."""

    def __init__(self, deps: DialogDeps) -> None:
        super().__init__("PreparationViewDialog", deps)
        self.add_dialog(WaterfallDialog(SHOW, [self.show_step]))
        self.initial_dialog_id = SHOW

    async def show_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        """Show both preparations (the access rules are checked again when reading)."""
        view = await self.read(step, _both_preparations)
        if view is None:
            await step.context.send_activity(mtexts.REFUSE_NOT_BOTH_PREPARED)
            return await step.end_dialog(False)
        content = preparations_card(view, [submit(common.BUTTON_MENU, actions.submit_data(actions.OPEN_MENU))])
        await step.context.send_activity(to_activity(content, summary=texts.PREPARATIONS_TITLE))
        return await step.end_dialog(True)
