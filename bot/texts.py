"""The few texts the bot layer itself sends (the dialogs keep their own), in Norwegian bokmål."""

from __future__ import annotations

UNKNOWN_USER = (
    "Hei! Jeg er lederavtale-boten i Lørenskog kommune. Jeg hjelper ledere med den årlige "
    "lederavtalen.\n\n"
    "Jeg finner deg dessverre ikke i listen over ledere som skal ha lederavtale i år, så jeg kan "
    "ikke hjelpe deg her. Mener du at du skal ha en lederavtale, ta kontakt med HR, så legger de "
    "deg inn."
)

NOT_PERSONAL = (
    "Hei! Jeg er lederavtale-boten i Lørenskog kommune. Lederavtaler er personlige, så jeg svarer "
    "bare i en personlig chat. Åpne appen fra «Apper» i Teams og snakk med meg der."
)

TURN_ERROR = (
    "Beklager, noe gikk galt hos meg. Det du har svart tidligere, er tatt vare på.\n\n"
    "Prøv igjen om litt. Hvis det samme skjer igjen, ta kontakt med HR."
)

ALREADY_RECEIVED = (
    "Det har jeg fått allerede, og det er tatt vare på. Du kan fortsette der du er, i meldingen over."
)

NOT_STORED = (
    "Avtalen ble endret flere ganger i samme øyeblikk, så det du sendte nå, ble ikke lagret. Send det gjerne "
    "på nytt om litt."
)
NOT_STORED_TEXT = "Dette skrev du:"

#: The page of a single-use link that serves nothing.
LINK_UNKNOWN = "Denne lenken finnes ikke. Åpne avtalen i Teams og be om en ny kopi der."
