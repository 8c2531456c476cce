"""Giving a Teams user a file: the file consent card, the upload to the user's OneDrive, the file info card.

Teams' way in a personal chat: the bot sends a file consent card; when the user accepts, Teams
sends a ``fileConsent/invoke`` with an upload session in the user's OneDrive, the bot PUTs the
file there and posts a file info card so that the file shows in the chat. Where that flow is not
available (the Agents Playground), a short-lived single-use link from the bot's own endpoint
serves the file instead (``GET /api/documents/{token}``).

Nothing here knows what the file holds: the hand-out itself is injected (:class:`FileHandout`).
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, Protocol
from urllib.parse import quote

import aiohttp
from aiohttp import web
from botbuilder.core import MessageFactory, TurnContext
from botbuilder.schema import Activity, Attachment
from botbuilder.schema.teams import FileConsentCard, FileConsentCardResponse, FileInfoCard, FileUploadInfo
from msrest.exceptions import DeserializationError

from bot import texts
from bot.cards import card, heading, open_url, text, to_activity

logger = logging.getLogger(__name__)

FILE_CONSENT_INVOKE = "fileConsent/invoke"
CONSENT_CARD = "application/vnd.microsoft.teams.card.file.consent"
FILE_INFO_CARD = "application/vnd.microsoft.teams.card.file.info"
PDF = "application/pdf"
ACCEPT = "accept"
DECLINE = "decline"
#: The route of a single-use link (see :func:`serve_link`).
LINK_ROUTE = "/api/documents/{token}"
#: Characters OneDrive does not allow in a file name.
_NOT_IN_NAMES = re.compile(r'["*:<>?/\\|\x00-\x1f]')


class MalformedConsent(ValueError):
    """A ``fileConsent/invoke`` whose value is not what Teams sends."""


@dataclass(frozen=True)
class ConsentReply:
    """The user's answer to a file consent card: the context the card carried and, on accept, the upload session."""

    action: str
    context: dict[str, Any]
    upload: FileUploadInfo | None


class UploadFailed(RuntimeError):
    """The file could not be put in the user's OneDrive.

    ``refused`` is True when it is known not to have arrived (the target answered with an error or
    could not be reached), False when it may have (the upload timed out or broke off midway).
    """

    def __init__(self, message: str, *, refused: bool) -> None:
        super().__init__(message)
        self.refused = refused


@dataclass(frozen=True)
class ServedFile:
    """A file handed out through a single-use link."""

    name: str
    content: bytes
    content_type: str = PDF


class LinkGone(LookupError):
    """A link that serves nothing: ``status`` (404 or 410) and the page to show."""

    def __init__(self, status: int, page: str) -> None:
        super().__init__(page)
        self.status = status
        self.page = page


class FileHandout(Protocol):
    """Hands a file to the user of a turn: what the bot does with a consent answer or a link."""

    async def accept(self, turn_context: TurnContext, reply: ConsentReply) -> None:
        """The user accepted the file consent card: upload, record, show the file."""

    async def decline(self, turn_context: TurnContext, reply: ConsentReply) -> None:
        """The user declined the file consent card."""

    async def serve(self, token: str) -> ServedFile:
        """The file behind a single-use link; LinkGone when there is none (any more)."""


def safe_file_name(name: str) -> str:
    """``name`` without the characters OneDrive refuses, and without runs of spaces."""
    return " ".join(_NOT_IN_NAMES.sub(" ", name).split())


def attachment_disposition(name: str) -> str:
    """A Content-Disposition that saves the file as ``name`` (RFC 6266: an ASCII fallback and the UTF-8 name)."""
    fallback = name.encode("ascii", "replace").decode("ascii").replace("?", "_")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name)}"


def consent_attachment(name: str, size: int, description: str, context: dict[str, Any]) -> Attachment:
    """The file consent card asking the user to accept the file ``name`` of ``size`` bytes."""
    card = FileConsentCard(description=description, size_in_bytes=size, accept_context=context,
                           decline_context=context)
    return Attachment(content_type=CONSENT_CARD, name=safe_file_name(name), content=card)


def consent_offer(name: str, size: int, description: str, context: dict[str, Any], summary: str) -> Activity:
    """A file offered through Teams' file consent card (accepted or declined as a ``fileConsent`` invoke)."""
    activity = MessageFactory.attachment(consent_attachment(name, size, description, context))
    activity.summary = summary
    return activity


def link_offer(base_url: str, token: str, title: str, link_text: str, button: str) -> Activity:
    """A file offered as a card with a button to its single-use link (:func:`serve_link`)."""
    content = card([heading(title, size="Medium"), text(link_text)],
                   [open_url(button, base_url + LINK_ROUTE.format(token=token))], fallback=title)
    return to_activity(content, summary=title)


def file_info_attachment(upload: FileUploadInfo) -> Attachment:
    """The file info card that shows the uploaded file in the chat."""
    card = FileInfoCard(unique_id=upload.unique_id, file_type=upload.file_type)
    return Attachment(content_type=FILE_INFO_CARD, content_url=upload.content_url, name=upload.name, content=card)


def read_consent(value: object) -> ConsentReply:
    """The consent answer in a ``fileConsent/invoke``'s value; MalformedConsent for anything else."""
    if not isinstance(value, dict):
        raise MalformedConsent("the value is not an object")
    try:
        response = FileConsentCardResponse().deserialize(value)
    except DeserializationError:
        raise MalformedConsent("the value is not a file consent response") from None
    if response.action not in (ACCEPT, DECLINE):
        raise MalformedConsent("the action is neither accept nor decline")
    if not isinstance(response.context, dict):
        raise MalformedConsent("the context is not an object")
    upload = response.upload_info
    if response.action == ACCEPT:
        fields = (upload.upload_url, upload.content_url, upload.name, upload.unique_id) if upload else ()
        if not fields or not all(isinstance(item, str) and item for item in fields):
            raise MalformedConsent("an accept without a complete upload session")
        if not upload.upload_url.lower().startswith(("https://", "http://")):
            raise MalformedConsent("the upload URL is not a web address")
    return ConsentReply(response.action, response.context, upload)


async def upload(http: aiohttp.ClientSession, upload_url: str, content: bytes, *, timeout: float) -> None:
    """PUT ``content`` as the whole file to a OneDrive upload session; UploadFailed if it did not succeed."""
    size = len(content)
    headers = {"Content-Length": str(size), "Content-Range": f"bytes 0-{size - 1}/{size}"}
    try:
        async with http.put(upload_url, data=content, headers=headers,
                            timeout=aiohttp.ClientTimeout(total=timeout)) as response:
            if response.status >= HTTPStatus.BAD_REQUEST:
                raise UploadFailed(f"the upload target answered {response.status}", refused=True)
    except aiohttp.ClientConnectorError as exc:
        raise UploadFailed(f"the upload target could not be reached ({type(exc).__name__})", refused=True) from exc
    except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
        raise UploadFailed(f"the upload broke off ({type(exc).__name__})", refused=False) from exc


# --- the single-use link ------------------------------------------------------------------

HANDOUT = web.AppKey("file_handout", FileHandout)


def _page(status: int, message: str) -> web.Response:
    return web.Response(status=status, text=message, content_type="text/plain", charset="utf-8",
                        headers={"Cache-Control": "no-store"})


async def serve_link(request: web.Request) -> web.StreamResponse:
    """``GET /api/documents/{token}``: the file behind a single-use link, once; a clear page otherwise."""
    handout = request.app.get(HANDOUT)
    if handout is None:
        return _page(HTTPStatus.NOT_FOUND, texts.LINK_UNKNOWN)
    try:
        served = await handout.serve(request.match_info["token"])
    except LinkGone as gone:
        return _page(gone.status, gone.page)
    name = safe_file_name(served.name)
    return web.Response(
        body=served.content,
        content_type=served.content_type,
        headers={
            "Content-Disposition": attachment_disposition(name),
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )
