"""``lederavtale export``: the year's archive copies and their arkivmelding.xml for the records office.

Progress is a bar on a terminal and a plain line per agreement otherwise; the output names the
agreements, never what was written in them.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from tqdm import tqdm

from bot.settings import Settings
from documents.archive_export import FAILED, ExportReport, Step, export_year, signed_agreements
from documents.arkivmelding import ArchiveSettings
from documents.content import Localise
from lederavtale.commands import texts
from lederavtale.commands.common import add_year_argument, write_refusal, write_result, year_of
from storage.db import open_database


def register(subparsers: argparse._SubParsersAction) -> None:
    export = subparsers.add_parser("export", help=texts.EXPORT_HELP)
    add_year_argument(export)
    export.add_argument("--out", type=Path, required=True, metavar=texts.FOLDER_METAVAR, help=texts.EXPORT_OUT_HELP)
    export.add_argument("--again", action="store_true", help=texts.EXPORT_AGAIN_HELP)
    export.set_defaults(handler=_export)


def archive_settings(settings: Settings) -> ArchiveSettings:
    """The municipality's archive values from the service's settings."""
    return ArchiveSettings(
        unit=settings.archive_unit,
        archive_part=settings.archive_part,
        case_type=settings.archive_case_type,
        classification_system=settings.archive_classification_system,
        class_id=settings.archive_class,
        class_title=settings.archive_class_title,
    )


def localiser(settings: Settings) -> Localise:
    """Stored moments in the municipality's time zone (SQLite gives them back naive, in UTC)."""
    zone = ZoneInfo(settings.timezone)

    def localise(moment: datetime) -> datetime:
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
        return moment.astimezone(zone)

    return localise


def format_step(step: Step) -> str:
    """One agreement's line: its place in the run, the agreement named, what happened."""
    outcome = texts.EXPORT_OUTCOMES[step.outcome].format(detail=step.detail)
    candidate = step.candidate
    return texts.EXPORT_LINE.format(index=step.index, total=step.total, year=candidate.year,
                                    subordinate=candidate.subordinate, agreement_id=candidate.agreement_id,
                                    outcome=outcome)


def format_summary(report: ExportReport, year: int, out: Path) -> str:
    """The counts of a run, with what to do about failures."""
    summary = texts.EXPORT_SUMMARY.format(year=year, out=out, exported=len(report.exported),
                                          skipped=report.skipped, failed=len(report.failed))
    return f"{summary}\n{texts.EXPORT_FAILED_HINT}" if report.failed else summary


def _usable_folder(out: Path) -> str | None:
    """Why the folder ``out`` cannot take the export, or None when it can (created if missing)."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        # Writing is the only sure test: permissions alone do not tell for root or a read-only mount.
        with tempfile.TemporaryFile(dir=out):
            pass
    except OSError:
        return texts.EXPORT_OUT_UNWRITABLE.format(path=out)
    return None


def _progress(total: int) -> tuple[Callable[[Step], None], Callable[[], None]]:
    """A bar on a terminal (failures written above it), plain lines otherwise; and how to close it."""
    if not sys.stderr.isatty():
        return (lambda step: write_result(format_step(step))), (lambda: None)
    bar = tqdm(total=total, desc=texts.EXPORT_PROGRESS, unit=texts.EXPORT_UNIT, file=sys.stderr)

    def update(step: Step) -> None:
        if step.outcome == FAILED:
            bar.write(format_step(step), file=sys.stdout)
        bar.update()

    return update, bar.close


def _now() -> datetime:
    """Now, to the second: the copy's stamp and the archive's dates carry no fractions."""
    return datetime.now(timezone.utc).replace(microsecond=0)


async def _export(args: argparse.Namespace, settings: Settings) -> int:
    year = year_of(args, settings)
    out: Path = args.out
    if out.exists() and not out.is_dir():
        write_refusal(texts.EXPORT_OUT_IS_FILE.format(path=out))
        return 2
    async with open_database(settings.database_url) as (_engine, session_factory):
        async with session_factory() as session:
            signed = await signed_agreements(session, year)
        if not signed:
            write_refusal(texts.EXPORT_NONE.format(year=year))
            return 1
        refusal = _usable_folder(out)
        if refusal:
            write_refusal(refusal)
            return 2
        progress, close = _progress(len(signed))
        try:
            report = await export_year(session_factory, year, out, archive_settings(settings), localiser(settings),
                                       _now(), again=args.again, progress=progress)
        finally:
            close()
    write_result(format_summary(report, year, out))
    return 1 if report.failed else 0

