"""What an HR adviser reads from the leader import, in Norwegian bokmål."""

from __future__ import annotations

# Refusals of the file as a whole.
TOO_LARGE = "Filen er for stor ({size:.1f} MB). Største tillatte størrelse er 5 MB."
TOO_MANY_ROWS = "Filen har mer enn {limit} ledere. Så mange ledere kan ikke importeres."
EMPTY = "Filen er tom."
NO_ROWS = "Filen har ingen ledere, bare en overskriftslinje."
UTF16 = (
    "Filen er lagret som UTF-16, ikke UTF-8. "
    "Lagre den på nytt som «CSV UTF-8 (kommadelt)» i Excel."
)
NOT_UTF8 = (
    "Linje {line}: filen er ikke lagret som UTF-8 (første ugyldige tegn står på denne "
    "linjen). Lagre den på nytt som «CSV UTF-8 (kommadelt)» i Excel."
)

# Refusals of one line.
FILE_LINE = "Linje {line}"
MISSING_COLUMN = "Linje {line}: kolonnen «{column}» mangler (godtatte overskrifter: {aliases})."
DUPLICATE_COLUMN = "Linje {line}: kolonnen «{column}» står flere ganger ({headers})."
UNREADABLE = "Linje {line}: linjen kan ikke leses som CSV (sjekk anførselstegnene)."
FIELD_COUNT = (
    "Linje {line}: linjen har {found} felt, men overskriften har {expected}. "
    "Sjekk skilletegn og anførselstegn."
)
CONTROL_CHARACTER = (
    "Linje {line}: feltet «{column}» inneholder ugyldige tegn (linjeskift eller kontrolltegn)."
)
TOO_LONG = "Linje {line}: feltet «{column}» er for langt (mer enn {limit} tegn)."
EMPTY_NAME = "Linje {line}: navn mangler."
EMPTY_EMAIL = "Linje {line}: e-post mangler."
BAD_EMAIL = "Linje {line}: «{value}» er ikke en gyldig e-postadresse."
BAD_SUPERIOR_EMAIL = "Linje {line}: overordnet leder «{value}» er ikke en gyldig e-postadresse."
BAD_HR = "Linje {line}: hr_admin må være ja eller nei, ikke «{value}»."

# Refusals of the hierarchy.
DUPLICATE_EMAIL = "Linje {line}: e-postadressen {email} står også på linje {first}."
CONFLICTING_SUPERIOR = (
    "Linje {line}: {email} har overordnet {superior} her, men {first_superior} på linje "
    "{first}. En leder kan bare ha én overordnet leder."
)
DUPLICATE_OBJECT_ID = "Linje {line}: objekt-ID-en {object_id} står også på linje {first}."
UNKNOWN_SUPERIOR = "Linje {line}: overordnet leder {superior} finnes ikke i filen."
OWN_SUPERIOR = "Linje {line}: {email} står som sin egen overordnede leder."
CYCLE = (
    "Linje {lines}: lederne er overordnet hverandre i en sirkel ({chain}). "
    "Øverste leder skal ha tom overordnet."
)
NO_SUPERIOR = "(ingen)"
LIST_SEPARATOR = ", "
LIST_LAST_SEPARATOR = " og "

REFUSED = "Rett opp {count} feil i filen og prøv igjen:"

# Refusals of the leaders read from Entra ID: each names the person.
PERSON = "{name} ({email})"
DIRECTORY_EMPTY_NAME = "{where}: visningsnavnet mangler i Entra ID."
DIRECTORY_TOO_LONG = "{where}: feltet «{column}» i Entra ID er for langt (mer enn {limit} tegn)."
DIRECTORY_OUTSIDE_MANAGER = (
    "{where} har {manager} som leder i Entra ID, men {manager} er ikke med i ledergruppen. "
    "Legg lederen til i gruppen, eller rett opp lederen til {name} i Entra ID."
)
DIRECTORY_DUPLICATE_EMAIL = (
    "{where}: {first_name} i ledergruppen har samme e-postadresse. "
    "To ledere kan ikke ha samme e-postadresse."
)
DIRECTORY_DUPLICATE_OBJECT_ID = "{where}: objekt-ID-en {object_id} brukes også av {first_where}."
DIRECTORY_UNKNOWN_SUPERIOR = "{where}: lederen {superior} er ikke med i ledergruppen i Entra ID."
DIRECTORY_OWN_SUPERIOR = "{where} står som sin egen leder i Entra ID."
DIRECTORY_CYCLE = (
    "Lederne er ledere for hverandre i en sirkel i Entra ID ({people}). "
    "Øverste leder skal ikke ha en leder i ledergruppen."
)
DIRECTORY_REFUSED = "Rett opp {count} feil i Entra ID og prøv igjen:"

# The columns as messages name them.
COLUMN_LABELS = {
    "name": "navn",
    "email": "e-post",
    "aad_object_id": "objectid",
    "unit": "enhet",
    "superior_email": "overordnet_epost",
    "hr_admin": "hr_admin",
}

# What an import did.
SUMMARY_LEADERS = (
    "Ledere: {created} nye, {updated} endret, {unchanged} uendret, {deactivated} deaktivert."
)
SUMMARY_AGREEMENTS = (
    "Lederavtaler {year}: {created} nye, {unchanged} uendret, {moved} flyttet til ny "
    "overordnet, {reactivated} aktivert igjen, {deactivated} deaktivert."
)
KEPT_WITH_SUPERIOR = (
    "Avtalen til {subordinate} er påbegynt og blir stående hos {superior}, selv om filen "
    "oppgir {new_superior} som overordnet. Avklar med lederne hva som skal skje med den."
)
KEPT_WITHOUT_SUPERIOR = (
    "Avtalen til {subordinate} er påbegynt og blir stående hos {superior}, selv om lederen "
    "ikke lenger har en overordnet i filen. Avklar med lederne hva som skal skje med den."
)

# What an import would change (``lederavtale leaders sync --dry-run``), one line each.
CHANGE_NEW_LEADER = "Ny leder: {leader}"
CHANGE_CHANGED_LEADER = "Endret leder: {leader} ({fields})"
CHANGE_LEFT_LEADER = "Sluttet: {leader}"
CHANGE_NEW_PAIR = "Ny lederavtale: {subordinate} med {superior}"
CHANGE_MOVED_PAIR = "Lederavtale flyttet: {subordinate} fra {old_superior} til {superior}"
CHANGE_NOTHING = "Ingen endringer."
CHANGE_FIELD_SEPARATOR = ", "
#: The leader's fields as the list of changes names them.
CHANGE_FIELD_LABELS = {
    "name": "navn",
    "email": "e-post",
    "aad_object_id": "objekt-ID",
    "unit": "enhet",
    "is_hr_admin": "HR",
    "active": "tilbake",
    "superior_id": "overordnet",
}

# ``lederavtale leaders import``.
FILE_UNREADABLE = "Kunne ikke lese {file}: {reason}"
NOT_IMPORTED = "Filen {file} ble ikke importert. Ingenting er endret.\n{refusal}"

# ``lederavtale leaders sync``.
SYNC_NOT_CONFIGURED = (
    "Lederne kan ikke hentes fra Entra ID: Microsoft Graph er ikke satt opp, eller "
    "LEDERAVTALE_LEADER_GROUP_ID mangler. Sett LEDERAVTALE_LEADER_GROUP_ID (og gjerne "
    "LEDERAVTALE_HR_GROUP_ID) og botens app-registrering (MicrosoftAppId, MicrosoftAppPassword, "
    "MicrosoftAppTenantId eller LEDERAVTALE_GRAPH_TENANT_ID, _CLIENT_ID og _CLIENT_SECRET)."
)
SYNC_GRAPH_FAILED = "Kunne ikke lese lederne fra Entra ID. Ingenting er endret.\n{error}"
NOT_SYNCED = "Lederne fra Entra ID ble ikke tatt inn. Ingenting er endret.\n{refusal}"
SYNC_DRY_RUN = "Prøvekjøring: ingenting er endret. Slik ville lederne og avtalene blitt:"
