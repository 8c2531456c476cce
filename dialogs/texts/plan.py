"""Texts of planning the conversation (superior)."""

ASK = "Når skal ledersamtalen med {name} være?"
CURRENT = "Nå satt til {when}."
DATE_LABEL = "Dato"
TIME_LABEL = "Klokkeslett"
SAVE = "Lagre tidspunktet"
TYPED_HINT = "Du kan også skrive tidspunktet, for eksempel «{example}»."
INVALID_WHEN = "Jeg forstod ikke tidspunktet. Velg dato og klokkeslett, eller skriv for eksempel «{example}»."
# The example's form is one that is understood when typed (dd.mm.åååå tt:mm).
EXAMPLE_WHEN = "{day:%d.%m.%Y} 09:00"
MISSING_TIME = "Velg også et klokkeslett."
IN_THE_PAST = "{when} har allerede vært. Velg et tidspunkt fram i tid."
DONE = "Ledersamtalen med {name} er satt til {when}. {name} har fått beskjed."
NOTIFY = "{name} har satt opp ledersamtalen deres til {when}. Du kan forberede deg nå."
NOTIFY_BUTTON = "Forbered deg"

#: The conversation as a Teams meeting in the superior's calendar, the subordinate invited (:mod:`dialogs.meeting_invitation`).
MEETING_SUBJECT = "Ledersamtale: {superior} og {subordinate}"
#: The meeting's body (HTML; the names come escaped).
MEETING_BODY_HTML = (
    "<p>Dette er den årlige samtalen om lederavtalen mellom {superior} og {subordinate}.</p>"
    "<p><b>Slik forbereder du deg:</b> Åpne chatten med lederavtale-boten i Teams og trykk «Forbered deg» "
    "(eller skriv «meny»). Der svarer du på forberedelsesspørsmålene før samtalen. Det dere skriver, "
    "ser den andre først når begge er ferdige.</p>"
)
#: The same as plain text, in the .ics file.
MEETING_DESCRIPTION = (
    "Dette er den årlige samtalen om lederavtalen mellom {superior} og {subordinate}.\n\n"
    "Slik forbereder du deg: Åpne chatten med lederavtale-boten i Teams og trykk «Forbered deg» "
    "(eller skriv «meny»). Der svarer du på forberedelsesspørsmålene før samtalen. Det dere skriver, "
    "ser den andre først når begge er ferdige."
)
#: Added to DONE: what became of the meeting in the calendars.
CALENDAR_CREATED = "Møtet ligger i kalenderen din, og {name} er invitert."
CALENDAR_MOVED = "Møtet i kalenderen er flyttet, og {name} får beskjed om det nye tidspunktet."
CALENDAR_FAILED = (
    "Jeg fikk dessverre ikke laget kalenderinvitasjonen, men tidspunktet er lagret. "
    "Du kan legge møtet i kalenderen selv med filen under og invitere {name}."
)
#: The .ics file offered instead (or always, when the calendar meetings are off).
ICS_FILE_NAME = "Ledersamtale {subordinate}.ics"
ICS_TITLE = "Legg ledersamtalen i kalenderen"
ICS_LINK_TEXT = "Trykk på knappen for å laste ned møtet som kalenderfil. Lenken virker én gang, i {minutes} minutter."
ICS_BUTTON = "Legg i kalenderen (.ics)"
ICS_CONSENT_DESCRIPTION = "Ledersamtalen med {other} som kalenderfil (.ics). Filen lagres i OneDrive."
ICS_HANDED_OUT = "Her er kalenderfilen. Åpne den for å legge ledersamtalen i kalenderen din."
ICS_UPLOAD_FAILED = "Beklager, jeg fikk ikke lagt kalenderfilen i OneDrive-en din. Sett opp tidspunktet på nytt for å få en ny."
ICS_NOT_YOURS = "Denne kalenderfilen er laget for en annen leder, så du kan ikke få den."
#: The offer or link serves nothing any more (used, expired, or the conversation no longer planned by this leader).
ICS_GONE = "Denne kalenderfilen kan ikke hentes lenger. Sett opp tidspunktet på nytt i Teams for å få en ny."
