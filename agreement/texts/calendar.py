"""The calendar's refusals, shown to HR by ``lederavtale calendar set`` (bokmål)."""

from __future__ import annotations

UNKNOWN_KEYS = "Ukjent kalenderinnstilling: {keys} (kjente: {known})."
NOT_A_DATE = "{key}: «{value}» er ikke en dato (ÅÅÅÅ-MM-DD)."
NOT_A_TIME = "{key}: «{value}» er ikke et klokkeslett (TT:MM)."
NOT_IN_YEAR = "{key}: {value} er ikke i {year}."
ORDER = "{later} ({later_date}) må komme etter {earlier} ({earlier_date})."
MOVED_ORDER = "{later} flyttes til {later_date} (arbeidsdagen før), som er før {earlier} ({earlier_date})."
MOVED_OUT_OF_YEAR = "{key}: {value} er ikke en arbeidsdag, og arbeidsdagen før ({moved}) er ikke i {year}."
UNKNOWN_ZONE = "Ukjent tidssone «{name}»."
BAD_YEAR = "{year} er ikke et gyldig avtaleår."
NOT_KEY_VALUE = "«{pair}» er ikke NØKKEL=VERDI (for eksempel q1_deadline=2025-03-31)."
STORED_INVALID = "Den lagrede kalenderen for {year} er ugyldig: {error}"
