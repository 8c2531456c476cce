"""Texts of the main menu and of the next step of each agreement."""

from bot import actions

TITLE = "Lederavtalene dine {year}"
NONE = "Du er ikke med i noen lederavtale i {year}."
AS_SUBORDINATE = "Din lederavtale med {name}"
AS_SUPERIOR = "Lederavtale med {name}"
STATUS = "Status"
MEETING = "Samtale"
NOT_PLANNED = "ikke planlagt"
NEXT = "Neste steg"
PROGRESS = "Fremdrift"
PROGRESS_PREPARATION = "{answered} av {total} besvart i forberedelsen din"
PROGRESS_AGREEMENT = "{answered} av {total} fylt ut i avtalen"
PAST_YEARS = "Tidligere år"

BUTTONS = {
    actions.PLAN: "Planlegg samtalen",
    actions.PREPARE: "Forbered deg",
    actions.VIEW_PREPARATION: "Se forberedelsene",
    actions.FILL: "Fyll ut avtalen",
    actions.REVIEW: "Les og signer",
    actions.SIGN: "Signer",
    actions.FOLLOWUP_REFLECT: "Forbered oppfølgingen",
    actions.VIEW_REFLECTIONS: "Se refleksjonene",
    actions.FOLLOWUP_RECORD: "Registrer oppfølgingen",
    actions.FOLLOWUP_CONFIRM: "Les og bekreft oppfølgingen",
    actions.SHARING: "Deling av Ledelsesutvikling",
    actions.VIEW_AGREEMENT: "Se avtalen",
    actions.DOCUMENT: "Last ned avtalen som PDF",
}

STEP_PLAN = "Planlegg ledersamtalen med {name}, og forbered deg."
STEP_PREPARE = "Forbered deg til ledersamtalen."
STEP_FILL = "Fyll ut avtalen etter samtalen."
STEP_FILL_COMMENTS = "{name} har sendt kommentarer. Se over avtalen og send den igjen."
STEP_WAIT_FILL = "Venter på at {name} fyller ut avtalen etter samtalen."
STEP_REVIEW = "Les gjennom avtalen og signer, eller send kommentarer."
STEP_SIGN = "Signer avtalen."
STEP_WAIT_SIGN = "Venter på at {name} signerer."
STEP_FOLLOWUP_LATER = "Avtalen er signert. Oppfølgingen starter {date}."
STEP_REFLECT = "Forbered oppfølgingssamtalen."
STEP_RECORD = "Forbered og registrer oppfølgingssamtalen."
STEP_WAIT_RECORD = "Venter på at {name} registrerer oppfølgingssamtalen."
STEP_CONFIRM = "Les gjennom oppfølgingen og bekreft den."
STEP_CONFIRM_OR_COMMENT = "Les gjennom oppfølgingen, og bekreft den eller skriv en kommentar."
STEP_WAIT_CONFIRM = "Venter på at {name} bekrefter oppfølgingen."
STEP_DONE = "Ferdig for i år."

REFUSE_ROLE = "Det steget er for den andre lederen i avtalen. Her er menyen din."
REFUSE_SIGNED = "Avtalen er allerede signert av dere begge. Her er menyen din."
REFUSE_NOT_BOTH_PREPARED = (
    "Dere ser hverandres forberedelse når dere begge har merket forberedelsen som ferdig. Her er menyen din."
)
REFUSE_NOT_FILLED = "Avtalen er ikke fylt ut og sendt til gjennomgang ennå. Her er menyen din."
REFUSE_ALREADY_SIGNED = "Du har allerede signert avtalen. Her er menyen din."
REFUSE_NOT_SIGNED = "Oppfølgingen kommer etter at avtalen er signert. Her er menyen din."
REFUSE_FOLLOWUP_RECORDED = "Oppfølgingssamtalen er allerede registrert. Her er menyen din."
REFUSE_FOLLOWUP_DONE = "Oppfølgingen er allerede bekreftet av dere begge. Her er menyen din."
REFUSE_NOT_BOTH_REFLECTED = (
    "Dere ser hverandres refleksjoner når dere begge er ferdige med refleksjonene. Her er menyen din."
)
REFUSE_NOT_RECORDED = "Oppfølgingssamtalen er ikke registrert ennå. Her er menyen din."
REFUSE_ALREADY_CONFIRMED = "Du har allerede bekreftet oppfølgingen. Her er menyen din."
