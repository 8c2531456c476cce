"""Texts of a leader's own copy of the agreement as a PDF: the offer, the hand-out, and what can go wrong."""

from bot import actions
from dialogs.texts.menu import BUTTONS

#: The button on the last card of "Se avtalen" once the agreement is signed.
BUTTON = BUTTONS[actions.DOCUMENT]
#: The button pressed before the agreement is signed (from an old card).
NOT_SIGNED = "Avtalen kan du få som PDF når begge har signert den. Her er menyen din."
#: The file's name: "Lederavtale 2026 Megan Bowen.pdf".
FILE_NAME = "Lederavtale {year} {subordinate}.pdf"

#: The file consent card.
CONSENT_DESCRIPTION = "Din kopi av lederavtalen {year} med {other}, som PDF. Filen lagres i OneDrive."
CONSENT_SUMMARY = "Kopi av lederavtalen som PDF"
#: After the file is in the leader's OneDrive, with the file card.
HANDED_OUT = "Her er din kopi av lederavtalen. Den ligger også i OneDrive-en din."
DECLINED = "Greit, da lar jeg være. Du kan be om kopien når du vil, fra «Se avtalen»."

#: The single-use link.
LINK_TITLE = "Din kopi av lederavtalen {year}"
LINK_TEXT = (
    "Trykk på knappen for å laste ned kopien din som PDF. Lenken virker én gang, i {minutes} minutter, "
    "og bare du har fått den. Ikke del den med andre."
)
LINK_BUTTON = "Last ned PDF"

#: What can go wrong (the leader is told; nothing is lost).
UPLOAD_FAILED = (
    "Beklager, jeg fikk ikke lagt kopien i OneDrive-en din. Prøv igjen om litt med «{button}» i «Se avtalen»."
)
ALREADY_HANDED_OUT = "Denne kopien har du fått allerede. Vil du ha en ny, trykk «{button}» i «Se avtalen»."
OFFER_EXPIRED = "Dette kortet er for gammelt. Trykk «{button}» i «Se avtalen» for å få en ny kopi."
NOT_YOURS = "Denne kopien er laget for en annen leder, så du kan ikke få den."

#: The pages a single-use link shows when it serves nothing.
LINK_USED = "Denne lenken er brukt allerede. Hver lenke virker bare én gang. Be om en ny kopi i «Se avtalen» i Teams."
LINK_EXPIRED = "Denne lenken er utløpt. Be om en ny kopi i «Se avtalen» i Teams."
LINK_UNAVAILABLE = "Kopien kan ikke lages nå. Åpne avtalen i Teams og prøv igjen, eller ta kontakt med HR."
