"""The ``lederavtale`` command line: each command group lives in its own module."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence

from bot.settings import Settings, SettingsError
from lederavtale.commands import db, leaders, reminders, serve, status, teams_package

logger = logging.getLogger(__name__)

#: Each provides ``register(subparsers)``; a parser's ``handler(args, settings)`` is a coroutine
#: function returning the process exit code.
COMMAND_MODULES = (db, leaders, status, serve, reminders, teams_package)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lederavtale", description="Lederavtale-boten for Lørenskog kommune"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    subparsers = parser.add_subparsers(dest="command", required=True)
    for module in COMMAND_MODULES:
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``lederavtale`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if not args.verbose:
        logging.getLogger("alembic").setLevel(logging.WARNING)
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        sys.stderr.write(f"lederavtale: configuration error: {exc}\n")
        return 2
    # A loop factory keeps asyncio from replacing (and orphaning) the caller's
    # current event loop, which matters when main() is called in-process.
    with asyncio.Runner(loop_factory=asyncio.new_event_loop) as runner:
        return runner.run(args.handler(args, settings))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
