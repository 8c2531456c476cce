"""What HR and operators read from the ``lederavtale`` command line itself, in Norwegian bokmål.

The results of the reminder and calendar commands are in ``scheduler/texts.py``, those of the
leader import in ``agreement/texts/roster.py``.
"""

from __future__ import annotations

# --- argparse's own messages --------------------------------------------------------------
#: argparse's English message (its gettext msgid, Python 3.11) -> the bokmål shown instead.
#: Only messages these commands can produce; the fields keep argparse's placeholders.
ARGPARSE = {
    "usage: ": "bruk: ",
    "positional arguments": "argumenter",
    "options": "valg",
    "argument %(argument_name)s: %(message)s": "%(argument_name)s: %(message)s",
    "the following arguments are required: %s": "følgende argumenter mangler: %s",
    "unrecognized arguments: %s": "ukjente argumenter: %s",
    "invalid choice: %(value)r (choose from %(choices)s)": "ugyldig valg: %(value)r (velg blant %(choices)s)",
    "expected one argument": "forventet én verdi",
    "ignored explicit argument %r": "tar ingen verdi, men fikk %r",
}
ERROR = "{prog}: feil: {message}\n"
ERROR_HINT = "Skriv «{prog} -h» for å se hva kommandoen tar imot.\n"
HELP = "vis denne hjelpen og avslutt"
COMMANDS = "kommandoer"
COMMAND_METAVAR = "KOMMANDO"

# --- values given on the command line -----------------------------------------------------
NOT_A_YEAR = "«{value}» er ikke et årstall (ÅÅÅÅ)."
NOT_A_DATE = "«{value}» er ikke en dato (ÅÅÅÅ-MM-DD)."
NOT_A_PORT = "«{value}» er ikke et portnummer."
YEAR_METAVAR = "ÅÅÅÅ"
DATE_METAVAR = "ÅÅÅÅ-MM-DD"
CSV_FILE_METAVAR = "FIL.csv"
ZIP_FILE_METAVAR = "FIL.zip"
CONFIGURATION_ERROR = "lederavtale: feil i konfigurasjonen: {error}\n"

# --- help ----------------------------------------------------------------------------------
DESCRIPTION = "Lederavtale-boten for Lørenskog kommune"
VERBOSE_HELP = (
    "vis loggmeldinger: -v viser INFO, -vv også DEBUG (serve og scheduler logger alltid INFO)"
)
YEAR_HELP = "året (standard: i år)"
DATE_HELP = "dagen (standard: i dag)"

DB_HELP = "databasen"
DB_UPGRADE_HELP = "kjør alle databasemigreringer (gjøres også ved hver oppstart)"

LEADERS_HELP = "ledernes hierarki"
LEADERS_IMPORT_HELP = "importer ledere fra en CSV-fil og opprett årets lederavtaler"
LEADERS_FILE_HELP = "CSV-fil: name, email, aad_object_id, unit, superior_email, hr_admin"
DEMO_HELP = "last inn demokommunen (brukerne i Agents Playground)"

STATUS_HELP = "status for årets lederavtaler (aldri innholdet)"

SERVE_HELP = "kjør boten (POST /api/messages, GET /healthz)"
SERVE_HOST_HELP = "adressen boten lytter på (standard: LEDERAVTALE_HOST eller 127.0.0.1)"
SERVE_PORT_HELP = "porten boten lytter på (standard: LEDERAVTALE_PORT eller 3978)"
SERVE_NO_SCHEDULER_HELP = "ikke send påminnelser fra denne prosessen (kjør «lederavtale scheduler» for seg)"
HOST_METAVAR = "ADRESSE"
PORT_METAVAR = "PORT"

REMINDERS_HELP = "se, send og kontroller påminnelser"
REMINDERS_PLAN_HELP = "vis hva som ville blitt sendt en dag, og til hvem (aldri innhold)"
REMINDERS_SEND_HELP = "send nå det som skal sendes en dag"
REMINDERS_DRY_RUN_HELP = "bare vis hva som ville blitt sendt"
REMINDERS_LOG_HELP = "hva som er sendt, hva som feilet og hvem som ikke kunne nås"
REMINDERS_STATUS_HELP = "bare denne statusen"
REMINDERS_UNREACHABLE_HELP = "ledere boten ikke når: HR må kontakte dem"

CALENDAR_HELP = "årets påminnelsesdatoer og sendetidspunkt"
CALENDAR_SHOW_HELP = "vis årets kalender"
CALENDAR_SET_HELP = (
    "endre datoer (NØKKEL=ÅÅÅÅ-MM-DD) eller sendetidspunktet (send_time=TT:MM); NØKKEL= gir standarden tilbake"
)
CALENDAR_KEYS_HELP = "nøkler: {keys}"
ASSIGNMENT_METAVAR = "NØKKEL=VERDI"

SCHEDULER_HELP = "send påminnelser fra en egen prosess (til SIGINT eller SIGTERM)"

TEAMS_PACKAGE_HELP = "lag Teams-app-pakken (manifest.json og ikoner) som skal lastes opp"
TEAMS_APP_ID_HELP = "Azure Bot-ens Microsoft App ID, en GUID (standard: MicrosoftAppId)"
TEAMS_OUT_HELP = "zip-filen som skrives (standard: {default})"
TEAMS_APP_VERSION_HELP = "appens versjon X.Y.Z; øk den ved hver opplasting (standard: botens versjon)"
APP_ID_METAVAR = "ID"
APP_VERSION_METAVAR = "X.Y.Z"

# --- results -------------------------------------------------------------------------------
DB_UPGRADED = "Databasen er oppdatert."

STATUS_NONE = "Ingen lederavtaler for {year}. Importer ledere med «lederavtale leaders import»."
STATUS_TITLE = "Lederavtaler {year}"
STATUS_COLUMNS = ("Overordnet leder", "Underordnet leder", "Enhet", "Status", "Møte", "Signert")
STATUS_SIGNED_BOTH = "begge"
STATUS_SIGNED_ONE = "én av to"
STATUS_NONE_YET = "-"

TEAMS_PACKAGE_REFUSED = "Teams-pakken ble ikke laget: {error}"
TEAMS_PACKAGE_UNWRITABLE = "Kunne ikke skrive {file}: {reason}"
TEAMS_PACKAGE_WRITTEN = "Teams-pakken er skrevet til {file}. Last den opp i Teams-administrasjonssenteret."
