"""``lederavtale db upgrade``: apply the database migrations."""

from __future__ import annotations

import argparse
import logging

from bot.settings import Settings
from storage.db import open_database

logger = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction) -> None:
    db = subparsers.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    upgrade = db_sub.add_parser("upgrade", help="apply all migrations (also done at start)")
    upgrade.set_defaults(handler=_upgrade)


async def _upgrade(args: argparse.Namespace, settings: Settings) -> int:
    async with open_database(settings.database_url, migrate=True):
        pass
    print("Databasen er oppdatert.")
    return 0
