"""Texts of the autumn follow-up."""

REFLECT_INTRO = (
    "Forbered oppfølgingssamtalen med {name}. Først ser du utviklingsmålene og tiltakene dere satte i "
    "vår. Refleksjonene dine er bare synlige for deg til oppfølgingssamtalen er registrert."
)
RECORD_INTRO = "Registrer oppfølgingssamtalen med {name}: skriv det dere kom fram til for hvert punkt."
NO_GOALS = "Dere satte ingen utviklingsmål i vår."
REFLECT_DONE = "Takk! Refleksjonene dine er lagret."
NOT_FINISHED = "Oppfølgingen er ikke ferdig. Det du har svart, er lagret."
RECORD_DONE = "Oppfølgingen er registrert og sendt til {name}. Bekreft den du også."
NOTIFY_RECORDED = "{name} har registrert oppfølgingssamtalen deres. Les gjennom og bekreft."
CONFIRM_BUTTON = "Bekreft"
LATER = "Ikke nå"
CONFIRM_WORDS = ("bekreft", "ja")
LATER_WORDS = ("ikke nå", "nei", "senere")
CONFIRM_ASK = "Bekrefter du at oppfølgingen er riktig registrert?"
CONFIRM_HINT = "Velg «Bekreft» eller «Ikke nå»."
CONFIRMED_WAITING = "Takk, du har bekreftet oppfølgingen. Nå venter den på at {name} bekrefter."
BOTH_CONFIRMED = "Oppfølgingen er bekreftet av dere begge. Lederavtalen for {year} er fullført."
NOTIFY_CONFIRMED = "{name} har bekreftet oppfølgingen."
LATER_DONE = "Greit. Du finner oppfølgingen i menyen når du vil bekrefte."
