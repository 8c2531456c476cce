"""The ``lederavtale`` command line: each command group lives in its own module."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Sequence

from bot.settings import Settings, SettingsError
from lederavtale.commands import (
    audit,
    db,
    export,
    innsyn,
    leaders,
    personal_data,
    reminders,
    retention,
    serve,
    status,
    teams_package,
    texts,
)
from lederavtale.commands.common import write_refusal
from lederavtale.commands.parser import BokmalArgumentParser

logger = logging.getLogger(__name__)

#: Each provides ``register(subparsers)``; a parser's ``handler(args, settings)`` is a coroutine
#: function returning the process exit code. The parser of a long-running service also sets
#: ``service=True``: it logs what it does without ``-v``.
COMMAND_MODULES = (db, leaders, status, serve, reminders, teams_package, export, innsyn, personal_data, retention,
                   audit)


def build_parser() -> BokmalArgumentParser:
    parser = BokmalArgumentParser(prog="lederavtale", description=texts.DESCRIPTION)
    parser.add_argument("-v", "--verbose", action="count", default=0, help=texts.VERBOSE_HELP)
    parser.set_defaults(service=False)
    subparsers = parser.add_subparsers(dest="command", required=True)
    for module in COMMAND_MODULES:
        module.register(subparsers)
    return parser


def log_level(verbose: int, service: bool) -> int:
    """A command prints only its result and logs only problems; a service logs what it does."""
    if verbose >= 2:
        return logging.DEBUG
    return logging.INFO if verbose or service else logging.WARNING


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``lederavtale`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=log_level(args.verbose, args.service),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if args.verbose < 2:
        logging.getLogger("alembic").setLevel(logging.WARNING)
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        write_refusal(texts.CONFIGURATION_ERROR.format(error=exc))
        return 2
    # A loop factory keeps asyncio from replacing (and orphaning) the caller's
    # current event loop, which matters when main() is called in-process.
    with asyncio.Runner(loop_factory=asyncio.new_event_loop) as runner:
        return runner.run(args.handler(args, settings))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
