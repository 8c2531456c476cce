"""Everything a reader sees in an agreement's document copy, in bokmål (one place for the documents)."""

from __future__ import annotations

from storage.models import DocumentVariant

#: The document's title (in the PDF's metadata too): "Lederavtale 2025 – Megan Bowen".
TITLE = "Lederavtale {year} – {subordinate}"
#: Who the two parties are.
SUBORDINATE = "Underordnet leder"
SUPERIOR = "Overordnet leder"
UNIT = "Enhet"
STATUS = "Status"

#: What each copy is, printed under the title.
VARIANT_LABELS = {
    DocumentVariant.PAIR: "Kopi til {recipient}",
    DocumentVariant.ARCHIVE: "Arkivkopi",
    DocumentVariant.INNSYN: "Kopi ved innsyn",
}

#: Access code and legal basis of the agreement: the leader's personnel file.
ACCESS_CODE = "P"
LEGAL_BASIS = "offl. § 13 jf. fvl. § 13 første ledd nr. 1"
SCREENED = "Unntatt offentlighet, offl. § 13 jf. fvl. § 13 første ledd nr. 1"
SCREENING_NOTE = "Taushetsbelagt: Unntatt offentlighet, offl. § 13 jf. fvl. § 13 første ledd nr. 1 (tilgangskode P)."

#: Why a part is left out of the archive copy.
NOT_SHARED = (
    "Ikke med i arkivkopien: Personlige utviklingsmål er ikke gjenstand for offentlighet eller tilgjengelig "
    "for andre, med mindre det er spesielt avtalt, og ikke begge lederne har samtykket til å dele denne delen."
)
#: The archive copy's note when Ledelsesutvikling is in it.
SHARED_NOTE = "Begge lederne har samtykket til at Ledelsesutvikling deles. Delen er derfor med i arkivkopien."
#: The notes at the top of each copy, saying what it holds.
VARIANT_NOTES = {
    DocumentVariant.PAIR: "Kopien inneholder hele avtalen, også Ledelsesutvikling, og er bare for de to lederne.",
    DocumentVariant.ARCHIVE: "Arkivkopi til personalmappen.",
    DocumentVariant.INNSYN: (
        "Kopi gitt ved innsyn etter offentleglova. Opplysninger om personlige forhold er unntatt offentlighet, "
        "og hvert sted det gjelder, er merket med hjemmelen."
    ),
}
HANDLED_BY = "Innsynskravet er behandlet av {name}."

#: A goal followed up, when the goal itself is withheld (its title would tell what it is).
GOAL_WITHHELD = "Oppfølging av utviklingsmålene under {section}"
GOAL_FOLLOWUP = "Hvordan har det gått med utviklingsmålet «{title}»?"
GOAL_SECTION = "Utviklingsmål fra våren"
NO_ANSWER = "–"
NO_GOALS = "Ingen utviklingsmål er satt."

#: The signature block.
SIGNED = "Signert {moment}"
UNSIGNED = "Ikke signert"
SHARES_YES = "Samtykker til å dele Ledelsesutvikling: ja"
SHARES_NO = "Samtykker til å dele Ledelsesutvikling: nei"
SHARING_BOTH = "Begge har samtykket til å dele Ledelsesutvikling."
SHARING_NOT_BOTH = "Ledelsesutvikling deles ikke: begge må samtykke."

#: The follow-up.
FOLLOWUP_RECORDED = "Oppfølgingssamtalen er skrevet ned {moment}."
FOLLOWUP_CONFIRMED = "{name} har bekreftet oppfølgingen {moment}."
FOLLOWUP_UNCONFIRMED = "{name} har ikke bekreftet oppfølgingen ennå."
FOLLOWUP_NOT_DONE = "Oppfølgingssamtalen er ikke skrevet ned ennå."

#: The foot of every page and the end of the document.
TEMPLATE_VERSION = "Skjema: {title} ({template_id}, versjon {version})"
MADE_AT = "Kopien er laget {moment}."
PAGE = "Side {page} av {pages}"

MOMENT = "{day:%d.%m.%Y} kl. {day:%H.%M}"
DAY = "{day:%d.%m.%Y}"

#: The rendering's own words (the PDF): table headings, the signature block, goals and withheld places.
ROLE = "Rolle"
NAME = "Navn"
SIGNATURES = "Signaturer"
GOAL = "Utviklingsmål {number}"
ACTIONS = "Tiltak"
WITHHELD = "Unntatt fra denne kopien"
#: A character no font of the document can show, printed in its place as its code point.
UNSHOWABLE = "[U+{codepoint:04X}]"

# --- the archive's arkivmelding, read by the records office in its archive system ---
#: Stands in the public title ("offentlig tittel") in place of the screened name.
SCREENED_NAME = "******"
#: The registration's title at each stage: the follow-up is a new document in the same case.
ARCHIVE_TITLES = {
    "signed": "{title} – signert avtale",
    "followed_up": "{title} – med oppfølgingssamtalen",
}
#: The registration's description (names are screened: none here).
ARCHIVE_DESCRIPTIONS = {
    "signed": "Lederavtalen for {year}, signert av begge lederne.",
    "followed_up": "Lederavtalen for {year} med høstens oppfølgingssamtale, bekreftet av begge lederne.",
}
ARCHIVE_KEYWORD = "Lederavtale"
#: What is screened, said in the registration's remarks.
ARCHIVE_SCREENING_REMARK = (
    "Hele dokumentet er unntatt offentlighet (tilgangskode {code}, {basis}). Partenes navn er skjermet, "
    "og offentlig tittel er uten navn."
)
ARCHIVE_DEVELOPMENT_LEFT_OUT = (
    "Ledelsesutvikling er ikke med i arkivkopien: ikke begge lederne har samtykket til å dele denne delen."
)
#: The descriptions of the codes used (the codes are Noark 5's).
ARCHIVE_ACCESS_CODE = "Personalsaker"
ARCHIVE_MEDIUM = "Elektronisk arkiv"
ARCHIVE_SENDER = "Intern avsender"
ARCHIVE_RECIPIENT = "Intern mottaker"
ARCHIVE_DOCUMENT_TYPE = "Avtale"
ARCHIVE_DOCUMENT_FINISHED = "Dokumentet er ferdigstilt"
ARCHIVE_MAIN_DOCUMENT = "Hoveddokument"
ARCHIVE_VARIANT = "Arkivformat"
ARCHIVE_FORMAT = "PDF/A – ISO 19005"
