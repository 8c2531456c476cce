"""``lederavtale leaders import FIL.csv``, ``leaders sync`` (from Entra ID) and ``lederavtale demo``: load the leader hierarchy."""

from __future__ import annotations

import argparse
from pathlib import Path
from zoneinfo import ZoneInfo

from agreement.demo import load_last_year
from agreement.roster.apply import import_leaders, load_demo
from agreement.roster.rows import RosterRefused
from agreement.template import TemplateError, default_template_id_for_year
from agreement.texts import roster as roster_texts
from bot.settings import Settings
from graph.client import GraphClient
from graph.errors import GraphError
from lederavtale.commands import texts
from lederavtale.commands.common import add_year_argument, write_refusal, write_result, year_of
from scheduler.leader_sync import sync_leaders
from storage.db import open_database


def register(subparsers: argparse._SubParsersAction) -> None:
    leaders = subparsers.add_parser("leaders", help=texts.LEADERS_HELP)
    leaders_sub = leaders.add_subparsers(dest="leaders_command", required=True)
    do_import = leaders_sub.add_parser("import", help=texts.LEADERS_IMPORT_HELP)
    do_import.add_argument("file", type=Path, metavar=texts.CSV_FILE_METAVAR, help=texts.LEADERS_FILE_HELP)
    add_year_argument(do_import)
    do_import.set_defaults(handler=_import)
    sync = leaders_sub.add_parser("sync", help=texts.LEADERS_SYNC_HELP)
    add_year_argument(sync)
    sync.add_argument("--dry-run", action="store_true", help=texts.LEADERS_DRY_RUN_HELP)
    sync.set_defaults(handler=_sync)

    demo = subparsers.add_parser("demo", help=texts.DEMO_HELP)
    add_year_argument(demo)
    demo.set_defaults(handler=_demo)


async def _import(args: argparse.Namespace, settings: Settings) -> int:
    year = year_of(args, settings)
    try:
        data = args.file.read_bytes()
    except OSError as exc:
        write_refusal(roster_texts.FILE_UNREADABLE.format(file=args.file, reason=exc.strerror))
        return 2
    async with open_database(settings.database_url) as (_engine, session_factory):
        try:
            result = await import_leaders(
                session_factory, data, year, default_template_id_for_year(year)
            )
        except RosterRefused as exc:
            write_refusal(roster_texts.NOT_IMPORTED.format(file=args.file, refusal=exc))
            return 1
    write_result(result.summary())
    return 0


async def _sync(args: argparse.Namespace, settings: Settings) -> int:
    if not settings.graph_configured or not settings.leader_group_id:
        write_refusal(roster_texts.SYNC_NOT_CONFIGURED)
        return 2
    config = settings.graph_config()
    year = year_of(args, settings)
    async with open_database(settings.database_url) as (_engine, session_factory), GraphClient(config) as client:
        try:
            result = await sync_leaders(session_factory, client, settings, year, dry_run=args.dry_run)
        except RosterRefused as exc:
            write_refusal(roster_texts.NOT_SYNCED.format(refusal=exc))
            return 1
        except GraphError as exc:
            write_refusal(roster_texts.SYNC_GRAPH_FAILED.format(error=exc))
            return 1
    if args.dry_run:
        write_result("\n".join((roster_texts.SYNC_DRY_RUN, result.summary(), result.changes())))
    else:
        write_result(result.summary())
    return 0


async def _demo(args: argparse.Namespace, settings: Settings) -> int:
    year = year_of(args, settings)
    async with open_database(settings.database_url) as (_engine, session_factory):
        result = await load_demo(session_factory, year, default_template_id_for_year(year))
        lines = [result.summary()]
        # Last year done, so that the copies, the archive export and the overview have something to show.
        try:
            last_year = await load_last_year(session_factory, year - 1, zone=ZoneInfo(settings.timezone),
                                             max_length=settings.max_answer_length)
        except TemplateError:
            lines.append(texts.DEMO_NO_LAST_YEAR.format(year=year - 1))
        else:
            lines.append(last_year.summary())
    write_result("\n".join(lines))
    return 0
