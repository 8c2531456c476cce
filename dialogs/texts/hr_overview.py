"""Texts of HR's overview of the year and the superior's superior's "Status i min linje". Status and dates only."""

BUTTON_HR = "Oversikt"
BUTTON_LINE = "Status i min linje"
#: Typed as the whole message, anywhere.
WORDS = ("oversikt", "oversikten", "hr-oversikt", "status i min linje", "min linje")

TITLE_HR = "Oversikt over lederavtalene {year}"
TITLE_LINE = "Status i min linje {year}"
INTRO_HR = "Status og datoer for alle {count} avtaler i {year}, per {today}. Innholdet i avtalene vises aldri her."
INTRO_LINE = (
    "Status og datoer for de {count} avtalene til lederne under deg i {year}, per {today}. "
    "Innholdet i avtalene vises aldri her."
)
NO_AGREEMENTS = "Ingen avtaler i {year} ennå."
BY_STATUS = "Per status"
BY_UNIT = "Per enhet"
UNIT_LINE = "{unit}: {agreements} avtaler · {planned} planlagt · {prepared} forberedt · {signed} signert · {followed_up} fulgt opp"
NO_UNIT = "(uten enhet)"
OVERDUE = "Forfalt"
OVERDUE_NONE = "Ingen avtaler er forfalt."
OVERDUE_Q1 = "{subordinate} (leder: {superior}): ikke signert innen {deadline}"
OVERDUE_FOLLOWUP = "{subordinate} (leder: {superior}): ikke fulgt opp innen {deadline}"
#: The name of a leader who has left (their agreement for the year stays).
LEFT = "{name} (sluttet)"
UNREACHABLE = "Ledere boten ikke når"
UNREACHABLE_NONE = "Boten når alle lederne i avtalene."
UNREACHABLE_NO_REF = "{name}: har ikke åpnet boten i Teams"
UNREACHABLE_MARKED = "{name}: kan ikke nås"
MORE = "… og {count} til (se regnearket)."
DOWNLOAD = "Last ned som regneark (XLSX)"

REFUSED = (
    "Oversikten er for HR og for ledere med ledere under seg. Du kan se status for dine egne avtaler med «status»."
)

CONSENT_DESCRIPTION = "Status og datoer for lederavtalene {year}, som regneark (uten innholdet i avtalene)."
CONSENT_SUMMARY = "Regnearket med status for lederavtalene"
LINK_TITLE = "Regneark: status for lederavtalene {year}"
LINK_TEXT = "Lenken kan brukes én gang, i {minutes} minutter."
LINK_BUTTON = "Last ned regnearket"
HANDED_OUT = "Her er regnearket."
NO_LONGER = "Du har ikke lenger tilgang til oversikten."
OFFER_GONE = "Dette kortet er brukt eller for gammelt. Trykk «Last ned som regneark (XLSX)» i oversikten for et nytt."
UPLOAD_FAILED = "Beklager, jeg fikk ikke lagt regnearket i OneDrive-en din. Prøv igjen om litt fra oversikten."
