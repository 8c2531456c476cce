"""Both leaders' preparation side by side, once both have marked theirs done."""

from __future__ import annotations

from botbuilder.dialogs import DialogTurnResult, WaterfallDialog, WaterfallStepContext

from agreement.errors import AgreementError
from agreement.status import both_prepared
from bot import actions
from dialogs.agreement_view import PreparationView, gather_preparations
from dialogs.base_dialog import CancelAndHelpDialog
from dialogs.cards.agreement import preparations_card
from bot.cards import submit, to_activity
from dialogs.context import current_leader_id
from dialogs.deps import DialogDeps
from dialogs.texts import common
from dialogs.texts import menu as mtexts
from dialogs.texts import preparation as texts
from dialogs.work import error_message, read

SHOW = "preparation_view.show"


async def preparations_activity(deps: DialogDeps, viewer_id: int, agreement_id: int):
    """The preparations card for ``viewer_id``; None while either preparation is not done."""

    async def load(session, opened) -> PreparationView | None:
        if not both_prepared(opened.agreement):
            return None
        return await gather_preparations(session, opened)

    view = await read(deps, viewer_id, agreement_id, load)
    if view is None:
        return None
    content = preparations_card(view, [submit(common.BUTTON_MENU, actions.submit_data(actions.OPEN_MENU))])
    return to_activity(content, summary=texts.PREPARATIONS_TITLE)


class PreparationViewDialog(CancelAndHelpDialog):
    """Options: agreement_id."""

    def __init__(self, deps: DialogDeps) -> None:
        super().__init__("PreparationViewDialog", deps)
        self.add_dialog(WaterfallDialog(SHOW, [self.show_step]))
        self.initial_dialog_id = SHOW

    async def show_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        """Show both preparations (the access rules are checked again when reading)."""
        try:
            activity = await preparations_activity(self.deps, current_leader_id(step.context),
                                                   step.options["agreement_id"])
        except AgreementError as exc:
            await step.context.send_activity(error_message(exc))
            return await step.end_dialog(False)
        await step.context.send_activity(activity if activity is not None else mtexts.REFUSE_NOT_BOTH_PREPARED)
        return await step.end_dialog(activity is not None)
