"""The base of every flow: its collaborators, the leader of the turn, work on the agreement, refusals, commands.

A flow's step works on its agreement (``options["agreement_id"]``) as the leader of the turn
through :meth:`FlowDialog.open`, :meth:`FlowDialog.read` and :meth:`FlowDialog.change`. A refusal
by the agreement rules that the step does not handle itself is told to the leader politely and
ends the flow with False. 'hjelp', 'status', 'avbryt', 'meny' (or a greeting) and 'vis avtalen'
are answered at any step, and so is the button that shows a shortened text whole.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol, TypeVar
from zoneinfo import ZoneInfo

from botbuilder.core import MessageFactory, TurnContext
from botbuilder.dialogs import (
    ComponentDialog,
    DialogContext,
    DialogTurnResult,
    DialogTurnStatus,
    WaterfallStepContext,
)
from botbuilder.schema import Activity, ActivityTypes
from sqlalchemy.ext.asyncio import AsyncSession

from agreement.access import Role
from agreement.errors import (
    AccessDenied,
    AgreementError,
    AgreementLocked,
    AnswerEmpty,
    AnswerTooLong,
    ConcurrentChange,
    InvalidChoice,
    NotFound,
)
from agreement.opening import AgreementAccess, agreements_of, flush, open_agreement
from agreement.template import TemplateError, available_templates, default_template_id_for_year, load_template
from bot import actions
from bot.cards import Element, to_activity
from bot.settings import Settings
from bot.turn import TurnConflict, after_commit, turn_session
from dialogs.cards.help import help_card
from dialogs.cards.options import options_card
from dialogs.meeting_invitation import MeetingCalendar
from dialogs.next_steps import progress_text
from dialogs.reply import REPLY, answer_refusal, normalise, options
from dialogs.texts import common
from dialogs.whole_text import whole_text_activity
from storage.models import Leader

logger = logging.getLogger(__name__)

T = TypeVar("T")

# --- the leader of the turn -------------------------------------------------------------

LEADER_KEY = "lederavtale.leader_id"
#: In a flow's own dialog state: the agreement it works on ("vis avtalen" in the flow shows that one).
AT_HAND = "lederavtale.agreement_at_hand"


class NoLeaderError(RuntimeError):
    """The dialogs were run without a leader identified for the turn."""


def set_leader(turn_context: TurnContext, leader_id: int) -> None:
    """Record which imported leader is speaking in this turn (the bot service does, before the dialogs run)."""
    if isinstance(leader_id, bool) or not isinstance(leader_id, int):
        raise TypeError(f"leader_id must be an int, not {type(leader_id).__name__}")
    turn_context.turn_state[LEADER_KEY] = leader_id


def current_leader_id(turn_context: TurnContext) -> int:
    """The leader speaking in this turn; raises NoLeaderError when none was set."""
    leader_id = turn_context.turn_state.get(LEADER_KEY)
    if leader_id is None:
        raise NoLeaderError("no leader set for this turn; call dialogs.flow.set_leader first")
    return leader_id


# --- collaborators ----------------------------------------------------------------------


class Notifier(Protocol):
    """Sends a message to a leader outside the current conversation (a proactive message)."""

    async def notify(self, leader_id: int, activity: Activity) -> None:
        """Send ``activity`` to the leader's personal chat with the bot."""


@dataclass
class DialogDeps:
    """The collaborators every dialog gets: settings, proactive sender and clock (the database comes with the turn)."""

    settings: Settings
    notifier: Notifier
    clock: Callable[[], datetime]
    #: The planned conversation in both calendars; None when that is off (the planner gets an .ics file).
    meetings: MeetingCalendar | None = None

    def now(self) -> datetime:
        """Now in the service's time zone."""
        return self.clock().astimezone(ZoneInfo(self.settings.timezone))

    def today(self) -> date:
        """Today's date in the service's time zone."""
        return self.now().date()

    def local(self, moment: datetime) -> datetime:
        """A stored timestamp in the service's time zone (SQLite gives them back naive, in UTC)."""
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=ZoneInfo("UTC"))
        return moment.astimezone(ZoneInfo(self.settings.timezone))


# --- work on an agreement ---------------------------------------------------------------

Work = Callable[[AsyncSession, AgreementAccess], Awaitable[T]]


async def read(session: AsyncSession, leader_id: int, agreement_id: int, work: Work[T], *,
               require: Role | None = None) -> T:
    """Open the agreement as ``leader_id`` (who must have ``require``, if given) and run read-only ``work``."""
    opened = await open_agreement(session, leader_id, agreement_id, require=require)
    return await work(session, opened)


async def _as_opened(session: AsyncSession, opened: AgreementAccess) -> AgreementAccess:
    return opened


def error_message(exc: AgreementError) -> str:
    """The polite Norwegian message for a refusal; never says anything about the agreement."""
    if isinstance(exc, (AccessDenied, NotFound)):
        return common.NO_ACCESS
    if isinstance(exc, AgreementLocked):
        return common.LOCKED
    if isinstance(exc, ConcurrentChange):
        return common.CONCURRENT
    if isinstance(exc, (AnswerEmpty, AnswerTooLong, InvalidChoice)):
        return answer_refusal(exc)
    return common.INVALID_STATE


# --- commands at any step ---------------------------------------------------------------


class Command(str, enum.Enum):
    """What a leader can ask for at any step."""

    HELP = "help"
    STATUS = "status"
    CANCEL = "cancel"
    MENU = "menu"
    VIEW = "view"


_WORDS = {
    **{word: Command.HELP for word in common.HELP_WORDS},
    **{word: Command.STATUS for word in common.STATUS_WORDS},
    **{word: Command.CANCEL for word in common.CANCEL_WORDS},
    **{word: Command.MENU for word in (*common.MENU_WORDS, *common.GREETING_WORDS)},
    **{word: Command.VIEW for word in common.VIEW_WORDS},
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


def whole_text_request(activity: Activity) -> dict | None:
    """A press of the button under a shortened text: show it whole, wherever the leader is."""
    data = card_action_of(activity)
    return data if data is not None and data.get("action") == actions.SHOW_TEXT else None


async def send_whole_text(turn_context: TurnContext, data: dict) -> None:
    """The text the button names, whole (if this leader may read it)."""
    await turn_context.send_activity(
        await whole_text_activity(turn_session(turn_context), current_leader_id(turn_context), data))


def template_for_help(deps: DialogDeps):
    """The template whose contact block the help shows: this year's, else any shipped one."""
    try:
        return load_template(default_template_id_for_year(deps.today().year))
    except TemplateError:
        return load_template(available_templates()[0])


async def send_help(turn_context: TurnContext, deps: DialogDeps) -> None:
    """What the bot does, the commands and the contact block."""
    await turn_context.send_activity(to_activity(help_card(template_for_help(deps).contact)))


async def status_text(deps: DialogDeps, session: AsyncSession, leader_id: int) -> str:
    """This leader's agreements this year with their status, meeting and progress (never content)."""
    year = deps.today().year
    agreements = await agreements_of(session, leader_id, year)
    if not agreements:
        return common.STATUS_NONE.format(year=year)
    lines = [common.STATUS_TITLE.format(year=year)]
    for opened in agreements:
        line = common.STATUS_LINE_SUPERIOR if opened.role is Role.SUPERIOR else common.STATUS_LINE_SUBORDINATE
        parts = [line.format(name=opened.other.name, status=opened.status.label)]
        meeting = opened.agreement.meeting_at
        if meeting is not None:
            parts.append(common.STATUS_MEETING.format(when=common.format_when(deps.local(meeting))))
        progress = await progress_text(session, opened)
        if progress is not None:
            parts.append(progress)
        lines.append("- " + " · ".join(parts))
    return "\n".join(lines)


async def send_status(turn_context: TurnContext, deps: DialogDeps) -> None:
    """Send the status of this leader's agreements."""
    await turn_context.send_activity(
        MessageFactory.text(await status_text(deps, turn_session(turn_context), current_leader_id(turn_context)))
    )


# --- the base of every flow -------------------------------------------------------------


class FlowDialog(ComponentDialog):
    """A ComponentDialog that answers the commands at any step and turns refusals into polite endings."""

    def __init__(self, dialog_id: str, deps: DialogDeps) -> None:
        super().__init__(dialog_id)
        self.deps = deps

    async def open(self, step: WaterfallStepContext, *, require: Role | None = None) -> AgreementAccess:
        """The flow's agreement, opened as the leader of the turn (who must have ``require``, if given)."""
        return await self.read(step, _as_opened, require=require)

    async def read(self, step: WaterfallStepContext, work: Work[T], *, require: Role | None = None) -> T:
        """Run read-only ``work`` on the flow's agreement as the leader of the turn."""
        return await read(turn_session(step.context), current_leader_id(step.context), step.options["agreement_id"],
                          work, require=require)

    async def change(self, step: WaterfallStepContext, work: Work[T]) -> tuple[T, AgreementAccess]:
        """Run ``work`` on the flow's agreement as the leader of the turn; its result and the agreement.

        The change is written in the turn's transaction and committed with the dialog position it
        leads to (a concurrent change makes the whole turn run again).
        """
        session = turn_session(step.context)
        opened = await open_agreement(session, current_leader_id(step.context), step.options["agreement_id"])
        try:
            result = await work(session, opened)
            await flush(session)
        except ConcurrentChange as exc:
            raise TurnConflict("the agreement was changed at the same moment") from exc
        return result, opened

    async def ask_option(self, step: WaterfallStepContext, prompt_id: str, key: str, question: str,
                         choices: Sequence[tuple[str, str, Sequence[str]]], hint: str, *,
                         body_before: Sequence[Element] = (), summary: str | None = None) -> DialogTurnResult:
        """Ask ``question`` with a button per (option, title, typed words) of ``choices``; ``hint`` if none fits.

        For prompts checked with ``dialogs.reply.check_option``.
        """
        content = options_card(question, key, [(option, title) for option, title, _ in choices],
                               body_before=body_before)
        return await step.prompt(prompt_id, options(
            to_activity(content, summary=summary),
            {"agreement_id": step.options["agreement_id"], "question": key,
             "options": {option: list(words) for option, _, words in choices}, "hint": hint},
        ))

    async def notify(self, step: WaterfallStepContext, recipient: Leader, activity: Activity) -> None:
        """Tell the other leader once this turn is stored; if that fails, the leader in this chat is told so."""
        context, recipient_id, name = step.context, recipient.id, recipient.name

        async def send() -> None:
            try:
                await self.deps.notifier.notify(recipient_id, activity)
            except Exception:  # the proactive path can fail in many ways; the flow itself has succeeded
                logger.warning("Could not notify leader %s", recipient_id, exc_info=True)
                await context.send_activity(common.NOTIFY_FAILED.format(name=name))

        after_commit(context, send)

    async def on_begin_dialog(self, inner_dc: DialogContext, options: object) -> DialogTurnResult:
        """Start the flow (noting the agreement it works on); a refusal ends it."""
        if isinstance(options, dict) and "agreement_id" in options:
            inner_dc.parent.active_dialog.state[AT_HAND] = options["agreement_id"]
        try:
            return await super().on_begin_dialog(inner_dc, options)
        except AgreementError as exc:
            return await self._refused(inner_dc, exc)

    async def on_continue_dialog(self, inner_dc: DialogContext) -> DialogTurnResult:
        """Handle a command or a routing card first; otherwise continue the active step. A refusal ends the flow."""
        try:
            result = await self.interrupt(inner_dc)
            if result is not None:
                return result
            return await super().on_continue_dialog(inner_dc)
        except AgreementError as exc:
            return await self._refused(inner_dc, exc)

    async def _refused(self, inner_dc: DialogContext, exc: AgreementError) -> DialogTurnResult:
        """Tell the leader the polite reason and end this flow with False."""
        logger.info("%s refused for leader %s: %s", self.id, current_leader_id(inner_dc.context), type(exc).__name__)
        await inner_dc.context.send_activity(error_message(exc))
        await inner_dc.cancel_all_dialogs()
        return DialogTurnResult(DialogTurnStatus.Complete, False)

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
        if command is Command.VIEW:
            # In a flow, the agreement it works on; elsewhere the leader chooses.
            active = inner_dc.active_dialog
            at_hand = active.state.get(AT_HAND) if active is not None else None
            return await self.on_route(inner_dc, actions.submit_data(actions.VIEW_AGREEMENT, at_hand))
        shown = whole_text_request(activity)
        if shown is not None:
            # Read beside the question it belongs to: the question stays as it was asked.
            await send_whole_text(inner_dc.context, shown)
            return DialogTurnResult(DialogTurnStatus.Waiting)
        data = card_action_of(activity)
        if data is not None:
            return await self.on_route(inner_dc, data)
        return None

    async def on_route(self, inner_dc: DialogContext, data: dict) -> DialogTurnResult:
        """Leave this flow for what the card asks; the main dialog starts it."""
        await inner_dc.cancel_all_dialogs()
        return DialogTurnResult(DialogTurnStatus.Complete, {"route": data})
