"""The overview's picture: agreements signed week by week against the Q1 deadline, follow-ups against theirs.

Made with matplotlib on the Agg backend (no display), 500 × 320 px (Teams' card width), and
reduced to a small palette so that the PNG, base64-encoded into the card as a data: URI, keeps the
card well under ``bot.cards.MAX_CARD_BYTES``. Built from status and dates only
(:class:`agreement.overview.OverviewRow`); the text alternative says the same in words.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import matplotlib

matplotlib.use("Agg")

from matplotlib.figure import Figure  # noqa: E402  (after choosing the backend)
from PIL import Image  # noqa: E402  (Pillow comes with matplotlib)

from agreement.overview import Overview  # noqa: E402

WIDTH_PX = 500
HEIGHT_PX = 320
DPI = 100
SIGNED_COLOUR = "#1f6f8b"
FOLLOWUP_COLOUR = "#c2572b"
DEADLINE_COLOUR = "#444444"


@dataclass(frozen=True)
class Chart:
    png: bytes
    alt_text: str

    @property
    def data_uri(self) -> str:
        return "data:image/png;base64," + base64.b64encode(self.png).decode("ascii")


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _cumulative(days: list[date], weeks: list[date]) -> list[int]:
    """How many of ``days`` fall in or before each week (weeks start on Monday)."""
    return [sum(day < week + timedelta(days=7) for day in days) for week in weeks]


def weekly_counts(overview: Overview, zone: ZoneInfo) -> tuple[list[date], list[int], list[int]]:
    """The Mondays from the first week of the year to the week of today (or of the follow-up deadline), and
    how many agreements were signed and followed up by the end of each (cumulative)."""
    signed = [row.signed_at.astimezone(zone).date() for row in overview.rows if row.signed_at is not None]
    followed = [row.followup_done_at.astimezone(zone).date() for row in overview.rows
                if row.followup_done_at is not None]
    start = _monday(date(overview.year, 1, 1))
    end = min(max(overview.today, overview.q1_deadline), date(overview.year, 12, 31))
    weeks = []
    week = start
    while week <= end:
        weeks.append(week)
        week += timedelta(days=7)
    return weeks, _cumulative(signed, weeks), _cumulative(followed, weeks)


def alt_text(overview: Overview, zone: ZoneInfo) -> str:
    """The chart in words, for screen readers and for clients that show no images."""
    total = len(overview.rows)
    signed_by_q1 = sum(row.signed_at is not None and row.signed_at.astimezone(zone).date() <= overview.q1_deadline
                       for row in overview.rows)
    signed = sum(row.signed_at is not None for row in overview.rows)
    followed = sum(row.followup_done_at is not None for row in overview.rows)
    return (
        f"Diagram: signerte avtaler uke for uke i {overview.year}. "
        f"{signed_by_q1} av {total} signert innen fristen {overview.q1_deadline:%d.%m.}, {signed} av {total} "
        f"signert i alt. {followed} av {total} fulgt opp (frist {overview.followup_deadline:%d.%m.})."
    )


def render_chart(overview: Overview, zone: ZoneInfo) -> Chart:
    """The chart of ``overview`` as a small PNG with its text alternative."""
    weeks, signed, followed = weekly_counts(overview, zone)
    total = len(overview.rows)
    figure = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI)
    axes = figure.add_subplot()
    axes.step(weeks, signed, where="post", color=SIGNED_COLOUR, linewidth=2.2, label="Signert")
    if any(followed):
        axes.step(weeks, followed, where="post", color=FOLLOWUP_COLOUR, linewidth=2.2, label="Fulgt opp")
    axes.axhline(total, color="#999999", linewidth=1, linestyle=":")
    axes.axvline(overview.q1_deadline, color=DEADLINE_COLOUR, linewidth=1.2, linestyle="--")
    top = max(total, 1)
    axes.text(overview.q1_deadline, top * 1.04, " Frist signering", fontsize=9, color=DEADLINE_COLOUR, va="bottom")
    if weeks and overview.followup_deadline <= weeks[-1] + timedelta(days=7):
        axes.axvline(overview.followup_deadline, color=FOLLOWUP_COLOUR, linewidth=1.2, linestyle="--")
        axes.text(overview.followup_deadline, top * 1.04, "Frist oppfølging ", fontsize=9, color=FOLLOWUP_COLOUR,
                  va="bottom", ha="right")
    axes.set_ylim(0, top * 1.18)
    axes.set_title(f"Signerte avtaler uke for uke {overview.year} (av {total})", fontsize=11, loc="left")
    axes.set_ylabel("Antall", fontsize=10)
    axes.yaxis.get_major_locator().set_params(integer=True)
    months = [date(overview.year, month, 1) for month in range(1, 13)
              if weeks and date(overview.year, month, 1) <= weeks[-1] + timedelta(days=7)]
    axes.set_xticks(months, [f"{day:%m}" if len(months) > 6 else f"1.{day.month}." for day in months], fontsize=9)
    axes.set_xlabel("Måned" if len(months) > 6 else "", fontsize=9)
    axes.tick_params(axis="y", labelsize=9)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    axes.legend(loc="upper left", fontsize=9, frameon=False)
    figure.tight_layout()
    raw = io.BytesIO()
    figure.savefig(raw, format="png", dpi=DPI)
    # A few colours are enough for lines and text: a palette PNG is a fraction of the size.
    small = io.BytesIO()
    Image.open(raw).convert("RGB").quantize(colors=16).save(small, format="PNG", optimize=True)
    return Chart(small.getvalue(), alt_text(overview, zone))
