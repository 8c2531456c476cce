"""Texts of the autumn follow-up."""

REFLECT_INTRO = (
    "Forbered oppfølgingssamtalen med {name}. Først ser du utviklingsmålene og tiltakene dere satte i "
    "vår. Refleksjonene dine er bare synlige for deg til dere begge er ferdige med refleksjonene. "
    "Da kan dere se hverandres."
)
RECORD_INTRO = "Registrer oppfølgingssamtalen med {name}: skriv det dere kom fram til for hvert punkt."
NO_GOALS = "Dere satte ingen utviklingsmål i vår."
REFLECT_DONE = "Takk! Refleksjonene dine er lagret og merket som ferdige."
REFLECT_WAITING = (
    "{name} er ikke ferdig med refleksjonene sine ennå. Dere ser hverandres refleksjoner når begge er ferdige."
)
BOTH_REFLECTED = "Dere er begge ferdige med refleksjonene, så nå kan dere se hverandres."
NOTIFY_BOTH_REFLECTED = (
    "{name} er også ferdig med refleksjonene før oppfølgingssamtalen. Nå kan dere se hverandres refleksjoner."
)
VIEW_BUTTON = "Se refleksjonene"
REFLECTIONS_TITLE = "Refleksjonene før oppfølgingssamtalen"
REFLECTIONS_INTRO = "Dette skrev du og {name} før oppfølgingssamtalen."
NOT_FINISHED = "Oppfølgingen er ikke ferdig. Det du har svart, er lagret."

# The superior records what the form asks in the subordinate's own voice ("Hvilke refleksjoner har
# jeg gjort meg ..."): the question stays as the form has it, under a lead saying whose it is.
SUBORDINATE_VOICE = "{name} refleksjon – spørsmålet slik skjemaet stiller det:"
#: Words that put a question in the answering leader's own voice.
FIRST_PERSON_WORDS = ("jeg", "meg", "min", "mitt", "mine")

RECORD_DONE = "Oppfølgingen er registrert og sendt til {name}."
NOTIFY_RECORDED = (
    "{name} har registrert oppfølgingssamtalen deres. Les gjennom, og bekreft den eller skriv en kommentar."
)
NOTIFY_RECORDED_BUTTON = "Les og bekreft"
CONFIRM_BUTTON = "Bekreft"
COMMENT_BUTTON = "Kommenter"
LATER = "Ikke nå"
CONFIRM_WORDS = ("bekreft", "ja")
COMMENT_WORDS = ("kommenter", "kommentar", "skriv en kommentar")
LATER_WORDS = ("ikke nå", "nei", "senere")
CONFIRM_ASK = "Bekrefter du at oppfølgingen er riktig registrert?"
CONFIRM_ASK_SUBORDINATE = "Bekrefter du at oppfølgingen er riktig registrert, eller vil du kommentere den først?"
CONFIRM_HINT = "Velg «Bekreft» eller «Ikke nå»."
CONFIRM_HINT_SUBORDINATE = "Velg «Bekreft», «Kommenter» eller «Ikke nå»."
CONFIRMED_WAITING = "Takk, du har bekreftet oppfølgingen. Nå venter den på at {name} bekrefter."
BOTH_CONFIRMED = "Oppfølgingen er bekreftet av dere begge. Lederavtalen for {year} er fullført."
NOTIFY_CONFIRMED = "{name} har bekreftet oppfølgingen."
LATER_DONE = "Greit. Du finner oppfølgingen i menyen når du vil bekrefte."

ASK_COMMENT = "Skriv kommentaren din til oppfølgingen som {name} har registrert."
COMMENT_SENT = "Kommentaren er sendt til {name}. Du kan bekrefte oppfølgingen fra menyen når du er klar."
COMMENT_TITLE = "Kommentar fra {name}, {date}:"
NOTIFY_COMMENTED = "{name} har kommentert oppfølgingssamtalen du registrerte. Kommentaren står under oppfølgingen."
NOTIFY_COMMENTED_BUTTON = "Endre oppfølgingen"
