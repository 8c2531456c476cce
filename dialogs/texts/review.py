"""Texts of reviewing and signing the agreement, and of sharing Ledelsesutvikling."""

CHOOSE_SUBORDINATE = "Vil du signere avtalen, eller sende kommentarer til {name}?"
CHOOSE_SUPERIOR = "Vil du signere avtalen?"
SIGN = "Signer"
COMMENT = "Send kommentarer"
LATER = "Ikke nå"
SIGN_WORDS = ("signer",)
COMMENT_WORDS = ("send kommentarer", "kommentarer", "kommentar")
LATER_WORDS = ("ikke nå", "senere")
HINT_SUBORDINATE = "Velg «Signer» eller «Send kommentarer»."
HINT_SUPERIOR = "Velg «Signer» eller «Ikke nå»."
ASK_COMMENT = "Skriv kommentarene dine til {name}."
COMMENT_SENT = "Kommentarene er sendt til {name}. Du får avtalen igjen når den er oppdatert."
NOTIFY_COMMENT = "{name} har sendt kommentarer til lederavtalen deres:"
NOTIFY_COMMENT_BUTTON = "Fyll ut avtalen"
LATER_DONE = "Greit. Du finner avtalen i menyen når du vil signere."

# --- signing before the planned meeting -------------------------------------------------
EARLY = (
    "Samtalen deres er satt til {when}, og den har ikke vært ennå. Vanligvis signerer dere avtalen etter samtalen."
)
EARLY_QUESTION = "Vil du signere nå likevel, eller vente til etter samtalen?"
SIGN_ANYWAY = "Signer nå likevel"
WAIT = "Vent til etter samtalen"
SIGN_ANYWAY_WORDS = ("signer nå likevel", "signer likevel", "signer", "likevel")
WAIT_WORDS = ("vent til etter samtalen", "vent", "senere")
EARLY_HINT = "Velg «Signer nå likevel» eller «Vent til etter samtalen»."
WAIT_DONE = "Greit. Du finner avtalen i menyen når dere har hatt samtalen."

# --- place and date -------------------------------------------------------------------------
#: Where a signature is usually given: offered with today's date in the field.
DEFAULT_PLACE = "Lørenskog"
PLACE_HINT = "Stedet og datoen du signerer, slik det skal stå ved signaturen din. Datoen skrives dd.mm.åååå."
PLACE_NEXT = "Neste"
NO_DATE = "Skriv datoen også, som dd.mm.åååå, for eksempel «{example}»."
SEVERAL_DATES = "Skriv bare én dato, datoen du signerer, for eksempel «{example}»."
INVALID_DATE = "Den datoen finnes ikke. Skriv datoen som dd.mm.åååå, for eksempel «{example}»."
FUTURE_DATE = "Datoen kan ikke være senere enn i dag. Skriv datoen du signerer, for eksempel «{example}»."
NO_PLACE = "Skriv stedet også, for eksempel «{example}»."

# --- sharing Ledelsesutvikling --------------------------------------------------------------
SHARE_TITLE = "Deling av Ledelsesutvikling"
SHARE_QUESTION = (
    "Kan det som står under Ledelsesutvikling deles utenfor dere to, for eksempel med HR eller i en arkivert "
    "kopi av avtalen?"
)
SHARE_RULE = "Det deles bare hvis dere begge sier ja. Du kan trekke svaret tilbake senere."
SHARE_YES = "Ja, det kan deles"
SHARE_NO = "Nei"
SHARE_YES_WORDS = ("ja, det kan deles", "ja", "ja det kan deles")
SHARE_NO_WORDS = ("nei",)
SHARE_HINT = "Velg «Ja, det kan deles» eller «Nei»."

# --- the confirmation -----------------------------------------------------------------------
CONFIRM = "Du signerer lederavtalen {year} mellom {superior} og {subordinate}, som {role}."
ROLE_SUPERIOR = "overordnet leder"
ROLE_SUBORDINATE = "underordnet leder"
CONFIRM_SHARE_YES = "Du sier ja til at Ledelsesutvikling kan deles. Det deles bare hvis {name} også sier ja."
CONFIRM_SHARE_NO = "Du sier nei til å dele Ledelsesutvikling. Det blir værende mellom dere to."
CONFIRM_LOCK_FIRST = "Når dere begge har signert, er avtalen låst."
CONFIRM_LOCK_LAST = "{name} har signert. Når du signerer, er avtalen låst."
CONFIRM_QUESTION = "Vil du signere?"
CANCEL = "Avbryt"
CANCEL_WORDS = ("avbryt",)
CONFIRM_HINT = "Velg «Signer» eller «Avbryt»."
NOT_SIGNED = "Avtalen er ikke signert. Du kan signere senere fra menyen."

# --- signed ---------------------------------------------------------------------------------
SIGNED_WAITING = "Du har signert. Nå venter avtalen på at {name} signerer."
NOTIFY_SIGNED = "{name} har signert lederavtalen deres. Les gjennom og signer du også."
NOTIFY_SIGNED_BUTTON = "Les og signer"
BOTH_SIGNED = "Lederavtalen er signert av dere begge og er nå låst."

# --- the agreement card ---------------------------------------------------------------------
HEADING = "Lederavtale {year}"
SOURCE = "Skjema: {title}"
PARTIES = "Lederavtale mellom {subordinate} og {superior}"
COMMENT_TITLE = "Kommentarer fra {name}"
SIGNER = "{name} ({state})"
SIGNED_AT = "signert {date}"
UNSIGNED = "ikke signert"
SHARES = "Ledelsesutvikling kan deles: {answer}"
YES = "ja"
NO = "nei"
SHARED = "Dere har begge sagt ja: Ledelsesutvikling kan deles, for eksempel med HR eller i en arkivert kopi."
NOT_SHARED = "Ledelsesutvikling deles ikke utenfor dere to."
SHARING_BUTTON = "Deling av Ledelsesutvikling"

# --- changing one's answer on sharing later -------------------------------------------------
SHARING_NOT_SIGNED = "Du svarer på om Ledelsesutvikling kan deles når du signerer avtalen."
SHARING_OWN_YES = "Du har sagt ja til at Ledelsesutvikling kan deles."
SHARING_OWN_NO = "Du har sagt nei til å dele Ledelsesutvikling."
SHARING_OTHER_YES = "{name} har sagt ja."
SHARING_OTHER_NO = "{name} har sagt nei."
SHARING_OTHER_UNSIGNED = "{name} har ikke signert ennå."
WITHDRAW = "Trekk tilbake samtykket"
CONSENT = "Si ja til deling"
KEEP_ANSWER = "Behold svaret"
WITHDRAW_WORDS = ("trekk tilbake samtykket", "trekk tilbake", "nei")
CONSENT_WORDS = ("si ja til deling", "ja")
KEEP_ANSWER_WORDS = ("behold svaret", "behold")
WITHDRAW_HINT = "Velg «Trekk tilbake samtykket» eller «Behold svaret»."
CONSENT_HINT = "Velg «Si ja til deling» eller «Behold svaret»."
KEPT = "Greit. Svaret ditt står som før."
WITHDRAWN = "Du har trukket tilbake samtykket. Ledelsesutvikling deles ikke utenfor dere to. {name} har fått beskjed."
CONSENTED_SHARED = (
    "Du har sagt ja. Dere har nå begge sagt ja, så Ledelsesutvikling kan deles. {name} har fått beskjed."
)
CONSENTED_WAITING = "Du har sagt ja. Ledelsesutvikling deles bare hvis {name} også sier ja. {name} har fått beskjed."
NOTIFY_WITHDRAWN = (
    "{name} har trukket tilbake samtykket til å dele Ledelsesutvikling i lederavtalen deres. "
    "Ledelsesutvikling deles ikke utenfor dere to."
)
NOTIFY_CONSENTED_SHARED = (
    "{name} har sagt ja til å dele Ledelsesutvikling i lederavtalen deres. Dere har nå begge sagt ja."
)
NOTIFY_CONSENTED_WAITING = (
    "{name} har sagt ja til å dele Ledelsesutvikling i lederavtalen deres. Det deles bare hvis du også sier ja."
)
