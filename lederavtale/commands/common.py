"""Small helpers shared by the command-line modules: the year, typed values, writing results."""

from __future__ import annotations

import argparse
import sys
from datetime import date, datetime
from typing import TextIO
from zoneinfo import ZoneInfo

from bot.settings import Settings
from lederavtale.commands import texts


def current_year(settings: Settings) -> int:
    """This year in the municipality's time zone."""
    return datetime.now(ZoneInfo(settings.timezone)).year


def year_of(args: argparse.Namespace, settings: Settings) -> int:
    """The ``--year`` given, else this year in the municipality's time zone."""
    return current_year(settings) if args.year is None else args.year


def year(value: str) -> int:
    """A ``--year`` value, refused in bokmål when it is not a whole number."""
    try:
        return int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(texts.NOT_A_YEAR.format(value=value)) from None


def day(value: str) -> date:
    """A ``--date`` value (YYYY-MM-DD), refused in bokmål when it is not a date."""
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(texts.NOT_A_DATE.format(value=value)) from None


def add_year_argument(parser: argparse.ArgumentParser) -> None:
    """``--year ÅÅÅÅ``, optional: the commands take this year without it (see :func:`year_of`)."""
    parser.add_argument("--year", type=year, metavar=texts.YEAR_METAVAR, help=texts.YEAR_HELP)


def add_date_argument(parser: argparse.ArgumentParser) -> None:
    """``--date ÅÅÅÅ-MM-DD``, optional: the commands take today without it."""
    parser.add_argument("--date", type=day, metavar=texts.DATE_METAVAR, help=texts.DATE_HELP)


def write_result(text: str) -> None:
    """A command's result on stdout."""
    _write_lines(sys.stdout, text)


def write_refusal(text: str) -> None:
    """Why a command did nothing, on stderr."""
    _write_lines(sys.stderr, text)


def _write_lines(stream: TextIO, text: str) -> None:
    # One write of whole lines, flushed: a log line written afterwards (or by another thread)
    # starts on a line of its own instead of joining the result's last line.
    stream.write(text if text.endswith("\n") else f"{text}\n")
    stream.flush()
