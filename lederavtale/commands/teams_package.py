"""``lederavtale teams-package --app-id ID [--out FILE.zip]``: build the Teams app package."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.settings import Settings
from bot.teams_package import TeamsPackageError, build_package

DEFAULT_OUT = Path("lederavtale-teams-app.zip")


def register(subparsers: argparse._SubParsersAction) -> None:
    package = subparsers.add_parser(
        "teams-package", help="build the Teams app package (manifest.json and icons) to upload"
    )
    package.add_argument(
        "--app-id",
        help="the Azure Bot's Microsoft App ID, a GUID (default: MicrosoftAppId)",
    )
    package.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help=f"zip file to write (default: {DEFAULT_OUT})"
    )
    package.add_argument(
        "--app-version",
        help="the app's version X.Y.Z; raise it for every upload (default: the bot's version)",
    )
    package.set_defaults(handler=_teams_package)


async def _teams_package(args: argparse.Namespace, settings: Settings) -> int:
    app_id = args.app_id if args.app_id is not None else settings.app_id
    try:
        out = build_package(app_id, settings, args.out, args.app_version)
    except TeamsPackageError as exc:
        sys.stderr.write(f"Teams-pakken ble ikke laget: {exc}\n")
        return 2
    except OSError as exc:
        sys.stderr.write(f"Kunne ikke skrive {args.out}: {exc.strerror}\n")
        return 1
    print(f"Teams-pakken er skrevet til {out}. Last den opp i Teams-administrasjonssenteret.")
    return 0
