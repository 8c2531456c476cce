"""Handing a leader their own copy: the accepted file consent card, or the single-use link, taken once.

Only the leader the offer was made for gets the copy, while still a leader of the agreement and
the agreement still readable to them (it is opened through the one access-checked path). The
offer may have been made by another bot process sharing the database. Each hand-out runs in one
session: the offer is taken, the copy made and recorded, and both committed together before the
file leaves, so no copy is ever handed out unrecorded, and a copy that cannot be made leaves the
offer to be had. An upload that is refused takes its record back and gives the offer back; one
that broke off midway keeps both (the file may have arrived). A crash between the commit and the
upload leaves a record of a copy that did not arrive, never the other way round.

HR's overview spreadsheet and the planned conversation's ``.ics`` are handed out the same way
(a :class:`_Handout` each); they hold no agreement content, so only the offer is recorded.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
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
from bot.one_time_tokens import Kind, Offer, Outcome, Subject
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
from storage.models import DocumentCopy

logger = logging.getLogger(__name__)

_AGAIN = {"button": texts.BUTTON}


class NotHandedOut(Exception):
    """The copy is not handed out; ``message`` tells the leader why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class _Made:
    """A file made for a leader: its bytes, how the log names it (never its content), its copy record if any."""

    content: bytes
    what: str
    #: Taken back when the upload is refused (the agreement's copies are recorded; the others are not).
    record: DocumentCopy | None = None


@dataclass(frozen=True)
class _Handout:
    """One kind of file a consent card offers: which offers it takes, how it is made, what the leader is told."""

    matches: Callable[[Offer, dict], bool]
    refused: Callable[[Outcome], str]
    make: Callable[[AsyncSession, int, Offer], Awaitable[_Made]]
    upload_failed: str
    handed_out: str


class DocumentHandout:
    """The leaders' copies through Teams (:class:`bot.files.FileHandout`)."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession], deps: DialogDeps,
                 http: aiohttp.ClientSession) -> None:
        self._session_factory = session_factory
        self._deps = deps
        self._http = http
        self._agreement_copy = _Handout(
            matches=lambda offer, context: (offer.subject_kind is Subject.AGREEMENT
                                            and offer.subject == context.get("agreement_id")),
            refused=lambda outcome: {
                Outcome.USED: texts.ALREADY_HANDED_OUT.format(**_AGAIN), Outcome.NOT_OWNER: texts.NOT_YOURS,
            }.get(outcome, texts.OFFER_EXPIRED.format(**_AGAIN)),
            make=self._make_agreement_copy,
            upload_failed=texts.UPLOAD_FAILED.format(**_AGAIN), handed_out=texts.HANDED_OUT,
        )
        self._overview = _Handout(
            matches=lambda offer, context: (offer.subject_kind is Subject.OVERVIEW
                                            and offer.year == context.get("overview_year")),
            refused=lambda outcome: texts.NOT_YOURS if outcome is Outcome.NOT_OWNER else overview_texts.OFFER_GONE,
            make=self._make_overview,
            upload_failed=overview_texts.UPLOAD_FAILED, handed_out=overview_texts.HANDED_OUT,
        )
        self._meeting = _Handout(
            matches=lambda offer, context: (offer.subject_kind is Subject.MEETING
                                            and offer.subject == context.get("agreement_id")),
            refused=lambda outcome: plan_texts.ICS_NOT_YOURS if outcome is Outcome.NOT_OWNER else plan_texts.ICS_GONE,
            make=self._make_meeting,
            upload_failed=plan_texts.ICS_UPLOAD_FAILED, handed_out=plan_texts.ICS_HANDED_OUT,
        )

    async def accept(self, turn_context: TurnContext, reply: ConsentReply) -> None:
        """Make what the card offered, record it, put it in the leader's OneDrive and show it in the chat."""
        if "overview_year" in reply.context:
            handout = self._overview
        elif "meeting" in reply.context:
            handout = self._meeting
        else:
            handout = self._agreement_copy
        token = reply.context.get("token")
        async with self._session_factory() as session:
            try:
                made = await self._claim_and_make(turn_context, session, reply, handout)
            except NotHandedOut as refused:
                await session.rollback()
                await turn_context.send_activity(refused.message)
                return
            await session.commit()
            try:
                await upload(self._http, reply.upload.upload_url, made.content,
                             timeout=self._deps.settings.upload_timeout_seconds)
            except UploadFailed as failed:
                logger.warning("Could not upload %s: %s", made.what, failed)
                if failed.refused:
                    if made.record is not None:
                        await session.delete(made.record)
                    await one_time_tokens.give_back(session, token)
                    await session.commit()
                await turn_context.send_activity(handout.upload_failed)
                return
        logger.info("Handed out %s", made.what)
        await turn_context.send_activity(
            MessageFactory.attachment(file_info_attachment(reply.upload), handout.handed_out))

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

    async def _claim_and_make(self, turn_context: TurnContext, session: AsyncSession, reply: ConsentReply,
                              handout: _Handout) -> _Made:
        """What the accepted card offered its sender, if it was made for them and is still good (not committed)."""
        match = await identify_leader(turn_context, session)
        if match is None:
            raise NotHandedOut(bot_texts.UNKNOWN_USER)
        claim = await one_time_tokens.claim(session, reply.context.get("token"), Kind.CONSENT, self._deps.clock(),
                                            owner=match.leader_id)
        outcome = claim.outcome
        if outcome is Outcome.CLAIMED and not handout.matches(claim.offer, reply.context):
            outcome = Outcome.UNKNOWN
        if outcome is not Outcome.CLAIMED:
            logger.info("Refused an accepted file consent of leader %s (%s)", match.leader_id, outcome.value)
            raise NotHandedOut(handout.refused(outcome))
        return await handout.make(session, match.leader_id, claim.offer)

    async def _make_agreement_copy(self, session: AsyncSession, leader_id: int, offer: Offer) -> _Made:
        copy = await self._make(session, leader_id, offer.subject)
        return _Made(copy.pdf, f"copy {copy.record.id} of agreement {copy.record.agreement_id}", copy.record)

    async def _make_overview(self, session: AsyncSession, leader_id: int, offer: Offer) -> _Made:
        # Nothing is recorded beside the offer being taken: the spreadsheet holds status and dates,
        # which the leader sees in the overview card anyway (the access log is for content).
        content = await spreadsheet_for(session, self._deps, leader_id, offer.year)
        if content is None:
            raise NotHandedOut(overview_texts.NO_LONGER)
        return _Made(content, f"the overview of {offer.year} to leader {leader_id}")

    async def _make_meeting(self, session: AsyncSession, leader_id: int, offer: Offer) -> _Made:
        made = await self._meeting_file(session, leader_id, offer.subject)
        if made is None:
            raise NotHandedOut(plan_texts.ICS_GONE)
        return _Made(made[1], f"the meeting of agreement {offer.subject} as .ics")

    async def _make(self, session: AsyncSession, leader_id: int, agreement_id: int) -> copies.Copy:
        """The leader's copy of the agreement as stored now, recorded in ``session`` (not committed)."""
        try:
            opened = await open_agreement(session, leader_id, agreement_id)
        except (AccessDenied, NotFound):
            logger.info("Leader %s may no longer have a copy of agreement %s", leader_id, agreement_id)
            raise NotHandedOut(common.NO_ACCESS) from None
        now = self._deps.clock().astimezone(timezone.utc)
        return await copies.make_copy(session, opened, self._deps.local, now, channel=copies.TEAMS)

