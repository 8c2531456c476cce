"""Command line for reminders, the calendar and the stand-alone scheduler.

``lederavtale reminders plan|send|log|unreachable``, ``lederavtale calendar show|set`` and
``lederavtale scheduler``. The output names leaders and agreements, never what was written.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
from collections.abc import Sequence
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from agreement.calendar import (
    DEADLINE_KEYS,
    DEFAULT_DATES,
    KEYS,
    SEND_TIME_KEY,
    CalendarError,
    ReminderCalendar,
    is_working_day,
    load_calendar,
    parse_assignments,
    public_holiday,
    set_calendar,
)
from bot.adapter import open_outbound
from bot.installation import NOT_IN_CATALOG
from bot.settings import Settings
from lederavtale.commands import texts as cli_texts
from lederavtale.commands.common import (
    add_date_argument,
    add_year_argument,
    write_refusal,
    write_result,
    year_of,
)
from lederavtale.gc_tuning import tune_for_service
from scheduler import texts
from scheduler.planner import Message, RetryPolicy, Snapshot, as_utc
from scheduler.service import ReminderScheduler
from scheduler.sweep import SweepReport, Sweeper, plan_due
from storage.db import open_database
from storage.models import Agreement, AppInstallation, ConversationRef, Leader, ReminderLog, ReminderStatus

logger = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``reminders``, ``calendar`` and ``scheduler`` to the ``lederavtale`` command."""
    reminders = subparsers.add_parser("reminders", help=cli_texts.REMINDERS_HELP)
    sub = reminders.add_subparsers(dest="reminders_command", required=True)
    plan = sub.add_parser("plan", help=cli_texts.REMINDERS_PLAN_HELP)
    add_date_argument(plan)
    plan.set_defaults(handler=plan_command)
    send = sub.add_parser("send", help=cli_texts.REMINDERS_SEND_HELP)
    add_date_argument(send)
    send.add_argument("--dry-run", action="store_true", help=cli_texts.REMINDERS_DRY_RUN_HELP)
    send.set_defaults(handler=send_command)
    log = sub.add_parser("log", help=cli_texts.REMINDERS_LOG_HELP)
    add_year_argument(log)
    log.add_argument(
        "--status", choices=[status.value for status in ReminderStatus], help=cli_texts.REMINDERS_STATUS_HELP
    )
    log.set_defaults(handler=log_command)
    unreachable = sub.add_parser("unreachable", help=cli_texts.REMINDERS_UNREACHABLE_HELP)
    unreachable.set_defaults(handler=unreachable_command)

    calendar = subparsers.add_parser("calendar", help=cli_texts.CALENDAR_HELP)
    calendar_sub = calendar.add_subparsers(dest="calendar_command", required=True)
    show = calendar_sub.add_parser("show", help=cli_texts.CALENDAR_SHOW_HELP)
    add_year_argument(show)
    show.set_defaults(handler=calendar_show_command)
    change = calendar_sub.add_parser("set", help=cli_texts.CALENDAR_SET_HELP)
    add_year_argument(change)
    change.add_argument(
        "assignments", nargs="+", metavar=cli_texts.ASSIGNMENT_METAVAR,
        help=cli_texts.CALENDAR_KEYS_HELP.format(keys=", ".join(KEYS)),
    )
    change.set_defaults(handler=calendar_set_command)

    scheduler = subparsers.add_parser("scheduler", help=cli_texts.SCHEDULER_HELP)
    scheduler.set_defaults(handler=scheduler_command, service=True)


def _zone(settings: Settings) -> ZoneInfo:
    return ZoneInfo(settings.timezone)


def _today(settings: Settings) -> date:
    return datetime.now(_zone(settings)).date()


async def moment_for(session_factory: async_sessionmaker[AsyncSession], settings: Settings, day: date | None) -> datetime:
    """The time a command acts at: now for today (but not before the sending time), else the day's sending time."""
    today = _today(settings)
    day = day or today
    async with session_factory() as session:
        calendar = await load_calendar(session, day.year, settings.timezone)
    send_at = calendar.send_moment(day)
    if day == today:
        return max(datetime.now(timezone.utc), send_at.astimezone(timezone.utc))
    return send_at.astimezone(timezone.utc)


def _day_note(day: date) -> str | None:
    if is_working_day(day):
        return None
    holiday = public_holiday(day)
    why = texts.CLI_HOLIDAY.format(name=holiday) if holiday else texts.CLI_WEEKEND
    return texts.CLI_DAY_OFF.format(day=day.isoformat(), why=why)


def format_plan(messages: Sequence[Message], snapshot: Snapshot, day: date) -> str:
    """One line per reminder: recipient, kind and the agreement's pair (names only)."""
    lines = [texts.CLI_PLAN_HEADER.format(day=day.isoformat(), count=len(messages))]
    note = _day_note(day)
    if note:
        lines.append(note)
    for message in messages:
        leader = snapshot.leaders[message.recipient_id]
        reach = "" if leader.reachable else f"  ({texts.CLI_UNREACHABLE})"
        lines.append(f"{leader.name} [{leader.id}]{reach}")
        for item in message.items:
            agreement = snapshot.agreement(item.agreement_id)
            pair = f"{snapshot.leaders[agreement.superior_id].name} – {snapshot.leaders[agreement.subordinate_id].name}"
            late = f", {texts.CLI_DUE} {item.due_date.isoformat()}" if item.due_date != day else ""
            retry = f", {texts.CLI_RETRY}" if item.retry_of is not None else ""
            lines.append(f"  - {texts.KIND_LABELS[item.kind.value]}: {pair} [{agreement.id}]{late}{retry}")
    return "\n".join(lines)


async def plan_command(args: argparse.Namespace, settings: Settings) -> int:
    """``reminders plan --date``."""
    async with open_database(settings.database_url) as (_engine, session_factory):
        try:
            now = await moment_for(session_factory, settings, args.date)
            snapshot, messages = await plan_due(session_factory, settings, now)
        except CalendarError as exc:
            write_refusal(str(exc))
            return 2
    write_result(format_plan(messages, snapshot, now.astimezone(_zone(settings)).date()))
    return 0


def format_report(report: SweepReport) -> str:
    """The counts of a send."""
    return texts.CLI_SEND_REPORT.format(
        planned=report.planned, sent=report.sent, unreachable=report.unreachable,
        failed=report.failed, skipped=report.skipped,
    )


async def send_command(args: argparse.Namespace, settings: Settings) -> int:
    """``reminders send --date [--dry-run]``."""
    async with open_database(settings.database_url) as (_engine, session_factory):
        try:
            now = await moment_for(session_factory, settings, args.date)
        except CalendarError as exc:
            write_refusal(str(exc))
            return 2
        day = now.astimezone(_zone(settings)).date()
        async with open_outbound(settings, session_factory) as outbound:
            sweeper = Sweeper(settings, session_factory, outbound.sender)
            report = await sweeper.run(now, dry_run=args.dry_run)
            # The planning snapshot: an agreement changed during the send is still listed.
            snapshot = report.snapshot or await sweeper.snapshot(now)
    result = format_plan(report.messages, snapshot, day)
    if not args.dry_run:
        result = f"{result}\n{format_report(report)}"
    write_result(result)
    return 1 if report.failed else 0


def _log_status(row: ReminderLog, now: datetime, policy: RetryPolicy) -> str:
    if row.status is ReminderStatus.CLAIMED:
        if row.attempts > 0 and as_utc(row.claimed_at) <= now - policy.stale_claim_after:
            return texts.CLI_STATUS_UNCERTAIN
        return texts.CLI_STATUS["claimed"]
    return texts.CLI_STATUS[row.status.value]


async def log_command(args: argparse.Namespace, settings: Settings) -> int:
    """``reminders log [--year] [--status]``."""
    year = year_of(args, settings)
    zone = _zone(settings)
    now = datetime.now(timezone.utc)
    async with open_database(settings.database_url) as (_engine, session_factory):
        async with session_factory() as session:
            names = dict((await session.execute(select(Leader.id, Leader.name))).all())
            query = (
                select(ReminderLog, Agreement.superior_id, Agreement.subordinate_id)
                .join(Agreement, Agreement.id == ReminderLog.agreement_id)
                .where(Agreement.year == year)
                .order_by(ReminderLog.due_date, ReminderLog.kind, ReminderLog.recipient_id, ReminderLog.id)
            )
            if args.status:
                query = query.where(ReminderLog.status == ReminderStatus(args.status))
            rows = (await session.execute(query)).all()
    if not rows:
        write_result(texts.CLI_LOG_EMPTY.format(year=year))
        return 0
    header = texts.CLI_LOG_COLUMNS
    table = [header]
    for row, superior_id, subordinate_id in rows:
        when = as_utc(row.sent_at or row.claimed_at).astimezone(zone).strftime("%d.%m.%Y %H:%M")
        kind = texts.KIND_LABELS.get(row.kind, row.kind)
        table.append((
            row.due_date.isoformat(), kind, f"{names.get(row.recipient_id, '?')} [{row.recipient_id}]",
            f"{names.get(superior_id, '?')} – {names.get(subordinate_id, '?')} [{row.agreement_id}]",
            _log_status(row, now, RetryPolicy()), str(row.attempts), when, row.error or "",
        ))
    write_result(_table(table))
    return 0


async def unreachable_command(args: argparse.Namespace, settings: Settings) -> int:
    """``reminders unreachable``: active leaders without a working conversation with the bot."""
    zone = _zone(settings)
    async with open_database(settings.database_url) as (_engine, session_factory):
        async with session_factory() as session:
            rows = (
                await session.execute(
                    select(Leader.id, Leader.name, Leader.email, ConversationRef.reachable,
                           ConversationRef.unreachable_reason, ConversationRef.unreachable_at,
                           AppInstallation.status, AppInstallation.reason, AppInstallation.attempted_at)
                    .outerjoin(ConversationRef, ConversationRef.leader_id == Leader.id)
                    .outerjoin(AppInstallation, AppInstallation.leader_id == Leader.id)
                    .where(Leader.active.is_(True))
                    .order_by(Leader.name, Leader.id)
                )
            ).all()
            missed: dict[int, int] = {}
            for recipient_id in (
                await session.scalars(select(ReminderLog.recipient_id).where(ReminderLog.status == ReminderStatus.UNREACHABLE))
            ).all():
                missed[recipient_id] = missed.get(recipient_id, 0) + 1
    table = [texts.CLI_UNREACHABLE_COLUMNS]
    for leader_id, name, email, reachable, reason, since, install_status, install_reason, attempted_at in rows:
        if reachable:
            continue
        if install_status in ("blocked", "failed") and (
            install_status == "blocked" or since is None or as_utc(attempted_at) >= as_utc(since)
        ):
            # The latest install attempt came after the bot lost the leader: it says why they are still lost.
            key = NOT_IN_CATALOG if install_reason == NOT_IN_CATALOG else install_status
            why = texts.CLI_INSTALL_REASONS[key].format(reason=install_reason or "-")
        else:
            why = texts.CLI_REASON_AND_STATE.format(
                reason=texts.CLI_REASONS.get(reason or "no_reference", reason or ""),
                state=texts.CLI_INSTALL_STATE[_install_state(settings)],
            )
        when = as_utc(since).astimezone(zone).strftime("%d.%m.%Y") if since else "-"
        table.append((f"{name} [{leader_id}]", email, why, when, str(missed.get(leader_id, 0))))
    if len(table) == 1:
        write_result(texts.CLI_ALL_REACHABLE)
        return 0
    write_result(f"{texts.CLI_UNREACHABLE_HEADER.format(count=len(table) - 1)}\n{_table(table)}")
    return 0


def _install_state(settings: Settings) -> str:
    """Whether the bot installs its app for unreachable leaders, and if not, why."""
    if settings.install_enabled:
        return "pending"
    return "switched_off" if settings.graph_configured else "not_configured"


async def calendar_show_command(args: argparse.Namespace, settings: Settings) -> int:
    """``calendar show [--year]``."""
    year = year_of(args, settings)
    try:
        async with open_database(settings.database_url) as (_engine, session_factory):
            async with session_factory() as session:
                calendar = await load_calendar(session, year, settings.timezone)
    except CalendarError as exc:
        write_refusal(str(exc))
        return 2
    write_result(format_calendar(calendar))
    return 0


def _effective(key: str, configured: date, effective: date) -> str:
    """The day a reminder goes out (or a deadline falls), and what it was moved from."""
    template = texts.CLI_CALENDAR_DEADLINE if key in DEADLINE_KEYS else texts.CLI_CALENDAR_SENT
    when = template.format(day=texts.weekday_day_month(effective))
    if effective == configured:
        return when
    original = (
        texts.CLI_CALENDAR_MOVED_FROM_HOLIDAY if public_holiday(configured) else texts.WEEKDAYS[configured.weekday()]
    )
    return texts.CLI_CALENDAR_MOVED.format(when=when, original=original)


def format_calendar(calendar: ReminderCalendar) -> str:
    """The year's dates: as set, and the working day each reminder goes out (or deadline falls) on."""
    table = [texts.CLI_CALENDAR_COLUMNS]
    for key in DEFAULT_DATES:
        configured = calendar.configured[key]
        source = texts.CLI_OVERRIDDEN if key in calendar.overrides else texts.CLI_DEFAULT
        table.append((key, configured.isoformat(), _effective(key, configured, calendar.effective[key]), source))
    source = texts.CLI_OVERRIDDEN if SEND_TIME_KEY in calendar.overrides else texts.CLI_DEFAULT
    send_time = texts.CLI_CALENDAR_SEND_TIME.format(clock=texts.clock(calendar.send_moment(calendar.kickoff)))
    table.append((SEND_TIME_KEY, calendar.send_time.strftime("%H:%M"), send_time, source))
    return f"{texts.CLI_CALENDAR_HEADER.format(year=calendar.year, zone=calendar.timezone.key)}\n{_table(table)}"


async def calendar_set_command(args: argparse.Namespace, settings: Settings) -> int:
    """``calendar set [--year Y] KEY=VALUE ...``: validated whole, saved only if valid."""
    year = year_of(args, settings)
    try:
        updates = parse_assignments(args.assignments)
        async with open_database(settings.database_url) as (_engine, session_factory):
            async with session_factory() as session:
                calendar = await set_calendar(session, year, updates, settings.timezone)
                await session.commit()
    except CalendarError as exc:
        write_refusal(f"{texts.CLI_CALENDAR_REFUSED}\n{exc}")
        return 2
    write_result(format_calendar(calendar))
    return 0


async def scheduler_command(args: argparse.Namespace, settings: Settings) -> int:
    """``lederavtale scheduler``: sweep on a timer until SIGINT or SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    signals = (signal.SIGINT, signal.SIGTERM)
    for number in signals:
        loop.add_signal_handler(number, stop.set)
    try:
        async with open_database(settings.database_url) as (_engine, session_factory):
            async with open_outbound(settings, session_factory) as outbound:
                scheduler = ReminderScheduler(settings, session_factory, outbound.sender)
                scheduler.start()
                tune_for_service()
                logger.info("Scheduler running; stop with Ctrl+C or SIGTERM")
                try:
                    await stop.wait()
                finally:
                    await scheduler.shutdown()
    finally:
        for number in signals:
            loop.remove_signal_handler(number)
    return 0


def _table(rows: list[Sequence[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for index, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
        if index == 0:
            lines.append("  ".join("-" * width for width in widths))
    return "\n".join(lines)
