"""Making a copy of an agreement as a PDF, and the record every copy leaves (who, when, why; never the content).

:func:`make_copy` is the one way a document copy is made: it reads the agreement through the
access-checked path for the reader who asks, renders it, and records the copy in the same
session. The caller commits; a copy whose record is not committed must not be handed out.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from agreement import access_log
from agreement.errors import InvalidState
from agreement.opening import Reader
from documents.content import AgreementDocument, Localise, gather_document, variant_for
from documents.pdf import render_pdf
from storage.models import DocumentCopy, DocumentVariant

logger = logging.getLogger(__name__)

#: How a copy left: the channels recorded with it.
TEAMS = "teams"
COMMAND_LINE = "command line"
ARCHIVE_EXPORT = "archive export"
#: A leader's request for their own data (``lederavtale personal-data``, GDPR art. 15).
PERSONAL_DATA = "personal data"

#: The longest reason and case handler's name kept for an access request.
MAX_REASON_LENGTH = 2000
MAX_HANDLER_LENGTH = 200


class MissingJustification(InvalidState):
    """An access request's copy needs a reason and the name of the person handling the request."""


@dataclass(frozen=True)
class Copy:
    """A rendered copy and its record."""

    pdf: bytes
    document: AgreementDocument
    record: DocumentCopy


def _required(value: str | None, limit: int, what: str) -> str:
    cleaned = " ".join((value or "").split())
    if not cleaned:
        raise MissingJustification(f"an access request's copy needs {what}")
    if len(cleaned) > limit:
        raise MissingJustification(f"{what} is longer than {limit} characters")
    return cleaned


async def make_copy(session: AsyncSession, reader: Reader, localise: Localise, now: datetime, *, channel: str,
                    reason: str | None = None, handled_by: str | None = None,
                    purpose: access_log.Purpose | None = None) -> Copy:
    """Render the copy ``reader`` may have and record it (an access request's copy needs ``reason`` and ``handled_by``).

    The read is recorded in the access log in the same session (path ``pdf``, ``export`` or
    ``innsyn`` by the copy's variant; ``purpose`` overrides it, e.g. for a person's own data).
    An access request refused for want of a reason reads nothing, so it logs nothing.
    """
    if variant_for(reader.role) is DocumentVariant.INNSYN:
        reason = _required(reason, MAX_REASON_LENGTH, "a reason")
        handled_by = _required(handled_by, MAX_HANDLER_LENGTH, "the name of the person handling it")
    document = await gather_document(session, reader, localise, now,
                                     handled_by=handled_by.strip() if handled_by else None, purpose=purpose)
    # Rendering takes from a tenth of a second to a second: off the event loop, so other turns go on.
    pdf = await asyncio.to_thread(render_pdf, document)
    record = DocumentCopy(
        agreement_id=document.agreement_id,
        variant=document.variant,
        recipient_id=reader.viewer.id if document.variant is DocumentVariant.PAIR else None,  # type: ignore[union-attr]
        handled_by=handled_by,
        reason=reason if document.variant is DocumentVariant.INNSYN else None,
        channel=channel,
        sha256=hashlib.sha256(pdf).hexdigest(),
        made_at=now,
    )
    session.add(record)
    await session.flush()
    logger.info("Made the %s copy of agreement %s (%d bytes, via %s)", document.variant.value,
                document.agreement_id, len(pdf), channel)
    return Copy(pdf, document, record)


async def copies_made(session: AsyncSession, *, variant: DocumentVariant | None = None,
                      agreement_id: int | None = None) -> list[DocumentCopy]:
    """The copies recorded, the latest first."""
    query = select(DocumentCopy).order_by(DocumentCopy.made_at.desc(), DocumentCopy.id.desc())
    if variant is not None:
        query = query.where(DocumentCopy.variant == variant)
    if agreement_id is not None:
        query = query.where(DocumentCopy.agreement_id == agreement_id)
    return list((await session.scalars(query)).all())
