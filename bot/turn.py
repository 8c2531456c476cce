"""One turn of a leader's dialog as one unit of work, committed before it is answered.

Everything the turn writes (an answer, a goal, a signature) and the dialog position it leads
to are stored in one transaction, with the dialog state's e_tag checked. The replies wait in an
outbox and are sent after the commit, and so are the notices the turn has for other leaders.
Every card sent in a turn carries the turn's step token in its buttons, so a submit says which
sending of which card it answers; the state remembers the question shown last and whether it
is known to have reached the leader.

A turn that meets a concurrent change (another turn of the same chat, a double click) is rolled
back and run once more on fresh state, where the repeat is recognised: an activity id already
handled, or the same card submit as the one handled last. A repeat is answered quietly.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from botbuilder.core import MessageFactory, StatePropertyAccessor, TurnContext
from botbuilder.dialogs import Dialog, DialogSet, DialogState, DialogTurnStatus
from botbuilder.schema import Activity, ActivityTypes, ResourceResponse
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from bot import texts
from bot.cards import as_typed, card, container, stamp, text, to_activity
from storage.bot_state import EtagConflictError, mark_delivered, read_state, write_state

logger = logging.getLogger(__name__)

TURN_KEY = "lederavtale.turn"
#: The field a card button carries its step token in.
STEP = "step"
DIALOG_STATE = "DialogState"
LEDGER = "turns"
#: How many activity ids a chat remembers, to know a redelivered one.
REMEMBERED = 20
#: How often a turn is run in all, when it keeps meeting concurrent changes.
ATTEMPTS = 3
#: PostgreSQL's serialization failure and deadlock: the turn is run again.
_RETRY_SQLSTATES = frozenset({"40001", "40P01"})
#: Sent as they are produced, not held for the commit.
_UNHELD = frozenset({ActivityTypes.trace, ActivityTypes.invoke_response})

Deferred = Callable[[], Awaitable[None]]


class TurnConflict(RuntimeError):
    """The turn's work collided with a concurrent change: the turn is run again on fresh state."""


class TurnNotOpen(RuntimeError):
    """Dialog code ran outside a turn of :class:`TurnRunner`."""


def state_key(activity: Activity) -> str:
    """The dialog state's key: the chat and the leader in it, so a leader only ever sees their own state."""
    channel = activity.channel_id or ""
    conversation = activity.conversation.id if activity.conversation else ""
    sender = activity.from_property.id if activity.from_property else ""
    return f"{channel}/conversations/{conversation}/users/{sender}"


def _digest(value: object) -> str:
    flat = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(flat.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def submit_fingerprint(activity: Activity) -> dict[str, str] | None:
    """A card submit's fields, each as a digest (no leader's text is kept); empty inputs left out.

    None for typed text.
    """
    if not isinstance(activity.value, dict):
        return None
    return {str(key): _digest(value) for key, value in activity.value.items() if value not in ("", None)}


@dataclass
class Ledger:
    """What a chat's state remembers of its turns: the activity ids handled, and the last one's card submit."""

    activities: list[str] = field(default_factory=list)
    last_submit: dict[str, str] | None = None

    @classmethod
    def of(cls, stored: object) -> Ledger:
        if not isinstance(stored, dict):
            return cls()
        last = stored.get("last_submit")
        return cls([item for item in stored.get("activities", []) if isinstance(item, str)],
                   last if isinstance(last, dict) else None)

    def as_dict(self) -> dict[str, object]:
        return {"activities": self.activities[-REMEMBERED:], "last_submit": self.last_submit}

    def knows(self, activity: Activity) -> bool:
        """Whether the activity was handled already: redelivered, or the card submit just handled sent again.

        A second click on a card's button may come without what was typed into the card (the
        client clears its fields after the first), so a submit from the same sending of the same
        card (its step token) that says nothing new counts as the same.
        """
        if activity.id and activity.id in self.activities:
            return True
        fingerprint = submit_fingerprint(activity)
        if not fingerprint or not self.last_submit:
            return False
        if STEP in fingerprint:
            return fingerprint.items() <= self.last_submit.items()
        return fingerprint == self.last_submit

    def handled(self, activity: Activity, *, refused: bool) -> None:
        if activity.id:
            self.activities.append(activity.id)
        # A refused submit is not remembered: sent again, it is refused again with its reason.
        self.last_submit = None if refused else submit_fingerprint(activity)


@dataclass
class Turn:
    """The unit of work of one turn: its session, its loaded state, and what it will send after the commit."""

    session: AsyncSession
    key: str
    token: str = field(default_factory=lambda: secrets.token_hex(8))
    etag: str | None = None
    dialog_state: DialogState | None = None
    ledger: Ledger = field(default_factory=Ledger)
    shown: str | None = None
    delivered: str | None = None
    asked: bool = False
    outbox: list[Activity] = field(default_factory=list)
    deferred: list[Deferred] = field(default_factory=list)
    committed: bool = False
    refused: bool = False


def current_turn(turn_context: TurnContext) -> Turn:
    """The turn under way; TurnNotOpen outside one."""
    turn = turn_context.turn_state.get(TURN_KEY)
    if turn is None:
        raise TurnNotOpen("dialog code must run inside TurnRunner.run")
    return turn


def turn_session(turn_context: TurnContext) -> AsyncSession:
    """The one database session of this turn: read and write through it, never commit it."""
    return current_turn(turn_context).session


def after_commit(turn_context: TurnContext, action: Deferred) -> None:
    """Run ``action`` (a notice to another leader) once the turn is stored, never before."""
    current_turn(turn_context).deferred.append(action)


def ask(turn_context: TurnContext) -> str:
    """Note that this turn asks a question; its step token, which the question's card carries."""
    turn = current_turn(turn_context)
    turn.shown = turn.token
    turn.asked = True
    return turn.token


def refused(turn_context: TurnContext) -> None:
    """Note that this turn refused what the leader sent: the same again is handled again, not taken as a repeat."""
    current_turn(turn_context).refused = True


def reached_leader(turn_context: TurnContext, token: str | None) -> bool:
    """Whether the question sent with ``token`` is known to have reached the leader."""
    turn = current_turn(turn_context)
    return token is not None and (turn.delivered == token or (turn.asked and turn.shown == token))


class TurnDialogState(StatePropertyAccessor):
    """The dialog stack of the turn's leader, as loaded by the turn (for ``DialogSet``)."""

    async def get(self, turn_context: TurnContext, default_value_or_factory=None) -> object:
        turn = current_turn(turn_context)
        if turn.dialog_state is None:
            default = default_value_or_factory
            turn.dialog_state = default() if callable(default) else default
        return turn.dialog_state

    async def set(self, turn_context: TurnContext, value: object) -> None:
        current_turn(turn_context).dialog_state = value

    async def delete(self, turn_context: TurnContext) -> None:
        current_turn(turn_context).dialog_state = None


#: What a concurrent change looks like from here: a stale e_tag or row version, a unique key taken.
CONFLICTS: tuple[type[Exception], ...] = (TurnConflict, EtagConflictError, StaleDataError, IntegrityError)


#: Card submit fields that are not the leader's own words.
_CONTROL_FIELDS = frozenset({"reply", "question", "label", "action", "option", "agreement", "agreement_id", STEP})


def given_back_activity(activity: Activity) -> Activity:
    """Nothing was stored: everything the leader wrote in the activity, word for word, with why."""
    if isinstance(activity.value, dict):
        written = [value for key, value in activity.value.items()
                   if key not in _CONTROL_FIELDS and isinstance(value, str) and value.strip()]
    else:
        written = [activity.text] if activity.text and activity.text.strip() else []
    if not written:
        return MessageFactory.text(texts.NOT_STORED)
    body = [text(texts.NOT_STORED, bold=True), text(texts.NOT_STORED_TEXT, subtle=True)]
    body += [container([as_typed(value)], style="emphasis", spacing="Small") for value in written]
    return to_activity(card(body, fallback=texts.NOT_STORED), summary=texts.NOT_STORED)


def hold(turn_context: TurnContext, activities: list[Activity]) -> list[ResourceResponse] | None:
    """The outbox, for an adapter's ``send_activities``: replies of an open turn wait for its commit.

    Returns the responses for held activities, or None when they are to be sent now (no turn
    under way, the turn is stored, or a trace or invoke response). Held cards get the turn's step
    token. (The adapter is where sending can wait: botbuilder's ``on_send_activities`` handlers
    cannot stop a send.)
    """
    turn = turn_context.turn_state.get(TURN_KEY)
    if turn is None or turn.committed or any(activity.type in _UNHELD for activity in activities):
        return None
    for activity in activities:
        stamp(activity, {STEP: turn.token})
    turn.outbox.extend(activities)
    return [ResourceResponse(id="") for _ in activities]


def _retryable(exc: BaseException) -> bool:
    if isinstance(exc, CONFLICTS):
        return True
    return isinstance(exc, DBAPIError) and getattr(exc.orig, "sqlstate", None) in _RETRY_SQLSTATES


class TurnRunner:
    """Runs a dialog turn as one unit of work: load, run, store, commit, then send."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession], dialog: Dialog) -> None:
        self._session_factory = session_factory
        self._dialog = dialog
        self._dialogs = DialogSet(TurnDialogState())
        self._dialogs.add(dialog)
        #: Chats whose replies this process is sending now, with the question's step token.
        self._sending: dict[str, str] = {}

    async def run(self, turn_context: TurnContext, before: Callable[[TurnContext], Awaitable[None]] | None = None) -> None:
        """Continue the leader's dialog (or start the root dialog), ``before`` it (a greeting) in the same turn."""
        key = state_key(turn_context.activity)
        for attempt in range(1, ATTEMPTS + 1):
            turn = Turn(self._session_factory(), key)
            turn_context.turn_state[TURN_KEY] = turn
            try:
                async with turn.session:
                    await self._load(turn)
                    await self._work(turn_context, turn, before)
                    await self._store(turn_context, turn)
                    # In flight from the commit on: a repeat that meets it stays quiet.
                    self._sending_from(turn)
                    await turn.session.commit()
                break
            except Exception as exc:
                self._sent(turn)
                if not _retryable(exc):
                    turn_context.turn_state.pop(TURN_KEY, None)
                    raise
                if attempt == ATTEMPTS:
                    turn_context.turn_state.pop(TURN_KEY, None)
                    logger.warning("Turn gave up after %d concurrent changes (%s)", ATTEMPTS, type(exc).__name__)
                    await turn_context.send_activity(given_back_activity(turn_context.activity))
                    return
                logger.info("Turn met a concurrent change (%s), running it again (attempt %d)",
                            type(exc).__name__, attempt + 1)
        await self._deliver(turn_context, turn)

    async def _load(self, turn: Turn) -> None:
        connection = await turn.session.connection()
        stored = await read_state(connection, turn.key, lock=True)
        if stored is None:
            return
        turn.etag, turn.shown, turn.delivered = stored.etag, stored.shown, stored.delivered
        dialog_state = stored.item.get(DIALOG_STATE)
        turn.dialog_state = dialog_state if isinstance(dialog_state, DialogState) else None
        turn.ledger = Ledger.of(stored.item.get(LEDGER))

    async def _work(self, turn_context: TurnContext, turn: Turn,
                    before: Callable[[TurnContext], Awaitable[None]] | None) -> None:
        dialog_context = await self._dialogs.create_context(turn_context)
        if turn.ledger.knows(turn_context.activity):
            await self._repeat(turn_context, turn, dialog_context)
            return
        if before is not None:
            await before(turn_context)
        result = await dialog_context.continue_dialog()
        if result.status == DialogTurnStatus.Empty:
            await dialog_context.begin_dialog(self._dialog.id)
        if not dialog_context.stack:
            turn.shown = None

    async def _repeat(self, turn_context: TurnContext, turn: Turn, dialog_context) -> None:
        """The same activity or submit again: said once more only if its answer may not have arrived."""
        arrived = turn.shown is None or turn.delivered == turn.shown or self._sending.get(turn.key) == turn.shown
        logger.info("Repeated activity in a chat (%s)", "answered quietly" if arrived else "question sent again")
        if arrived or not dialog_context.stack:
            await turn_context.send_activity(MessageFactory.text(texts.ALREADY_RECEIVED))
        else:
            await dialog_context.reprompt_dialog()

    async def _store(self, turn_context: TurnContext, turn: Turn) -> None:
        turn.ledger.handled(turn_context.activity, refused=turn.refused)
        item = {DIALOG_STATE: turn.dialog_state or DialogState(), LEDGER: turn.ledger.as_dict()}
        connection = await turn.session.connection()
        turn.etag = await write_state(connection, turn.key, item, etag=turn.etag, shown=turn.shown)

    def _sending_from(self, turn: Turn) -> None:
        if turn.asked and turn.shown is not None:
            self._sending[turn.key] = turn.shown

    def _sent(self, turn: Turn) -> None:
        if turn.shown is not None and self._sending.get(turn.key) == turn.shown:
            del self._sending[turn.key]

    async def _deliver(self, turn_context: TurnContext, turn: Turn) -> None:
        """Send the stored turn's replies, note that its question arrived, then its notices."""
        turn.committed = True
        try:
            if turn.outbox:
                await turn_context.send_activities(turn.outbox)
        except Exception:  # the turn is stored: its question is asked again when the leader writes next
            logger.warning("The replies of a stored turn could not be sent", exc_info=True)
        else:
            if turn.asked and turn.shown is not None:
                await self._mark_delivered(turn)
        finally:
            self._sent(turn)
        for action in turn.deferred:
            await action()

    async def _mark_delivered(self, turn: Turn) -> None:
        try:
            async with self._session_factory() as session, session.begin():
                await mark_delivered(await session.connection(), turn.key, turn.shown)
        except Exception:  # only costs a question asked again
            logger.warning("Could not note that a question reached the leader", exc_info=True)
