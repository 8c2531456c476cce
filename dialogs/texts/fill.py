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

WARN_BEFORE_MEETING = (
    "Ledersamtalen med {name} er planlagt til {when}. Avtalen fylles vanligvis ut etter samtalen, med det "
    "dere ble enige om der. Vil du fylle den ut nå likevel?"
)
FILL_NOW = "Fyll ut nå"
WAIT = "Vent til etter samtalen"
FILL_NOW_WORDS = ("fyll ut nå", "fyll ut", "ja")
WAIT_WORDS = ("vent til etter samtalen", "vent", "nei")
WARN_HINT = "Velg «Fyll ut nå» eller «Vent til etter samtalen»."
WAITING = "Greit. Velg «Fyll ut avtalen» i menyen når dere har hatt samtalen."

PREVIEW_LEAD = "Slik ser avtalen ut for {name}. Se over den før du sender den."
PREVIEW_ASK = "Vil du sende avtalen til {name} for gjennomgang og signering?"
SEND = "Send til {name}"
CHANGE = "Endre noe"
SEND_WORDS = ("send", "ja")
CHANGE_WORDS = ("endre noe", "endre", "nei")
PREVIEW_HINT = "Velg «Send til {name}» eller «Endre noe»."
NOTIFY_REVIEW_CHANGED = (
    "{name} har oppdatert lederavtalen deres etter kommentarene dine. Endret: {fields}. "
    "Les gjennom og signer, eller send kommentarer."
)
NOTIFY_REVIEW_UNCHANGED = (
    "{name} har sendt lederavtalen deres tilbake uten endringer etter kommentarene dine. "
    "Les gjennom og signer, eller send kommentarer."
)
