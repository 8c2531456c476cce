"""Texts of the goals list ("utviklingsmål og tiltak")."""

NONE_YET = "Ingen utviklingsmål ennå."
ACTIONS = "Tiltak:"
ADD = "Legg til mål"
REMOVE = "Fjern"
EDIT = "Endre"
USE = "Bruk dette målet"
DONE = "Ferdig med målene"
SUGGESTIONS = "Mål fra forberedelsen"
HINT = (
    "Legg til ett mål om gangen, med tiltakene sine. Du kan endre eller fjerne et mål. "
    "Velg «Ferdig med målene» når du er ferdig."
)
ASK_TITLE = "Skriv utviklingsmålet, kort."
ASK_ACTIONS = "Skriv tiltakene for «{title}», ett per linje."
TITLE_PLACEHOLDER = "Utviklingsmål"
ACTIONS_PLACEHOLDER = "Ett tiltak per linje"
ASK_TITLE_EDIT = "Endre utviklingsmålet, eller velg «Behold»."
ASK_ACTIONS_EDIT = "Endre tiltakene for «{title}», ett per linje, eller velg «Behold»."
SAVED = "Målet «{title}» er lagret."
CHANGED = "Målet «{title}» er endret."
UNCHANGED = "Målet «{title}» er ikke endret."
REMOVED = "Målet «{title}» er fjernet."
TOO_MANY_ACTIONS = "Et mål kan ha høyst {limit} tiltak. Slå sammen noen og send igjen."
MENU_HINT = "Velg «Legg til mål» eller «Ferdig med målene»."
ADD_WORDS = ("legg til", "legg til mål", "nytt mål")
DONE_WORDS = ("ferdig", "ferdig med målene")
ALREADY_USED = "Målet «{title}» fra forberedelsen står allerede i avtalen. Du kan endre det i listen."
CONFIRM_REMOVE = "Vil du fjerne målet «{title}»?"
KEEP = "Behold"
CONFIRM_REMOVE_HINT = "Velg «Fjern» eller «Behold»."
KEPT = "Målet «{title}» står som før."
ALREADY_REMOVED = "Målet «{title}» er allerede endret eller fjernet. Her er målene slik de står nå."
REMOVE_WORDS = ("fjern", "fjern målet", "ja")
KEEP_WORDS = ("behold", "behold målet", "nei")
