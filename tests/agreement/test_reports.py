"""HR's report: status and dates of every agreement, never content."""

from __future__ import annotations

from agreement.reports import status_rows
from agreement.status import AgreementStatus
from tests.support.factories import make_pair


async def test_status_rows_hold_no_content(session_factory) -> None:
    p = await make_pair(session_factory)
    async with session_factory() as session:
        rows = await status_rows(session, 2026)
    assert {(r.superior_name, r.subordinate_name) for r in rows} == {
        ("Alex Wilber", "Megan Bowen"), ("Alex Wilber", "Adele Vance"), ("Patti Fernandez", "Alex Wilber"),
    }
    assert all(r.status is AgreementStatus.IKKE_STARTET for r in rows)
    assert not hasattr(rows[0], "answers")
    assert p.agreement in {r.agreement_id for r in rows}
