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
LEADERS_SYNC_HELP = "hent ledere fra Entra ID (LEDERAVTALE_LEADER_GROUP_ID) og opprett årets lederavtaler"
LEADERS_DRY_RUN_HELP = "bare vis hva som ville blitt endret"
DEMO_HELP = "last inn demokommunen (brukerne i Agents Playground), med fjorårets avtaler signert og fulgt opp"

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
#: The name of a leader who has left (their agreement for the year stays).
STATUS_LEFT = "{name} (sluttet)"

TEAMS_PACKAGE_REFUSED = "Teams-pakken ble ikke laget: {error}"
TEAMS_PACKAGE_UNWRITABLE = "Kunne ikke skrive {file}: {reason}"
TEAMS_PACKAGE_WRITTEN = "Teams-pakken er skrevet til {file}. Last den opp i Teams-administrasjonssenteret."

# --- lederavtale export ----------------------------------------------------------------------
EXPORT_HELP = "skriv årets signerte lederavtaler til arkivet: arkivkopien (PDF/A) og arkivmelding.xml (Fiks Arkiv)"
EXPORT_OUT_HELP = "mappen eksporten skrives til (opprettes om den ikke finnes)"
EXPORT_AGAIN_HELP = "eksporter på nytt også det som er eksportert før"
FOLDER_METAVAR = "MAPPE"
EXPORT_PROGRESS = "Eksporterer"
EXPORT_UNIT = "avtale"
EXPORT_LINE = "{index}/{total} Lederavtale {year} – {subordinate} [{agreement_id}]: {outcome}"
EXPORT_OUTCOMES = {
    "exported": "eksportert til {detail}",
    "skipped": "eksportert før, hoppet over",
    "failed": "feilet ({detail})",
}
EXPORT_SUMMARY = (
    "Arkiveksport {year} til {out}: {exported} eksportert, {skipped} hoppet over (eksportert før), {failed} feilet."
)
EXPORT_FAILED_HINT = "Kjør eksporten igjen for å prøve de som feilet på nytt: det som er eksportert, eksporteres ikke to ganger."
EXPORT_NONE = "Ingen signerte lederavtaler for {year}: ingenting å eksportere."
EXPORT_OUT_IS_FILE = "«{path}» er en fil, ikke en mappe: oppgi en mappe med --out."
EXPORT_OUT_UNWRITABLE = "Kan ikke opprette eller skrive til mappen «{path}»: oppgi en mappe du kan skrive til med --out."

# --- the demo's last year ----------------------------------------------------------------
DEMO_NO_LAST_YEAR = "Fjorårets demoavtaler er ikke lastet: det finnes ikke noe skjema for {year}."

# --- innsyn: a copy for an access request, and the log of copies ---------------------------
INNSYN_HELP = "lag en kopi av en lederavtale ved innsyn (personlige forhold unntatt), eller vis loggen over kopier"
INNSYN_AGREEMENT_HELP = "lederavtalens nummer (id)"
INNSYN_REASON_HELP = "innsynskravet: hvem som ba om innsyn, og saksnummeret"
INNSYN_BY_HELP = "navnet på saksbehandleren som behandler kravet"
INNSYN_OUT_HELP = "PDF-filen som skrives (den må ikke finnes fra før)"
INNSYN_LOG_HELP = "vis alle innsynskopier som er laget: når, hvilken avtale, hvem og hvorfor (aldri innholdet)"
INNSYN_ALL_HELP = "med --log: vis alle kopier, også ledernes egne kopier fra Teams og arkivkopiene"
INNSYN_CSV_HELP = "med --log: skriv loggen som CSV (semikolon) i stedet for en tabell"
AGREEMENT_ID_METAVAR = "ID"
REASON_METAVAR = "BEGRUNNELSE"
NAME_METAVAR = "NAVN"
PDF_FILE_METAVAR = "FIL.pdf"
NOT_AN_AGREEMENT_ID = "«{value}» er ikke et avtalenummer (et positivt heltall)."
INNSYN_MISSING = "en innsynskopi trenger {options} (eller bruk --log for å se loggen)"
INNSYN_LOG_ALONE = "--log kan ikke brukes sammen med {options}"
INNSYN_LOG_ONLY = "{options} hører bare til --log"
INNSYN_BLANK_REASON = "--reason kan ikke være tom: skriv hvem som ba om innsyn, og hvorfor"
INNSYN_BLANK_BY = "--by kan ikke være tom: skriv navnet på den som behandler innsynskravet"
INNSYN_NOT_PDF = "--out må være en PDF-fil som slutter på .pdf, ikke «{file}»"
INNSYN_NO_FOLDER = "Mappen {folder} finnes ikke. Ingen kopi er laget."
INNSYN_IS_FOLDER = "{file} er en mappe. Oppgi et filnavn som slutter på .pdf. Ingen kopi er laget."
INNSYN_EXISTS = (
    "{file} finnes allerede. En kopi som er gitt ut, skal ikke skrives over: velg et annet filnavn. "
    "Ingen kopi er laget."
)
INNSYN_UNKNOWN_AGREEMENT = "Fant ingen lederavtale med nummer {agreement}. Ingen kopi er laget."
INNSYN_TOO_LONG = "{what} er for lang (mer enn {limit} tegn)."
INNSYN_REASON = "begrunnelsen"
INNSYN_HANDLER = "navnet på saksbehandleren"
INNSYN_UNWRITABLE = "Kunne ikke skrive {file}: {reason}. Ingen kopi er laget."
INNSYN_WRITTEN = (
    "Innsynskopien av lederavtale {agreement} ({year}, {subordinate}) er skrevet til {file}.\n"
    "Kopien er registrert i loggen (SHA-256 {sha256}). Ledelsesutvikling og personlige forhold er unntatt, "
    "med hjemmel på hvert sted."
)

COPY_LOG_NONE = "Ingen innsynskopier er laget."
COPY_LOG_NONE_ALL = "Ingen kopier er laget."
COPY_LOG_TITLE = "Innsynskopier ({count})"
COPY_LOG_TITLE_ALL = "Alle kopier ({count})"
COPY_LOG_COLUMNS = ("Tidspunkt", "Avtale", "År", "Underordnet leder", "Overordnet leder", "Kopi", "Kanal",
                    "Behandlet av / mottaker", "Begrunnelse")
COPY_LOG_VARIANTS = {"pair": "lederens kopi", "archive": "arkivkopi", "innsyn": "innsyn"}
COPY_LOG_CHANNELS = {"teams": "Teams", "command line": "kommandolinjen", "archive export": "arkiveksport",
                     "personal data": "egne opplysninger"}
COPY_LOG_NONE_YET = "-"

# --- personal-data: everything held about one leader, for their own request (GDPR art. 15) ---
PERSONAL_DATA_HELP = "skriv alt boten har lagret om én leder til en mappe (innsyn i egne opplysninger, GDPR art. 15)"
PERSONAL_DATA_LEADER_HELP = "lederens e-postadresse"
PERSONAL_DATA_OUT_HELP = "mappen som skrives (den må være ny eller tom)"
EMAIL_METAVAR = "EPOST"
PERSONAL_DATA_UNKNOWN = "Fant ingen leder med e-postadressen «{email}». Ingenting er skrevet."
PERSONAL_DATA_IS_FILE = "«{path}» er en fil, ikke en mappe: oppgi en ny eller tom mappe med --out. Ingenting er skrevet."
PERSONAL_DATA_NOT_EMPTY = (
    "Mappen «{path}» er ikke tom: oppgi en ny eller tom mappe med --out, så ingenting blandes eller skrives over. "
    "Ingenting er skrevet."
)
PERSONAL_DATA_NO_FOLDER = "Mappen {folder} finnes ikke. Ingenting er skrevet."
PERSONAL_DATA_UNWRITABLE = "Kunne ikke skrive mappen «{path}»: {reason}. Ingenting er skrevet."
PERSONAL_DATA_WRITTEN = (
    "Alt boten har lagret om {name} ({email}) er skrevet til {path}: {files} filer, {agreements} lederavtaler, "
    "{copies} PDF-kopier (registrert i loggen over kopier).\n"
    "Filene er listet i index.json og LESMEG.txt. Mappen inneholder personopplysninger: gi den bare til lederen selv."
)
PERSONAL_DATA_README_TITLE = "Opplysninger lederavtale-boten har lagret om {name}"
PERSONAL_DATA_README_INTRO = (
    "Lederavtalene er kopiene du selv kan få i Teams (PDF). Der en avtale ennå ikke har avtalt tekst, står status og "
    "datoer i en JSON-fil. Den andre lederens forberedelser og refleksjoner er ikke med: de er deres opplysninger. "
    "Filene:"
)

# --- retention ----------------------------------------------------------------------------
RETENTION_HELP = "slett innholdet i avtaler eldre enn oppbevaringstiden (avtalen, datoene og et sletteregister blir)"
RETENTION_DRY_RUN_HELP = "vis hva som ville blitt slettet, uten å endre noe (aldri innholdet)"
RETENTION_FORCE_HELP = "slett også signerte avtaler som aldri er eksportert til arkivet (krever --reason)"
RETENTION_REASON_HELP = "hvorfor signerte avtaler som ikke er arkivert slettes likevel (lagres i sletteregisteret)"
RETENTION_FORCE_NEEDS_REASON = "--force krever --reason med en begrunnelse."
RETENTION_REASON_NEEDS_FORCE = "--reason brukes bare sammen med --force."
RETENTION_TITLE = "Oppbevaringstid: {years} år etter avtaleåret. Avtaler fra {last_year} og eldre er over tiden."
RETENTION_TITLE_DRY = "Prøvekjøring: ingenting er endret."
RETENTION_DELETED = "Innholdet slettet ({count}):"
RETENTION_WOULD_DELETE = "Innholdet ville blitt slettet ({count}):"
RETENTION_KEPT = ("Beholdt: signert, men aldri eksportert til arkivet ({count}). "
                  "Eksporter med «lederavtale export», eller slett med --force --reason:")
RETENTION_NONE = "Ingen avtaler er over oppbevaringstiden."
RETENTION_SKIPPED = "{count} avtaler ble slettet av en annen prosess samtidig."
RETENTION_IDLE = "Samtaletilstand tømt etter {days} dager uten aktivitet: {count} samtaler (svarene blir)."
RETENTION_IDLE_DRY = "Samtaletilstand som ville blitt tømt etter {days} dager uten aktivitet: {count} samtaler."
RETENTION_FORCED = "Tvunget sletting, begrunnelse lagret."
RETENTION_COLUMNS = ("Avtale", "År", "Underordnet leder", "Overordnet leder", "Innhold")
RETENTION_COUNT_NAMES = {
    "answers": "svar", "comments": "kommentarer", "answer_revisions": "svarversjoner", "goals": "mål",
    "goal_actions": "tiltak", "event_details": "hendelsesdetaljer", "sign_places": "signeringssteder",
    "dialog_states": "samtaletilstander", "document_offers": "dokumenttilbud",
}

# --- lederavtale audit (the access log) ---
AUDIT_HELP = "hvem har lest innholdet i en lederavtale: når, hvem, hvilken del, hvilken vei (aldri innholdet)"
AUDIT_AGREEMENT_HELP = "avtalens nummer (se «lederavtale status» eller «lederavtale innsyn --log»)"
AUDIT_NOT_FOUND = "Fant ingen lederavtale med nummer {agreement_id}."
AUDIT_TITLE = "Tilgangslogg for lederavtale {agreement_id} ({year}, {subordinate} og {superior})"
AUDIT_NONE = "Ingen har lest innholdet i lederavtale {agreement_id} ennå."
AUDIT_COLUMNS = ("Når", "Hvem", "Del", "Avsnitt", "Vei")
AUDIT_ARCHIVE = "arkivet"
AUDIT_INNSYN = "innsyn ved {handler}"
AUDIT_INNSYN_UNNAMED = "innsyn"
AUDIT_PERSONAL_DATA = "egne opplysninger ({name})"
AUDIT_UNKNOWN_READER = "ukjent"
AUDIT_PARTS = {"preparation": "forberedelse", "agreement": "avtalen", "reflections": "refleksjoner",
               "followup": "oppfølging"}
AUDIT_PATHS = {"card": "kort i Teams", "pdf": "PDF-kopi", "export": "arkiveksport", "innsyn": "innsynskopi",
               "personal-data": "egne opplysninger"}
AUDIT_COUNT = "{count} lesninger."
