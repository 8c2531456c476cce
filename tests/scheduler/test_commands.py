"""``lederavtale reminders ...``, ``lederavtale calendar ...`` and ``lederavtale scheduler``."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import select

from lederavtale.cli import build_parser
from bot.settings import Settings
from scheduler.planner import Kind, Message, PlannedItem
from scheduler.sweep import claim, start_sending
from storage.db import create_engine, create_session_factory
from storage.models import Answer, Goal, Phase, ReminderLog
from tests.scheduler.conftest import seed_demo, seed_superiors
from tests.scheduler.helpers import at
from tests.support.fake_connector import FakeConnector

ROOT = Path(__file__).resolve().parents[2]
SECRET = "Hemmelig svar om ledelsesutvikling"


async def run(settings: Settings, *argv: str) -> int:
    args = build_parser().parse_args(list(argv))
    return await args.handler(args, settings)


@pytest.fixture
async def db(sqlite_url: str):
    engine = create_engine(sqlite_url)
    try:
        yield sqlite_url, create_session_factory(engine)
    finally:
        await engine.dispose()


async def test_plan_lists_recipients_and_reminders_without_any_content(db, connector, capsys) -> None:
    url, factory = db
    demo = await seed_demo(factory, connector)
    async with factory() as session:
        session.add(Answer(agreement_id=demo.sup_a, question_key="ledelsesutvikling.god_til", author_id=demo.sup,
                           phase=Phase.PREPARATION, text=SECRET))
        session.add(Goal(agreement_id=demo.sup_a, section_key="ledelsesutvikling", phase=Phase.AGREEMENT,
                         author_id=demo.sup, title=SECRET))
        await session.commit()
    assert await run(Settings(database_url=url), "reminders", "plan", "--date", "2025-01-10") == 0
    out = capsys.readouterr().out
    assert "Påminnelser 2025-01-10: 2 meldinger" in out
    assert "Alex Wilber [2]" in out and "oppstart: Alex Wilber – Megan Bowen" in out
    assert SECRET not in out
    assert connector.requests == 0
    async with factory() as session:
        assert (await session.scalars(select(ReminderLog))).all() == []


async def test_plan_on_a_day_off_says_why_nothing_goes_out(db, connector, capsys) -> None:
    url, factory = db
    await seed_demo(factory, connector)
    assert await run(Settings(database_url=url), "reminders", "plan", "--date", "2025-04-18") == 0
    assert "2025-04-18 er helligdag (Langfredag): påminnelser sendes bare på arbeidsdager." in capsys.readouterr().out


async def test_send_sends_once_and_reports(db, connector: FakeConnector, capsys) -> None:
    url, factory = db
    demo = await seed_demo(factory, connector)
    settings = Settings(database_url=url)
    assert await run(settings, "reminders", "send", "--date", "2025-01-10", "--dry-run") == 0
    assert connector.requests == 0
    assert await run(settings, "reminders", "send", "--date", "2025-01-10") == 0
    out = capsys.readouterr().out
    assert "Planlagt: 2. Sendt: 2." in out
    assert sorted(connector.conversation_counts()) == sorted([demo.conversation(demo.top), demo.conversation(demo.sup)])
    assert await run(settings, "reminders", "send", "--date", "2025-01-10") == 0
    assert "Påminnelser 2025-01-10: 0 meldinger" in capsys.readouterr().out
    assert len(connector.activities) == 2


async def test_log_shows_sent_unreachable_and_uncertain_reminders(db, connector: FakeConnector, capsys) -> None:
    url, factory = db
    superiors = await seed_superiors(factory, connector, 3)
    connector.fail_conversation(f"conv-{superiors[0]}", 404)
    settings = Settings(database_url=url)
    assert await run(settings, "reminders", "send", "--date", "2025-01-10") == 0
    # A send that was interrupted long ago (the process died while the message was on its way).
    async with factory() as session:
        agreement_id = (await session.scalars(select(ReminderLog.agreement_id))).first()
    message = Message(superiors[1], (PlannedItem(Kind.MEETING_PREP, superiors[1], agreement_id, date(2025, 1, 9)),))
    claimed = await claim(factory, message, datetime(2025, 1, 9, 8, 0, tzinfo=timezone.utc), "old")
    assert await start_sending(factory, claimed)
    capsys.readouterr()
    assert await run(settings, "reminders", "log", "--year", "2025") == 0
    out = capsys.readouterr().out
    assert out.count(" sendt ") == 2
    assert "kan ikke nås" in out and "http_404" in out
    assert "usikker (avbrutt under sending, sendes ikke på nytt)" in out
    assert await run(settings, "reminders", "log", "--year", "2025", "--status", "unreachable") == 0
    only = capsys.readouterr().out
    assert "http_404" in only and " sendt " not in only
    assert await run(settings, "reminders", "log", "--year", "2024") == 0
    assert "Ingen påminnelser er sendt for 2024." in capsys.readouterr().out


async def test_unreachable_lists_the_leaders_hr_must_contact(db, connector: FakeConnector, capsys) -> None:
    url, factory = db
    superiors = await seed_superiors(factory, connector, 2)
    await seed_superiors(factory, None, 1, prefix="Ny")  # a pair that never opened the bot
    connector.fail_conversation(f"conv-{superiors[1]}", 403)
    settings = Settings(database_url=url)
    assert await run(settings, "reminders", "send", "--date", "2025-01-10") == 0
    capsys.readouterr()
    assert await run(settings, "reminders", "unreachable") == 0
    out = capsys.readouterr().out
    assert "3 ledere kan ikke nås av boten" in out
    assert "boten er fjernet, blokkert eller stengt av en administrator" in out
    assert out.count("har ikke startet en samtale med boten") == 2
    assert not any(line.startswith("Overordnet 0 [") for line in out.splitlines())  # reachable


async def test_calendar_show_and_set(db, capsys) -> None:
    url, _factory = db
    settings = Settings(database_url=url)
    assert await run(settings, "calendar", "set", "--year", "2024", "kickoff=2024-01-15", "send_time=08:30") == 0
    out = capsys.readouterr().out
    assert "kickoff              2024-01-15" in out and "08:30" in out
    assert await run(settings, "calendar", "show", "--year", "2024") == 0
    out = capsys.readouterr().out
    assert "q1_deadline          2024-03-31  frist onsdag 27. mars (flyttet fra helligdag)" in out  # Easter
    assert await run(settings, "calendar", "set", "--year", "2024", "q1_reminder_3=2024-02-01") == 2
    err = capsys.readouterr().err
    assert "Kalenderen ble ikke endret." in err and "må komme etter" in err
    assert await run(settings, "calendar", "set", "--year", "2024", "nonsense") == 2
    assert await run(settings, "calendar", "set", "--year", "2024", "kickoff=") == 0
    lines = [line.split() for line in capsys.readouterr().out.splitlines()]
    assert ["kickoff", "2024-01-10", "sendes", "onsdag", "10.", "januar", "standard"] in lines


def test_a_bad_date_is_refused_by_the_parser(capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args(["reminders", "plan", "--date", "10.01.2025"])
    assert exit_info.value.code == 2
    assert "--date: «10.01.2025» er ikke en dato (ÅÅÅÅ-MM-DD)." in capsys.readouterr().err


def test_the_scheduler_command_runs_until_sigterm(tmp_path: Path) -> None:
    env = {
        key: value for key, value in os.environ.items() if not key.startswith(("Microsoft", "LEDERAVTALE_", "DATABASE_URL"))
    }
    env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'scheduler.db'}", LEDERAVTALE_SWEEP_SECONDS="1")
    process = subprocess.Popen(
        [sys.executable, "-m", "lederavtale.cli", "-vv", "scheduler"], cwd=ROOT, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        output = []
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            output.append(line)
            if "nothing due" in line:
                break
        else:
            pytest.fail("the scheduler did not sweep:\n" + "".join(output))
        process.send_signal(signal.SIGTERM)
        rest, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    text = "".join(output) + rest
    assert process.returncode == 0, text
    assert "Reminder scheduler started" in text and "Reminder scheduler stopped" in text
    assert "Garbage collector tuned for a long-running process" in text
    assert "Traceback" not in text


@pytest.mark.parametrize("hour", [8, 14])
async def test_plan_and_send_without_a_date_act_on_today_by_the_clock(db, connector: FakeConnector, capsys, hour) -> None:
    url, factory = db
    await seed_demo(factory, connector)
    settings = Settings(database_url=url)
    # The clock says 10 January 2025 (before or after 09:00): the day of the kick-off.
    with time_machine.travel(at(date(2025, 1, 10), hour, 0), tick=True):
        assert await run(settings, "reminders", "plan") == 0
        assert "Påminnelser 2025-01-10: 2 meldinger" in capsys.readouterr().out
        assert await run(settings, "reminders", "send") == 0
    assert "Planlagt: 2. Sendt: 2." in capsys.readouterr().out
    assert len(connector.activities) == 2
