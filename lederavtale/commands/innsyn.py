"""``lederavtale innsyn``: an agreement's copy for an access request (innsyn), and the log of every copy made.

``innsyn --agreement ID --reason ... --by NAVN --out FIL.pdf`` makes the access request's copy
through the one access-checked path (Ledelsesutvikling and the personal fields withheld, each
place marked with its legal basis), writes it and only then commits its record: a copy handed
out is always in the log, and a record never stands for a file that was not written.
``innsyn --log`` lists the access requests' copies (``--alle``: every copy, the leaders' own and
the archive's too): when, which agreement, who and why; never the content.
"""

from __future__ import annotations

import argparse
import csv
import functools
import io
import os
import tempfile
from pathlib import Path
from zoneinfo import ZoneInfo

from agreement.access import Role
from agreement.errors import NotFound
from agreement.opening import open_record
from bot.settings import Settings
from documents import copies
from documents.copy_log import CopyLogEntry, copy_log
from lederavtale.commands import texts
from lederavtale.commands.common import write_refusal, write_result
from lederavtale.commands.parser import BokmalArgumentParser
from storage.db import open_database
from storage.models import DocumentVariant, utcnow

#: Exit codes: the command was given something it cannot use; the copy could not be made.
BAD_INPUT = 2
NOT_MADE = 1


def agreement_id(value: str) -> int:
    """An ``--agreement`` value, refused in bokmål when it is not a positive whole number."""
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(texts.NOT_AN_AGREEMENT_ID.format(value=value))
    return number


def register(subparsers: argparse._SubParsersAction) -> None:
    innsyn = subparsers.add_parser("innsyn", help=texts.INNSYN_HELP)
    innsyn.add_argument("--agreement", type=agreement_id, metavar=texts.AGREEMENT_ID_METAVAR,
                        help=texts.INNSYN_AGREEMENT_HELP)
    innsyn.add_argument("--reason", metavar=texts.REASON_METAVAR, help=texts.INNSYN_REASON_HELP)
    innsyn.add_argument("--by", metavar=texts.NAME_METAVAR, help=texts.INNSYN_BY_HELP)
    innsyn.add_argument("--out", type=Path, metavar=texts.PDF_FILE_METAVAR, help=texts.INNSYN_OUT_HELP)
    innsyn.add_argument("--log", action="store_true", help=texts.INNSYN_LOG_HELP)
    innsyn.add_argument("--alle", action="store_true", help=texts.INNSYN_ALL_HELP)
    innsyn.add_argument("--csv", action="store_true", help=texts.INNSYN_CSV_HELP)
    # The copy's options are all required, but not with --log: argparse cannot say that, so the
    # handler checks them and answers through the parser, as argparse would.
    innsyn.set_defaults(handler=functools.partial(_innsyn, innsyn))


async def _innsyn(parser: BokmalArgumentParser, args: argparse.Namespace, settings: Settings) -> int:
    copy_options = {"--agreement": args.agreement, "--reason": args.reason, "--by": args.by, "--out": args.out}
    if args.log:
        given = [name for name, value in copy_options.items() if value is not None]
        if given:
            parser.error(texts.INNSYN_LOG_ALONE.format(options=", ".join(given)))
        return await _log(args, settings)
    log_only = [name for name, on in (("--alle", args.alle), ("--csv", args.csv)) if on]
    if log_only:
        parser.error(texts.INNSYN_LOG_ONLY.format(options=", ".join(log_only)))
    missing = [name for name, value in copy_options.items() if value is None]
    if missing:
        parser.error(texts.INNSYN_MISSING.format(options=", ".join(missing)))
    _check_justification(parser, args.reason, args.by)
    refusal = _out_refusal(args.out)
    if refusal is not None:
        write_refusal(refusal)
        return BAD_INPUT
    return await _make_copy(args, settings)


def _check_justification(parser: BokmalArgumentParser, reason: str, handled_by: str) -> None:
    """Refuse a blank or over-long reason or name before anything is read (make_copy refuses them too)."""
    checks = ((reason, texts.INNSYN_BLANK_REASON, texts.INNSYN_REASON, copies.MAX_REASON_LENGTH),
              (handled_by, texts.INNSYN_BLANK_BY, texts.INNSYN_HANDLER, copies.MAX_HANDLER_LENGTH))
    for value, blank, what, limit in checks:
        cleaned = " ".join(value.split())
        if not cleaned:
            parser.error(blank)
        if len(cleaned) > limit:
            parser.error(texts.INNSYN_TOO_LONG.format(what=what.capitalize(), limit=limit))


def _out_refusal(out: Path) -> str | None:
    """Why ``out`` cannot take the copy, or None."""
    if out.is_dir():
        return texts.INNSYN_IS_FOLDER.format(file=out)
    if out.suffix.lower() != ".pdf":
        return texts.INNSYN_NOT_PDF.format(file=out)
    folder = out.parent
    if not folder.is_dir():
        return texts.INNSYN_NO_FOLDER.format(folder=folder)
    if out.exists():
        return texts.INNSYN_EXISTS.format(file=out)
    return None


def _write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` whole or not at all (a temporary file in the same folder, then renamed)."""
    part = tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.", suffix=".part", delete=False)
    try:
        with part:
            part.write(data)
            part.flush()
            os.fsync(part.fileno())
        os.replace(part.name, path)
    except BaseException:
        Path(part.name).unlink(missing_ok=True)
        raise


async def _make_copy(args: argparse.Namespace, settings: Settings) -> int:
    zone = ZoneInfo(settings.timezone)
    async with open_database(settings.database_url) as (_engine, session_factory):
        async with session_factory() as session:
            try:
                reader = await open_record(session, args.agreement, Role.PUBLIC)
            except NotFound:
                write_refusal(texts.INNSYN_UNKNOWN_AGREEMENT.format(agreement=args.agreement))
                return NOT_MADE
            made = await copies.make_copy(session, reader, lambda moment: moment.astimezone(zone), utcnow(),
                                          channel=copies.COMMAND_LINE, reason=args.reason, handled_by=args.by)
            try:
                _write_atomically(args.out, made.pdf)
            except OSError as exc:
                # The session is rolled back on leaving it: no record of a copy that was not written.
                write_refusal(texts.INNSYN_UNWRITABLE.format(file=args.out, reason=exc.strerror or exc))
                return NOT_MADE
            try:
                await session.commit()
            except BaseException:
                # A file without its record must not be handed out.
                args.out.unlink(missing_ok=True)
                raise
    write_result(texts.INNSYN_WRITTEN.format(agreement=made.document.agreement_id, year=made.document.year,
                                             subordinate=made.document.subordinate_name, file=args.out,
                                             sha256=made.record.sha256))
    return 0


# --- the log ---------------------------------------------------------------------------------


def _cells(entry: CopyLogEntry, zone: ZoneInfo, *, iso: bool) -> tuple[str, ...]:
    local = entry.made_at.astimezone(zone)
    who = entry.handled_by or entry.recipient or texts.COPY_LOG_NONE_YET
    return (
        local.isoformat(timespec="seconds") if iso else local.strftime("%d.%m.%Y %H:%M"),
        str(entry.agreement_id),
        str(entry.year),
        entry.subordinate,
        entry.superior,
        texts.COPY_LOG_VARIANTS[entry.variant.value],
        texts.COPY_LOG_CHANNELS.get(entry.channel, entry.channel),
        who,
        entry.reason or texts.COPY_LOG_NONE_YET,
    )


def format_log(entries: list[CopyLogEntry], zone: ZoneInfo, *, every_copy: bool) -> str:
    """The copies as a plain table, the latest first; the reason last, so that a long one pads nothing."""
    if not entries:
        return texts.COPY_LOG_NONE_ALL if every_copy else texts.COPY_LOG_NONE
    lines = [texts.COPY_LOG_COLUMNS, *(_cells(entry, zone, iso=False) for entry in entries)]
    widths = [max(len(line[i]) for line in lines) for i in range(len(texts.COPY_LOG_COLUMNS))]
    title = texts.COPY_LOG_TITLE_ALL if every_copy else texts.COPY_LOG_TITLE
    out = [title.format(count=len(entries))]
    for index, line in enumerate(lines):
        out.append("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(line)).rstrip())
        if index == 0:
            out.append("  ".join("-" * width for width in widths))
    return "\n".join(out)


def format_log_csv(entries: list[CopyLogEntry], zone: ZoneInfo) -> str:
    """The copies as CSV with a header (semicolons, as Excel in Norway reads it), times in ISO 8601."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\n")
    writer.writerow(texts.COPY_LOG_COLUMNS)
    writer.writerows(_cells(entry, zone, iso=True) for entry in entries)
    return buffer.getvalue()


async def _log(args: argparse.Namespace, settings: Settings) -> int:
    zone = ZoneInfo(settings.timezone)
    async with open_database(settings.database_url) as (_engine, session_factory):
        async with session_factory() as session:
            entries = await copy_log(session, variant=None if args.alle else DocumentVariant.INNSYN)
    write_result(format_log_csv(entries, zone) if args.csv else format_log(entries, zone, every_copy=args.alle))
    return 0
