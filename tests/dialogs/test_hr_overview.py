"""HR's overview in Teams ("Oversikt") and the superior's superior's "Status i min linje": status and dates only."""

from __future__ import annotations

import dataclasses
import re
import io
import json
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.dialects import sqlite

from agreement.access import Action, ContentContext, Role, can
from agreement.answers import save_answer
from agreement.calendar import build_calendar
from agreement.overview import (
    CONTENT_COLUMNS, Overview, OverviewRow, Scope, ScopeKind, rows_query, unreachable_query,
)
from agreement.status import AgreementStatus, derive_status
from bot import actions
from bot.cards import MAX_CARD_BYTES, card_size, cards_in
from bot.settings import LINK
from dialogs.document_handout import DocumentHandout
from dialogs.hr_overview import overview_activity
from dialogs.main_dialog import MainDialog
from dialogs.texts import hr_overview as texts
from documents.overview_chart import render_chart
from documents.overview_xlsx import HEADERS, SHEET, UNITS_SHEET
from storage.models import Agreement, ConversationRef, Leader, Phase
from tests.agreement.helpers import MAX_LENGTH, act
from tests.dialogs.harness import Chat, all_cards, buttons, joined
from tests.support.factories import TEMPLATE_ID
from tests.support.paths import REPO

MARKERS = ("SVAR-MARKØR-7f3a", "MÅL-MARKØR-91bc")
UTC = timezone.utc


@pytest.fixture
async def world(session_factory, pair):
    """The pair's hierarchy and two more agreements: Megan → Lee (two levels under Patti), Isaiah → Nestor (elsewhere).

    Dates: Megan's agreement with Alex is signed; Adele's is planned; Alex's with Patti prepared.
    Megan and Alex have a conversation reference; Adele's is marked unreachable; the rest have none.
    Answers are typed with markers that must never show.
    """
    async with session_factory() as session:
        lee = Leader(name="Lee Gu", email="leeg@example.com", unit="Lørenskog skole", superior_id=pair.subordinate)
        nestor = Leader(name="Nestor Wilke", email="nestorw@example.com", unit="Teknisk", superior_id=pair.outsider)
        session.add_all([lee, nestor])
        await session.flush()
        session.add_all([
            Agreement(year=2026, template_id=TEMPLATE_ID, superior_id=pair.subordinate, subordinate_id=lee.id),
            Agreement(year=2026, template_id=TEMPLATE_ID, superior_id=pair.outsider, subordinate_id=nestor.id),
        ])
        first = await session.get(Agreement, pair.agreement)
        moment = datetime(2026, 1, 20, 9, 0, tzinfo=UTC)
        first.meeting_at = first.superior_prepared_at = first.subordinate_prepared_at = moment
        first.filled_at = datetime(2026, 1, 22, 9, 0, tzinfo=UTC)
        first.superior_signed_at = first.subordinate_signed_at = datetime(2026, 1, 28, 9, 0, tzinfo=UTC)
        (await session.get(Agreement, pair.other_agreement)).meeting_at = datetime(2026, 2, 20, 9, 0, tzinfo=UTC)
        top = await session.get(Agreement, pair.top_agreement)
        top.meeting_at = top.superior_prepared_at = top.subordinate_prepared_at = moment
        for leader_id, reachable in ((pair.subordinate, True), (pair.superior, True), (pair.colleague, False)):
            session.add(ConversationRef(leader_id=leader_id, reference={}, service_url="https://smba.example.test/",
                                        reachable=reachable, unreachable_reason=None if reachable else "blocked"))
        await session.commit()
        ids = {"lee": lee.id, "nestor": nestor.id}

    async def typed(session, opened):
        await save_answer(session, opened, "god_til", Phase.PREPARATION, MARKERS[0], max_length=MAX_LENGTH)

    for leader in (pair.superior, pair.subordinate):
        try:
            await act(session_factory, leader, pair.agreement, typed)
        except Exception:  # the question key may differ; the marker is written directly below then
            pass
    async with session_factory() as session:
        from storage.models import Answer, Goal
        session.add(Answer(agreement_id=pair.agreement, question_key="marker", author_id=pair.superior,
                           phase=Phase.AGREEMENT, text=MARKERS[0]))
        session.add(Goal(agreement_id=pair.agreement, section_key="utviklingsmaal", phase=Phase.AGREEMENT,
                         author_id=pair.superior, title=MARKERS[1]))
        await session.commit()
    return ids


def overview_cards(replies) -> list[dict]:
    return [content for content in all_cards(replies) if texts.BY_STATUS in json.dumps(content, ensure_ascii=False)]


async def statuses_in_db(session_factory, subordinate_ids=None) -> dict[str, int]:
    async with session_factory() as session:
        query = select(Agreement).where(Agreement.year == 2026, Agreement.active.is_(True))
        if subordinate_ids is not None:
            query = query.where(Agreement.subordinate_id.in_(subordinate_ids))
        agreements = (await session.scalars(query)).all()
    counts = {status.label: 0 for status in AgreementStatus}
    for agreement in agreements:
        counts[derive_status(agreement).label] += 1
    return counts


def facts_of(content: dict) -> dict[str, str]:
    found = {}
    for element in content["body"]:
        if element.get("type") == "FactSet":
            found.update({fact["title"]: fact["value"] for fact in element["facts"]})
    return found


async def test_an_hr_admin_gets_the_overview_with_the_counts_of_the_database(chat_for, pair, world,
                                                                             session_factory) -> None:
    chat = chat_for(pair.hr)
    menu = await chat.say("meny")
    assert {"action": actions.OVERVIEW} in buttons(menu)
    replies = await chat.press(menu, texts.BUTTON_HR)
    (content,) = overview_cards(replies)
    expected = await statuses_in_db(session_factory)
    assert sum(expected.values()) == 5
    assert facts_of(content) == {label: str(count) for label, count in expected.items()}
    shown = joined(replies)
    assert texts.TITLE_HR.format(year=2026) in shown
    # Per unit: Lørenskog skole has Megan's (signed) and Lee's agreement.
    assert texts.UNIT_LINE.format(unit="Lørenskog skole", agreements=2, planned=1, prepared=1, signed=1,
                                  followed_up=0) in shown
    # Unreachable: Adele (marked), and those who never opened the bot; not Megan or Alex.
    assert texts.UNREACHABLE_MARKED.format(name="Adele Vance") in shown
    assert texts.UNREACHABLE_NO_REF.format(name="Patti Fernandez") in shown
    assert "Megan Bowen: " not in shown and "Alex Wilber: " not in shown
    assert texts.OVERDUE_NONE in shown  # 2 February: before the Q1 deadline
    images = [element for element in content["body"] if element.get("type") == "Image"]
    assert images and images[0]["url"].startswith("data:image/png;base64,") and images[0]["altText"]
    assert card_size(content) <= MAX_CARD_BYTES
    # Typed works too, and from the middle of nothing in particular.
    assert overview_cards(await chat.say("Oversikt"))


async def test_agreements_not_signed_after_the_q1_deadline_are_overdue(chat_for, pair, world, clock) -> None:
    clock.now = datetime(2026, 4, 15, 8, 0, tzinfo=UTC)
    shown = joined(await chat_for(pair.hr).say("oversikt"))
    deadline = f"{build_calendar(2026).q1_deadline:%d.%m.%Y}"
    for subordinate, superior in (("Adele Vance", "Alex Wilber"), ("Alex Wilber", "Patti Fernandez"),
                                  ("Lee Gu", "Megan Bowen"), ("Nestor Wilke", "Isaiah Langer")):
        assert texts.OVERDUE_Q1.format(subordinate=subordinate, superior=superior, deadline=deadline) in shown
    assert "Megan Bowen (leder" not in shown  # hers is signed


async def test_a_superiors_superior_gets_only_their_own_line(chat_for, pair, world, session_factory) -> None:
    chat = chat_for(pair.top)
    menu = await chat.say("meny")
    replies = await chat.press(menu, texts.BUTTON_LINE)
    (content,) = overview_cards(replies)
    # Alex's two leaders (Megan, Adele) and Patti's own with Alex; not Lee (two levels down) nor Nestor.
    expected = await statuses_in_db(session_factory, [pair.subordinate, pair.colleague, pair.superior])
    assert facts_of(content) == {label: str(count) for label, count in expected.items()}
    shown = joined(replies)
    assert texts.TITLE_LINE.format(year=2026) in shown
    assert "Lee Gu" not in shown and "Nestor Wilke" not in shown and "Teknisk" not in shown
    assert overview_cards(await chat.say("status i min linje"))


async def test_a_leader_who_is_neither_gets_a_polite_refusal(chat_for, pair, world) -> None:
    for leader in (pair.subordinate, pair.outsider):  # Megan leads Lee, Isaiah leads Nestor: one level only
        chat = chat_for(leader)
        menu = await chat.say("meny")
        assert {"action": actions.OVERVIEW} not in buttons(menu)
        replies = await chat.say("Oversikt")
        assert joined(replies) == texts.REFUSED and not overview_cards(replies)
        forged = await chat.submit(actions.submit_data(actions.OVERVIEW_XLSX, year=2026))
        assert joined(forged) == texts.REFUSED


@pytest.fixture
def link_dialog(deps):
    settings = dataclasses.replace(deps.settings, document_delivery=LINK)
    return dataclasses.replace(deps, settings=settings)


async def test_the_spreadsheet_is_handed_out_once_and_holds_status_and_dates(pair, world, session_factory,
                                                                             link_dialog) -> None:
    chat = Chat(MainDialog(link_dialog), pair.hr, session_factory)
    replies = await chat.press(await chat.say("oversikt"), texts.DOWNLOAD)
    (link,) = [element["url"] for content in all_cards(replies) for element in content.get("actions", [])
               if element["type"] == "Action.OpenUrl"]
    token = link.rsplit("/", 1)[1]
    handout = DocumentHandout(session_factory, link_dialog, http=None)
    served = await handout.serve(token)
    assert served.name.endswith(".xlsx") and served.content_type.endswith("spreadsheetml.sheet")
    book = load_workbook(io.BytesIO(served.content))
    sheet = book[SHEET]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == HEADERS
    assert len(rows) == 6
    by_subordinate = {row[4]: row for row in rows[1:]}
    assert by_subordinate["Megan Bowen"][5] == AgreementStatus.SIGNERT.label
    assert by_subordinate["Megan Bowen"][10] == datetime(2026, 1, 28, 10, 0)  # Oslo time
    assert by_subordinate["Adele Vance"][5] == AgreementStatus.PLANLAGT.label
    assert [row[0] for row in book[UNITS_SHEET].iter_rows(values_only=True)][0] == "Enhet"
    with pytest.raises(Exception):
        await handout.serve(token)  # taken once
    flat = served.content.decode("latin-1")
    import zipfile

    archive = zipfile.ZipFile(io.BytesIO(served.content))
    everything = "".join(archive.read(name).decode("utf-8") for name in archive.namelist())
    for marker in MARKERS:
        assert marker not in everything and marker not in flat


async def test_no_overview_holds_any_answer_text(chat_for, pair, world) -> None:
    for leader in (pair.hr, pair.top):
        replies = await chat_for(leader).say("oversikt")
        dumped = json.dumps([cards_in(reply) for reply in replies], ensure_ascii=False) + joined(replies)
        for marker in MARKERS:
            assert marker not in dumped


def test_the_overview_queries_select_no_content() -> None:
    for query in (rows_query(2026, Scope(ScopeKind.HR, 1)), rows_query(2026, Scope(ScopeKind.LINE, 1)),
                  unreachable_query({1, 2})):
        compiled = str(query.compile(dialect=sqlite.dialect()))
        selected = compiled.split(" FROM ", 1)[0]
        assert selected.startswith("SELECT ")
        for content in CONTENT_COLUMNS:
            table, name = content.split(".")
            assert not re.search(rf"\.{name}\b", selected), content
            assert f" {table} " not in compiled + " " or table in ("agreements",), content


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("private", [False, True])
@pytest.mark.parametrize("phase", list(Phase))
def test_the_overview_path_is_refused_all_content(role, private, phase) -> None:
    """The overview is a report: Action.REPORT is refused for every piece of content, to everyone."""
    for own, shared in ((False, False), (True, True)):
        content = ContentContext(section_key="x", phase=phase, author_is_viewer=own, both_prepared=True,
                                 followup_recorded=True, development_shared=shared, private_section=private,
                                 both_reflected=True)
        assert not can(role, Action.REPORT, content)


def known_overview() -> Overview:
    """Twelve agreements of 2026: eight signed over January–March (one after the deadline), three followed up."""
    def at(day: date) -> datetime:
        return datetime(day.year, day.month, day.day, 10, 0, tzinfo=UTC)

    signed = [date(2026, 1, 15), date(2026, 2, 2), date(2026, 2, 10), date(2026, 2, 24), date(2026, 3, 3),
              date(2026, 3, 17), date(2026, 3, 30), date(2026, 4, 14)]
    followed = {0: date(2026, 9, 22), 1: date(2026, 10, 13), 2: date(2026, 11, 24)}
    rows = []
    for number in range(12):
        sign = at(signed[number]) if number < len(signed) else None
        follow = at(followed[number]) if number in followed else None
        rows.append(OverviewRow(
            agreement_id=number + 1, year=2026, superior_id=100, superior_name="Leder", subordinate_id=200 + number,
            subordinate_name=f"Leder {number}", unit="Enhet", meeting_at=at(date(2026, 1, 10)),
            superior_prepared_at=None, subordinate_prepared_at=None, filled_at=sign,
            superior_signed_at=sign, subordinate_signed_at=sign, followup_recorded_at=follow,
            superior_followup_confirmed_at=follow, subordinate_followup_confirmed_at=follow,
        ))
    calendar = build_calendar(2026)
    return Overview(year=2026, scope=Scope(ScopeKind.HR, 1), today=date(2026, 12, 1),
                    q1_deadline=calendar.q1_deadline, followup_deadline=calendar.followup_deadline, rows=rows)


def test_the_chart_from_a_known_data_set(deps) -> None:
    overview = known_overview()
    chart = render_chart(overview, ZoneInfo("Europe/Oslo"))
    assert chart.png.startswith(b"\x89PNG")
    output = REPO / "test-output"
    output.mkdir(exist_ok=True)
    (output / "overview-chart.png").write_bytes(chart.png)
    from PIL import Image

    image = Image.open(io.BytesIO(chart.png))
    assert image.size == (500, 320)
    assert len(chart.png) < 14_000
    assert "7 av 12 signert innen fristen" in chart.alt_text
    assert "8 av 12 signert i alt" in chart.alt_text and "3 av 12 fulgt opp" in chart.alt_text
    content = cards_in(overview_activity(overview, deps))[0]
    assert card_size(content) <= MAX_CARD_BYTES
    assert any(element.get("type") == "Image" for element in content["body"])
