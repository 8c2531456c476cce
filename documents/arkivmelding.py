"""The ``arkivmelding.xml`` of an agreement's archive copy: KS Fiks Arkiv v1, "arkivmelding opprett".

One message files one document of one agreement:

- a case (``saksmappe``) per agreement, "Lederavtale 2025 – Megan Bowen", in the municipality's
  archive part for personnel matters, with the two leaders as its parties. It is sent with the
  agreement's first document only; a later document (the autumn follow-up) refers to it by the
  case's external key.
- a registration of type ``arkivnotat`` in that case: an organ-internal document between two
  employees, filed in the personnel file and not published in the public journal, so it is
  registered without journal numbers, journal type or journal status (which a ``journalpost``
  would require). The superior is its internal sender and the subordinate its internal
  recipient, each with their unit.
- the document (``dokumentbeskrivelse``) with its one file (``dokumentobjekt``): the PDF/A, its
  SHA-256 and size.

Case, registration and document are screened as a whole (access code P, offl. § 13 jf. fvl. § 13
første ledd nr. 1); the names are marked screened wherever they stand, and the public titles
carry no name. The XML is built with lxml's element API, never from strings.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from lxml import etree

from agreement.access import Role
from agreement.signatures import signature_of
from documents import texts
from documents.content import AgreementDocument, Localise
from documents.pdf import PDF_STANDARDS
from storage.models import Agreement

NAMESPACE = "https://ks-no.github.io/standarder/fiks-protokoll/fiks-arkiv/arkivmelding/opprett/v1"
#: The Noark 5 metadata catalogue: the elements inside its types (codes, names, keys) are in its namespace.
CATALOGUE = "https://ks-no.github.io/standarder/fiks-protokoll/fiks-arkiv/metadatakatalog/v1"
_XSI = "http://www.w3.org/2001/XMLSchema-instance"
#: The sending system, as the archive knows it (and the owner of the external keys).
SYSTEM = "Lederavtale"

#: Stages of an agreement's year in the archive (see ``documents.content.archive_stage``).
SIGNED = "signed"
FOLLOWED_UP = "followed_up"


@dataclass(frozen=True)
class ArchiveSettings:
    """The municipality's own values in its archive system (the service's settings pass them in)."""

    #: The administrative unit responsible for the case (administrativEnhet).
    unit: str
    #: The archive part (arkivdel) of the personnel files.
    archive_part: str
    #: The case type (mappetype).
    case_type: str
    #: The classification: system (ordningsprinsipp), class and its title.
    classification_system: str
    class_id: str
    class_title: str


@dataclass(frozen=True)
class ArchiveFile:
    """The document's file as it lies beside the message."""

    name: str
    sha256: str
    size: int


def case_key(agreement: Agreement) -> str:
    """The case's key in the sending system: one case per agreement, for all its documents."""
    return f"lederavtale-{agreement.year}-{agreement.id}"


def registration_key(agreement: Agreement, stage: str) -> str:
    """The registration's key in the sending system: one per agreement and stage."""
    return f"{case_key(agreement)}-{stage}"


def signed_on(agreement: Agreement, localise: Localise) -> date:
    """The later of the two signature dates (each signer's own date, else the day they signed)."""
    days = []
    for role in (Role.SUPERIOR, Role.SUBORDINATE):
        signature = signature_of(agreement, role)
        if signature is None:
            raise ValueError(f"agreement {agreement.id} is not signed by both")
        days.append(signature.day or localise(signature.signed_at).date())
    return max(days)


def followed_up_on(agreement: Agreement, localise: Localise) -> date:
    """The day the follow-up was done: the last of its record and both confirmations."""
    moments = (agreement.followup_recorded_at, agreement.superior_followup_confirmed_at,
               agreement.subordinate_followup_confirmed_at)
    if None in moments:
        raise ValueError(f"the follow-up of agreement {agreement.id} is not done")
    return max(localise(moment).date() for moment in moments)  # type: ignore[arg-type]


def _el(parent: etree._Element, name: str, text: str | int | bool | None = None, *,
        namespace: str = NAMESPACE) -> etree._Element:
    element = etree.SubElement(parent, f"{{{namespace}}}{name}")
    if isinstance(text, bool):
        element.text = "true" if text else "false"
    elif text is not None:
        element.text = str(text)
    return element


def _code(parent: etree._Element, name: str, code: str, description: str | None = None) -> None:
    element = _el(parent, name)
    _el(element, "kode", code, namespace=CATALOGUE)
    if description:
        _el(element, "beskrivelse", description, namespace=CATALOGUE)


def _moment(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def _screening(parent: etree._Element) -> None:
    element = _el(parent, "skjerming")
    _code(element, "tilgangsrestriksjon", texts.ACCESS_CODE, texts.ARCHIVE_ACCESS_CODE)
    _el(element, "skjermingshjemmel", texts.LEGAL_BASIS)


def _external_key(parent: etree._Element, key: str, *, namespace: str = NAMESPACE) -> None:
    element = _el(parent, "referanseEksternNoekkel", namespace=namespace)
    _el(element, "fagsystem", SYSTEM, namespace=CATALOGUE)
    _el(element, "noekkel", key, namespace=CATALOGUE)


def _unit(parent: etree._Element, name: str) -> None:
    _el(_el(parent, "administrativEnhet"), "navn", name, namespace=CATALOGUE)


def _classification(parent: etree._Element, settings: ArchiveSettings) -> None:
    element = _el(parent, "klassifikasjon")
    _el(element, "klassifikasjonssystemID", settings.classification_system)
    _el(element, "klasseID", settings.class_id)
    _el(element, "tittel", settings.class_title)


def _standards() -> str:
    """The standards the file meets, as named: "PDF/A-2a, PDF/UA-1"."""
    named = []
    for standard in PDF_STANDARDS:
        kind, version = standard.split("-", 1)
        named.append(f"PDF/{kind.upper()}-{version}")
    return ", ".join(named)


def _public_title(document: AgreementDocument) -> str:
    return texts.TITLE.format(year=document.year, subordinate=texts.SCREENED_NAME)


def _case(root: etree._Element, document: AgreementDocument, agreement: Agreement, settings: ArchiveSettings,
          created: datetime, case_date: date) -> None:
    case = _el(root, "mappe")
    case.set(f"{{{_XSI}}}type", "saksmappe")
    _el(case, "tittel", document.title)
    _el(case, "offentligTittel", _public_title(document))
    _el(case, "noekkelord", texts.ARCHIVE_KEYWORD)
    _code(case, "dokumentmedium", "E", texts.ARCHIVE_MEDIUM)
    _el(case, "opprettetDato", _moment(created))
    _el(case, "opprettetAv", SYSTEM)
    _code(case, "arkivdel", settings.archive_part)
    for role, leader, label in (("UNDERORDNET", agreement.subordinate, texts.SUBORDINATE),
                                ("OVERORDNET", agreement.superior, texts.SUPERIOR)):
        party = _el(case, "part")
        _el(party, "partNavn", leader.name)
        _code(party, "partRolle", role, label)
        _el(party, "epostadresse", leader.email)
        _el(party, "erSkjermet", True)
        _el(party, "erPersonnavn", True)
    _screening(case)
    _classification(case, settings)
    _external_key(case, case_key(agreement))
    _code(case, "mappetype", settings.case_type)
    _el(case, "saksaar", agreement.year)
    _el(case, "saksdato", case_date.isoformat())
    _unit(case, settings.unit)


def _correspondent(parent: etree._Element, code: str, description: str, name: str, email: str, unit: str) -> None:
    element = _el(parent, "korrespondansepart")
    _code(element, "korrespondanseparttype", code, description)
    _el(element, "korrespondansepartNavn", name)
    _el(element, "epostadresse", email)
    if unit:
        _unit(element, unit)
    _el(element, "erSkjermet", True)
    _el(element, "erPersonnavn", True)


def _document(parent: etree._Element, document: AgreementDocument, title: str, file: ArchiveFile,
              created: datetime) -> None:
    description = _el(parent, "dokumentbeskrivelse")
    _code(description, "dokumenttype", "AVTALE", texts.ARCHIVE_DOCUMENT_TYPE)
    _code(description, "dokumentstatus", "F", texts.ARCHIVE_DOCUMENT_FINISHED)
    _el(description, "tittel", title)
    _el(description, "opprettetDato", _moment(created))
    _el(description, "opprettetAv", SYSTEM)
    _code(description, "tilknyttetRegistreringSom", "H", texts.ARCHIVE_MAIN_DOCUMENT)
    _el(description, "dokumentnummer", 1)
    _el(description, "tilknyttetDato", _moment(created))
    _screening(description)
    stored = _el(description, "dokumentobjekt")
    _el(stored, "versjonsnummer", 1)
    _code(stored, "variantformat", "A", texts.ARCHIVE_VARIANT)
    _code(stored, "format", "PDF/A", texts.ARCHIVE_FORMAT)
    _el(stored, "formatDetaljer", _standards())
    _el(stored, "mimeType", "application/pdf")
    _el(stored, "opprettetDato", _moment(created))
    _el(stored, "opprettetAv", SYSTEM)
    _el(stored, "filnavn", file.name)
    _el(stored, "referanseDokumentfil", file.name)
    _el(stored, "sjekksum", file.sha256)
    _el(stored, "sjekksumAlgoritme", "SHA-256")
    _el(stored, "filstoerrelse", file.size)


def build_arkivmelding(document: AgreementDocument, agreement: Agreement, stage: str, file: ArchiveFile,
                       settings: ArchiveSettings, localise: Localise, *, new_case: bool) -> bytes:
    """The arkivmelding filing ``document`` (the archive copy at ``stage``); ``new_case`` sends the case too."""
    created = localise(document.made_at_moment)
    signed = signed_on(agreement, localise)
    dated = followed_up_on(agreement, localise) if stage == FOLLOWED_UP else signed
    title = texts.ARCHIVE_TITLES[stage].format(title=document.title)

    root = etree.Element(f"{{{NAMESPACE}}}arkivmelding", nsmap={None: NAMESPACE, "n5mdk": CATALOGUE, "xsi": _XSI})
    _el(root, "system", SYSTEM)
    _el(root, "antallFiler", 1)
    if new_case:
        _case(root, document, agreement, settings, created, signed)

    registration = _el(root, "registrering")
    registration.set(f"{{{_XSI}}}type", "arkivnotat")
    _el(registration, "opprettetDato", _moment(created))
    _el(registration, "opprettetAv", SYSTEM)
    parent = _el(registration, "referanseForelderMappe")
    _external_key(parent, case_key(agreement), namespace=CATALOGUE)
    _screening(registration)
    _document(registration, document, title, file, created)
    _el(registration, "tittel", title)
    _el(registration, "offentligTittel", texts.ARCHIVE_TITLES[stage].format(title=_public_title(document)))
    _el(registration, "beskrivelse", texts.ARCHIVE_DESCRIPTIONS[stage].format(year=document.year))
    _el(registration, "noekkelord", texts.ARCHIVE_KEYWORD)
    _code(registration, "dokumentmedium", "E", texts.ARCHIVE_MEDIUM)
    remarks = [texts.ARCHIVE_SCREENING_REMARK.format(code=texts.ACCESS_CODE, basis=texts.LEGAL_BASIS),
               texts.SHARED_NOTE if document.development_included else texts.ARCHIVE_DEVELOPMENT_LEFT_OUT]
    for remark in remarks:
        _el(_el(registration, "merknad"), "merknadstekst", remark)
    superior, subordinate = agreement.superior, agreement.subordinate
    _correspondent(registration, "IA", texts.ARCHIVE_SENDER, superior.name, superior.email, superior.unit)
    _correspondent(registration, "IM", texts.ARCHIVE_RECIPIENT, subordinate.name, subordinate.email,
                   subordinate.unit)
    _classification(registration, settings)
    _external_key(registration, registration_key(agreement, stage))
    _el(registration, "dokumentetsDato", dated.isoformat())
    _el(registration, "offentlighetsvurdertDato", created.date().isoformat())
    _el(registration, "antallVedlegg", 0)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
