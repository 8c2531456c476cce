"""The access log of copies: the pair's PDF, the archive export and an access request's copy each record
their read in the copy's session; a refused copy records nothing; ``lederavtale audit`` lists the log
without content. Both databases."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from agreement import access_log
from agreement.access import Role
from agreement.access_log import EXPORT, INNSYN, PDF, PERSONAL_DATA, entries_for
from agreement.answers import read_answers
from agreement.goals import list_goals
from agreement.opening import open_agreement, open_record
from bot.settings import Settings
from documents import copies
from documents.archive_export import export_year
from documents.copies import MissingJustification, make_copy
from lederavtale.cli import build_parser
from storage.db import create_engine, create_session_factory
from storage.models import AccessLogEntry
from tests.documents.test_archive_export import SETTINGS as ARCHIVE_SETTINGS
from tests.support.complete import complete_agreement
from tests.support.factories import make_pair

OSLO = ZoneInfo("Europe/Oslo")
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)
REASON = "Innsynskrav fra Romerikes Blad, sak 26/1234"
HANDLER = "Sara Saksbehandler"


def local(moment: datetime) -> datetime:
    return moment.astimezone(OSLO)


async def run(settings: Settings, *argv: str) -> int:
    args = build_parser().parse_args(list(argv))
    return await args.handler(args, settings)


@pytest.fixture
async def completed(database_url: str):
    engine = create_engine(database_url)
    try:
        factory = create_session_factory(engine)
        p = await make_pair(factory)
        written = await complete_agreement(factory, p.superior, p.subordinate, p.agreement,
                                           superior_shares=True, subordinate_shares=True)
        yield Settings(database_url=database_url), factory, p, written
    finally:
        await engine.dispose()


async def logged(factory, agreement_id: int) -> list[tuple]:
    async with factory() as session:
        rows = (await session.scalars(select(AccessLogEntry).where(AccessLogEntry.agreement_id == agreement_id)
                                      .order_by(AccessLogEntry.id))).all()
    return [(row.reader_id, row.reader_label, row.path, row.part, row.section_key) for row in rows]


async def test_the_pairs_pdf_copy_is_recorded_with_the_copy(completed) -> None:
    _settings, factory, p, _written = completed
    assert await logged(factory, p.agreement) == []  # filling in, signing and following up read nothing shown
    async with factory() as session:
        reader = await open_agreement(session, p.subordinate, p.agreement)
        await make_copy(session, reader, local, NOW, channel=copies.TEAMS)
        await session.commit()
    entries = await logged(factory, p.agreement)
    assert entries and len(entries) == len(set(entries))
    assert {(reader, label, path) for reader, label, path, *_ in entries} == {(p.subordinate, None, PDF)}
    parts = {(part, section) for *_, part, section in entries}
    assert ("agreement", "ledelsesutvikling") in parts and ("followup", "oppfolging") in parts
    # Only what the copy holds: never the preparation.
    assert not [entry for entry in entries if entry[3] == "preparation"]


async def test_the_archive_export_is_recorded_as_read_by_the_archive(completed, tmp_path: Path) -> None:
    _settings, factory, p, _written = completed
    out = tmp_path / "arkiv"
    out.mkdir()
    await export_year(factory, 2026, out, ARCHIVE_SETTINGS, local, NOW)
    entries = await logged(factory, p.agreement)
    assert entries and {(reader, label, path) for reader, label, path, *_ in entries} == {
        (None, access_log.ARCHIVE_LABEL, EXPORT)}
    # Shared by both: Ledelsesutvikling went to the archive, and the log says so.
    assert ("agreement", "ledelsesutvikling") in {(part, section) for *_, part, section in entries}


async def test_an_access_request_is_recorded_with_its_handler_and_a_refused_one_is_not(completed,
                                                                                       tmp_path: Path) -> None:
    settings, factory, p, _written = completed
    async with factory() as session:
        reader = await open_record(session, p.agreement, Role.PUBLIC)
        with pytest.raises(MissingJustification):
            await make_copy(session, reader, local, NOW, channel=copies.COMMAND_LINE, reason=REASON, handled_by=" ")
        await session.commit()
    assert await logged(factory, p.agreement) == []

    assert await run(settings, "innsyn", "--agreement", str(p.agreement), "--reason", REASON, "--by", HANDLER,
                     "--out", str(tmp_path / "innsyn.pdf")) == 0
    entries = await logged(factory, p.agreement)
    assert entries and {(reader, label, path) for reader, label, path, *_ in entries} == {(None, HANDLER, INNSYN)}
    # The public never gets Ledelsesutvikling: not read, not logged.
    assert not [entry for entry in entries if entry[4] == "ledelsesutvikling"]


async def test_a_reader_outside_the_pair_must_name_its_purpose(completed) -> None:
    _settings, factory, p, _written = completed
    async with factory() as session:
        reader = await open_record(session, p.agreement, Role.ARCHIVE)
        with pytest.raises(ValueError):
            await read_answers(session, reader)
        with pytest.raises(ValueError):
            await list_goals(session, reader)


async def test_personal_data_reads_are_recorded(completed) -> None:
    _settings, factory, p, _written = completed
    async with factory() as session:
        reader = await open_agreement(session, p.subordinate, p.agreement)
        await make_copy(session, reader, local, NOW, channel=copies.COMMAND_LINE,
                        purpose=access_log.personal_data())
        access_log.record_personal_data(session, p.agreement, p.subordinate, parts=("preparation",))
        await session.commit()
    entries = await logged(factory, p.agreement)
    assert entries and {(reader, path) for reader, _label, path, *_ in entries} == {(p.subordinate, PERSONAL_DATA)}
    assert (p.subordinate, None, PERSONAL_DATA, "preparation", None) in entries


async def test_audit_lists_every_read_without_content(completed, tmp_path: Path, capsys) -> None:
    settings, factory, p, written = completed
    async with factory() as session:
        reader = await open_agreement(session, p.superior, p.agreement)
        await make_copy(session, reader, local, NOW, channel=copies.TEAMS)
        await session.commit()
    out = tmp_path / "arkiv"
    out.mkdir()
    await export_year(factory, 2026, out, ARCHIVE_SETTINGS, local, NOW)
    assert await run(settings, "innsyn", "--agreement", str(p.agreement), "--reason", REASON, "--by", HANDLER,
                     "--out", str(tmp_path / "innsyn.pdf")) == 0
    capsys.readouterr()

    assert await run(settings, "audit", "--agreement", str(p.agreement)) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    text = captured.out
    lines = text.splitlines()
    assert lines[0] == f"Tilgangslogg for lederavtale {p.agreement} (2026, Megan Bowen og Alex Wilber)"
    assert lines[1].split() == ["Når", "Hvem", "Del", "Avsnitt", "Vei"]
    for cell in ("Alex Wilber", "PDF-kopi", "arkivet", "arkiveksport", f"innsyn ved {HANDLER}", "innsynskopi",
                 "avtalen", "oppfølging", "ledelsesutvikling", "01.12.2026"):
        assert cell in text
    async with factory() as session:
        count = len(await entries_for(session, p.agreement))
    assert lines[-1] == f"{count} lesninger."
    # No text typed as an answer, goal or action appears.
    assert written.all() and [marker for marker in written.all() if marker in text] == []
    assert REASON not in text

    assert await run(settings, "audit", "--agreement", str(p.other_agreement)) == 0
    assert "Ingen har lest innholdet" in capsys.readouterr().out
    assert await run(settings, "audit", "--agreement", "999999") == 1
    assert "Fant ingen lederavtale med nummer 999999." in capsys.readouterr().err


async def test_the_followup_reminder_records_the_spring_goals_it_shows(completed) -> None:
    from datetime import date

    from scheduler.planner import Kind, Message, PlannedItem
    from scheduler.sweep import plan_due, render

    settings, factory, p, written = completed
    snapshot, _due = await plan_due(factory, settings, NOW)
    message = Message(p.subordinate, (PlannedItem(Kind.FOLLOWUP_START, p.subordinate, p.agreement, date(2026, 9, 1)),))
    activity = await render(factory, message, snapshot)
    assert written.goal_titles["ledelsesutvikling"][0] in str(activity.attachments[0].content)
    entries = await logged(factory, p.agreement)
    assert entries and {(reader, path, part) for reader, _label, path, part, _section in entries} == {
        (p.subordinate, access_log.CARD, "agreement")}
