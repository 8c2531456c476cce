"""Texts around the form's questions (the questions themselves come from the template)."""

PROGRESS = "{whose} · {section} · {number} av {total}"
# Whose agreement a question card belongs to (a superior may have several under way).
WHOSE_AS_SUPERIOR = "Lederavtale med {name}"
WHOSE_AS_SUBORDINATE = "Din lederavtale med {name}"
CURRENT_HINT = "Det du har skrevet, står i feltet. Endre det og velg «Lagre», eller velg «Behold»."
ANSWER_PLACEHOLDER = "Skriv svaret ditt her"
SKIP_HINT = "Dette feltet kan du hoppe over."
CHOICE_HINT = "Velg {minimum}–{maximum} utsagn. Du kan også skrive numrene, for eksempel «1, 4»."
CHOICE_COUNT = "Du valgte {given} utsagn. Velg {minimum}–{maximum} utsagn fra Lederplattformen og send igjen."
CHOICE_UNKNOWN = "Jeg kjenner ikke igjen alle utsagnene. Velg fra listen, eller skriv numre fra 1 til {count}."
CHOSEN = "Valgt:"

CONTEXT_PREPARATION = "Fra forberedelsen"
CONTEXT_REFLECTION = "Fra refleksjonene før oppfølgingssamtalen"
CONTEXT_OWN = "Du"
CONTEXT_NOTHING = "Ingenting skrevet."
CONTEXT_HIDDEN_PREPARATION = "{name} forberedelse vises når dere begge har merket forberedelsen som ferdig."
CONTEXT_HIDDEN_REFLECTION = "{name} refleksjoner vises når dere begge er ferdige med refleksjonene."

#: The subordinate's comments on the filled agreement, shown by each question while the superior changes it.
COMMENTS_TITLE = "Kommentarer fra {name}"
COMMENTS_LABEL = "Kommentarer til avtalen"

GOAL_QUESTION = "Hvordan har det gått med utviklingsmålet «{title}»?"
GOAL_ACTIONS = "Tiltak:"
GOAL_SECTION = "Utviklingsmål fra vårens avtale"

SAVE_FAILED = "Svaret ble ikke lagret."
