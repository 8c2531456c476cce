"""Texts of the greeting a leader gets the first time they meet the bot."""

GREETING = "Hei, {first_name}! Jeg er lederavtale-boten i Lørenskog kommune."

ABOUT = (
    "Jeg tar deg gjennom årets lederavtale, steg for steg: du forbereder deg til ledersamtalen, "
    "overordnet leder planlegger samtalen og fyller ut avtalen etterpå, dere signerer begge, og "
    "til høsten følger dere opp avtalen. Alt du svarer, lagres med en gang, så du kan ta en pause "
    "når du vil og fortsette der du slapp."
)

WAITING_TITLE = "Dette venter på deg i {year}:"
WAITING_NONE = (
    "Du er ikke med i noen lederavtale i {year} ennå. Mener du at du skal ha en, ta kontakt med HR."
)
LINE_SUBORDINATE = "**Din lederavtale med {name}** ({status}): {step}"
LINE_SUPERIOR = "**Lederavtale med {name}** ({status}): {step}"
MEETING = "Samtalen er {when}."

COMMANDS = (
    "Skriv «meny» for å se avtalene dine med en knapp for hvert steg. Du kan når som helst skrive "
    "«hjelp», «status», «start» eller «avbryt»."
)
