"""``lederavtale leaders import FILE`` and ``lederavtale demo``: load the leader hierarchy."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from agreement.texts import roster as texts
from agreement.roster.apply import ImportResult, import_leaders, load_demo
from agreement.roster.rows import RosterRefused
from agreement.template import default_template_id_for_year
from lederavtale.commands.common import add_year_argument, current_year
from bot.settings import Settings
from storage.db import open_database


def register(subparsers: argparse._SubParsersAction) -> None:
    leaders = subparsers.add_parser("leaders", help="the leader hierarchy")
    leaders_sub = leaders.add_subparsers(dest="leaders_command", required=True)
    do_import = leaders_sub.add_parser(
        "import", help="import leaders from CSV and create the year's agreements"
    )
    do_import.add_argument("file", type=Path, help="CSV: name, email, aad_object_id, unit, superior_email")
    add_year_argument(do_import)
    do_import.set_defaults(handler=_import)

    demo = subparsers.add_parser("demo", help="load the demo municipality (Agents Playground users)")
    add_year_argument(demo)
    demo.set_defaults(handler=_demo)


def _print_result(result: ImportResult) -> None:
    print(result.summary())


async def _import(args: argparse.Namespace, settings: Settings) -> int:
    year = args.year or current_year(settings)
    try:
        data = args.file.read_bytes()
    except OSError as exc:
        sys.stderr.write(texts.FILE_UNREADABLE.format(file=args.file, reason=exc.strerror) + "\n")
        return 2
    async with open_database(settings.database_url) as (_engine, session_factory):
        try:
            result = await import_leaders(
                session_factory, data, year, default_template_id_for_year(year)
            )
        except RosterRefused as exc:
            sys.stderr.write(texts.NOT_IMPORTED.format(file=args.file, refusal=exc) + "\n")
            return 1
    _print_result(result)
    return 0


async def _demo(args: argparse.Namespace, settings: Settings) -> int:
    year = args.year or current_year(settings)
    async with open_database(settings.database_url) as (_engine, session_factory):
        result = await load_demo(session_factory, year, default_template_id_for_year(year))
    _print_result(result)
    return 0
