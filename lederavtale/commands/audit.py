"""``lederavtale audit --agreement ID``: the access log of one agreement, never its content."""

from __future__ import annotations

import argparse
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from agreement.access_log import ARCHIVE_LABEL, EXPORT, INNSYN, PERSONAL_DATA, LoggedRead, entries_for
from bot.settings import Settings
from lederavtale.commands import texts
from lederavtale.commands.common import write_refusal, write_result
from lederavtale.commands.innsyn import agreement_id
from storage.db import open_database
from storage.models import Agreement

NOT_FOUND = 1


def register(subparsers: argparse._SubParsersAction) -> None:
    audit = subparsers.add_parser("audit", help=texts.AUDIT_HELP)
    audit.add_argument("--agreement", type=agreement_id, required=True, metavar=texts.AGREEMENT_ID_METAVAR,
                       help=texts.AUDIT_AGREEMENT_HELP)
    audit.set_defaults(handler=_audit)


def reader_text(entry: LoggedRead) -> str:
    """Who read: the leader's name, the archive, or an access request's case handler."""
    if entry.path == EXPORT and entry.reader_id is None:
        return texts.AUDIT_ARCHIVE if entry.reader_label in (None, ARCHIVE_LABEL) else entry.reader_label
    if entry.path == INNSYN:
        return texts.AUDIT_INNSYN.format(handler=entry.reader_label) if entry.reader_label else texts.AUDIT_INNSYN_UNNAMED
    if entry.path == PERSONAL_DATA:
        return texts.AUDIT_PERSONAL_DATA.format(name=entry.reader_name or entry.reader_label or texts.AUDIT_UNKNOWN_READER)
    return entry.reader_name or entry.reader_label or texts.AUDIT_UNKNOWN_READER


def format_audit(agreement: Agreement, entries: list[LoggedRead], zone: ZoneInfo) -> str:
    """A plain table: when, who, which part and section, which path. Nothing a leader typed."""
    title = texts.AUDIT_TITLE.format(agreement_id=agreement.id, year=agreement.year,
                                     subordinate=agreement.subordinate.name, superior=agreement.superior.name)
    if not entries:
        return "\n".join([title, texts.AUDIT_NONE.format(agreement_id=agreement.id)])
    lines = [texts.AUDIT_COLUMNS]
    for entry in entries:
        lines.append((entry.read_at.astimezone(zone).strftime("%d.%m.%Y %H:%M:%S"), reader_text(entry),
                      texts.AUDIT_PARTS.get(entry.part, entry.part), entry.section_key or "-",
                      texts.AUDIT_PATHS.get(entry.path, entry.path)))
    widths = [max(len(line[i]) for line in lines) for i in range(len(texts.AUDIT_COLUMNS))]
    out = [title]
    for index, line in enumerate(lines):
        out.append("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(line)).rstrip())
        if index == 0:
            out.append("  ".join("-" * w for w in widths))
    out.append("")
    out.append(texts.AUDIT_COUNT.format(count=len(entries)))
    return "\n".join(out)


async def _audit(args: argparse.Namespace, settings: Settings) -> int:
    async with open_database(settings.database_url) as (_engine, session_factory):
        async with session_factory() as session:
            agreement = await session.scalar(
                select(Agreement).where(Agreement.id == args.agreement)
                .options(selectinload(Agreement.superior), selectinload(Agreement.subordinate)))
            if agreement is None:
                write_refusal(texts.AUDIT_NOT_FOUND.format(agreement_id=args.agreement))
                return NOT_FOUND
            entries = await entries_for(session, agreement.id)
            text = format_audit(agreement, entries, ZoneInfo(settings.timezone))
    write_result(text)
    return 0
