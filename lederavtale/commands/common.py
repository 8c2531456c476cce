"""Small helpers shared by the command-line modules."""

from __future__ import annotations

import argparse
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.settings import Settings


def current_year(settings: Settings) -> int:
    """This year in the municipality's time zone."""
    return datetime.now(ZoneInfo(settings.timezone)).year


def add_year_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--year", type=int, help="agreement year (default: this year)")
