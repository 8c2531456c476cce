"""A leader who left keeps the year's agreement, and HR sees them marked «(sluttet)» wherever names are listed."""

from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import select

from agreement.calendar import build_calendar
from agreement.overview import Scope, ScopeKind, build_overview
from agreement.reports import status_rows
from agreement.roster.apply import import_leaders
from bot.cards import to_activity
from dialogs.cards.hr_overview import overview_card
from documents.overview_xlsx import table_rows
from lederavtale.commands.status import format_status
from storage.models import Agreement, Leader
from tests.dialogs.harness import joined

YEAR = 2024
TEMPLATE = "lederavtale-2023"
ZONE = ZoneInfo("Europe/Oslo")
ROSTER = [
    "navn;e-post;objectid;enhet;overordnet_epost;hr",
    "Sjef Sjefsen;sjef@example.com;oid-1;Kommunedirektøren;;nei",
    "Hanne HR;hr@example.com;;HR;sjef@example.com;ja",
    "Frode Fjell;f@example.com;;Teknisk;sjef@example.com;nei",
    "Gro Grav;g@example.com;;Kultur;sjef@example.com;nei",
]


def _file(lines: list[str]) -> bytes:
    return ("\n".join(lines) + "\n").encode()


async def test_a_leader_who_left_is_marked_in_the_overview_the_spreadsheet_and_the_status(session_factory) -> None:
    await import_leaders(session_factory, _file(ROSTER), YEAR, TEMPLATE)
    async with session_factory.begin() as session:
        leaders = {leader.email: leader for leader in (await session.scalars(select(Leader))).all()}
        frode, gro = leaders["f@example.com"], leaders["g@example.com"]
        for agreement in (await session.scalars(select(Agreement).where(Agreement.year == YEAR))).all():
            if agreement.subordinate_id in (frode.id, gro.id):  # both started, neither signed
                agreement.meeting_at = datetime(YEAR, 2, 1, 9, tzinfo=timezone.utc)
        hr = leaders["hr@example.com"].id

    await import_leaders(session_factory, _file([line for line in ROSTER if "Frode" not in line]), YEAR, TEMPLATE)

    async with session_factory() as session:
        overview = await build_overview(session, Scope(ScopeKind.HR, hr), YEAR, build_calendar(YEAR), date(YEAR, 5, 2))
        rows = await status_rows(session, YEAR)
    by_name = {row.subordinate_name: row for row in overview.rows}
    assert (by_name["Frode Fjell"].subordinate_active, by_name["Gro Grav"].subordinate_active) == (False, True)

    card = joined([to_activity(overview_card(overview, chart_uri=None, chart_alt=None))])
    deadline = f"{overview.q1_deadline:%d.%m.%Y}"
    assert f"Frode Fjell (sluttet) (leder: Sjef Sjefsen): ikke signert innen {deadline}" in card
    assert "Frode Fjell (sluttet): har ikke åpnet boten i Teams" in card
    assert "Gro Grav (leder: Sjef Sjefsen)" in card and "Gro Grav (sluttet)" not in card

    sheet = {row[4]: row for row in table_rows(overview, ZONE)}
    assert set(sheet) >= {"Frode Fjell (sluttet)", "Gro Grav"}
    assert sheet["Frode Fjell (sluttet)"][3] == "Sjef Sjefsen"

    status = format_status(rows, YEAR, ZONE)
    assert "Frode Fjell (sluttet)" in status
    assert "Gro Grav (sluttet)" not in status and "Sjef Sjefsen (sluttet)" not in status
