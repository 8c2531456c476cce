"""``lederavtale teams-package [--app-id ID] [--out FIL.zip]``: build the Teams app package."""

from __future__ import annotations

import argparse
from pathlib import Path

from bot.settings import Settings
from bot.teams_package import TeamsPackageError, build_package
from lederavtale.commands import texts
from lederavtale.commands.common import write_refusal, write_result

DEFAULT_OUT = Path("lederavtale-teams-app.zip")


def register(subparsers: argparse._SubParsersAction) -> None:
    package = subparsers.add_parser("teams-package", help=texts.TEAMS_PACKAGE_HELP)
    package.add_argument("--app-id", metavar=texts.APP_ID_METAVAR, help=texts.TEAMS_APP_ID_HELP)
    package.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, metavar=texts.ZIP_FILE_METAVAR,
        help=texts.TEAMS_OUT_HELP.format(default=DEFAULT_OUT),
    )
    package.add_argument("--app-version", metavar=texts.APP_VERSION_METAVAR, help=texts.TEAMS_APP_VERSION_HELP)
    package.set_defaults(handler=_teams_package)


async def _teams_package(args: argparse.Namespace, settings: Settings) -> int:
    app_id = args.app_id if args.app_id is not None else settings.app_id
    try:
        out = build_package(app_id, settings, args.out, args.app_version)
    except TeamsPackageError as exc:
        write_refusal(texts.TEAMS_PACKAGE_REFUSED.format(error=exc))
        return 2
    except OSError as exc:
        write_refusal(texts.TEAMS_PACKAGE_UNWRITABLE.format(file=args.out, reason=exc.strerror))
        return 1
    write_result(texts.TEAMS_PACKAGE_WRITTEN.format(file=out))
    return 0
