"""Texts of the preparation (each leader alone)."""

INTRO = "Forberedelse til ledersamtalen med {name}."
PRIVATE = (
    "Det du skriver her, er bare synlig for deg til dere begge har merket forberedelsen som ferdig. "
    "Da kan dere se hverandres forberedelse. Alt lagres med en gang du svarer."
)
OFFER_READING = "Vil du lese om lederavtalen, lederplattformen og lederens ansvar først?"
READ_FIRST = "Les først"
GO_TO_QUESTIONS = "Gå til spørsmålene"
READ_WORDS = ("les", "les først", "ja")
GO_WORDS = ("gå til spørsmålene", "spørsmålene", "nei")
OFFER_HINT = "Velg «Les først» eller «Gå til spørsmålene»."
DONE = "Takk! Forberedelsen din er lagret og merket som ferdig."
WAITING_FOR_OTHER = "{name} har ikke merket sin forberedelse som ferdig ennå. Dere ser hverandres forberedelse når begge er ferdige."
BOTH_DONE = "Dere har begge forberedt dere, så nå kan dere se hverandres forberedelse."
NOTIFY_BOTH_DONE = "{name} har også forberedt seg til ledersamtalen. Nå kan dere se hverandres forberedelse."
NOT_FINISHED = "Forberedelsen er ikke ferdig. Det du har svart, er lagret."
PREPARATIONS_TITLE = "Forberedelsene til ledersamtalen"
PREPARATIONS_INTRO = "Dette skrev du og {name} i forberedelsen. Dere ser hverandres forberedelse fordi dere begge er ferdige."
VIEW_BUTTON = "Se forberedelsene"
