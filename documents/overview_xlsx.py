"""The overview's status table as a spreadsheet (XLSX, openpyxl): status and dates only, one row per agreement."""

from __future__ import annotations

import io
from datetime import datetime
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.styles import Font

from agreement.overview import Overview, OverviewRow

SHEET = "Status"
UNITS_SHEET = "Per enhet"
HEADERS = (
    "Avtale-ID", "År", "Enhet", "Leder (overordnet)", "Leder (underordnet)", "Status", "Samtale",
    "Forberedt (overordnet)", "Forberedt (underordnet)", "Utfylt", "Signert", "Oppfølging gjennomført", "Forfalt",
)
UNIT_HEADERS = ("Enhet", "Avtaler", "Planlagt", "Forberedt", "Signert", "Oppfølging gjennomført")
OVERDUE = {"q1": "Ikke signert innen fristen", "followup": "Ikke fulgt opp innen fristen"}
#: The name of a leader who has left (their agreement for the year stays).
LEFT = "{name} (sluttet)"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def file_name(year: int) -> str:
    return f"Lederavtaler {year} - status.xlsx"


def _local(moment: datetime | None, zone: ZoneInfo) -> datetime | None:
    # Excel has no time zones: the local time, without its offset.
    return None if moment is None else moment.astimezone(zone).replace(tzinfo=None)


def table_rows(overview: Overview, zone: ZoneInfo) -> list[tuple]:
    """The status sheet's rows (without the header)."""
    overdue = {item.row.agreement_id: OVERDUE[item.deadline] for item in overview.overdue}
    rows: list[tuple] = []
    for row in overview.rows:
        rows.append((
            row.agreement_id, row.year, row.unit, _name(row.superior_name, row.superior_active),
            _name(row.subordinate_name, row.subordinate_active), row.status.label,
            *(_local(moment, zone) for moment in _dates(row)),
            overdue.get(row.agreement_id, ""),
        ))
    return rows


def _name(name: str, active: bool) -> str:
    return name if active else LEFT.format(name=name)


def _dates(row: OverviewRow) -> tuple[datetime | None, ...]:
    return (row.meeting_at, row.superior_prepared_at, row.subordinate_prepared_at, row.filled_at, row.signed_at,
            row.followup_done_at)


def render_xlsx(overview: Overview, zone: ZoneInfo) -> bytes:
    """The workbook: the status table, and the counts per unit."""
    book = Workbook()
    sheet = book.active
    sheet.title = SHEET
    sheet.append(HEADERS)
    for row in table_rows(overview, zone):
        sheet.append(row)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for column in "GHIJKL":
        for cell in sheet[column][1:]:
            cell.number_format = "dd.mm.yyyy hh:mm"
    sheet.freeze_panes = "A2"
    units = book.create_sheet(UNITS_SHEET)
    units.append(UNIT_HEADERS)
    for counts in overview.by_unit:
        units.append((counts.unit, counts.agreements, counts.planned, counts.prepared, counts.signed,
                      counts.followed_up))
    for cell in units[1]:
        cell.font = Font(bold=True)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
