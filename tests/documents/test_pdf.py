"""The rendered copies: what each holds as text, that they are tagged PDF/A with embedded fonts, and bad input.

Text is extracted with pypdf: it reads the colour emoji (pdftotext drops them) and needs no other
process. It reorders some combining signs of complex scripts (Devanagari vowel signs, a composed ≠),
which pdftotext reads right: the test of every kind of character reads with both. pdftotext -bbox
also tells where words sit.
"""

from __future__ import annotations

import dataclasses
import subprocess
import xml.etree.ElementTree as ET
from datetime import datetime, timezone
from io import BytesIO
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader
from pypdf.generic import BooleanObject, DictionaryObject

from agreement.access import Role
from agreement.answers import save_answer
from agreement.opening import open_agreement, open_record
from documents import texts
from documents.content import AgreementDocument, FieldEntry, GoalEntry, gather_document
from documents.pdf import render_pdf, showable
from storage.db import create_engine, create_session_factory
from storage.models import Phase
from tests.agreement.helpers import MAX_LENGTH, act
from tests.support.complete import complete_agreement
from tests.support.factories import make_pair
from tests.support.paths import REPO

OSLO = ZoneInfo("Europe/Oslo")
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)
OUTPUT = REPO / "test-output"

#: Characters a leader can type, by kind: each must come out of the PDF as it went in.
TYPED_CHARACTERS = {
    "norwegian": "Æ Ø Å æ ø å – «sitat» “dobbel” ‘enkel’ „nede“ … § € ½ °C",
    "sami": "Áá Čč Đđ Ŋŋ Šš Ŧŧ Žž Ïï Ǥǥ Ǧǧ Ǩǩ Ʒʒ Ǯǯ",
    "dashes": "a‐b a–b a—b a−b a—b – ‹›",
    "emoji": "👍 🎉 😀 🇳🇴 👍🏽 ❤️ 👨‍👩‍👧",
    "cjk": "中文 日本語のテキスト 한국어",
    "arabic": "مرحبا بالعالم",
    "hebrew": "שלום",
    "greek_cyrillic": "Ελληνικά Кириллица",
    "math": "∀x ∈ ℝ: x² ≥ 0, ∑ ∫ √ ∞ ≠ ≤ ± × ÷ 𝔸𝕓",
    "indic_thai": "हिन्दी ไทย",
}


def local(moment: datetime) -> datetime:
    return moment.astimezone(OSLO)


@pytest.fixture
async def sqlite_sessions(sqlite_url: str):
    """Sessions on SQLite alone, for tests of the rendering that need not run on both databases."""
    engine = create_engine(sqlite_url)
    try:
        yield create_session_factory(engine)
    finally:
        await engine.dispose()


async def _document(session_factory, agreement: int, *, leader: int | None = None,
                    role: Role | None = None) -> AgreementDocument:
    async with session_factory() as session:
        if leader:
            reader = await open_agreement(session, leader, agreement)
        else:
            reader = await open_record(session, agreement, role)
        return await gather_document(session, reader, local, NOW, handled_by="Saksbehandler Sara")


def _text(pdf: bytes) -> str:
    """The copy's text, its white space made single spaces (lines wrap where they like)."""
    reader = PdfReader(BytesIO(pdf))
    return _flat("\n".join(page.extract_text() for page in reader.pages))


def _flat(text: str) -> str:
    return " ".join(text.split())


def _holds(pdf_text: str, typed: str) -> bool:
    return _flat(typed) in pdf_text


async def _prepare(session_factory, leader: int, agreement: int, text: str) -> None:
    await act(session_factory, leader, agreement,
              lambda s, o: save_answer(s, o, "personell.fungerer", Phase.PREPARATION, text, max_length=MAX_LENGTH))


@pytest.mark.parametrize("shared", [True, False])
async def test_each_copy_holds_what_its_reader_may_read(session_factory, shared: bool) -> None:
    p = await make_pair(session_factory)
    # Each leader's own preparation is no part of any copy.
    preparations = ["Forberedelse underordnet: ꝏ", "Forberedelse overordnet: ꝏ"]
    await _prepare(session_factory, p.subordinate, p.agreement, preparations[0])
    await _prepare(session_factory, p.superior, p.agreement, preparations[1])
    written = await complete_agreement(session_factory, p.superior, p.subordinate, p.agreement,
                                       superior_shares=True, subordinate_shares=shared)
    # The platform statements chosen are the form's text, printed in every copy's reading part too:
    # where the choice is in a copy, they are printed twice.
    chosen = [t for t in written.by_section["ledelsesutvikling"] if t.isupper()]
    development = [t for t in written.by_section["ledelsesutvikling"] if t not in chosen]
    others = [t for key, section in written.by_section.items() if key != "ledelsesutvikling" for t in section]

    for leader in (p.subordinate, p.superior):
        pair = _text(render_pdf(await _document(session_factory, p.agreement, leader=leader)))
        assert all(_holds(pair, t) for t in written.all())
        assert all(pair.count(t) == 2 for t in chosen)
        assert not any(_holds(pair, t) for t in preparations)

    archive = _text(render_pdf(await _document(session_factory, p.agreement, role=Role.ARCHIVE)))
    assert all(_holds(archive, t) for t in others)
    assert [t for t in development if _holds(archive, t)] == (development if shared else [])
    assert all(archive.count(t) == (2 if shared else 1) for t in chosen)
    assert _holds(archive, texts.SHARED_NOTE if shared else texts.NOT_SHARED)
    assert not any(_holds(archive, t) for t in preparations)

    innsyn = _text(render_pdf(await _document(session_factory, p.agreement, role=Role.PUBLIC)))
    assert not any(_holds(innsyn, t) for t in development + written.personal + preparations)
    assert all(_holds(innsyn, t) for t in others if t not in written.personal)
    assert all(innsyn.count(t) == 1 for t in chosen)
    assert _holds(innsyn, texts.SCREENED)
    assert _holds(innsyn, texts.HANDLED_BY.format(name="Saksbehandler Sara"))


def _xmp(reader: PdfReader) -> ET.Element:
    return ET.fromstring(reader.trailer["/Root"]["/Metadata"].get_data())


def _xmp_values(root: ET.Element, namespace: str, name: str) -> list[str]:
    """A property's values, written as an attribute or as an element (XMP allows both)."""
    key = f"{{{namespace}}}{name}"
    values = [element.attrib[key] for element in root.iter() if key in element.attrib]
    values += ["".join(element.itertext()).strip() for element in root.iter(key)]
    return values


def _fonts_of(resources, seen: set[int]) -> list[DictionaryObject]:
    """Every font used by a page's resources, also inside its forms and Type 3 glyphs."""
    found = []
    if resources is None or id(resources) in seen:
        return found
    seen.add(id(resources))
    resources = resources.get_object()
    for font in (resources.get("/Font") or {}).values():
        font = font.get_object()
        found.append(font)
        if font.get("/Subtype") == "/Type3":
            found += _fonts_of(font.get("/Resources"), seen)
    for xobject in (resources.get("/XObject") or {}).values():
        found += _fonts_of(xobject.get_object().get("/Resources"), seen)
    return found


def _embedded(font: DictionaryObject) -> bool:
    if font.get("/Subtype") == "/Type3":
        return "/CharProcs" in font
    if font.get("/Subtype") == "/Type0":
        font = font["/DescendantFonts"][0].get_object()
    descriptor = font["/FontDescriptor"].get_object()
    return any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3"))


async def test_the_copy_is_a_tagged_pdfa_in_bokmal_with_its_fonts(sqlite_sessions) -> None:
    p = await make_pair(sqlite_sessions)
    await complete_agreement(sqlite_sessions, p.superior, p.subordinate, p.agreement,
                             superior_shares=True, subordinate_shares=True)
    document = await _document(sqlite_sessions, p.agreement, role=Role.ARCHIVE)
    reader = PdfReader(BytesIO(render_pdf(document)))
    root = reader.trailer["/Root"]

    xmp = _xmp(reader)
    assert _xmp_values(xmp, "http://www.aiim.org/pdfa/ns/id/", "part") == ["2"]
    assert _xmp_values(xmp, "http://www.aiim.org/pdfa/ns/id/", "conformance") == ["A"]
    assert _xmp_values(xmp, "http://www.aiim.org/pdfua/ns/id/", "part") == ["1"]
    assert _xmp_values(xmp, "http://purl.org/dc/elements/1.1/", "title") == [document.title]
    assert reader.metadata.title == document.title
    assert reader.metadata.author == document.municipality

    assert root["/MarkInfo"]["/Marked"] == BooleanObject(True)
    assert "/StructTreeRoot" in root
    assert str(root["/Lang"]).lower() in ("nb", "nb-no")

    fonts = [font for page in reader.pages for font in _fonts_of(page.get("/Resources"), set())]
    assert fonts and all(_embedded(font) for font in fonts)
    # Real headings: the structure tree has H1 and H2 elements.
    kinds = set()
    stack = [root["/StructTreeRoot"].get_object()]
    while stack:
        element = stack.pop()
        if isinstance(element, DictionaryObject):
            kinds.add(element.get("/S"))
            kids = element.get("/K")
            if kids is not None:
                kids = kids.get_object()
                stack += [k.get_object() for k in kids] if isinstance(kids, list) else [kids.get_object()]
    assert {"/H1", "/H2", "/H3"} <= kinds


async def test_every_character_a_leader_can_type_survives(sqlite_sessions) -> None:
    p = await make_pair(sqlite_sessions)
    await complete_agreement(sqlite_sessions, p.superior, p.subordinate, p.agreement,
                             superior_shares=True, subordinate_shares=True)
    document = await _document(sqlite_sessions, p.agreement, leader=p.subordinate)
    fields = tuple(FieldEntry(kind, "text", text=sample) for kind, sample in TYPED_CHARACTERS.items())
    document = _with_fields(document, fields)
    pdf = render_pdf(document)
    read = (_text(pdf), _pdftotext(pdf))
    for kind, sample in TYPED_CHARACTERS.items():
        # Right-to-left words may be read in the order they are drawn on the line.
        readings = (sample, " ".join(sample.split()[::-1]))
        assert any(_holds(text, reading) for text in read for reading in readings), kind
    assert all(_holds(read[0], t) for t in TYPED_CHARACTERS["emoji"].split())


def _pdftotext(pdf: bytes) -> str:
    result = subprocess.run(["pdftotext", "-", "-"], input=pdf, check=True, capture_output=True)
    return _flat(result.stdout.decode())


def _with_fields(document: AgreementDocument, fields: tuple[FieldEntry, ...]) -> AgreementDocument:
    """``document`` with ``fields`` as the answers of its first section."""
    first = dataclasses.replace(document.sections[0], fields=fields)
    return dataclasses.replace(document, sections=(first, *document.sections[1:]))


def test_characters_no_font_can_show_are_printed_as_their_code_points() -> None:
    assert showable("a\u0007b\x00c\ufeffd") == "a[U+0007]b[U+0000]c[U+FEFF]d"
    assert showable("privat \ue000 \U000f0000 \ufffe \U0010ffff") == (
        "privat [U+E000] [U+F0000] [U+FFFE] [U+10FFFF]")
    assert showable("ensom \ud800 halvdel") == "ensom [U+D800] halvdel"
    # Line ends become line breaks; tabs, joiners, direction marks and variation selectors stay.
    assert showable("en\r\nto\rtre\tfire") == "en\nto\ntre\tfire"
    kept = "👨\u200d👩\u200d👧 ❤\ufe0f a\u200bb \u200fשלום\u200e \U000e0067"
    assert showable(kept) == kept


async def test_control_and_unknown_characters_never_fail_the_copy(sqlite_sessions) -> None:
    p = await make_pair(sqlite_sessions)
    document = await _document(sqlite_sessions, p.agreement, leader=p.superior)
    typed = "Start\x00 bell\x07 esc\x1b del\x7f bom\ufeff privat\ue000 ikketegn\ufffe halv\ud800 slutt"
    text = _text(render_pdf(_with_fields(document, (FieldEntry("Spørsmål", "text", text=typed),))))
    assert _holds(text, "Start[U+0000] bell[U+0007] esc[U+001B] del[U+007F] bom[U+FEFF] privat[U+E000] "
                        "ikketegn[U+FFFE] halv[U+D800] slutt")


async def test_a_huge_agreement_renders_and_its_long_words_wrap(sqlite_sessions, tmp_path: Path) -> None:
    p = await make_pair(sqlite_sessions)
    document = await _document(sqlite_sessions, p.agreement, leader=p.superior)
    word = "Ø" + "x" * 700 + "Å"
    prose = ("Langt svar med æøå og «sitater» – og linjeskift.\n" * 80)[:3000]
    answer = (word + " " + prose)[:MAX_LENGTH]
    goals = tuple(GoalEntry(f"Mål {n}: " + "m" * 300, tuple(f"Tiltak {n}.{m} " + "t" * 200 for m in range(20)))
                  for n in range(12))
    fields = (FieldEntry("Et langt svar", "text", text=answer),
              FieldEntry("Mange mål", "goals", goals=goals),
              *(FieldEntry(f"Svar {n}", "text", text=prose) for n in range(8)))
    pdf = render_pdf(_with_fields(document, fields))

    reader = PdfReader(BytesIO(pdf))
    assert len(reader.pages) > 20
    squeezed = "".join(_text(pdf).replace("\u200b", "").split())
    assert word in squeezed and "".join(goals[-1].actions[-1].split()) in squeezed

    # No word runs past the right margin (pdftotext tells where each word is set).
    path = tmp_path / "huge.pdf"
    path.write_bytes(pdf)
    boxes = subprocess.run(["pdftotext", "-bbox", str(path), "-"], check=True, capture_output=True, text=True).stdout
    width = float(reader.pages[0].mediabox.width)
    right_edges = [float(part.split('"')[1]) for part in boxes.split("xMax=")[1:]]
    assert right_edges and max(right_edges) < width - 60


async def test_the_same_copy_is_the_same_file(sqlite_sessions) -> None:
    p = await make_pair(sqlite_sessions)
    await complete_agreement(sqlite_sessions, p.superior, p.subordinate, p.agreement,
                             superior_shares=False, subordinate_shares=True)
    document = await _document(sqlite_sessions, p.agreement, role=Role.ARCHIVE)
    assert render_pdf(document) == render_pdf(document)
    later = dataclasses.replace(document, made_at_moment=datetime(2026, 12, 2, tzinfo=timezone.utc))
    assert render_pdf(later) != render_pdf(document)


async def test_first_pages_are_written_as_pictures_to_look_at(sqlite_sessions) -> None:
    p = await make_pair(sqlite_sessions)
    await complete_agreement(sqlite_sessions, p.superior, p.subordinate, p.agreement,
                             superior_shares=True, subordinate_shares=False)
    OUTPUT.mkdir(exist_ok=True)
    for variant, document in (("pair", await _document(sqlite_sessions, p.agreement, leader=p.subordinate)),
                              ("archive", await _document(sqlite_sessions, p.agreement, role=Role.ARCHIVE))):
        picture = OUTPUT / f"document-{variant}-page1"
        picture.with_suffix(".png").unlink(missing_ok=True)
        subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", "-", str(picture)],
                       input=render_pdf(document), check=True)
        assert picture.with_suffix(".png").read_bytes().startswith(b"\x89PNG")
