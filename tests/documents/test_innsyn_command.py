"""``lederavtale innsyn``: the access request's copy, written and recorded, and the log of copies without content."""

from __future__ import annotations

import csv
import hashlib
import io
from datetime import datetime, timezone
from io import BytesIO
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from agreement.access import Role
from agreement.demo import read_demo_year
from agreement.opening import open_agreement, open_record
from bot.settings import Settings
from documents import copies, texts
from documents.copies import copies_made, make_copy
from lederavtale.cli import build_parser
from storage.db import create_engine, create_session_factory
from storage.models import Agreement, DocumentVariant, Leader
from tests.support.complete import complete_agreement
from tests.support.factories import make_pair

OSLO = ZoneInfo("Europe/Oslo")
REASON = "Innsynskrav fra Romerikes Blad, sak 26/1234"
HANDLER = "Sara Saksbehandler"


async def run(settings: Settings, *argv: str) -> int:
    args = build_parser().parse_args(list(argv))
    return await args.handler(args, settings)


def _flat(text: str) -> str:
    return " ".join(text.split())


def _pdf_text(path: Path) -> str:
    return _flat("\n".join(page.extract_text() for page in PdfReader(BytesIO(path.read_bytes())).pages))


@pytest.fixture
async def completed(database_url: str):
    """A database (SQLite and PostgreSQL) with one agreement through its whole year, both sharing Ledelsesutvikling."""
    engine = create_engine(database_url)
    try:
        factory = create_session_factory(engine)
        p = await make_pair(factory)
        written = await complete_agreement(factory, p.superior, p.subordinate, p.agreement,
                                           superior_shares=True, subordinate_shares=True)
        yield Settings(database_url=database_url), factory, p, written
    finally:
        await engine.dispose()


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A folder of its own for the copies (the SQLite database lives in tmp_path)."""
    path = tmp_path / "kopier"
    path.mkdir()
    return path


async def test_the_copy_withholds_ledelsesutvikling_and_the_personal_fields_and_is_recorded(
        completed, folder: Path, capsys) -> None:
    settings, factory, p, written = completed
    out = folder / "innsyn.pdf"

    assert await run(settings, "innsyn", "--agreement", str(p.agreement), "--reason", REASON, "--by", HANDLER,
                     "--out", str(out)) == 0

    captured = capsys.readouterr()
    assert captured.err == ""
    assert captured.out.startswith(
        f"Innsynskopien av lederavtale {p.agreement} (2026, Megan Bowen) er skrevet til {out}.")
    text = _pdf_text(out)
    # Shared by both, Ledelsesutvikling is still a personal matter for the public.
    private = [t for t in written.by_section["ledelsesutvikling"] if not t.isupper()]
    assert private and not [t for t in private if _flat(t) in text]
    assert written.personal and not [t for t in written.personal if _flat(t) in text]
    public = [t for t in written.all() if t not in private and t not in written.personal and not t.isupper()]
    assert [t for t in public if _flat(t) not in text] == []
    assert texts.SCREENED in text
    assert f"Innsynskravet er behandlet av {HANDLER}." in text
    assert [path.name for path in folder.iterdir()] == ["innsyn.pdf"]

    async with factory() as session:
        [record] = await copies_made(session)
    assert (record.agreement_id, record.variant, record.channel) == (p.agreement, DocumentVariant.INNSYN,
                                                                      copies.COMMAND_LINE)
    assert (record.reason, record.handled_by, record.recipient_id) == (REASON, HANDLER, None)
    assert record.sha256 == hashlib.sha256(out.read_bytes()).hexdigest()
    assert record.sha256 in captured.out


async def test_the_log_says_who_when_why_and_which_agreement_and_holds_no_content(completed, folder: Path,
                                                                                  capsys) -> None:
    settings, factory, p, written = completed
    assert await run(settings, "innsyn", "--agreement", str(p.agreement), "--reason", REASON, "--by", HANDLER,
                     "--out", str(folder / "innsyn.pdf")) == 0
    async with factory() as session:
        # The pair's own copy, as Teams hands it out.
        reader = await open_agreement(session, p.subordinate, p.agreement)
        await make_copy(session, reader, lambda moment: moment.astimezone(OSLO),
                        datetime(2026, 12, 1, 13, 5, tzinfo=timezone.utc), channel=copies.TEAMS)
        await session.commit()
    capsys.readouterr()

    assert await run(settings, "innsyn", "--log") == 0
    log = capsys.readouterr().out
    lines = log.splitlines()
    assert lines[0] == "Innsynskopier (1)"
    row = lines[3]
    for cell in (str(p.agreement), "2026", "Megan Bowen", "Alex Wilber", "innsyn", "kommandolinjen", HANDLER, REASON):
        assert cell in row
    assert "Teams" not in log

    assert await run(settings, "innsyn", "--log", "--alle") == 0
    every = capsys.readouterr().out
    assert every.splitlines()[0] == "Alle kopier (2)"
    [teams_row] = [line for line in every.splitlines() if "lederens kopi" in line]
    assert "01.12.2026 14:05" in teams_row and "lederens kopi" in teams_row and "Teams" in teams_row
    assert "Megan Bowen" in teams_row.split("Teams", 1)[1]

    assert await run(settings, "innsyn", "--log", "--alle", "--csv") == 0
    table = list(csv.reader(io.StringIO(capsys.readouterr().out), delimiter=";"))
    assert table[0][0] == "Tidspunkt" and len(table) == 3
    by_variant = {row[5]: row for row in table[1:]}
    assert by_variant["lederens kopi"][0] == "2026-12-01T14:05:00+01:00"
    assert (by_variant["lederens kopi"][-2:], by_variant["innsyn"][-2:]) == (["Megan Bowen", "-"], [HANDLER, REASON])

    for output in (log, every):
        assert not [t for t in written.all() if t in output]


async def test_without_reason_or_name_no_copy_is_made(completed, folder: Path, capsys) -> None:
    settings, factory, p, _ = completed
    out = str(folder / "innsyn.pdf")
    cases = [
        (["--agreement", str(p.agreement), "--by", HANDLER, "--out", out], "en innsynskopi trenger --reason"),
        (["--agreement", str(p.agreement), "--reason", REASON, "--out", out], "en innsynskopi trenger --by"),
        (["--agreement", str(p.agreement), "--reason", " \t ", "--by", HANDLER, "--out", out],
         "--reason kan ikke være tom"),
        (["--agreement", str(p.agreement), "--reason", REASON, "--by", "  ", "--out", out], "--by kan ikke være tom"),
        (["--agreement", str(p.agreement), "--reason", "x" * 2001, "--by", HANDLER, "--out", out],
         "Begrunnelsen er for lang"),
        (["--log", "--agreement", str(p.agreement)], "--log kan ikke brukes sammen med --agreement"),
        (["--csv", "--agreement", str(p.agreement), "--reason", REASON, "--by", HANDLER, "--out", out],
         "--csv hører bare til --log"),
    ]
    for argv, message in cases:
        with pytest.raises(SystemExit) as exit_info:
            await run(settings, "innsyn", *argv)
        assert exit_info.value.code == 2
        err = capsys.readouterr().err
        assert f"lederavtale innsyn: feil: {message}" in err, err
    with pytest.raises(SystemExit):
        build_parser().parse_args(["innsyn", "--agreement", "sju"])
    assert "«sju» er ikke et avtalenummer" in capsys.readouterr().err

    async with factory() as session:
        # Under the command, the copy itself is never made without them either.
        reader = await open_record(session, p.agreement, Role.PUBLIC)
        for reason, handled_by in ((None, HANDLER), (REASON, " ")):
            with pytest.raises(copies.MissingJustification):
                await make_copy(session, reader, lambda moment: moment.astimezone(OSLO), datetime.now(timezone.utc),
                                channel=copies.COMMAND_LINE, reason=reason, handled_by=handled_by)
    assert not list(folder.iterdir())
    async with factory() as session:
        assert await copies_made(session) == []


async def test_a_bad_file_or_agreement_is_named_and_nothing_is_made(completed, folder: Path, capsys) -> None:
    settings, factory, p, _ = completed
    (folder / "mappe.pdf").mkdir()
    (folder / "gitt-ut.pdf").write_bytes(b"an earlier copy")
    cases = [
        (str(p.agreement + 1000), folder / "ny.pdf", 1,
         f"Fant ingen lederavtale med nummer {p.agreement + 1000}. Ingen kopi er laget.\n"),
        (str(p.agreement), folder / "finnes-ikke" / "ny.pdf", 2,
         f"Mappen {folder / 'finnes-ikke'} finnes ikke. Ingen kopi er laget.\n"),
        (str(p.agreement), folder / "mappe.pdf", 2,
         f"{folder / 'mappe.pdf'} er en mappe. Oppgi et filnavn som slutter på .pdf. Ingen kopi er laget.\n"),
        (str(p.agreement), folder / "ny.docx", 2,
         f"--out må være en PDF-fil som slutter på .pdf, ikke «{folder / 'ny.docx'}»\n"),
        (str(p.agreement), folder / "gitt-ut.pdf", 2, "gitt-ut.pdf finnes allerede."),
    ]
    for agreement, out, code, message in cases:
        assert await run(settings, "innsyn", "--agreement", agreement, "--reason", REASON, "--by", HANDLER,
                         "--out", str(out)) == code
        captured = capsys.readouterr()
        assert captured.out == ""
        assert message in captured.err and "Traceback" not in captured.err
    assert (folder / "gitt-ut.pdf").read_bytes() == b"an earlier copy"
    assert sorted(path.name for path in folder.iterdir()) == ["gitt-ut.pdf", "mappe.pdf"]
    async with factory() as session:
        assert await copies_made(session) == []


async def test_a_copy_that_cannot_be_written_is_not_recorded(completed, folder: Path, capsys, monkeypatch) -> None:
    settings, factory, p, _ = completed

    def full_disk(src, dst) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("lederavtale.commands.innsyn.os.replace", full_disk)
    out = folder / "innsyn.pdf"
    assert await run(settings, "innsyn", "--agreement", str(p.agreement), "--reason", REASON, "--by", HANDLER,
                     "--out", str(out)) == 1
    assert capsys.readouterr().err == f"Kunne ikke skrive {out}: No space left on device. Ingen kopi er laget.\n"
    assert not list(folder.iterdir())
    async with factory() as session:
        assert await copies_made(session) == []


async def test_the_demo_has_last_year_to_show_at_once(sqlite_url: str, folder: Path, capsys) -> None:
    settings = Settings(database_url=sqlite_url, timezone="Europe/Oslo")
    assert await run(settings, "demo", "--year", "2026") == 0
    summary = capsys.readouterr().out
    assert summary.endswith("Lederavtaler 2025 med demosvar, signert og fulgt opp: 11 nye, 0 uendret.\n")
    engine = create_engine(sqlite_url)
    try:
        async with create_session_factory(engine)() as session:
            megan = await session.scalar(select(Agreement.id).join(Leader, Leader.id == Agreement.subordinate_id)
                                         .where(Agreement.year == 2025, Leader.email == "meganb@example.com"))
    finally:
        await engine.dispose()
    demo = read_demo_year()["meganb@example.com"]
    out = folder / "megan-2025.pdf"

    assert await run(settings, "innsyn", "--agreement", str(megan), "--reason", REASON, "--by", HANDLER,
                     "--out", str(out)) == 0

    text = _pdf_text(out)
    assert _flat(demo.answers["styringsbrev.bidrag"]) in text
    assert _flat(demo.goals["personell"][0].followup) in text
    assert _flat(demo.answers["ledelsesutvikling.god_til"]) not in text
    assert _flat(demo.followup_answers["oppfolging.refleksjoner"]) not in text
    assert "Lørenskog skole Nord, 07.02.2025" in text
    capsys.readouterr()
    assert await run(settings, "export", "--year", "2025", "--out", str(folder / "arkiv")) == 0
    assert "11 eksportert" in capsys.readouterr().out
