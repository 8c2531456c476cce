"""The year's archive export: archive copies with an arkivmelding that KS's schema accepts, each exported once."""

from __future__ import annotations

import hashlib
import io
import re
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from lxml import etree
from pypdf import PdfReader
from sqlalchemy import select

from agreement.steps import confirm_followup, mark_followup_recorded
from documents import archive_export, texts
from documents.archive_export import MESSAGE_NAME, export_year, folder_name, pdf_name
from documents.arkivmelding import CATALOGUE, NAMESPACE, ArchiveSettings
from storage.models import Agreement, ArchiveExport, DocumentCopy, DocumentVariant
from tests.agreement.helpers import act
from tests.support.complete import complete_agreement
from tests.support.factories import make_pair
from tests.support.paths import SCHEMAS

SCHEMA = SCHEMAS / "fiks-arkiv-v1" / "no.ks.fiks.arkiv.v1.arkivering.arkivmelding.opprett.xsd"
OSLO = ZoneInfo("Europe/Oslo")
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)
SETTINGS = ArchiveSettings(unit="HR", archive_part="PERSONAL", case_type="PERSONALSAK",
                           classification_system="ARKNØKKEL", class_id="400", class_title="Personalforvaltning")
NS = {"a": NAMESPACE, "m": CATALOGUE}


def local(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(OSLO)


@pytest.fixture
def out(tmp_path: Path) -> Path:
    """The export's folder (the test's SQLite database lies beside it)."""
    folder = tmp_path / "arkiv"
    folder.mkdir()
    return folder


def listing(folder: Path) -> list[str]:
    return sorted(entry.name for entry in folder.iterdir())


@pytest.fixture(scope="module")
def schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMA)))


def valid_message(schema: etree.XMLSchema, folder: Path) -> etree._Element:
    """The folder's arkivmelding, checked against the schema and against the file beside it."""
    message = etree.parse(str(folder / MESSAGE_NAME))
    assert schema.validate(message), schema.error_log
    pdf = next(folder.glob("*.pdf"))
    stored = message.find(".//a:dokumentobjekt", NS)
    assert stored.findtext("a:referanseDokumentfil", namespaces=NS) == pdf.name
    assert stored.findtext("a:sjekksum", namespaces=NS) == hashlib.sha256(pdf.read_bytes()).hexdigest()
    assert int(stored.findtext("a:filstoerrelse", namespaces=NS)) == pdf.stat().st_size
    return message.getroot()


def pdf_text(path: Path) -> str:
    """The PDF's text without spaces, line breaks and the break opportunities the layout adds (words broken over lines joined)."""
    reader = PdfReader(io.BytesIO(path.read_bytes()))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return re.sub(r"[\s\u200b\u00ad]+", "", text.replace("-\n", ""))


def findable(marker: str) -> str:
    """A marker text as :func:`pdf_text` gives it (the emoji left out: extraction varies)."""
    return re.sub(r"\s+", "", marker.replace("👍", ""))


async def export(session_factory, out: Path, **options) -> archive_export.ExportReport:
    return await export_year(session_factory, 2026, out, SETTINGS, local, NOW, **options)


async def test_each_signed_agreement_is_exported_once_with_a_valid_arkivmelding(session_factory, schema,
                                                                               out: Path) -> None:
    p = await make_pair(session_factory)
    await complete_agreement(session_factory, p.superior, p.subordinate, p.agreement,
                             superior_shares=True, subordinate_shares=True, follow_up=False)
    steps: list[archive_export.Step] = []
    report = await export(session_factory, out, progress=steps.append)
    name = folder_name(2026, p.agreement, "signed")
    # The two other agreements of the year are not signed: they are not candidates.
    assert (report.total, report.exported, report.skipped, report.failed) == (1, [name], 0, [])
    assert [(s.index, s.total, s.outcome, s.candidate.subordinate) for s in steps] == [(1, 1, "exported", "Megan Bowen")]
    assert listing(out) == [name]
    folder = out / name
    assert sorted(f.name for f in folder.iterdir()) == sorted([MESSAGE_NAME, pdf_name(2026, p.agreement)])
    message = valid_message(schema, folder)

    case = message.find("a:mappe", NS)
    assert case.findtext("a:tittel", namespaces=NS) == "Lederavtale 2026 – Megan Bowen"
    assert case.findtext("a:offentligTittel", namespaces=NS) == "Lederavtale 2026 – ******"
    assert case.findtext("a:administrativEnhet/m:navn", namespaces=NS) == "HR"
    assert case.findtext("a:mappetype/m:kode", namespaces=NS) == "PERSONALSAK"
    assert case.findtext("a:klassifikasjon/a:klasseID", namespaces=NS) == "400"
    registration = message.find("a:registrering", NS)
    assert registration.findtext("a:offentligTittel", namespaces=NS) == "Lederavtale 2026 – ****** – signert avtale"
    assert registration.findtext("a:dokumentetsDato", namespaces=NS) == "2026-02-12"
    parties = [(c.findtext("a:korrespondanseparttype/m:kode", namespaces=NS),
                c.findtext("a:korrespondansepartNavn", namespaces=NS),
                c.findtext("a:administrativEnhet/m:navn", namespaces=NS),
                c.findtext("a:erSkjermet", namespaces=NS))
               for c in registration.findall("a:korrespondansepart", NS)]
    assert parties == [("IA", "Alex Wilber", "Oppvekst", "true"), ("IM", "Megan Bowen", "Lørenskog skole", "true")]
    for screened in message.iter(f"{{{NAMESPACE}}}skjerming"):
        assert screened.findtext("a:tilgangsrestriksjon/m:kode", namespaces=NS) == texts.ACCESS_CODE
        assert screened.findtext("a:skjermingshjemmel", namespaces=NS) == texts.LEGAL_BASIS
    # Nothing but the titles and the parties carries a name.
    public = [e.text for e in message.iter() if e.text and e.tag.split("}")[1] not in
              ("tittel", "korrespondansepartNavn", "partNavn", "epostadresse")]
    assert not [t for t in public if "Megan" in t or "Alex" in t]

    async with session_factory() as session:
        exported = (await session.scalars(select(ArchiveExport))).all()
        copy = (await session.scalars(select(DocumentCopy))).one()
    assert [(e.agreement_id, e.stage, e.folder, e.copy_id) for e in exported] == [(p.agreement, "signed", name, copy.id)]
    assert (copy.variant, copy.channel) == (DocumentVariant.ARCHIVE, "archive export")
    assert exported[0].sha256 == copy.sha256 == hashlib.sha256((folder / pdf_name(2026, p.agreement)).read_bytes()).hexdigest()

    before = (folder / MESSAGE_NAME).read_bytes()
    again = await export(session_factory, out)
    assert (again.exported, again.skipped) == ([], 1)
    assert (folder / MESSAGE_NAME).read_bytes() == before
    forced = await export(session_factory, out, again=True)
    assert forced.exported == [name]
    assert listing(out) == [name]
    valid_message(schema, folder)
    async with session_factory() as session:
        assert len((await session.scalars(select(ArchiveExport))).all()) == 2


async def test_a_follow_up_done_after_the_export_is_a_new_document_in_the_same_case(session_factory, schema,
                                                                                   out: Path) -> None:
    p = await make_pair(session_factory)
    await complete_agreement(session_factory, p.superior, p.subordinate, p.agreement,
                             superior_shares=True, subordinate_shares=False, follow_up=False)
    await export(session_factory, out)
    await act(session_factory, p.superior, p.agreement, mark_followup_recorded)
    for leader in (p.subordinate, p.superior):
        await act(session_factory, leader, p.agreement, confirm_followup)

    report = await export(session_factory, out)
    followed_up = folder_name(2026, p.agreement, "followed_up")
    assert (report.exported, report.skipped) == ([followed_up], 0)
    assert listing(out) == sorted([folder_name(2026, p.agreement, "signed"), followed_up])
    message = valid_message(schema, out / followed_up)
    # The case came with the first document; this one files into it by the case's key.
    assert message.find("a:mappe", NS) is None
    first = etree.parse(str(out / folder_name(2026, p.agreement, "signed") / MESSAGE_NAME)).getroot()
    key = "a:registrering/a:referanseForelderMappe/m:referanseEksternNoekkel/m:noekkel"
    assert message.findtext(key, namespaces=NS) == first.findtext("a:mappe/a:referanseEksternNoekkel/m:noekkel",
                                                                  namespaces=NS)
    registration = message.find("a:registrering", NS)
    assert registration.findtext("a:tittel", namespaces=NS) == "Lederavtale 2026 – Megan Bowen – med oppfølgingssamtalen"
    async with session_factory() as session:
        row = await session.get(Agreement, p.agreement)
        done = max(local(m) for m in (row.followup_recorded_at, row.superior_followup_confirmed_at,
                                      row.subordinate_followup_confirmed_at))
    assert registration.findtext("a:dokumentetsDato", namespaces=NS) == done.date().isoformat()
    remarks = [m.findtext("a:merknadstekst", namespaces=NS) for m in registration.findall("a:merknad", NS)]
    assert texts.ARCHIVE_DEVELOPMENT_LEFT_OUT in remarks
    assert (await export(session_factory, out)).skipped == 1


async def test_ledelsesutvikling_is_in_the_archive_copy_only_when_both_consented(session_factory,
                                                                                out: Path) -> None:
    p = await make_pair(session_factory)
    shared = await complete_agreement(session_factory, p.superior, p.subordinate, p.agreement,
                                      superior_shares=True, subordinate_shares=True)
    private = await complete_agreement(session_factory, p.superior, p.colleague, p.other_agreement,
                                       superior_shares=True, subordinate_shares=False)
    report = await export(session_factory, out)
    assert len(report.exported) == 2
    for agreement, written, consented in ((p.agreement, shared, True), (p.other_agreement, private, False)):
        text = pdf_text(out / folder_name(2026, agreement, "followed_up") / pdf_name(2026, agreement))
        # Typed text only: the platform statements chosen are the form's own text, printed in every copy.
        development = [t for t in written.by_section["ledelsesutvikling"] if not t.isupper()]
        others = [t for key, typed in written.by_section.items() if key != "ledelsesutvikling" for t in typed
                  if not t.isupper()]
        assert [t for t in others if findable(t) not in text] == []
        assert [findable(t) in text for t in development] == [consented] * len(development)
        assert (findable(texts.NOT_SHARED) in text) is not consented


async def test_an_agreement_that_fails_leaves_nothing_recorded_and_the_others_go_on(session_factory, out: Path,
                                                                                    monkeypatch) -> None:
    p = await make_pair(session_factory)
    for subordinate, agreement in ((p.subordinate, p.agreement), (p.colleague, p.other_agreement)):
        await complete_agreement(session_factory, p.superior, subordinate, agreement,
                                 superior_shares=True, subordinate_shares=True, follow_up=False)
    real_write = archive_export._write_file

    def disk_full_on_the_second_message(path: Path, data: bytes) -> None:
        if path.name == MESSAGE_NAME and f".{folder_name(2026, p.other_agreement, 'signed')}." in path.parent.name:
            raise OSError(28, "No space left on device")
        real_write(path, data)

    monkeypatch.setattr(archive_export, "_write_file", disk_full_on_the_second_message)
    report = await export(session_factory, out)
    assert report.exported == [folder_name(2026, p.agreement, "signed")]
    assert [c.agreement_id for c in report.failed] == [p.other_agreement]
    # The failed folder was never put in place, its staging is gone, and neither its copy nor its export is recorded.
    assert listing(out) == [folder_name(2026, p.agreement, "signed")]
    async with session_factory() as session:
        assert [e.agreement_id for e in (await session.scalars(select(ArchiveExport))).all()] == [p.agreement]
        assert [c.agreement_id for c in (await session.scalars(select(DocumentCopy))).all()] == [p.agreement]

    monkeypatch.setattr(archive_export, "_write_file", real_write)
    retry = await export(session_factory, out)
    assert (retry.exported, retry.skipped, retry.failed) == ([folder_name(2026, p.other_agreement, "signed")], 1, [])
