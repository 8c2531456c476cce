"""The root dialog: the main menu, and the router for commands and card buttons."""

from __future__ import annotations

import logging

from botbuilder.dialogs import (
    Dialog,
    DialogContext,
    DialogTurnResult,
    WaterfallDialog,
    WaterfallStepContext,
)

from agreement.access import Role
from agreement.errors import AccessDenied, NotFound
from agreement.opening import agreements_of, earlier_years, open_agreement
from bot import actions
from bot.cards import to_activity
from bot.turn import turn_session
from dialogs.cards.menu import MenuEntry, menu_card
from dialogs.document_dialog import DocumentDialog
from dialogs.fill_dialog import FillDialog
from dialogs.flow import (
    Command,
    DialogDeps,
    FlowDialog,
    card_action_of,
    card_data,
    command_of,
    current_leader_id,
    send_help,
    send_status,
    send_whole_text,
)
from dialogs.followup_confirm_dialog import FollowupConfirmDialog
from dialogs.followup_record_dialog import FollowupRecordDialog
from dialogs.followup_reflect_dialog import FollowupReflectDialog
from dialogs.followup_reflections_dialog import FollowupReflectionsDialog
from dialogs.hr_overview import is_overview_request, overview_button, send_overview, send_spreadsheet_offer
from dialogs.next_steps import followup_start, next_step, progress_text, refusal
from dialogs.plan_dialog import PlanDialog
from dialogs.preparation_dialog import PreparationDialog
from dialogs.preparation_view_dialog import PreparationViewDialog
from dialogs.reading_dialog import ReadingDialog
from dialogs.reply import REPLY, Reply, ReplyPrompt, Verdict, given_back, options, refuse
from dialogs.review_dialog import ReviewDialog
from dialogs.seen_by import is_seen_request, send_seen_by
from dialogs.sharing_dialog import SharingDialog
from dialogs.texts import common
from dialogs.texts import menu as texts
from dialogs.view_dialog import AgreementViewDialog, choose_activity, past_years_activity

logger = logging.getLogger(__name__)

MAIN = "main.steps"
MENU_PROMPT = "main.menu"
MENU_KEY = "main.menu"


def check_menu(reply: Reply) -> Verdict:
    """The menu waits for a button (routed before the prompt); anything typed gets a hint."""
    return refuse(common.STALE_CARD_MENU if reply.data else common.NOT_UNDERSTOOD)


class MainDialog(FlowDialog):
    """Root dialog (id "MainDialog"): run it with DialogHelper.run_dialog after dialogs.flow.set_leader."""

    def __init__(self, deps: DialogDeps) -> None:
        super().__init__("MainDialog", deps)
        preparation = PreparationDialog(deps)
        review = ReviewDialog(deps)
        self.flows: dict[str, Dialog] = {
            actions.PLAN: PlanDialog(deps),
            actions.PREPARE: preparation,
            actions.VIEW_PREPARATION: PreparationViewDialog(deps),
            actions.FILL: FillDialog(deps),
            actions.REVIEW: review,
            actions.SIGN: review,
            actions.FOLLOWUP_REFLECT: FollowupReflectDialog(deps),
            actions.VIEW_REFLECTIONS: FollowupReflectionsDialog(deps),
            actions.FOLLOWUP_RECORD: FollowupRecordDialog(deps),
            actions.FOLLOWUP_CONFIRM: FollowupConfirmDialog(deps),
            actions.SHARING: SharingDialog(deps),
            actions.VIEW_AGREEMENT: AgreementViewDialog(deps),
            actions.DOCUMENT: DocumentDialog(deps),
        }
        self.reading = ReadingDialog(deps)
        for dialog in {id(d): d for d in (*self.flows.values(), self.reading)}.values():
            self.add_dialog(dialog)
        self.add_dialog(WaterfallDialog(MAIN, [self.choose_step, self.dispatch_step, self.finish_step]))
        self.add_dialog(ReplyPrompt(MENU_PROMPT, check_menu, stale_message=None))
        self.initial_dialog_id = MAIN

    async def interrupt(self, inner_dc: DialogContext) -> DialogTurnResult | None:
        """«Oversikt» typed anywhere: leave what is going on for the overview (as a card button would)."""
        if is_overview_request(inner_dc.context.activity):
            return await self.on_route(inner_dc, actions.submit_data(actions.OVERVIEW))
        if is_seen_request(inner_dc.context.activity):
            return await self.on_route(inner_dc, actions.submit_data(actions.SEEN_BY))
        return await super().interrupt(inner_dc)

    async def on_route(self, inner_dc: DialogContext, data: dict) -> DialogTurnResult:
        """A card button or 'meny' in the middle of anything: leave it and start what was asked."""
        await inner_dc.cancel_all_dialogs()
        if data.get("action") == actions.OPEN_MENU:
            return await inner_dc.begin_dialog(MAIN, {"menu": True})
        return await inner_dc.begin_dialog(MAIN, {"route": data})

    async def choose_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        """Work out what the first message asks for; show the menu unless it is a command or a button."""
        opts = step.options or {}
        route = opts.get("route")
        if route is None and not opts.get("menu"):
            activity = step.context.activity
            command = command_of(activity)
            if command is Command.HELP:
                await send_help(step.context, self.deps)
                return await step.end_dialog()
            if command is Command.STATUS:
                await send_status(step.context, self.deps)
                return await step.end_dialog()
            if command is Command.CANCEL:
                await step.context.send_activity(common.NOTHING_TO_CANCEL)
                return await step.end_dialog()
            route = actions.submit_data(actions.VIEW_AGREEMENT) if command is Command.VIEW else card_action_of(activity)
            if route is None and is_overview_request(activity):
                route = actions.submit_data(actions.OVERVIEW)
            if route is None and is_seen_request(activity):
                route = actions.submit_data(actions.SEEN_BY)
            data = card_data(activity)
            if route is None and data is not None and REPLY in data:
                await step.context.send_activity(given_back(data) or common.STALE_CARD_MENU)
        if route is not None:
            return await step.next(route)
        return await step.prompt(
            MENU_PROMPT, options(await self.menu_activity(step), {"question": MENU_KEY})
        )

    async def menu_activity(self, step: WaterfallStepContext):
        """The menu card for the leader of this turn."""
        leader = current_leader_id(step.context)
        day = self.deps.today()
        session = turn_session(step.context)
        agreements = await agreements_of(session, leader, day.year)
        starts = await followup_start(session, day.year, self.deps.settings.timezone)
        entries = []
        for opened in agreements:
            upcoming = next_step(opened, day, starts)
            meeting = opened.agreement.meeting_at
            entries.append(
                MenuEntry(
                    agreement_id=opened.agreement.id,
                    as_superior=opened.role is Role.SUPERIOR,
                    other_name=opened.other.name,
                    status=opened.status.label,
                    meeting=common.format_when(self.deps.local(meeting)) if meeting else None,
                    next_text=upcoming.text,
                    next_actions=upcoming.actions,
                    progress=await progress_text(session, opened),
                )
            )
        earlier = bool(await earlier_years(session, leader, day.year))
        content = menu_card(day.year, entries, earlier_years=earlier,
                            overview=await overview_button(session, leader, day.year))
        return to_activity(content, summary=texts.TITLE.format(year=day.year))

    async def dispatch_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        """Start the flow a button asks for, after checking the agreement and the step."""
        route = step.result or {}
        action = route.get("action")
        if action == actions.OPEN_READING:
            section = route.get("section")
            return await step.begin_dialog(self.reading.id, {"section": section if isinstance(section, str) else None})
        if action == actions.OPEN_MENU:
            return await step.replace_dialog(MAIN, {"menu": True})
        if action == actions.HELP:
            await send_help(step.context, self.deps)
            return await step.end_dialog()
        if action == actions.STATUS:
            await send_status(step.context, self.deps)
            return await step.end_dialog()
        if action == actions.CANCEL:
            await step.context.send_activity(common.NOTHING_TO_CANCEL)
            return await step.end_dialog()
        if action == actions.OVERVIEW:
            await send_overview(step.context, self.deps)
            return await step.end_dialog()
        if action == actions.OVERVIEW_XLSX:
            await send_spreadsheet_offer(step.context, self.deps, route.get("year"))
            return await step.end_dialog()
        if action == actions.SEEN_BY:
            await send_seen_by(step.context, self.deps, route.get("agreement_id"))
            return await step.end_dialog()
        if action == actions.SHOW_TEXT:
            await send_whole_text(step.context, route)
            return await step.end_dialog()
        leader = current_leader_id(step.context)
        session = turn_session(step.context)
        if action == actions.PAST_YEARS:
            await step.context.send_activity(await past_years_activity(session, leader, self.deps.today().year))
            return await step.end_dialog()
        if action == actions.VIEW_AGREEMENT and route.get("agreement_id") is None:
            # "vis avtalen" outside a flow: the only agreement this year, or a choice.
            this_year = await agreements_of(session, leader, self.deps.today().year)
            if len(this_year) != 1:
                await step.context.send_activity(await choose_activity(session, leader, self.deps.today().year))
                return await step.end_dialog()
            route = actions.submit_data(actions.VIEW_AGREEMENT, this_year[0].agreement.id)
        agreement_id = route.get("agreement_id")
        if (
            not isinstance(action, str)
            or action not in actions.FLOW_ACTIONS
            or isinstance(agreement_id, bool)
            or not isinstance(agreement_id, int)
            or not 0 < agreement_id < 2**63  # a database id; a bigger number cannot even be looked up
        ):
            logger.info("Unknown card action from leader %s", leader)
            await step.context.send_activity(common.UNKNOWN_ACTION)
            return await step.replace_dialog(MAIN, {"menu": True})
        try:
            opened = await open_agreement(session, leader, agreement_id)
        except (AccessDenied, NotFound):
            logger.info("Leader %s refused agreement %s", leader, agreement_id)
            await step.context.send_activity(common.NO_ACCESS)
            return await step.replace_dialog(MAIN, {"menu": True})
        refused = refusal(action, opened)
        if refused:
            await step.context.send_activity(refused)
            return await step.replace_dialog(MAIN, {"menu": True})
        return await step.begin_dialog(self.flows[action].id, {"agreement_id": agreement_id})

    async def finish_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        """A flow has ended; if it was left for something else, start that."""
        result = step.result
        if isinstance(result, dict) and isinstance(result.get("route"), dict):
            route = result["route"]
            if route.get("action") == actions.OPEN_MENU:
                return await step.replace_dialog(MAIN, {"menu": True})
            return await step.replace_dialog(MAIN, {"route": route})
        return await step.end_dialog(result)
