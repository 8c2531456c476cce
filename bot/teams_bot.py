"""The Teams activity handler: who is speaking, where to reach them, and which dialog answers."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from http import HTTPStatus

from botbuilder.core import InvokeResponse, TurnContext
from botbuilder.core.teams import TeamsActivityHandler
from botbuilder.schema import Activity, ConversationReference
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import texts
from bot.files import ACCEPT, FILE_CONSENT_INVOKE, FileHandout, MalformedConsent, read_consent
from bot.identity import LeaderMatch, identify_leader
from bot.tenants import activity_tenant_id
from bot.turn import TurnRunner
from storage.conversation_refs import save_reference

logger = logging.getLogger(__name__)

#: Sends the greeting for a leader's first contact; the dialog runs right after it.
Greeter = Callable[[TurnContext, LeaderMatch], Awaitable[None]]
#: Makes the leader of this turn known to the dialogs.
LeaderSetter = Callable[[TurnContext, int], None]


def strip_recipient_mentions(activity: Activity) -> str:
    """Remove every @mention of the bot from the text (Teams puts ``<at>name</at>`` in it)."""
    text = activity.text or ""
    recipient_id = activity.recipient.id if activity.recipient else None
    removed = False
    for entity in activity.entities or []:
        if (getattr(entity, "type", None) or "").lower() != "mention":
            continue
        properties = getattr(entity, "additional_properties", None) or {}
        mentioned = properties.get("mentioned")
        if not isinstance(mentioned, dict) or mentioned.get("id") != recipient_id:
            continue
        mention_text = properties.get("text")
        if not isinstance(mention_text, str) or not mention_text:
            name = mentioned.get("name")
            mention_text = f"<at>{name}</at>" if isinstance(name, str) and name else ""
        if mention_text and mention_text in text:
            # A literal replacement: a bot name is text, not a regular expression.
            text = text.replace(mention_text, " ")
            removed = True
    if removed:
        # Only the mention goes: the leader's own line breaks stay.
        text = "\n".join(" ".join(line.split()) for line in text.split("\n")).strip()
    if activity.text is not None:
        activity.text = text
    return text


def conversation_reference(activity: Activity) -> ConversationReference:
    """The reference for proactive messages, without the id of this turn's activity.

    Leaving out the activity id keeps the stored reference the same from turn to turn (so it
    is written only when something real changed) and makes proactive messages new posts
    rather than replies to an old message.
    """
    reference = TurnContext.get_conversation_reference(activity)
    reference.activity_id = None
    if reference.conversation is not None and not reference.conversation.tenant_id:
        # Teams' "tenantId" is not in botbuilder's model (which says "tenantID"); keep it.
        reference.conversation.tenant_id = activity_tenant_id(activity)
    return reference


def _conversation_id(data: dict | None) -> str | None:
    conversation = (data or {}).get("conversation")
    return conversation.get("id") if isinstance(conversation, dict) else None


#: Teams conversation types where others than the leader would see what the bot writes.
SHARED_CONVERSATION_TYPES = frozenset({"groupchat", "channel"})


def in_shared_conversation(activity: Activity) -> bool:
    """Whether the activity comes from a group chat or a channel rather than a personal chat."""
    conversation_type = activity.conversation.conversation_type if activity.conversation else None
    return isinstance(conversation_type, str) and conversation_type.lower() in SHARED_CONVERSATION_TYPES


@dataclass(frozen=True)
class Contact:
    """A known leader in this turn, and whether this is their first contact in this conversation."""

    match: LeaderMatch
    first: bool


class LederavtaleBot(TeamsActivityHandler):
    """Identifies the leader, keeps their conversation reference fresh and hands the turn to the dialog."""

    def __init__(
        self,
        *,
        session_factory: async_sessionmaker[AsyncSession],
        runner: TurnRunner,
        set_leader: LeaderSetter,
        greeter: Greeter,
        files: FileHandout | None = None,
    ) -> None:
        self._session_factory = session_factory
        self._runner = runner
        self._set_leader = set_leader
        self._greeter = greeter
        self._files = files

    async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse | None:
        """Answer invokes this bot does not handle with an empty 200, as Teams expects, not 501."""
        if turn_context.activity.name == "adaptiveCard/action":
            # No card of ours uses Action.Execute, and botbuilder answers a malformed one with an
            # error body it cannot serialize.
            return InvokeResponse(status=HTTPStatus.OK)
        if turn_context.activity.name == FILE_CONSENT_INVOKE and self._files is not None:
            return await self._file_consent(turn_context)
        response = await super().on_invoke_activity(turn_context)
        if response is not None and response.status == HTTPStatus.NOT_IMPLEMENTED:
            logger.info("Answered an unhandled invoke %s with an empty response", ascii(turn_context.activity.name))
            return InvokeResponse(status=HTTPStatus.OK)
        return response

    async def _file_consent(self, turn_context: TurnContext) -> InvokeResponse:
        """The answer to a file consent card: handed to the file hand-out; a malformed one gets a 400."""
        try:
            reply = read_consent(turn_context.activity.value)
        except MalformedConsent as exc:
            logger.info("Refused a malformed file consent: %s", exc)
            return InvokeResponse(status=HTTPStatus.BAD_REQUEST, body=f"malformed file consent: {exc}")
        if in_shared_conversation(turn_context.activity):
            await turn_context.send_activity(texts.NOT_PERSONAL)
        elif reply.action == ACCEPT:
            await self._files.accept(turn_context, reply)
        else:
            await self._files.decline(turn_context, reply)
        return InvokeResponse(status=HTTPStatus.OK)

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        """A message or a card submit: answer unknown senders, greet newcomers, run the dialog."""
        strip_recipient_mentions(turn_context.activity)
        if in_shared_conversation(turn_context.activity):
            # Agreement content must never be posted where others can read it.
            await turn_context.send_activity(texts.NOT_PERSONAL)
            return
        contact = await self.contact(turn_context)
        if contact is None:
            await turn_context.send_activity(texts.UNKNOWN_USER)
            return
        await self._run_dialog(turn_context, contact)

    async def on_conversation_update_activity(self, turn_context: TurnContext) -> None:
        """The bot was added to a conversation (installed): greet, or explain to an outsider."""
        activity = turn_context.activity
        bot_id = activity.recipient.id if activity.recipient else None
        if not any(member.id == bot_id for member in activity.members_added or []):
            return
        await self._installed(turn_context, explain_unknown=True)

    async def on_installation_update_add(self, turn_context: TurnContext) -> None:
        """The app was installed: store the reference and greet a newcomer."""
        # Teams also sends a conversationUpdate for the same install; the explanation for an
        # outsider goes out with that one only, so it is not sent twice.
        await self._installed(turn_context, explain_unknown=False)

    async def _installed(self, turn_context: TurnContext, *, explain_unknown: bool) -> None:
        if in_shared_conversation(turn_context.activity):
            if explain_unknown:
                await turn_context.send_activity(texts.NOT_PERSONAL)
            return
        contact = await self.contact(turn_context)
        if contact is None:
            if explain_unknown:
                await turn_context.send_activity(texts.UNKNOWN_USER)
            return
        if contact.first:
            await self._run_dialog(turn_context, contact)

    async def contact(self, turn_context: TurnContext) -> Contact | None:
        """Identify the sender and store or refresh their conversation reference (one session)."""
        reference = conversation_reference(turn_context.activity)
        data = reference.serialize()
        async with self._session_factory() as session:
            match = await identify_leader(turn_context, session)
            if match is None:
                return None
            stored = match.reference
            first = stored is None or _conversation_id(stored.reference) != _conversation_id(data)
            changed = stored is None or stored.reference != data or not stored.reachable
            if changed:
                await save_reference(session, match.leader_id, reference)
            if changed or match.object_id_stored:
                try:
                    await session.commit()
                except IntegrityError:
                    # Teams sends conversationUpdate and installationUpdate at the same moment:
                    # the other turn stored the first reference (and greets).
                    await session.rollback()
                    logger.info("Conversation reference of leader %s stored concurrently", match.leader_id)
                    first = False
                else:
                    if changed:
                        logger.info("Stored the conversation reference of leader %s", match.leader_id)
        return Contact(match, first)

    async def _run_dialog(self, turn_context: TurnContext, contact: Contact) -> None:
        """Run the leader's dialog turn as one unit of work, greeting a newcomer first."""
        self._set_leader(turn_context, contact.match.leader_id)

        async def greet(context: TurnContext) -> None:
            await self._greeter(context, contact.match)

        await self._runner.run(turn_context, greet if contact.first else None)
