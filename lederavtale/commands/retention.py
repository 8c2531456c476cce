"""``lederavtale retention [--dry-run] [--force --reason TEKST]``: delete the content of agreements past keeping.

The domain is in ``agreement.retention``. The command prints, per agreement, its id, year, the
two leaders' names and how many rows of each kind went (or, with ``--dry-run``, would go):
never content. Signed agreements never exported to the archive are listed as kept unless
``--force`` is given with ``--reason``.
"""

from __future__ import annotations

import argparse
import functools
from zoneinfo import ZoneInfo

from agreement.retention import COUNT_KINDS, Candidate, RetentionReport, run_retention
from bot.settings import Settings
from lederavtale.commands import texts
from lederavtale.commands.common import write_result
from lederavtale.commands.parser import BokmalArgumentParser
from storage.db import open_database
from storage.models import utcnow

COMMAND_LINE = "command line"


def register(subparsers: argparse._SubParsersAction) -> None:
    retention = subparsers.add_parser("retention", help=texts.RETENTION_HELP)
    retention.add_argument("--dry-run", action="store_true", help=texts.RETENTION_DRY_RUN_HELP)
    retention.add_argument("--force", action="store_true", help=texts.RETENTION_FORCE_HELP)
    retention.add_argument("--reason", metavar=texts.REASON_METAVAR, help=texts.RETENTION_REASON_HELP)
    retention.set_defaults(handler=functools.partial(_retention, retention))


def _counts(candidate: Candidate) -> str:
    parts = [f"{candidate.counts[kind]} {texts.RETENTION_COUNT_NAMES[kind]}"
             for kind in COUNT_KINDS if candidate.counts.get(kind)]
    return ", ".join(parts) or "-"


def _table(candidates: list[Candidate]) -> list[str]:
    lines = [texts.RETENTION_COLUMNS, *((str(c.agreement_id), str(c.year), c.subordinate, c.superior, _counts(c))
                                        for c in candidates)]
    widths = [max(len(line[i]) for line in lines) for i in range(len(texts.RETENTION_COLUMNS))]
    out = []
    for index, line in enumerate(lines):
        out.append("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(line)).rstrip())
        if index == 0:
            out.append("  ".join("-" * width for width in widths))
    return out


def format_report(report: RetentionReport, settings: Settings) -> str:
    """The run as plain text: ids, years, names and counts, never content."""
    out = []
    if report.dry_run:
        out.append(texts.RETENTION_TITLE_DRY)
    out.append(texts.RETENTION_TITLE.format(years=settings.retention_years, last_year=report.last_year))
    if not report.deleted and not report.kept:
        out.append(texts.RETENTION_NONE)
    if report.deleted:
        title = texts.RETENTION_WOULD_DELETE if report.dry_run else texts.RETENTION_DELETED
        out += ["", title.format(count=len(report.deleted)), *_table(report.deleted)]
        if report.forced and any(c.needs_force for c in report.deleted):
            out.append(texts.RETENTION_FORCED)
    if report.kept:
        out += ["", texts.RETENTION_KEPT.format(count=len(report.kept)), *_table(report.kept)]
    if report.skipped:
        out.append(texts.RETENTION_SKIPPED.format(count=report.skipped))
    idle = texts.RETENTION_IDLE_DRY if report.dry_run else texts.RETENTION_IDLE
    out += ["", idle.format(days=settings.dialog_idle_days, count=report.idle_cleared)]
    return "\n".join(out)


async def _retention(parser: BokmalArgumentParser, args: argparse.Namespace, settings: Settings) -> int:
    reason = " ".join((args.reason or "").split())
    if args.force and not reason:
        parser.error(texts.RETENTION_FORCE_NEEDS_REASON)
    if args.reason is not None and not args.force:
        parser.error(texts.RETENTION_REASON_NEEDS_FORCE)
    async with open_database(settings.database_url) as (_engine, session_factory):
        report = await run_retention(
            session_factory, utcnow(), ZoneInfo(settings.timezone), retention_years=settings.retention_years,
            idle_days=settings.dialog_idle_days, dry_run=args.dry_run, force=args.force,
            reason=reason or None, run_by=COMMAND_LINE,
        )
    write_result(format_report(report, settings))
    return 0
