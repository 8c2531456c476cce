"""One-time tokens for files offered to a user: random, bound to the user and the thing offered, short-lived.

The offers are kept in the database (``document_offers``), so that any bot process sharing it
can take a token another one issued, also after a restart. Only a token's SHA-256 is stored:
whoever reads the table cannot use what is in it. Issuing and claiming work in the caller's
session and count once it commits; a rollback takes an issue back and gives a claim back.
"""

from __future__ import annotations

import enum
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import DocumentOffer

#: How long a used or expired token is still recognised as such (after that it is unknown).
KEPT_AFTER = timedelta(hours=1)


class Kind(str, enum.Enum):
    """What a token opens: the accept of a file consent card, or a link."""

    CONSENT = "consent"
    LINK = "link"


class Subject(str, enum.Enum):
    """What is offered: a leader's copy of one agreement, a year's overview (HR's spreadsheet), or a planned meeting (.ics)."""

    AGREEMENT = "agreement"
    OVERVIEW = "overview"
    #: The planned conversation of one agreement as a calendar file, for the superior who planned it.
    MEETING = "meeting"


@dataclass(frozen=True)
class Offer:
    """What a token was issued for: which user (a leader id), which thing (an agreement id), until when.

    An overview's offer has ``subject_kind`` OVERVIEW, its ``year``, and no agreement (``subject`` None).
    """

    kind: Kind
    owner: int
    subject: int | None
    expires_at: datetime
    subject_kind: Subject = Subject.AGREEMENT
    year: int | None = None


class Outcome(enum.Enum):
    """What became of a claim."""

    CLAIMED = "claimed"
    UNKNOWN = "unknown"
    USED = "used"
    EXPIRED = "expired"
    #: Someone else than the owner tried it: refused, and the token stays the owner's.
    NOT_OWNER = "not owner"


@dataclass(frozen=True)
class Claim:
    """The outcome of a claim, with the offer when the token was known."""

    outcome: Outcome
    offer: Offer | None = None


def token_hash(token: str) -> str:
    """The SHA-256 of a token (hex), as the offer is stored under."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def _utc(moment: datetime) -> datetime:
    # SQLite gives timestamps back naive (in UTC) and stores aware ones without their offset.
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


async def issue(session: AsyncSession, kind: Kind, owner: int, subject: int | None, now: datetime,
                lifetime: timedelta, *, subject_kind: Subject = Subject.AGREEMENT, year: int | None = None) -> str:
    """A new token for ``owner`` and ``subject``, valid for ``lifetime`` from ``now``, written in ``session``.

    ``subject`` is an agreement's id; for an overview (``subject_kind`` OVERVIEW) it is None and ``year`` says which.
    """
    overview = subject_kind is Subject.OVERVIEW
    if (subject is None) != overview or (year is None) == overview:
        raise ValueError("an agreement's offer names the agreement; an overview's names its year and no agreement")
    moment = _utc(now)
    # Old offers go here, where a new one comes: until then an old token is told as used or
    # expired, not as unknown.
    await session.execute(delete(DocumentOffer).where(DocumentOffer.expires_at <= moment - KEPT_AFTER)
                          .execution_options(synchronize_session=False))
    token = secrets.token_urlsafe(32)
    session.add(DocumentOffer(token_hash=token_hash(token), kind=kind.value, leader_id=owner, agreement_id=subject,
                              subject=subject_kind.value, year=year, created_at=moment, expires_at=moment + lifetime))
    await session.flush()
    return token


async def claim(session: AsyncSession, token: object, kind: Kind, now: datetime, *,
                owner: int | None = None) -> Claim:
    """Use ``token`` (of ``kind``; for ``owner`` when given) in ``session``: the offer once, then USED.

    One conditional update takes it, so of two claims at the same moment, in any process, one
    wins; the other waits for the winner's commit and is told USED (or wins if it rolled back).
    """
    if not isinstance(token, str):
        return Claim(Outcome.UNKNOWN)
    digest = token_hash(token)
    moment = _utc(now)
    taking = update(DocumentOffer).where(
        DocumentOffer.token_hash == digest,
        DocumentOffer.kind == kind.value,
        DocumentOffer.used_at.is_(None),
        DocumentOffer.expires_at > moment,
    )
    if owner is not None:
        taking = taking.where(DocumentOffer.leader_id == owner)
    taken = await session.execute(taking.values(used_at=moment).execution_options(synchronize_session=False))
    row = (await session.execute(
        select(DocumentOffer.kind, DocumentOffer.leader_id, DocumentOffer.agreement_id, DocumentOffer.expires_at,
               DocumentOffer.used_at, DocumentOffer.subject, DocumentOffer.year)
        .where(DocumentOffer.token_hash == digest)
    )).one_or_none()
    if row is None or row.kind != kind.value:
        return Claim(Outcome.UNKNOWN)
    offer = Offer(kind, row.leader_id, row.agreement_id, _utc(row.expires_at), Subject(row.subject), row.year)
    if taken.rowcount == 1:
        return Claim(Outcome.CLAIMED, offer)
    if owner is not None and owner != offer.owner:
        return Claim(Outcome.NOT_OWNER)
    if row.used_at is None and moment >= offer.expires_at:
        return Claim(Outcome.EXPIRED, offer)
    # Used, or taken at this very moment by a claim that has given it back since.
    return Claim(Outcome.USED, offer)


async def give_back(session: AsyncSession, token: str) -> None:
    """Make a claimed ``token`` claimable again, in ``session`` (what it opened did not reach the user)."""
    await session.execute(update(DocumentOffer).where(DocumentOffer.token_hash == token_hash(token))
                          .values(used_at=None).execution_options(synchronize_session=False))
