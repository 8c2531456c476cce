"""Texts of filling in the agreement (superior, after the conversation)."""

INTRO = (
    "Fyll ut lederavtalen med {name} slik dere ble enige om i samtalen. For hvert spørsmål ser du "
    "det dere skrev i forberedelsen."
)
SIGNED_CONFIRM = (
    "Avtalen er signert av dere begge. Endrer du den, åpnes den igjen og begge signaturene fjernes. "
    "Det som er signert, tas vare på i historikken. Vil du endre avtalen?"
)
YES_EDIT = "Ja, endre avtalen"
NO_KEEP = "Nei"
YES_WORDS = ("ja", "ja, endre avtalen", "endre")
NO_WORDS = ("nei",)
CONFIRM_HINT = "Velg «Ja, endre avtalen» eller «Nei»."
REOPENED = "Avtalen er åpnet igjen, og begge signaturene er fjernet."
NOT_REOPENED = "Greit, avtalen er ikke endret."
MISSING = "Disse spørsmålene mangler svar, så avtalen kan ikke sendes til gjennomgang ennå:"
MISSING_HINT = "Velg «Fyll ut avtalen» i menyen for å fortsette."
SENT = "Avtalen er sendt til {name} for gjennomgang og signering."
NOTIFY_REVIEW = "{name} har fylt ut lederavtalen deres. Les gjennom og signer, eller send kommentarer."
NOTIFY_BUTTON = "Les og signer"
NOT_FINISHED = "Avtalen er ikke sendt ennå. Det du har skrevet, er lagret."
