"""``lederavtale status``: every agreement of a year with its status, never its content."""

from __future__ import annotations

import argparse
from datetime import datetime
from zoneinfo import ZoneInfo

from agreement.reports import StatusRow, status_rows
from agreement.status import AgreementStatus
from bot.settings import Settings
from lederavtale.commands import texts
from lederavtale.commands.common import add_year_argument, write_result, year_of
from storage.db import open_database


def register(subparsers: argparse._SubParsersAction) -> None:
    status = subparsers.add_parser("status", help=texts.STATUS_HELP)
    add_year_argument(status)
    status.set_defaults(handler=_status)


def _when(value: datetime | None, zone: ZoneInfo) -> str:
    return value.astimezone(zone).strftime("%d.%m.%Y %H:%M") if value else texts.STATUS_NONE_YET


def _signed(row: StatusRow) -> str:
    if row.superior_signed_at and row.subordinate_signed_at:
        return texts.STATUS_SIGNED_BOTH
    if row.superior_signed_at or row.subordinate_signed_at:
        return texts.STATUS_SIGNED_ONE
    return texts.STATUS_NONE_YET


def _name(name: str, active: bool) -> str:
    return name if active else texts.STATUS_LEFT.format(name=name)


def format_status(rows: list[StatusRow], year: int, zone: ZoneInfo) -> str:
    """A plain table of status rows followed by a count per status."""
    if not rows:
        return texts.STATUS_NONE.format(year=year)
    header = texts.STATUS_COLUMNS
    lines = [header]
    for row in rows:
        lines.append(
            (_name(row.superior_name, row.superior_active), _name(row.subordinate_name, row.subordinate_active),
             row.unit, row.status.label,
             _when(row.meeting_at, zone), _signed(row))
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    out = [texts.STATUS_TITLE.format(year=year)]
    for index, line in enumerate(lines):
        out.append("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(line)).rstrip())
        if index == 0:
            out.append("  ".join("-" * w for w in widths))
    counts = {status: 0 for status in AgreementStatus}
    for row in rows:
        counts[row.status] += 1
    out.append("")
    out.append(", ".join(f"{status.label}: {count}" for status, count in counts.items()))
    return "\n".join(out)


async def _status(args: argparse.Namespace, settings: Settings) -> int:
    year = year_of(args, settings)
    async with open_database(settings.database_url) as (_engine, session_factory):
        async with session_factory() as session:
            rows = await status_rows(session, year)
    write_result(format_status(rows, year, ZoneInfo(settings.timezone)))
    return 0
