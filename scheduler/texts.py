"""Every Norwegian text of the reminders (cards and command line), in one place (bokmål)."""

from __future__ import annotations

from datetime import date, datetime

from bot import actions

MONTHS = (
    "januar", "februar", "mars", "april", "mai", "juni",
    "juli", "august", "september", "oktober", "november", "desember",
)
WEEKDAYS = ("mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag")


def day_month(day: date) -> str:
    """``31. mars``."""
    return f"{day.day}. {MONTHS[day.month - 1]}"


def weekday_day_month(day: date) -> str:
    """``mandag 31. mars``."""
    return f"{WEEKDAYS[day.weekday()]} {day_month(day)}"


def clock(moment: datetime) -> str:
    """``09.30`` (Norwegian style, local time already applied)."""
    return moment.strftime("%H.%M")


CARD_TITLE = "Lederavtalen {year}"
SUMMARY = "Påminnelse om lederavtalen"
FALLBACK = "Du har en påminnelse om lederavtalen. Åpne chatten med lederavtale-boten for å se den."

# --- kick-off (superiors) --------------------------------------------------------------
KICKOFF_HEADING = "Tid for ledersamtaler"
KICKOFF_BODY = (
    "Nå er det tid for å kalle inn til ledersamtaler og inngå lederavtaler for {year}. "
    "Du er overordnet leder for lederne under. Alle ledersamtaler skal være gjennomført "
    "i løpet av første kvartal: fristen er {deadline}."
)

# --- Q1 reminders (superiors) ----------------------------------------------------------
Q1_HEADING = "Påminnelse: lederavtaler som ikke er signert"
Q1_BODY = "Disse lederavtalene er ikke signert ennå. Fristen er {deadline}."

# --- deadline passed (superiors) and escalation (their superiors) ---------------------
DEADLINE_PASSED_HEADING = "Fristen for lederavtalene har gått ut"
DEADLINE_PASSED_BODY = "Fristen var {deadline}. Disse lederavtalene er fortsatt ikke signert:"
ESCALATION_HEADING = "Lederavtaler i ditt område som ikke er signert"
ESCALATION_BODY = (
    "Fristen var {deadline}. Disse lederavtalene mellom ledere under deg er ikke signert. "
    "Du ser bare status, ikke innholdet."
)
ESCALATION_ROW = "{superior} og {subordinate}"

# --- meeting preparation (both leaders) -----------------------------------------------
PREP_HEADING = "Forbered ledersamtalen"
PREP_BODY = "Du har ledersamtale med {other} {when}. Dere skal begge forberede dere til samtalen."
PREP_WHEN = "{weekday} kl. {clock}"
PREP_PRIVATE = "Det du skriver i forberedelsen, ser bare du til dere begge har forberedt dere."

# --- autumn follow-up post (both leaders) ---------------------------------------------
FOLLOWUP_HEADING = "Høstens oppfølging av lederavtalen"
FOLLOWUP_DEADLINE = "Oppfølgingen skal være gjennomført innen {deadline}."
FOLLOWUP_WITH = "Lederavtalen med {other}"
FOLLOWUP_GOALS = "Målene og tiltakene dere satte i vår:"
FOLLOWUP_NO_GOALS = "Dere registrerte ingen utviklingsmål i vår."
FOLLOWUP_GOALS_TOO_MANY = "Målene dere satte i vår vises når du starter oppfølgingen."
FOLLOWUP_GOAL = "{section}: {title}"
FOLLOWUP_ACTION_BULLET = "• {text}"

# --- November reminders (superiors) ---------------------------------------------------
FOLLOWUP_REMINDER_HEADING = "Påminnelse: oppfølgingssamtaler"
FOLLOWUP_REMINDER_BODY = "Oppfølgingen er ikke gjennomført for disse lederavtalene. Fristen er {deadline}."

# --- rows and buttons -----------------------------------------------------------------
ROW_STATUS = "Status: {status}"
ROW_WAITING_FOR = "Venter på {name}"
MORE_ROWS = "… og {count} til. Skriv «status» for å se alle."
BUTTONS = {
    actions.PLAN: "Planlegg samtalen",
    actions.PREPARE: "Start forberedelsen",
    actions.FILL: "Fyll ut avtalen",
    actions.SIGN: "Signer avtalen",
    actions.FOLLOWUP_REFLECT: "Start oppfølgingen",
    actions.FOLLOWUP_RECORD: "Registrer oppfølgingen",
    actions.FOLLOWUP_CONFIRM: "Les og bekreft oppfølgingen",
}

# --- command line (for HR and operators) ----------------------------------------------
KIND_LABELS = {
    "kickoff": "oppstart",
    "q1_reminder": "påminnelse før fristen",
    "deadline_passed": "fristen er passert",
    "deadline_escalation": "fristen er passert (til overordnet leders leder)",
    "meeting_prep": "forbered samtalen",
    "followup_start": "høstens oppfølging",
    "followup_reminder": "påminnelse om oppfølging",
}
CLI_PLAN_HEADER = "Påminnelser {day}: {count} meldinger"
CLI_DAY_OFF = "{day} er {why}: påminnelser sendes bare på arbeidsdager."
CLI_WEEKEND = "helg"
CLI_HOLIDAY = "helligdag ({name})"
CLI_UNREACHABLE = "kan ikke nås"
CLI_DUE = "forfalt"
CLI_RETRY = "nytt forsøk"
CLI_SEND_REPORT = (
    "Planlagt: {planned}. Sendt: {sent}. Kan ikke nås: {unreachable}. Feilet: {failed}. "
    "Tatt av en annen prosess eller utsatt: {skipped}."
)
CLI_STATUS = {
    "claimed": "sendes nå",
    "sent": "sendt",
    "failed": "feilet",
    "unreachable": "kan ikke nås",
}
CLI_STATUS_UNCERTAIN = "usikker (avbrutt under sending, sendes ikke på nytt)"
CLI_LOG_EMPTY = "Ingen påminnelser er sendt for {year}."
CLI_LOG_COLUMNS = ("Forfall", "Type", "Mottaker", "Avtale", "Status", "Forsøk", "Tidspunkt", "Feil")
CLI_REASONS = {
    "no_reference": "har ikke startet en samtale med boten",
    "http_403": "boten er fjernet, blokkert eller stengt av en administrator",
    "http_404": "samtalen finnes ikke lenger",
}
#: Why an install of the Teams app did not reach the leader ({reason} is Microsoft Graph's own words).
CLI_INSTALL_REASONS = {
    "blocked": "appen kan ikke installeres for dem, den er blokkert av en policy: {reason}",
    "failed": "installasjonen av appen mislyktes: {reason}",
    "app_not_in_catalog": "appen finnes ikke i organisasjonens appkatalog i Teams, så den kan ikke installeres",
}
#: Added to the reason when the app has not been (re)installed since: whether and when it will be.
CLI_INSTALL_STATE = {
    "pending": "og appen er ikke installert for dem ennå (det skjer ved neste påminnelse)",
    "not_configured": "og appen installeres ikke for dem fordi Microsoft Graph ikke er satt opp",
    "switched_off": "og automatisk installasjon av appen er slått av (LEDERAVTALE_PROACTIVE_INSTALL)",
}
CLI_REASON_AND_STATE = "{reason}, {state}"
CLI_UNREACHABLE_HEADER = (
    "{count} ledere kan ikke nås av boten. Be dem åpne lederavtale-boten i Teams; "
    "da får de påminnelser igjen."
)
CLI_UNREACHABLE_COLUMNS = ("Leder", "E-post", "Årsak", "Siden", "Påminnelser som ikke kom fram")
CLI_ALL_REACHABLE = "Alle aktive ledere kan nås av boten."
CLI_CALENDAR_HEADER = "Påminnelseskalender {year} ({zone})"
CLI_CALENDAR_COLUMNS = ("Innstilling", "Dato/tid", "Sendes / frist", "Kilde")
CLI_CALENDAR_SENT = "sendes {day}"
CLI_CALENDAR_DEADLINE = "frist {day}"
CLI_CALENDAR_MOVED = "{when} (flyttet fra {original})"
CLI_CALENDAR_MOVED_FROM_HOLIDAY = "helligdag"
CLI_CALENDAR_SEND_TIME = "kl. {clock}"
CLI_OVERRIDDEN = "satt for året"
CLI_DEFAULT = "standard"
CLI_CALENDAR_REFUSED = "Kalenderen ble ikke endret."
