"""The base of every flow: 'hjelp', 'status', 'avbryt' and 'meny'/'start' at any step."""

from __future__ import annotations

import enum
import logging

from botbuilder.core import MessageFactory, TurnContext
from botbuilder.dialogs import ComponentDialog, DialogContext, DialogTurnResult, DialogTurnStatus
from botbuilder.schema import Activity, ActivityTypes

from agreement import service
from agreement.access import Role
from agreement.template import TemplateError, available_templates, default_template_id_for_year, load_template
from bot import actions
from bot.cards import to_activity
from dialogs.cards.help import help_card
from dialogs.context import current_leader_id
from dialogs.deps import DialogDeps
from dialogs.prompts import REPLY, normalise
from dialogs.texts import common
from dialogs.work import today

logger = logging.getLogger(__name__)


class Command(str, enum.Enum):
    """What a leader can ask for at any step."""

    HELP = "help"
    STATUS = "status"
    CANCEL = "cancel"
    MENU = "menu"


_WORDS = {
    **{word: Command.HELP for word in common.HELP_WORDS},
    **{word: Command.STATUS for word in common.STATUS_WORDS},
    **{word: Command.CANCEL for word in common.CANCEL_WORDS},
    **{word: Command.MENU for word in common.MENU_WORDS},
}
_CARD_COMMANDS = {
    actions.HELP: Command.HELP,
    actions.STATUS: Command.STATUS,
    actions.CANCEL: Command.CANCEL,
    actions.OPEN_MENU: Command.MENU,
}


def card_data(activity: Activity) -> dict | None:
    """The data of a card submit, if the activity is one."""
    if activity.type != ActivityTypes.message or not isinstance(activity.value, dict):
        return None
    return activity.value


def command_of(activity: Activity) -> Command | None:
    """A command typed as the whole message (any case, trimmed) or sent by a card button."""
    if activity.type != ActivityTypes.message:
        return None
    data = card_data(activity)
    if data is not None:
        action = data.get("action") if REPLY not in data else None
        return _CARD_COMMANDS.get(action) if isinstance(action, str) else None
    return _WORDS.get(normalise(activity.text))


def card_action_of(activity: Activity) -> dict | None:
    """A card submit that starts something (``{"action": ...}``), other than the commands."""
    data = card_data(activity)
    if data is None or REPLY in data or "action" not in data or command_of(activity) is not None:
        return None
    return data


def template_for_help(deps: DialogDeps):
    """The template whose contact block the help shows: this year's, else any shipped one."""
    try:
        return load_template(default_template_id_for_year(today(deps).year))
    except TemplateError:
        return load_template(available_templates()[0])


async def send_help(turn_context: TurnContext, deps: DialogDeps) -> None:
    """What the bot does, the commands and the contact block."""
    await turn_context.send_activity(to_activity(help_card(template_for_help(deps).contact)))


async def status_text(deps: DialogDeps, leader_id: int) -> str:
    """This leader's agreements this year with their status (never content)."""
    year = today(deps).year
    async with deps.session_factory() as session:
        agreements = await service.agreements_of(session, leader_id, year)
    if not agreements:
        return common.STATUS_NONE.format(year=year)
    lines = [common.STATUS_TITLE.format(year=year)]
    for opened in agreements:
        line = common.STATUS_LINE_SUPERIOR if opened.role is Role.SUPERIOR else common.STATUS_LINE_SUBORDINATE
        lines.append("- " + line.format(name=opened.other.name, status=opened.status.label))
    return "\n".join(lines)


async def send_status(turn_context: TurnContext, deps: DialogDeps) -> None:
    """Send the status of this leader's agreements."""
    await turn_context.send_activity(
        MessageFactory.text(await status_text(deps, current_leader_id(turn_context)))
    )


def route_result(data: dict) -> dict:
    """The result a flow ends with when a card or 'meny' asks for something else."""
    return {"route": data}


class CancelAndHelpDialog(ComponentDialog):
    """A ComponentDialog that answers the commands at any step, before its prompts see the message."""

    def __init__(self, dialog_id: str, deps: DialogDeps) -> None:
        super().__init__(dialog_id)
        self.deps = deps

    async def on_continue_dialog(self, inner_dc: DialogContext) -> DialogTurnResult:
        """Handle a command or a routing card first; otherwise continue the active step."""
        result = await self.interrupt(inner_dc)
        if result is not None:
            return result
        return await super().on_continue_dialog(inner_dc)

    async def interrupt(self, inner_dc: DialogContext) -> DialogTurnResult | None:
        """The result of an interruption, or None to let the active step have the message."""
        activity = inner_dc.context.activity
        command = command_of(activity)
        if command is Command.HELP:
            await send_help(inner_dc.context, self.deps)
            await inner_dc.reprompt_dialog()
            return DialogTurnResult(DialogTurnStatus.Waiting)
        if command is Command.STATUS:
            await send_status(inner_dc.context, self.deps)
            await inner_dc.reprompt_dialog()
            return DialogTurnResult(DialogTurnStatus.Waiting)
        if command is Command.CANCEL:
            await inner_dc.cancel_all_dialogs()
            await inner_dc.context.send_activity(common.CANCELLED)
            return DialogTurnResult(DialogTurnStatus.Cancelled)
        if command is Command.MENU:
            return await self.on_route(inner_dc, actions.submit_data(actions.OPEN_MENU))
        data = card_action_of(activity)
        if data is not None:
            return await self.on_route(inner_dc, data)
        return None

    async def on_route(self, inner_dc: DialogContext, data: dict) -> DialogTurnResult:
        """Leave this flow for what the card asks; the main dialog starts it."""
        await inner_dc.cancel_all_dialogs()
        return DialogTurnResult(DialogTurnStatus.Complete, route_result(data))
