"""Texts shared by every flow: commands, help, status, refusals and formatting."""

from __future__ import annotations

from datetime import datetime

# Typed commands (whole message, case-insensitive, trimmed).
HELP_WORDS = ("hjelp",)
STATUS_WORDS = ("status",)
CANCEL_WORDS = ("avbryt",)
MENU_WORDS = ("start", "meny")
# A greeting shows the menu.
GREETING_WORDS = (
    "hei", "hallo", "halla", "heisann", "hei hei", "hei på deg", "hei bot", "god morgen", "god dag", "god ettermiddag",
    "god kveld", "morn", "morna", "hi", "hello",
)
VIEW_WORDS = ("vis avtalen", "se avtalen", "vis avtale", "se avtale", "vis avtalene", "se avtalene", "avtalen")
KEEP_WORDS = ("behold",)
SKIP_WORDS = ("hopp over",)

# Buttons.
BUTTON_SAVE = "Lagre"
BUTTON_KEEP = "Behold"
BUTTON_SKIP = "Hopp over"
BUTTON_MENU = "Til menyen"
BUTTON_HELP = "Hjelp"
BUTTON_STATUS = "Status"
BUTTON_READING = "Les om lederavtalen"
BUTTON_READ_WHOLE = "Les hele teksten"

# One text shown whole.
WHOLE_TEXT_TITLE = "Hele teksten"
TEXT_NOT_FOUND = "Jeg finner ikke den teksten."

# Help.
HELP_TITLE = "Hjelp"
HELP_INTRO = (
    "Jeg er lederavtale-boten. Jeg hjelper deg gjennom årets lederavtale: du forbereder deg til "
    "ledersamtalen, overordnet leder fyller ut avtalen etter samtalen, dere signerer begge, og om "
    "høsten følger dere opp avtalen. Alt du svarer, lagres med en gang."
)
HELP_COMMANDS_TITLE = "Dette kan du skrive når som helst:"
HELP_COMMANDS = (
    "**meny** eller **start**: avtalene dine og neste steg",
    "**status**: status for avtalene dine",
    "**vis avtalen**: det du kan se av avtalen, også fra tidligere år",
    "**avbryt**: avbryt det du holder på med (det du har svart, er lagret)",
    "**hjelp**: denne teksten",
)
HELP_PRIVACY = (
    "Det du skriver om ledelsesutvikling, ser bare du og den andre lederen i avtalen. "
    "HR ser bare status og datoer."
)
HELP_CONTACT_TITLE = "Spørsmål om lederavtalen? Kontakt:"

# Status.
STATUS_TITLE = "Status for lederavtalene dine i {year}:"
STATUS_NONE = "Du er ikke med i noen lederavtale i {year}."
STATUS_LINE_SUBORDINATE = "Din lederavtale med {name}: {status}"
STATUS_LINE_SUPERIOR = "Lederavtale med {name}: {status}"
STATUS_MEETING = "samtale {when}"

# Cancel and unknown input.
CANCELLED = "Avbrutt. Det du har svart, er lagret. Skriv «meny» når du vil fortsette."
NOTHING_TO_CANCEL = "Det er ingenting å avbryte. Skriv «meny» for å se avtalene dine."
NOT_UNDERSTOOD = "Jeg forstod ikke det. Velg en knapp i menyen, eller skriv «hjelp»."
STALE_CARD = "Det kortet hører til et steg som er avsluttet. Her er det du står på nå:"
STALE_CARD_MENU = "Det kortet hører til et steg som er avsluttet. Her er menyen din."
UNKNOWN_ACTION = "Den knappen kjenner jeg ikke igjen. Her er menyen din."

# Text a leader wrote that was not saved, given back word for word.
GIVEN_BACK_STALE = "Teksten din ble ikke lagret, fordi kortet du skrev den i, hører til et steg som er avsluttet."
GIVEN_BACK_UNSEEN = (
    "Teksten din er ikke lagret ennå: jeg er ikke sikker på at du fikk se spørsmålet den skulle svare på. "
    "Hører den hjemme under spørsmålet nedenfor, sender du den igjen."
)
GIVEN_BACK_QUESTION = "Du skrev den til:"
GIVEN_BACK_TEXT = "Dette skrev du:"
GIVEN_BACK_COPY = "Kopier teksten hvis du vil bruke den. Her er det du står på nå:"

# Refusals from the agreement rules (never revealing anything about an agreement).
NO_ACCESS = "Jeg finner ingen lederavtale du har tilgang til her. Her er menyen din."
LOCKED = "Avtalen er signert av dere begge og er låst."
CONCURRENT = "Noen endret avtalen i samme øyeblikk, så svaret ble ikke lagret. Send det på nytt."
INVALID_STATE = "Det steget kan ikke gjøres nå. Her er menyen din."
EMPTY = "Svaret kan ikke være tomt. Skriv svaret ditt og send det."
TOO_LONG = (
    "Svaret er for langt: {length} tegn, og grensen er {limit} tegn. Det er ikke lagret. "
    "Kort ned teksten og send den på nytt."
)
NOTHING_TO_KEEP = "Du har ikke svart på dette ennå, så det er ingenting å beholde. Skriv svaret ditt."
CANNOT_SKIP = "Dette spørsmålet må besvares. Skriv svaret ditt."
EMPTY_SKIPPABLE = "Svaret er tomt. Skriv svaret ditt, eller velg «Hopp over» om du vil la feltet stå tomt."
NOTIFY_FAILED = "Jeg fikk ikke sendt beskjed til {name} nå. Si gjerne fra selv."

ROLE_SUBORDINATE = "Underordnet leder"
ROLE_SUPERIOR = "Overordnet leder"

_WEEKDAYS = ("mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag")
_MONTHS = (
    "januar", "februar", "mars", "april", "mai", "juni",
    "juli", "august", "september", "oktober", "november", "desember",
)
_NUMBERS = ("ingen", "ett", "to", "tre", "fire", "fem", "seks", "sju")


def format_when(moment: datetime) -> str:
    """A local date and time the Norwegian way: 'tirsdag 10. februar 2026 kl. 09.00'."""
    return (
        f"{_WEEKDAYS[moment.weekday()]} {moment.day}. {_MONTHS[moment.month - 1]} {moment.year} "
        f"kl. {moment.hour:02d}.{moment.minute:02d}"
    )


def format_date(moment: datetime) -> str:
    """A date the Norwegian way: '10. februar 2026'."""
    return f"{moment.day}. {_MONTHS[moment.month - 1]} {moment.year}"


def number_word(count: int) -> str:
    """Small counts in words ('ett', 'to', 'tre'), larger ones as digits."""
    return _NUMBERS[count] if 0 <= count < len(_NUMBERS) else str(count)


def possessive(name: str) -> str:
    """Norwegian genitive of a name: 'Megan Bowens', 'Lars''."""
    return f"{name}'" if name[-1:].lower() in ("s", "x", "z") else f"{name}s"
