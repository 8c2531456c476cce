"""Retention with frozen time, on SQLite and PostgreSQL: old content goes, the agreement row and a record stay."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import func, select

from agreement.retention import RetentionError, run_retention
from bot import actions
from bot.settings import Settings
from dialogs.main_dialog import MainDialog
from dialogs.texts import preparation as ptexts
from lederavtale.commands.retention import format_report
from scheduler.nightly import claim_night
from scheduler.retention_job import RetentionJob
from storage import bot_state
from storage.models import (
    Agreement,
    AgreementEvent,
    Answer,
    AnswerRevision,
    ArchiveExport,
    BotStateItem,
    DocumentCopy,
    DocumentOffer,
    DocumentVariant,
    Goal,
    GoalAction,
    Leader,
    Phase,
    RetentionDeletion,
    RetentionRun,
)
from tests.dialogs.harness import Chat, answers, joined, make_deps
from tests.support.factories import TEMPLATE_ID, make_pair

ZONE = ZoneInfo("Europe/Oslo")
#: Frozen "now": in 2026, with two years kept, agreements of 2023 and before are past keeping.
NOW = datetime(2026, 6, 1, 1, 0, tzinfo=timezone.utc)
MARKER = "HEMMELIG-SVAR-7f3a"
PLACE = "Lørenskog rådhus"


async def add_content(session_factory, agreement_id: int, author_id: int, *, signed: bool = False,
                      exported: bool = False) -> None:
    """Answers with revisions, a comment, a goal with an action, an event with detail, an offer, dialog state."""
    async with session_factory() as session, session.begin():
        agreement = await session.get(Agreement, agreement_id)
        answer = Answer(agreement_id=agreement_id, question_key="kompetanse", author_id=author_id,
                        phase=Phase.AGREEMENT, text=MARKER, revision=2)
        comment = Answer(agreement_id=agreement_id, question_key="gjennomgang.kommentar", author_id=author_id,
                         phase=Phase.AGREEMENT, text=MARKER + " kommentar")
        session.add_all([answer, comment])
        await session.flush()
        session.add_all([
            AnswerRevision(answer_id=answer.id, revision=1, text=MARKER + " v1", changed_by_id=author_id),
            AnswerRevision(answer_id=answer.id, revision=2, text=MARKER, changed_by_id=author_id),
            AnswerRevision(answer_id=comment.id, revision=1, text=MARKER + " kommentar", changed_by_id=author_id),
        ])
        goal = Goal(agreement_id=agreement_id, section_key="utvikling", phase=Phase.AGREEMENT, author_id=author_id,
                    title=MARKER + " mål")
        session.add(goal)
        await session.flush()
        session.add(GoalAction(goal_id=goal.id, text=MARKER + " tiltak"))
        session.add(AgreementEvent(agreement_id=agreement_id, kind="signed", actor_id=author_id,
                                   detail={"place": PLACE}))
        session.add(AgreementEvent(agreement_id=agreement_id, kind="planned", actor_id=author_id, detail={}))
        session.add(DocumentOffer(token_hash=f"{agreement_id:064d}", kind="link", leader_id=author_id,
                                  agreement_id=agreement_id, expires_at=NOW + timedelta(minutes=10)))
        if signed:
            agreement.superior_signed_at = agreement.subordinate_signed_at = datetime(
                agreement.year, 2, 20, tzinfo=timezone.utc)
            agreement.superior_sign_place = agreement.subordinate_sign_place = PLACE
            agreement.superior_sign_date = agreement.subordinate_sign_date = date(agreement.year, 2, 20)
        if exported:
            copy = DocumentCopy(agreement_id=agreement_id, variant=DocumentVariant.ARCHIVE, channel="archive export",
                                sha256="0" * 64)
            session.add(copy)
            await session.flush()
            session.add(ArchiveExport(agreement_id=agreement_id, stage="signed", folder="x", sha256="0" * 64,
                                      copy_id=copy.id))
        connection = await session.connection()
        await bot_state.write_state(connection, f"msteams/conversations/c-{agreement_id}/users/u",
                                    {"DialogState": {"options": {"agreement_id": agreement_id}}},
                                    etag=None, shown=None)


async def content_of(session_factory, agreement_id: int) -> dict[str, int]:
    """How many rows of content the agreement holds (and whether its event details or places are set)."""
    async with session_factory() as session:
        def count(statement):
            return session.scalar(select(func.count()).select_from(statement.subquery()))

        answer_ids = select(Answer.id).where(Answer.agreement_id == agreement_id)
        goal_ids = select(Goal.id).where(Goal.agreement_id == agreement_id)
        details = (await session.scalars(select(AgreementEvent.detail)
                                         .where(AgreementEvent.agreement_id == agreement_id))).all()
        agreement = await session.get(Agreement, agreement_id)
        states = await bot_state.states_naming(await session.connection(), {agreement_id})
        return {
            "answers": await count(answer_ids),
            "revisions": await count(select(AnswerRevision.id).where(AnswerRevision.answer_id.in_(answer_ids))),
            "goals": await count(goal_ids),
            "actions": await count(select(GoalAction.id).where(GoalAction.goal_id.in_(goal_ids))),
            "details": sum(1 for detail in details if detail),
            "events": len(details),
            "offers": await count(select(DocumentOffer.token_hash).where(DocumentOffer.agreement_id == agreement_id)),
            "places": int(bool(agreement.superior_sign_place or agreement.subordinate_sign_place)),
            "states": len(states),
        }


async def deletion(session_factory, agreement_id: int) -> RetentionDeletion | None:
    async with session_factory() as session:
        return await session.scalar(select(RetentionDeletion).where(RetentionDeletion.agreement_id == agreement_id))


async def retain(session_factory, **options):
    options.setdefault("retention_years", 2)
    options.setdefault("idle_days", 30)
    return await run_retention(session_factory, datetime.now(timezone.utc), ZONE, **options)


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
async def years(session_factory, frozen):
    """The pair's agreements of 2023 (past keeping) and one of 2024 (kept), each with content."""
    pair = await make_pair(session_factory, year=2023)
    async with session_factory() as session, session.begin():
        recent = Agreement(year=2024, template_id=TEMPLATE_ID, superior_id=pair.superior, subordinate_id=pair.subordinate)
        session.add(recent)
        await session.flush()
        recent_id = recent.id
    for agreement_id in (pair.agreement, recent_id):
        await add_content(session_factory, agreement_id, pair.subordinate)
    return pair, recent_id


async def test_content_older_than_the_setting_is_gone_and_the_row_and_record_remain(session_factory, years) -> None:
    pair, recent = years
    async with session_factory() as session, session.begin():  # she left: her agreements stay until retention
        (await session.get(Leader, pair.subordinate)).active = False
    report = await retain(session_factory)
    assert report.last_year == 2023
    assert {c.agreement_id for c in report.deleted} == {pair.agreement, pair.other_agreement, pair.top_agreement}
    assert await content_of(session_factory, pair.agreement) == {
        "answers": 0, "revisions": 0, "goals": 0, "actions": 0, "details": 0, "events": 2, "offers": 0,
        "places": 0, "states": 0}
    # The agreement of 2024 (same leader, who left) keeps everything.
    assert await content_of(session_factory, recent) == {
        "answers": 2, "revisions": 3, "goals": 1, "actions": 1, "details": 1, "events": 2, "offers": 1,
        "places": 0, "states": 1}
    async with session_factory() as session:
        row = await session.get(Agreement, pair.agreement)
        assert row is not None and row.year == 2023 and row.subordinate_id == pair.subordinate
        kinds = sorted((await session.scalars(select(AgreementEvent.kind)
                                              .where(AgreementEvent.agreement_id == pair.agreement))).all())
        assert kinds == ["planned", "signed"]
    record = await deletion(session_factory, pair.agreement)
    assert record.counts == {"answers": 1, "comments": 1, "answer_revisions": 3, "goals": 1, "goal_actions": 1,
                             "event_details": 1, "sign_places": 0, "dialog_states": 1, "document_offers": 1}
    assert not record.forced and record.reason is None
    assert record.deleted_at.replace(tzinfo=timezone.utc) == NOW  # SQLite gives it back naive
    # Run again: nothing more to do, no second record.
    again = await retain(session_factory)
    assert again.deleted == [] and again.kept == []
    async with session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(RetentionDeletion)) == 3


async def test_an_unexported_signed_agreement_is_kept_unless_forced(session_factory, frozen) -> None:
    pair = await make_pair(session_factory, year=2023)
    await add_content(session_factory, pair.agreement, pair.subordinate, signed=True)
    await add_content(session_factory, pair.other_agreement, pair.colleague, signed=True, exported=True)
    report = await retain(session_factory)
    assert [c.agreement_id for c in report.kept] == [pair.agreement]
    assert pair.other_agreement in {c.agreement_id for c in report.deleted}
    assert (await content_of(session_factory, pair.agreement))["answers"] == 2
    assert await deletion(session_factory, pair.agreement) is None
    assert (await content_of(session_factory, pair.other_agreement))["places"] == 0
    with pytest.raises(RetentionError):
        await retain(session_factory, force=True, reason="  ")
    forced = await retain(session_factory, force=True, reason="Arkivert manuelt i sak 2024/123")
    assert [c.agreement_id for c in forced.deleted] == [pair.agreement]
    record = await deletion(session_factory, pair.agreement)
    assert record.forced and record.reason == "Arkivert manuelt i sak 2024/123"
    assert record.counts["sign_places"] == 2
    assert (await content_of(session_factory, pair.agreement))["answers"] == 0
    async with session_factory() as session:  # the signing dates stay
        row = await session.get(Agreement, pair.agreement)
        assert row.superior_signed_at is not None and row.subordinate_sign_date == date(2023, 2, 20)


async def test_a_dry_run_changes_nothing_and_shows_no_content(session_factory, years) -> None:
    pair, recent = years
    async with session_factory() as session, session.begin():
        await session.execute(BotStateItem.__table__.update().values(updated_at=NOW - timedelta(days=40)))
    before = {agreement: await content_of(session_factory, agreement) for agreement in (pair.agreement, recent)}
    report = await retain(session_factory, dry_run=True)
    assert {c.agreement_id for c in report.deleted} >= {pair.agreement}
    assert report.idle_cleared == 2
    after = {agreement: await content_of(session_factory, agreement) for agreement in (pair.agreement, recent)}
    assert after == before
    async with session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(RetentionDeletion)) == 0
        assert await session.scalar(select(func.count()).select_from(BotStateItem)) == 2
    shown = format_report(report, Settings(retention_years=2))
    assert "Megan Bowen" in shown and "Alex Wilber" in shown and "2023" in shown and str(pair.agreement) in shown
    assert "2 svar" in shown or "1 svar" in shown
    assert MARKER not in shown and PLACE not in shown and "ingenting er endret" in shown


async def test_two_schedulers_delete_once(session_factory, years) -> None:
    pair, _recent = years
    settings = Settings(retention_years=2, retention_nightly=True)
    jobs = [RetentionJob(settings, session_factory, f"prosess-{n}") for n in range(2)]
    reports = await asyncio.gather(*(job.run_night(NOW) for job in jobs))
    ran = [report for report in reports if report is not None]
    assert len(ran) == 1 and len(ran[0].deleted) == 3
    async with session_factory() as session:
        runs = (await session.scalars(select(RetentionRun))).all()
        assert len(runs) == 1 and runs[0].finished_at is not None and runs[0].summary["deleted"] == 3
        assert await session.scalar(select(func.count()).select_from(RetentionDeletion)) == 3
    # The same night again is claimed already; the next night finds nothing left to delete.
    assert await jobs[0].run_night(NOW + timedelta(hours=1)) is None
    assert (await jobs[1].run_night(NOW + timedelta(days=1))).deleted == []


async def test_two_runs_at_once_record_each_agreement_once(session_factory, years) -> None:
    """Without the night's claim too (the command line beside the scheduler): the record's unique key decides."""
    reports = await asyncio.gather(retain(session_factory), retain(session_factory))
    assert sum(len(report.deleted) for report in reports) == 3
    async with session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(RetentionDeletion)) == 3


async def test_two_claims_of_one_night_at_once(session_factory, frozen) -> None:
    results = await asyncio.gather(*(claim_night(session_factory, RetentionRun, date(2026, 6, 1), f"p{n}", NOW) for n in range(4)))
    assert sorted(results) == [False, False, False, True]


async def test_an_idle_conversation_starts_from_the_menu_and_keeps_its_answers(session_factory) -> None:
    pair = await make_pair(session_factory)
    deps = make_deps()

    chat = Chat(MainDialog(deps), pair.subordinate, session_factory)
    with time_machine.travel(datetime(2026, 2, 2, 8, 0, tzinfo=timezone.utc), tick=False):
        replies = await chat.submit(actions.submit_data(actions.PREPARE, pair.agreement))
        await chat.press(replies, ptexts.GO_TO_QUESTIONS)
        replies = await chat.say(MARKER)
        assert "2 av 11" in joined(replies)  # in the middle of the preparation
        assert chat.dialog_state is not None and chat.dialog_state.dialog_stack
    saved = await answers(session_factory, pair.agreement, Phase.PREPARATION, pair.subordinate)
    assert MARKER in saved.values()
    with time_machine.travel(datetime(2026, 2, 20, 8, 0, tzinfo=timezone.utc), tick=False):
        assert (await retain(session_factory)).idle_cleared == 0  # 18 days: not idle yet
    with time_machine.travel(datetime(2026, 3, 10, 8, 0, tzinfo=timezone.utc), tick=False):
        assert (await retain(session_factory)).idle_cleared == 1
        replies = await chat.say("hei")
    assert "Lederavtalene dine 2026" in joined(replies) and "1 av 11 besvart" in joined(replies)
    assert "2 av 11" not in joined(replies)  # the question it waited on is not asked again
    assert await answers(session_factory, pair.agreement, Phase.PREPARATION, pair.subordinate) == saved


async def test_the_command_lists_and_deletes_and_refuses_force_without_reason(sqlite_url, monkeypatch, capsys) -> None:
    from lederavtale.cli import main
    from storage.db import create_engine, create_session_factory

    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    for name in ("MicrosoftAppId", "MicrosoftAppPassword", "MicrosoftAppType", "MicrosoftAppTenantId"):
        monkeypatch.delenv(name, raising=False)
    engine = create_engine(sqlite_url)
    factory = create_session_factory(engine)
    try:
        with time_machine.travel(NOW, tick=False):
            pair = await make_pair(factory, year=2023)
            await add_content(factory, pair.agreement, pair.subordinate, signed=True)
            capsys.readouterr()
            assert await asyncio.to_thread(main, ["retention", "--dry-run"]) == 0
            out = capsys.readouterr().out
            assert "Prøvekjøring" in out and "Beholdt: signert, men aldri eksportert" in out
            assert "Megan Bowen" in out and MARKER not in out and PLACE not in out
            assert await content_of(factory, pair.agreement) != await content_of(factory, pair.other_agreement)
            with pytest.raises(SystemExit):
                await asyncio.to_thread(main, ["retention", "--force"])
            assert "--force krever --reason" in capsys.readouterr().err
            with pytest.raises(SystemExit):
                await asyncio.to_thread(main, ["retention", "--reason", "x"])
            assert await asyncio.to_thread(main, ["retention"]) == 0
            out = capsys.readouterr().out
            assert "Innholdet slettet (2)" in out and "Beholdt" in out
            assert (await content_of(factory, pair.agreement))["answers"] == 2
            assert await asyncio.to_thread(main, ["retention", "--force", "--reason", "Papirkopi i arkivet"]) == 0
            assert "Innholdet slettet (1)" in capsys.readouterr().out
            assert (await content_of(factory, pair.agreement))["answers"] == 0
            assert (await deletion(factory, pair.agreement)).run_by == "command line"
    finally:
        await engine.dispose()


def test_the_settings_and_the_nightly_job_are_off_by_default() -> None:
    from scheduler.service import ReminderScheduler

    defaults = Settings.from_env({})
    assert (defaults.retention_years, defaults.dialog_idle_days, defaults.retention_nightly) == (2, 30, False)
    tuned = Settings.from_env({"LEDERAVTALE_RETENTION_YEARS": "0", "LEDERAVTALE_DIALOG_IDLE_DAYS": "7",
                               "LEDERAVTALE_RETENTION_NIGHTLY": "true",
                               "LEDERAVTALE_RETENTION_HOUR": "4"})
    assert (tuned.retention_years, tuned.dialog_idle_days, tuned.retention_nightly, tuned.retention_hour) == (0, 7, True, 4)
    for variable, value in (("LEDERAVTALE_RETENTION_YEARS", "-1"), ("LEDERAVTALE_DIALOG_IDLE_DAYS", "0"),
                            ("LEDERAVTALE_RETENTION_HOUR", "24")):
        with pytest.raises(Exception, match=variable):
            Settings.from_env({variable: value})
    assert ReminderScheduler(defaults, None, None).retention is None
    assert ReminderScheduler(tuned, None, None).retention is not None
