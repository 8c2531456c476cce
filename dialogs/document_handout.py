"""Handing a leader their own copy: the accepted file consent card, or the single-use link, taken once.

Only the leader the offer was made for gets the copy, while still a leader of the agreement and
the agreement still readable to them (it is opened through the one access-checked path). The
offer may have been made by another bot process sharing the database. Each hand-out runs in one
session: the offer is taken, the copy made and recorded, and both committed together before the
file leaves, so no copy is ever handed out unrecorded, and a copy that cannot be made leaves the
offer to be had. An upload that is refused takes its record back and gives the offer back; one
that broke off midway keeps both (the file may have arrived). A crash between the commit and the
upload leaves a record of a copy that did not arrive, never the other way round.
"""

from __future__ import annotations

import logging
from datetime import timezone

import aiohttp
from botbuilder.core import MessageFactory, TurnContext
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from agreement.access import Role
from agreement.errors import AccessDenied, NotFound
from agreement.opening import open_agreement
from bot import texts as bot_texts
from bot.files import ConsentReply, LinkGone, ServedFile, UploadFailed, file_info_attachment, upload
from bot.identity import identify_leader
from bot import one_time_tokens
from bot.one_time_tokens import Kind, Outcome, Subject
from dialogs.document_dialog import file_name
from dialogs.flow import DialogDeps
from dialogs.hr_overview import spreadsheet_for
from dialogs.meeting_invitation import calendar_file, ics_file_name
from dialogs.texts import common
from dialogs.texts import document as texts
from dialogs.texts import hr_overview as overview_texts
from dialogs.texts import plan as plan_texts
from documents import copies
from documents.meeting_ics import CALENDAR
from documents.overview_xlsx import XLSX
from documents.overview_xlsx import file_name as overview_file_name

logger = logging.getLogger(__name__)

_AGAIN = {"button": texts.BUTTON}


class NotHandedOut(Exception):
    """The copy is not handed out; ``message`` tells the leader why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class DocumentHandout:
    """The leaders' copies through Teams (:class:`bot.files.FileHandout`)."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession], deps: DialogDeps,
                 http: aiohttp.ClientSession) -> None:
        self._session_factory = session_factory
        self._deps = deps
        self._http = http

    async def accept(self, turn_context: TurnContext, reply: ConsentReply) -> None:
        """Make the leader's copy, record it, put it in their OneDrive and show it in the chat."""
        if "overview_year" in reply.context:
            await self._accept_overview(turn_context, reply)
            return
        if "meeting" in reply.context:
            await self._accept_meeting(turn_context, reply)
            return
        async with self._session_factory() as session:
            try:
                copy = await self._copy_for_sender(turn_context, session, reply)
            except NotHandedOut as refused:
                await session.rollback()
                await turn_context.send_activity(refused.message)
                return
            await session.commit()
            try:
                await upload(self._http, reply.upload.upload_url, copy.pdf,
                             timeout=self._deps.settings.upload_timeout_seconds)
            except UploadFailed as failed:
                logger.warning("Could not upload the copy of agreement %s: %s", copy.record.agreement_id, failed)
                if failed.refused:
                    await session.delete(copy.record)
                    await one_time_tokens.give_back(session, reply.context["token"])
                    await session.commit()
                await turn_context.send_activity(texts.UPLOAD_FAILED.format(**_AGAIN))
                return
        logger.info("Handed out copy %s of agreement %s", copy.record.id, copy.record.agreement_id)
        activity = MessageFactory.attachment(file_info_attachment(reply.upload), texts.HANDED_OUT)
        await turn_context.send_activity(activity)

    async def decline(self, turn_context: TurnContext, reply: ConsentReply) -> None:
        """Nothing is made or recorded; the offer simply runs out."""
        await turn_context.send_activity(texts.DECLINED)

    async def serve(self, token: str) -> ServedFile:
        """The copy behind a single-use link, made and recorded now; LinkGone when there is none."""
        async with self._session_factory() as session:
            claim = await one_time_tokens.claim(session, token, Kind.LINK, self._deps.clock())
            if claim.outcome in (Outcome.USED, Outcome.EXPIRED) and claim.offer.subject_kind is Subject.MEETING:
                raise LinkGone(410, plan_texts.ICS_GONE)
            if claim.outcome is Outcome.USED:
                raise LinkGone(410, texts.LINK_USED)
            if claim.outcome is Outcome.EXPIRED:
                raise LinkGone(410, texts.LINK_EXPIRED)
            if claim.outcome is not Outcome.CLAIMED:
                raise LinkGone(404, bot_texts.LINK_UNKNOWN)
            offer = claim.offer
            if offer.subject_kind is Subject.OVERVIEW:
                content = await spreadsheet_for(session, self._deps, offer.owner, offer.year)
                if content is None:
                    raise LinkGone(410, overview_texts.NO_LONGER)
                await session.commit()
                logger.info("Handed out the overview of %s to leader %s by link", offer.year, offer.owner)
                return ServedFile(overview_file_name(offer.year), content, XLSX)
            if offer.subject_kind is Subject.MEETING:
                made = await self._meeting_file(session, offer.owner, offer.subject)
                if made is None:
                    raise LinkGone(410, plan_texts.ICS_GONE)
                await session.commit()
                logger.info("Handed out the meeting of agreement %s as .ics by link", offer.subject)
                return ServedFile(*made, CALENDAR)
            try:
                copy = await self._make(session, offer.owner, offer.subject)
            except NotHandedOut:
                # Left without a commit: the offer is given back and the link can be tried again.
                raise LinkGone(410, texts.LINK_UNAVAILABLE) from None
            await session.commit()
            logger.info("Handed out copy %s of agreement %s by link", copy.record.id, offer.subject)
            return ServedFile(file_name(copy.document.year, copy.document.subordinate_name), copy.pdf)

    async def _accept_overview(self, turn_context: TurnContext, reply: ConsentReply) -> None:
        """The overview's spreadsheet for the sender of an accept: taken once, made now, put in their OneDrive.

        Nothing is recorded beside the offer being taken: the spreadsheet holds status and dates,
        which the leader sees in the overview card anyway (the access log is for content).
        """
        token = reply.context.get("token")
        async with self._session_factory() as session:
            match = await identify_leader(turn_context, session)
            if match is None:
                await turn_context.send_activity(bot_texts.UNKNOWN_USER)
                return
            claim = await one_time_tokens.claim(session, token, Kind.CONSENT, self._deps.clock(),
                                                owner=match.leader_id)
            outcome = claim.outcome
            if outcome is Outcome.CLAIMED and (claim.offer.subject_kind is not Subject.OVERVIEW
                                               or claim.offer.year != reply.context.get("overview_year")):
                outcome = Outcome.UNKNOWN
            content = None
            if outcome is Outcome.CLAIMED:
                content = await spreadsheet_for(session, self._deps, match.leader_id, claim.offer.year)
            if content is None:
                await session.rollback()
                await turn_context.send_activity(
                    texts.NOT_YOURS if outcome is Outcome.NOT_OWNER
                    else overview_texts.NO_LONGER if outcome is Outcome.CLAIMED
                    else overview_texts.OFFER_GONE)
                return
            await session.commit()
            try:
                await upload(self._http, reply.upload.upload_url, content,
                             timeout=self._deps.settings.upload_timeout_seconds)
            except UploadFailed as failed:
                logger.warning("Could not upload the overview of %s: %s", claim.offer.year, failed)
                if failed.refused:
                    await one_time_tokens.give_back(session, token)
                    await session.commit()
                await turn_context.send_activity(overview_texts.UPLOAD_FAILED)
                return
        logger.info("Handed out the overview of %s to leader %s", claim.offer.year, match.leader_id)
        await turn_context.send_activity(
            MessageFactory.attachment(file_info_attachment(reply.upload), overview_texts.HANDED_OUT))

    async def _accept_meeting(self, turn_context: TurnContext, reply: ConsentReply) -> None:
        """The planned conversation's .ics for the sender of an accept: taken once, made now, put in their OneDrive."""
        token = reply.context.get("token")
        async with self._session_factory() as session:
            match = await identify_leader(turn_context, session)
            if match is None:
                await turn_context.send_activity(bot_texts.UNKNOWN_USER)
                return
            claim = await one_time_tokens.claim(session, token, Kind.CONSENT, self._deps.clock(),
                                                owner=match.leader_id)
            made = None
            if claim.outcome is Outcome.CLAIMED and claim.offer.subject_kind is Subject.MEETING \
                    and claim.offer.subject == reply.context.get("agreement_id"):
                made = await self._meeting_file(session, match.leader_id, claim.offer.subject)
            if made is None:
                await session.rollback()
                await turn_context.send_activity(
                    plan_texts.ICS_NOT_YOURS if claim.outcome is Outcome.NOT_OWNER else plan_texts.ICS_GONE)
                return
            await session.commit()
            try:
                await upload(self._http, reply.upload.upload_url, made[1],
                             timeout=self._deps.settings.upload_timeout_seconds)
            except UploadFailed as failed:
                logger.warning("Could not upload the meeting of agreement %s: %s", claim.offer.subject, failed)
                if failed.refused:
                    await one_time_tokens.give_back(session, token)
                    await session.commit()
                await turn_context.send_activity(plan_texts.ICS_UPLOAD_FAILED)
                return
        logger.info("Handed out the meeting of agreement %s as .ics", claim.offer.subject)
        await turn_context.send_activity(
            MessageFactory.attachment(file_info_attachment(reply.upload), plan_texts.ICS_HANDED_OUT))

    async def _meeting_file(self, session: AsyncSession, leader_id: int,
                            agreement_id: int) -> tuple[str, bytes] | None:
        """The .ics name and content of a conversation ``leader_id`` still plans; None when they no longer do."""
        try:
            opened = await open_agreement(session, leader_id, agreement_id, require=Role.SUPERIOR)
        except (AccessDenied, NotFound):
            return None
        if opened.agreement.meeting_at is None:
            return None
        content = await calendar_file(session, opened, self._deps.settings.meeting_minutes, self._deps.clock())
        return ics_file_name(opened.agreement.subordinate), content

    async def _copy_for_sender(self, turn_context: TurnContext, session: AsyncSession,
                               reply: ConsentReply) -> copies.Copy:
        """The copy for the sender of an accept, if the card was made for them and is still good."""
        match = await identify_leader(turn_context, session)
        if match is None:
            raise NotHandedOut(bot_texts.UNKNOWN_USER)
        claim = await one_time_tokens.claim(session, reply.context.get("token"), Kind.CONSENT, self._deps.clock(),
                                            owner=match.leader_id)
        outcome = claim.outcome
        if outcome is Outcome.CLAIMED and (claim.offer.subject_kind is not Subject.AGREEMENT
                                           or claim.offer.subject != reply.context.get("agreement_id")):
            outcome = Outcome.UNKNOWN
        if outcome is not Outcome.CLAIMED:
            logger.info("Refused an accepted file consent of leader %s (%s)", match.leader_id, outcome.value)
            raise NotHandedOut({
                Outcome.USED: texts.ALREADY_HANDED_OUT.format(**_AGAIN),
                Outcome.NOT_OWNER: texts.NOT_YOURS,
            }.get(outcome, texts.OFFER_EXPIRED.format(**_AGAIN)))
        return await self._make(session, match.leader_id, claim.offer.subject)

    async def _make(self, session: AsyncSession, leader_id: int, agreement_id: int) -> copies.Copy:
        """The leader's copy of the agreement as stored now, recorded in ``session`` (not committed)."""
        try:
            opened = await open_agreement(session, leader_id, agreement_id)
        except (AccessDenied, NotFound):
            logger.info("Leader %s may no longer have a copy of agreement %s", leader_id, agreement_id)
            raise NotHandedOut(common.NO_ACCESS) from None
        now = self._deps.clock().astimezone(timezone.utc)
        return await copies.make_copy(session, opened, self._deps.local, now, channel=copies.TEAMS)

