"""What an operator reads from loading the demo municipality's last year, in Norwegian bokmål."""

from __future__ import annotations

LAST_YEAR_SUMMARY = (
    "Lederavtaler {year} med demosvar, signert og fulgt opp: {completed} nye, {unchanged} uendret."
)
