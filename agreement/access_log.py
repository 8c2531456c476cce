"""The access log: every read of an agreement's content, recorded where the content is read.

What is recorded, and where
---------------------------
The content of an agreement is only ever read through the access-checked path,
:func:`agreement.answers.read_answers` and :func:`agreement.goals.list_goals`. Both take a
``purpose`` (a :class:`Purpose`) and record what they *returned*, once per part, in the session
they read in, so the entry is committed (or rolled back) with the turn, the copy or the export
that read it. No call site has to remember to log:

* a leader of the pair reading without a ``purpose`` is a read shown in Teams (path ``card``):
  «Se avtalen», the preparation view, the other's preparation shown while filling in, the review,
  the whole text of a shortened answer, the reminder that shows the spring goals;
* a reader outside the pair (the archive, an access request) must name its purpose: reading
  without one is refused (a bug, never a silent unlogged read);
* reads done to decide something, never shown (what is missing before review, the overview's
  marks, validation), pass :data:`CHECK` and are not recorded;
* a copy (:func:`documents.copies.make_copy`) reads with path ``pdf``, ``export`` or ``innsyn``;
  a person's own data with :func:`personal_data`.

A refused read never gets here: :func:`agreement.opening.open_agreement` refuses before anything
is read, and what the access rules filter out is not returned and not recorded.

An entry never holds content: who (the leader, or a label for a reader outside the pair), when,
which agreement, which part (:data:`PARTS`: the phase the content belongs to) and section (the
template section key), and which path (:data:`PATHS`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from agreement.opening import AgreementAccess, Reader, open_agreement
from storage.models import AccessLogEntry, Phase, utcnow

#: The paths content leaves by.
CARD = "card"
PDF = "pdf"
EXPORT = "export"
INNSYN = "innsyn"
PERSONAL_DATA = "personal-data"
PATHS = (CARD, PDF, EXPORT, INNSYN, PERSONAL_DATA)

#: The parts of an agreement, by the phase its content was written in.
PARTS: dict[Phase, str] = {
    Phase.PREPARATION: "preparation",
    Phase.AGREEMENT: "agreement",
    Phase.FOLLOWUP_PREPARATION: "reflections",
    Phase.FOLLOWUP: "followup",
}

#: Who read an archive export (no leader).
ARCHIVE_LABEL = "arkivet"

_SEEN_KEY = "access_log.seen"


@dataclass(frozen=True)
class Purpose:
    """Why content is read: by which path, and who (``label``) when the reader is no leader.

    ``path`` None is a read for an internal check, never shown to anyone: not recorded.
    """

    path: str | None
    label: str | None = None

    def __post_init__(self) -> None:
        if self.path is not None and self.path not in PATHS:
            raise ValueError(f"unknown access path {self.path!r}")

    @property
    def recorded(self) -> bool:
        return self.path is not None


#: An internal check (validation, progress marks, what is missing): not a read.
CHECK = Purpose(None)
#: Shown in a card in Teams (the default for a leader of the pair).
SHOWN = Purpose(CARD)
#: The pair's PDF copy.
PAIR_COPY = Purpose(PDF)
#: The archive export's copy.
ARCHIVE = Purpose(EXPORT, ARCHIVE_LABEL)


def innsyn(handled_by: str | None) -> Purpose:
    """An access request's copy, read by its case handler."""
    return Purpose(INNSYN, (handled_by or "").strip() or None)


def personal_data(label: str | None = None) -> Purpose:
    """A person's own data (GDPR art. 15), optionally naming who handled the request."""
    return Purpose(PERSONAL_DATA, label)


def resolve(reader: Reader, purpose: Purpose | None) -> Purpose:
    """The purpose of a read: a leader of the pair defaults to a card; anyone else must say."""
    if purpose is not None:
        return purpose
    if isinstance(reader, AgreementAccess):
        return SHOWN
    raise ValueError(f"a {reader.role.value} reads an agreement only for a named purpose")


def _seen(session: AsyncSession) -> set[tuple]:
    """What this transaction has recorded already (so a part is recorded once per read)."""
    transaction = session.sync_session.get_transaction()
    held = session.info.get(_SEEN_KEY)
    if held is None or held[0] is not transaction:
        held = (transaction, set())
        session.info[_SEEN_KEY] = held
    return held[1]


def record(session: AsyncSession, agreement_id: int, *, path: str, part: str, section_key: str | None = None,
           reader_id: int | None = None, reader_label: str | None = None, now: datetime | None = None) -> bool:
    """Record one read of a part of an agreement in ``session`` (once per transaction). True if added."""
    if path not in PATHS:
        raise ValueError(f"unknown access path {path!r}")
    if part not in PARTS.values():
        raise ValueError(f"unknown part {part!r}")
    key = (agreement_id, reader_id, reader_label, path, part, section_key)
    seen = _seen(session)
    if key in seen:
        return False
    seen.add(key)
    session.add(AccessLogEntry(agreement_id=agreement_id, read_at=now or utcnow(), reader_id=reader_id,
                               reader_label=reader_label, path=path, part=part, section_key=section_key))
    return True


def record_read(session: AsyncSession, reader: Reader, purpose: Purpose,
                parts: Iterable[tuple[Phase, str | None]]) -> None:
    """Record what ``reader`` was given: each (phase, section key) once."""
    if not purpose.recorded:
        return
    reader_id = reader.viewer.id if isinstance(reader, AgreementAccess) else None
    for phase, section_key in dict.fromkeys(parts):
        record(session, reader.agreement.id, path=purpose.path, part=PARTS[phase],  # type: ignore[arg-type]
               section_key=section_key, reader_id=reader_id, reader_label=purpose.label)


def record_personal_data(session: AsyncSession, agreement_id: int, leader_id: int, *,
                         parts: Iterable[str] = ("agreement",), label: str | None = None) -> None:
    """For the personal-data export: ``leader_id``'s own data about ``agreement_id`` was handed out.

    Content read through :func:`read_answers`/:func:`list_goals` with ``purpose=personal_data()``
    or a copy made with it is recorded already; this is for what is read otherwise (e.g. the
    revisions of answers), naming the parts as in :data:`PARTS`.
    """
    for part in parts:
        record(session, agreement_id, path=PERSONAL_DATA, part=part, reader_id=leader_id, reader_label=label)


# --- reading the log (never content) -----------------------------------------------------


@dataclass(frozen=True)
class LoggedRead:
    """One entry, with the reader's name when the reader was a leader."""

    read_at: datetime
    reader_id: int | None
    reader_name: str | None
    reader_label: str | None
    path: str
    part: str
    section_key: str | None


async def entries_for(session: AsyncSession, agreement_id: int) -> list[LoggedRead]:
    """Every recorded read of an agreement, oldest first (for the privacy officer: no access check)."""
    rows = (
        await session.scalars(
            select(AccessLogEntry)
            .where(AccessLogEntry.agreement_id == agreement_id)
            .order_by(AccessLogEntry.read_at, AccessLogEntry.id)
            .options(selectinload(AccessLogEntry.reader))
        )
    ).all()
    return [
        LoggedRead(row.read_at, row.reader_id, row.reader.name if row.reader is not None else None,
                   row.reader_label, row.path, row.part, row.section_key)
        for row in rows
    ]


async def seen_by(session: AsyncSession, viewer_id: int, agreement_id: int) -> list[LoggedRead]:
    """Who has read an agreement's content, for a leader of its pair (anyone else: AccessDenied)."""
    await open_agreement(session, viewer_id, agreement_id)
    return await entries_for(session, agreement_id)
