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

# ``lederavtale leaders import``.
FILE_UNREADABLE = "Kunne ikke lese {file}: {reason}"
NOT_IMPORTED = "Filen {file} ble ikke importert. Ingenting er endret.\n{refusal}"
