"""The year's archive export for the records office: the archive copy and its arkivmelding per signed agreement.

Each agreement is exported in a session of its own (memory stays flat over thousands) and at
its stage ("signed", then "followed_up": the follow-up is a new document in the same case).
Its folder is written whole under a temporary name and renamed into place, and only then is
the export recorded and committed: a run that stops half-way leaves no folder recorded as done,
and the next run writes it again. What was exported at a stage is not exported again unless
asked (``again``). One agreement failing is reported; the others go on.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import aliased

from agreement.access import Role
from agreement.opening import open_record
from documents import copies
from documents.arkivmelding import ArchiveFile, ArchiveSettings, build_arkivmelding
from documents.content import Localise, archive_stage
from storage.models import Agreement, ArchiveExport, Leader

logger = logging.getLogger(__name__)

MESSAGE_NAME = "arkivmelding.xml"

#: What happened to one agreement.
EXPORTED = "exported"
SKIPPED = "skipped"
FAILED = "failed"


@dataclass(frozen=True)
class Candidate:
    """A signed agreement of the year, named for the progress (never its content)."""

    agreement_id: int
    year: int
    subordinate: str
    superior: str


@dataclass(frozen=True)
class Step:
    """One agreement done: its place in the run and what happened to it."""

    index: int
    total: int
    candidate: Candidate
    outcome: str
    #: The folder written (exported), or why it failed (the kind of error, no content).
    detail: str = ""


@dataclass
class ExportReport:
    """What a run did."""

    total: int = 0
    exported: list[str] = field(default_factory=list)
    skipped: int = 0
    failed: list[Candidate] = field(default_factory=list)


Progress = Callable[[Step], None]


def folder_name(year: int, agreement_id: int, stage: str) -> str:
    """An agreement's folder at one stage, relative to the export's folder."""
    return f"{year}-{agreement_id}-{stage}"


def pdf_name(year: int, agreement_id: int) -> str:
    """The archive copy's file name."""
    return f"lederavtale-{year}-{agreement_id}.pdf"


async def signed_agreements(session: AsyncSession, year: int) -> list[Candidate]:
    """The active agreements of ``year`` that both leaders have signed, in id order."""
    subordinate, superior = aliased(Leader), aliased(Leader)
    rows = await session.execute(
        select(Agreement.id, Agreement.year, subordinate.name, superior.name)
        .join(subordinate, subordinate.id == Agreement.subordinate_id)
        .join(superior, superior.id == Agreement.superior_id)
        .where(Agreement.year == year, Agreement.active.is_(True),
               Agreement.superior_signed_at.is_not(None), Agreement.subordinate_signed_at.is_not(None))
        .order_by(Agreement.id)
    )
    return [Candidate(*row) for row in rows.all()]


def _write_file(path: Path, data: bytes) -> None:
    with open(path, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def _sync_folder(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def write_folder(out_dir: Path, name: str, files: dict[str, bytes]) -> None:
    """Write ``files`` into ``out_dir/name`` whole: staged under a temporary name, then renamed into place."""
    staging = Path(tempfile.mkdtemp(prefix=f".{name}.", suffix=".tmp", dir=out_dir))
    try:
        for file_name, data in files.items():
            _write_file(staging / file_name, data)
        _sync_folder(staging)
        target = out_dir / name
        replaced = None
        if target.exists():
            # A folder written before (again, or by a run that stopped before recording it).
            replaced = out_dir / f".{name}.{uuid.uuid4().hex}.old"
            os.rename(target, replaced)
        os.rename(staging, target)
        _sync_folder(out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if replaced is not None:
        shutil.rmtree(replaced, ignore_errors=True)


async def _export_one(session: AsyncSession, candidate: Candidate, out_dir: Path, settings: ArchiveSettings,
                      localise: Localise, now: datetime, again: bool) -> str | None:
    """Export one agreement at its stage; the folder written, or None when it was exported before."""
    reader = await open_record(session, candidate.agreement_id, Role.ARCHIVE)
    stage = archive_stage(reader)
    if stage is None:
        return None
    earlier = set((await session.scalars(
        select(ArchiveExport.stage).where(ArchiveExport.agreement_id == candidate.agreement_id)
    )).all())
    if stage in earlier and not again:
        return None
    made = await copies.make_copy(session, reader, localise, now, channel=copies.ARCHIVE_EXPORT)
    name = folder_name(candidate.year, candidate.agreement_id, stage)
    pdf = pdf_name(candidate.year, candidate.agreement_id)
    message = build_arkivmelding(
        made.document, reader.agreement, stage, ArchiveFile(pdf, made.record.sha256, len(made.pdf)), settings,
        localise,
        # The case goes with the agreement's first document; a later stage files into it.
        new_case=not earlier - {stage},
    )
    write_folder(out_dir, name, {pdf: made.pdf, MESSAGE_NAME: message})
    session.add(ArchiveExport(agreement_id=candidate.agreement_id, stage=stage, folder=name,
                              sha256=made.record.sha256, exported_at=now, copy_id=made.record.id))
    await session.commit()
    return name


async def export_year(session_factory: async_sessionmaker[AsyncSession], year: int, out_dir: Path,
                      archive_settings: ArchiveSettings, localise: Localise, now: datetime, *,
                      again: bool = False, progress: Progress | None = None) -> ExportReport:
    """Write the archive copy and arkivmelding of every signed agreement of ``year`` not yet exported at its stage."""
    async with session_factory() as session:
        candidates = await signed_agreements(session, year)
    report = ExportReport(total=len(candidates))
    for index, candidate in enumerate(candidates, start=1):
        try:
            async with session_factory() as session:
                written = await _export_one(session, candidate, out_dir, archive_settings, localise, now, again)
        except Exception as exc:  # one agreement failing must not stop the others
            logger.error("Archive export of agreement %s failed", candidate.agreement_id, exc_info=True)
            report.failed.append(candidate)
            step = Step(index, len(candidates), candidate, FAILED, type(exc).__name__)
        else:
            if written is None:
                report.skipped += 1
                step = Step(index, len(candidates), candidate, SKIPPED)
            else:
                report.exported.append(written)
                step = Step(index, len(candidates), candidate, EXPORTED, written)
        if progress is not None:
            progress(step)
    logger.info("Archive export %s: %d exported, %d skipped, %d failed", year, len(report.exported),
                report.skipped, len(report.failed))
    return report
