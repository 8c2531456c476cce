#!/usr/bin/env python
"""Turns per second: the real bot service's answer-saving dialog turn against a bare botbuilder echo bot.

Both bots run in their own process on 127.0.0.1 and reply through the same fake Bot Connector
(tests/support/fake_connector.py) that runs, with the load generator, in this process. N
conversations send their messages one after the other, all N at the same time; each request is
timed until the bot has answered it (the reply is posted to the connector inside the request).

* ``dialog``: ``lederavtale.app.create_app`` on a fresh SQLite file with demo-like leaders. Each turn
  identifies the leader, loads and saves dialog state inside the turn's transaction
  (``storage.bot_state``), saves the answer with ``agreement.answers.save_answer`` (a revision
  kept) and asks the next question.
  ``--dialog real`` drives the real preparation dialog instead (open the preparation, skip the
  reading, answer the first question; then from the preparation's overview, again and again, open a
  question and answer it): every turn is a real one, half of them save an answer.
  ``--database postgresql`` keeps the data in a throwaway PostgreSQL server instead of SQLite.
  The server runs as ``lederavtale serve`` runs it, garbage collector settings included
  (:mod:`lederavtale.gc_tuning`).
* ``echo``: the Bot Framework sample's shape: ``CloudAdapter(ConfigurationBotFrameworkAuthentication)``
  and an ``ActivityHandler`` that echoes, with no client reuse.

Besides turns/s and latency, each row shows the CPU time the bot's process spent per measured turn
(and what this process, the load generator and fake connector, spent): the box is shared, so the
bots' own CPU per turn is the steadier comparison. ``--floor`` adds the echo bot on this service's
adapter (clients reused, no database): the part of every turn that is web and Bot Framework.
``--profile PATH`` runs each bot under cProfile.

The bots take turns over ``--rounds`` rounds (their servers stay up), so that a busy spell on a
shared machine falls on every bot instead of on one bot's whole measurement; the ratio printed
is the median of the rounds' ratios.

Run: ``.venv/bin/python benchmarks/turns_benchmark.py [--conversations 16] [--turns 40] [--rounds 5]``
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import logging
import os
import signal
import statistics
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Callable
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
from aiohttp import web  # noqa: E402

from tests.support.fake_connector import FakeConnector  # noqa: E402
from tests.support.postgres import throwaway_database  # noqa: E402

TENANT = "00000000-0000-0000-0000-0000000000001"
BOT_ID = "28:lederavtale-benchmark"
QUESTION_KEYS = (
    "styringsbrev.bidrag",
    "styringsbrev.notat",
    "ledelsesutvikling.god_til",
    "ledelsesutvikling.utfordrende",
    "personell.fungerer",
    "personell.utfordringer",
    "personell.notat",
)

logger = logging.getLogger("turns_benchmark")


# --- the servers (each runs in a child process) ------------------------------------------
# The service is imported inside these functions on purpose: the echo bot's process then holds
# bare botbuilder only, and its garbage collector does not walk the service's modules.


def minimal_dialog_factory(session_factory, settings, notifier):
    """A one-flow dialog doing what a preparation turn does: save the answer, ask the next question."""
    from botbuilder.core import MessageFactory
    from botbuilder.dialogs import (
        ComponentDialog,
        PromptOptions,
        TextPrompt,
        WaterfallDialog,
        WaterfallStepContext,
    )
    from sqlalchemy import select

    from agreement.answers import save_answer
    from agreement.opening import flush, open_agreement
    from bot.turn import turn_session
    from lederavtale.app import DialogWiring
    from dialogs.flow import current_leader_id, set_leader
    from storage.models import Agreement, Phase

    year = datetime.now(ZoneInfo(settings.timezone)).year

    class AnswerDialog(ComponentDialog):
        def __init__(self) -> None:
            super().__init__("benchmark-preparation")
            self.add_dialog(TextPrompt("answer"))
            self.add_dialog(WaterfallDialog("question", [self.ask_step, self.save_step]))
            self.initial_dialog_id = "question"

        async def ask_step(self, step: WaterfallStepContext):
            options = step.options or {}
            if "agreement_id" not in options:
                options = {
                    "index": 0,
                    "agreement_id": await turn_session(step.context).scalar(
                        select(Agreement.id).where(
                            Agreement.year == year,
                            Agreement.subordinate_id == current_leader_id(step.context),
                        )
                    ),
                }
            step.values.update(options)
            key = QUESTION_KEYS[options["index"] % len(QUESTION_KEYS)]
            return await step.prompt("answer", PromptOptions(prompt=MessageFactory.text(f"Spørsmål: {key}")))

        async def save_step(self, step: WaterfallStepContext):
            leader_id = current_leader_id(step.context)
            key = QUESTION_KEYS[step.values["index"] % len(QUESTION_KEYS)]

            # As the flows do: in the turn's transaction, committed with the dialog position.
            session = turn_session(step.context)
            opened = await open_agreement(session, leader_id, step.values["agreement_id"])
            await save_answer(
                session, opened, key, Phase.PREPARATION, step.result, max_length=settings.max_answer_length,
            )
            await flush(session)
            return await step.replace_dialog(
                "question", {"index": step.values["index"] + 1, "agreement_id": step.values["agreement_id"]}
            )

    async def greet(turn_context, match) -> None:
        await turn_context.send_activity(MessageFactory.text(f"Hei, {match.name}!"))

    return DialogWiring(AnswerDialog(), set_leader, greet)


async def serve_dialog(database_url: str, which: str) -> web.Application:
    from lederavtale.app import create_app
    from bot.settings import Settings

    settings = Settings(database_url=database_url, scheduler_enabled=False)
    if which == "minimal":
        return create_app(settings, dialog_factory=minimal_dialog_factory)
    return create_app(settings)


def echo_app(adapter) -> web.Application:
    """An ``ActivityHandler`` that echoes, as in the Bot Framework samples, served through ``adapter``."""
    from botbuilder.core import ActivityHandler, MessageFactory, TurnContext

    class EchoBot(ActivityHandler):
        async def on_message_activity(self, turn_context: TurnContext):
            return await turn_context.send_activity(MessageFactory.text(f"Echo: {turn_context.activity.text}"))

    bot = EchoBot()

    async def messages(request: web.Request) -> web.Response:
        return await adapter.process(request, bot)

    app = web.Application()
    app.router.add_post("/api/messages", messages)
    return app


async def serve_echo() -> web.Application:
    """The Bot Framework samples' echo bot, built the way the samples build it."""
    from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication

    config = SimpleNamespace(APP_ID="", APP_PASSWORD="", APP_TYPE="MultiTenant", APP_TENANTID="")
    return echo_app(CloudAdapter(ConfigurationBotFrameworkAuthentication(config)))


async def serve_reusing_echo() -> web.Application:
    """The same echo bot on this service's adapter (Bot Connector clients reused), without a database.

    Not part of the comparison: it shows how much of a dialog turn is the web and Bot Framework
    floor that every turn pays.
    """
    from botbuilder.integration.aiohttp import CloudAdapter

    from bot.adapter import create_authentication
    from bot.settings import Settings

    return echo_app(CloudAdapter(create_authentication(Settings(database_url="sqlite://", scheduler_enabled=False))))


async def run_server(kind: str, database_url: str | None, dialog: str, profile: str | None = None) -> None:
    """Serve until SIGTERM; the chosen port goes to stdout as ``READY <port>``.

    With ``profile`` the server runs under cProfile from the first request on and writes its
    statistics there when it stops (read them with ``python -m pstats``).
    """
    logging.basicConfig(level=logging.WARNING)
    if kind == "echo":
        app = await serve_echo()
    elif kind == "floor":
        app = await serve_reusing_echo()
    else:
        app = await serve_dialog(database_url or "", dialog)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    if kind == "dialog":
        # As ``lederavtale serve`` runs the service once it has started.
        from lederavtale.gc_tuning import tune_for_service

        tune_for_service()
    print(f"READY {port}", flush=True)
    await stop.wait()
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(profile)
    await runner.cleanup()


# --- the data --------------------------------------------------------------------------


async def seed(database_url: str, conversations: int) -> list[int]:
    """A demo-like municipality: one superior, ``conversations`` leaders under them, and their agreements.

    Returns the agreement id of each conversation's leader.
    """
    agreement_ids: list[int] = []
    from agreement.template import default_template_id_for_year
    from storage.db import open_database
    from storage.models import Agreement, Leader

    year = datetime.now(ZoneInfo("Europe/Oslo")).year
    template_id = default_template_id_for_year(year)
    async with open_database(database_url) as (_engine, session_factory):
        async with session_factory() as session:
            top = Leader(name="Patti Fernandez", email="pattif@example.com", aad_object_id="aad-top", unit="Kommunedirektøren")
            session.add(top)
            await session.flush()
            for index in range(conversations):
                leader = Leader(
                    name=f"Leder {index}",
                    email=f"leder{index}@example.com",
                    aad_object_id=f"aad-{index}",
                    unit=f"Enhet {index}",
                    superior_id=top.id,
                )
                session.add(leader)
                await session.flush()
                agreement = Agreement(year=year, template_id=template_id, superior_id=top.id, subordinate_id=leader.id)
                session.add(agreement)
                await session.flush()
                agreement_ids.append(agreement.id)
            await session.commit()
    return agreement_ids


#: The real preparation dialog, turn by turn after the first ("hei": greeting and menu): open the
#: preparation, skip the reading, answer the first question, and open the preparation again (begun,
#: it opens in its overview) ...
REAL_START = ("prepare", "nei", "answer", "prepare")
#: ... then, from the overview, again and again: open the first question alone, answer it (back to
#: the overview), open the second, answer it.
REAL_CYCLE = ("1", "answer", "2", "answer")


def real_step(turn: int) -> str:
    """What turn ``turn`` (from 1) of a conversation with the real dialog does."""
    if turn <= len(REAL_START):
        return REAL_START[turn - 1]
    return REAL_CYCLE[(turn - len(REAL_START) - 1) % len(REAL_CYCLE)]


def saving_turns(dialog: str, turns: int) -> int:
    """How many of a conversation's first ``turns`` turns save an answer."""
    if dialog == "minimal":
        return max(0, turns - 1)
    return sum(1 for turn in range(1, turns) if real_step(turn) == "answer")


def activity_maker(
    service_url: str, dialog: str = "minimal", agreement_ids: list[int] | None = None
) -> Callable[[int, int], dict[str, Any]]:
    counter = itertools.count()

    def make(conversation: int, turn: int) -> dict[str, Any]:
        activity = base(conversation, turn)
        if dialog == "real" and turn > 0:
            step = real_step(turn)
            if step == "prepare":
                del activity["text"]
                activity["value"] = {"action": "prepare", "agreement_id": (agreement_ids or [])[conversation]}
            elif step != "answer":
                activity["text"] = step
        return activity

    def base(conversation: int, turn: int) -> dict[str, Any]:
        return {
            "type": "message",
            "id": f"activity-{next(counter)}",
            "channelId": "msteams",
            "serviceUrl": service_url,
            "from": {"id": f"29:user-{conversation}", "name": f"Leder {conversation}", "aadObjectId": f"aad-{conversation}"},
            "recipient": {"id": BOT_ID, "name": "Lederavtale"},
            "conversation": {"id": f"a:conversation-{conversation}", "conversationType": "personal", "tenantId": TENANT},
            "channelData": {"tenant": {"id": TENANT}},
            "locale": "nb-NO",
            "text": f"Svar nummer {turn} fra leder {conversation}: vi jobber videre med målene i styringsbrevet.",
        }

    return make


# --- the load --------------------------------------------------------------------------


def process_cpu_seconds(pid: int) -> float | None:
    """User plus system CPU time of a process so far (Linux ``/proc``), or None elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


@dataclass
class Result:
    name: str
    turns: int
    seconds: float
    latencies: list[float]
    #: CPU seconds the bot's process spent on the measured turns (None where it cannot be read).
    server_cpu: float | None = None
    #: CPU seconds this process (load generator and fake connector) spent on them.
    client_cpu: float | None = None

    def cpu_ms(self, seconds: float | None) -> str:
        return "n/a" if seconds is None else f"{seconds / self.turns * 1000:.2f}"

    @property
    def per_second(self) -> float:
        return self.turns / self.seconds

    def percentile(self, fraction: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


async def drive(url: str, make: Callable[[int, int], dict[str, Any]], conversations: int, first_turn: int, turns: int) -> tuple[float, list[float]]:
    latencies: list[float] = []
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as http:

        async def conversation(index: int) -> None:
            for turn in range(first_turn, first_turn + turns):
                body = make(index, turn)
                started = time.perf_counter()
                async with http.post(url, json=body) as response:
                    await response.read()
                    if response.status not in (200, 201):
                        raise RuntimeError(f"{url} answered {response.status}")
                latencies.append(time.perf_counter() - started)

        started = time.perf_counter()
        await asyncio.gather(*(conversation(index) for index in range(conversations)))
        return time.perf_counter() - started, latencies


async def start_server(
    kind: str, database_url: str | None, dialog: str, profile: str | None = None
) -> tuple[asyncio.subprocess.Process, int]:
    command = [sys.executable, str(Path(__file__).resolve()), "_serve", kind, "--dialog", dialog]
    if database_url:
        command += ["--database-url", database_url]
    if profile:
        command += ["--profile", profile]
    process = await asyncio.create_subprocess_exec(*command, stdout=asyncio.subprocess.PIPE, cwd=str(ROOT))
    assert process.stdout is not None
    line = (await asyncio.wait_for(process.stdout.readline(), 60)).decode().strip()
    if not line.startswith("READY "):
        process.terminate()
        await process.wait()
        raise RuntimeError(f"the {kind} server did not start")
    return process, int(line.split()[1])


async def stop_server(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), 30)
        except asyncio.TimeoutError:
            process.kill()
            await process.wait()


@dataclass
class Bot:
    """One bot's server process, measured round after round."""

    name: str
    kind: str
    process: asyncio.subprocess.Process
    url: str
    make: Callable[[int, int], dict[str, Any]]
    results: list[Result] = field(default_factory=list)
    next_turn: int = 0


async def start_bot(
    name: str, kind: str, fake: FakeConnector, args: argparse.Namespace, database_url: str | None,
    agreement_ids: list[int],
) -> Bot:
    profile = None
    if args.profile:
        target = Path(args.profile).resolve()
        target.parent.mkdir(parents=True, exist_ok=True)
        profile = f"{target}.{kind}.prof"
    process, port = await start_server(kind, database_url, args.dialog, profile)
    make = activity_maker(fake.url, args.dialog if kind == "dialog" else "minimal", agreement_ids)
    bot = Bot(name, kind, process, f"http://127.0.0.1:{port}/api/messages", make)
    await drive(bot.url, make, args.conversations, 0, args.warmup)
    bot.next_turn = args.warmup
    return bot


async def measure_round(bot: Bot, args: argparse.Namespace) -> Result:
    """Drive ``args.turns`` more turns per conversation and time them."""
    server_before, client_before = process_cpu_seconds(bot.process.pid), time.process_time()
    seconds, latencies = await drive(bot.url, bot.make, args.conversations, bot.next_turn, args.turns)
    server_after, client_after = process_cpu_seconds(bot.process.pid), time.process_time()
    bot.next_turn += args.turns
    server_cpu = None if server_before is None or server_after is None else server_after - server_before
    result = Result(bot.name, len(latencies), seconds, latencies, server_cpu, client_after - client_before)
    bot.results.append(result)
    return result


def combined(results: list[Result]) -> Result:
    """All rounds of one bot as one result (turns, time, latencies and CPU added up)."""
    cpu = [r.server_cpu for r in results]
    return Result(
        results[0].name,
        sum(r.turns for r in results),
        sum(r.seconds for r in results),
        [latency for r in results for latency in r.latencies],
        None if None in cpu else sum(cpu),
        sum(r.client_cpu or 0.0 for r in results),
    )


async def saved_revisions(database_url: str) -> int:
    from sqlalchemy import func, select

    from storage.db import open_database
    from storage.models import AnswerRevision

    async with open_database(database_url, migrate=False) as (_engine, session_factory):
        async with session_factory() as session:
            return await session.scalar(select(func.count()).select_from(AnswerRevision))


async def run(args: argparse.Namespace) -> int:
    with throwaway_database(args.database, "turns-benchmark-") as database_url:
        agreement_ids = await seed(database_url, args.conversations)
        async with FakeConnector() as fake:
            specs = [("echo (bare botbuilder)", "echo"), (f"dialog turn ({args.dialog})", "dialog")]
            if args.floor:
                specs.append(("echo, clients reused", "floor"))
            bots: list[Bot] = []
            try:
                for name, kind in specs:
                    bots.append(await start_bot(name, kind, fake, args, database_url if kind == "dialog" else None, agreement_ids))
                # The bots take turns, round after round: a busy spell on this shared machine then
                # falls on all of them rather than on one bot's whole measurement.
                for _round in range(args.rounds):
                    for bot in bots:
                        await measure_round(bot, args)
            finally:
                for bot in bots:
                    await stop_server(bot.process)
            expected = len(bots) * args.conversations * (args.warmup + args.rounds * args.turns)
            if len(fake.activities) < expected:
                raise RuntimeError(f"{len(fake.activities)} replies for {expected} turns")
        # Every answer-saving turn must have left a revision.
        saved = await saved_revisions(database_url)
        expected_saved = args.conversations * saving_turns(args.dialog, args.warmup + args.rounds * args.turns)
    echo, dialog = bots[0], bots[1]
    print(f"{args.conversations} concurrent conversations, {args.rounds} rounds of {args.turns} measured turns each "
          f"(after {args.warmup} warm-up turns), one process per bot, {os.cpu_count()} CPUs, "
          f"dialog state and answers in {args.database}")
    print(f"{'':26} {'turns/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'bot CPU ms/turn':>16} {'client CPU ms/turn':>19}")
    for bot in bots:
        result = combined(bot.results)
        print(f"{result.name:26} {result.per_second:9.0f} {result.percentile(0.5) * 1000:8.1f} "
              f"{result.percentile(0.99) * 1000:8.1f} {result.cpu_ms(result.server_cpu):>16} "
              f"{result.cpu_ms(result.client_cpu):>19}")
    ratios = [d.per_second / e.per_second for e, d in zip(echo.results, dialog.results)]
    print(f"dialog / echo throughput: {statistics.median(ratios):.2f}x, the median of {len(ratios)} rounds "
          f"({', '.join(f'{r:.2f}' for r in ratios)}); target 3x")
    cpu_ratios = [
        (e.server_cpu / e.turns) / (d.server_cpu / d.turns)
        for e, d in zip(echo.results, dialog.results)
        if e.server_cpu and d.server_cpu
    ]
    if cpu_ratios:
        # The load generator shares the machine: the bots' own CPU per turn is the steadier figure.
        print(f"dialog / echo by the bot process's CPU per turn: {statistics.median(cpu_ratios):.2f}x (median)")
    print(f"answers saved: {saved} of {expected_saved}")
    if saved != expected_saved:
        print("ERROR: not every dialog turn saved its answer", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--conversations", type=int, default=16, help="concurrent conversations (default 16)")
    parser.add_argument("--turns", type=int, default=40, help="measured turns per conversation and round (default 40)")
    parser.add_argument("--rounds", type=int, default=5,
                        help="rounds in which the bots take turns (default 5); figures are over all rounds")
    parser.add_argument("--warmup", type=int, default=3, help="unmeasured turns per conversation first (default 3)")
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite",
                        help="where the dialog bot keeps its data (postgresql starts a throwaway server)")
    parser.add_argument("--dialog", choices=("minimal", "real"), default="minimal",
                        help="the built-in answer-saving dialog, or the real preparation dialog")
    parser.add_argument("--profile", metavar="PATH",
                        help="profile each bot with cProfile into PATH.echo.prof and PATH.dialog.prof")
    parser.add_argument("--floor", action="store_true",
                        help="also measure the echo bot on this service's adapter (clients reused, no database)")
    sub = parser.add_subparsers(dest="command")
    serve = sub.add_parser("_serve", help=argparse.SUPPRESS)
    serve.add_argument("kind", choices=("dialog", "echo", "floor"))
    serve.add_argument("--database-url")
    serve.add_argument("--dialog", choices=("minimal", "real"), default="minimal")
    serve.add_argument("--profile")
    args = parser.parse_args(argv)
    if args.command == "_serve":
        asyncio.run(run_server(args.kind, args.database_url, args.dialog, args.profile))
        return 0
    if min(args.conversations, args.turns, args.warmup, args.rounds) < 1:
        parser.error("--conversations, --turns, --warmup and --rounds must be at least 1")
    return asyncio.run(run(args))


if __name__ == "__main__":
    sys.exit(main())
