"""Texts of the overview of one agreement's answers: every question with its mark, and where to go on."""

TITLE_PREPARATION = "Oversikt over forberedelsen din"
TITLE_AGREEMENT = "Oversikt over avtalen"
COUNT = "{answered} av {total} besvart."
MISSING_COUNT = "{count} spørsmål mangler svar."
PREPARED = "Forberedelsen din er merket som ferdig. Du kan fortsatt endre svarene."
SENT = "Avtalen er sendt til gjennomgang. Endrer du noe, må den sendes på nytt."
CHANGED_INTRO = "Det som er endret etter kommentarene, er merket «{changed}»."

NUMBER = "{number} av {total}"
ANSWERED = "Besvart"
MISSING = "Mangler svar"
EMPTY = "Ikke fylt ut (kan stå tomt)"
CHANGED = "Endret etter kommentarene"
GOALS_COUNT = "{count} mål"
MARKS = "{number} · {mark}"

OPEN_ANSWERED = "Endre"
OPEN_EMPTY = "Svar"
CONTINUE = "Fortsett der du slapp"
GO_THROUGH = "Gå gjennom alle spørsmålene"
FINISH_PREPARATION = "Merk forberedelsen som ferdig"
FINISH_AGREEMENT = "Se over og send til {name}"

CONTINUE_WORDS = ("fortsett", "fortsett der du slapp")
GO_THROUGH_WORDS = ("gå gjennom alle spørsmålene", "gå gjennom", "alle spørsmålene")
FINISH_WORDS = ("ferdig", "send", "merk som ferdig", "se over og send")
HINT = "Velg en knapp i oversikten, eller skriv nummeret på spørsmålet du vil åpne (1–{count})."
STILL_MISSING = "Noen spørsmål mangler fortsatt svar. De er merket «Mangler svar» nedenfor."
