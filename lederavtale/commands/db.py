"""``lederavtale db upgrade``: apply the database migrations."""

from __future__ import annotations

import argparse
import logging

from bot.settings import Settings
from lederavtale.commands import texts
from lederavtale.commands.common import write_result
from storage.db import open_database

logger = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction) -> None:
    db = subparsers.add_parser("db", help=texts.DB_HELP)
    db_sub = db.add_subparsers(dest="db_command", required=True)
    upgrade = db_sub.add_parser("upgrade", help=texts.DB_UPGRADE_HELP)
    upgrade.set_defaults(handler=_upgrade)


async def _upgrade(args: argparse.Namespace, settings: Settings) -> int:
    async with open_database(settings.database_url, migrate=True):
        pass
    write_result(texts.DB_UPGRADED)
    return 0
