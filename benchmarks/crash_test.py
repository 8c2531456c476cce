#!/usr/bin/env python
"""Crash test: SIGKILL the real bot service at random moments during preparation flows, then audit the database.

The service is ``lederavtale serve --no-scheduler`` in local mode, on a fresh SQLite file or a
throwaway PostgreSQL server, loaded with ``lederavtale demo``. It replies to a fake Bot
Connector (tests/support/fake_connector.py) that runs in this process with the drivers, on
127.0.0.1 like everything else.

* **Flows.** Each flow is one leader preparing one agreement: Alex Wilber, a superior with
  several agreements, for Megan Bowen, Adele Vance and Isaiah Langer in his one chat (he goes
  from one to the other through the menu now and then); the subordinates in their own chats;
  with more ``--flows``, Patti Fernandez and the rest of the demo municipality. The chats run at
  the same time. A driver reads the cards the bot last sent to know what is asked and answers
  it, half typed and half through the card's buttons (the submit data merged with the card's
  inputs, as Teams sends it): a text unique to leader, agreement, question, pass and attempt
  (``svar-alex-a3-styringsbrev.bidrag-p1-2 æøå``), two or three Lederplattformen statements, and
  one goal with two actions. A flow that is done goes through the preparation again (a new pass,
  new texts) while kills are still due.
* **Kills.** SIGKILL a random moment after a request, or the instant the connector receives
  the first or second reply of a turn. The next service process takes over at once: it is
  started ahead (forked from a process that has imported the service, so that a start costs
  tenths of a second, not three seconds of imports; ``--exec`` starts every process with the
  ``lederavtale`` command instead) and has served nothing before. The drivers carry on as
  leaders would: an answer the bot never moved on from is sent again, and when the bot seems
  lost they write «meny» and open their flow again.
* **Audit.** An answer is *acknowledged* when the bot moved on from it (the next question, or
  «lagret»), or showed it back as saved. Every acknowledged text must be stored as typed, in
  its agreement, question, author and preparation phase, and the last one of each question
  must be the stored answer; no text may be stored where it was not written; no goal twice.

Run: ``.venv/bin/python benchmarks/crash_test.py [--database sqlite|postgresql|both] [--kills 200] [--seed 1]
[--flows 8]``; it prints the figures of each database and exits with 1 unless all of them are clean.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from agreement.template import FieldKind, load_template  # noqa: E402
from bot import texts as bot_texts  # noqa: E402
from dialogs.texts import goals as goal_texts  # noqa: E402
from dialogs.texts import preparation as preparation_texts  # noqa: E402
from storage.db import open_database  # noqa: E402
from storage.models import Agreement, Answer, AnswerRevision, Goal, Leader, Phase  # noqa: E402
from tests.e2e.processes import LEDERAVTALE, local_env  # noqa: E402
from tests.support.cards import card_nodes  # noqa: E402
from tests.support.fake_connector import FakeConnector, Recorded  # noqa: E402
from tests.support.postgres import free_port, throwaway_database  # noqa: E402

TENANT = "00000000-0000-0000-0000-0000000000001"
BOT_ID = "28:lederavtale-crash-test"
#: The superior with several agreements whose flows come first (Alex Wilber in the demo municipality).
FIRST_SUPERIOR_EMAIL = "alexw@example.com"
MENU_WORD = "meny"
KILL_KINDS = ("after a delay", "at the 1st reply", "at the 2nd reply")
MISFILED_KINDS = ("in another agreement", "under another question", "words or choices saved as answers", "goals")
#: A kill "after a delay" falls this long (at most) after a request was sent.
MAX_KILL_DELAY_SECONDS = 0.08
#: A driver that has not brought a pass of its flow to the end in this many turns gives it up.
MAX_TURNS_PER_PASS = 250
MAX_PASSES = 40
SWITCH_PROBABILITY = 0.12

# --- texts the drivers write, recognisable in the database ----------------------------

MARK = "æøå"
ANSWER_RE = re.compile(rf"^svar-(?P<slug>[a-z]+)-a(?P<agreement>\d+)-(?P<key>[a-z_.]+)-p(?P<pass_no>\d+)-\d+ {MARK}$")
TITLE_RE = re.compile(rf"^mål-(?P<slug>[a-z]+)-a(?P<agreement>\d+)-(?P<section>[a-z_]+)-p(?P<pass_no>\d+) {MARK}$")


def answer_text(slug: str, agreement_id: int, key: str, pass_no: int, attempt: int) -> str:
    return f"svar-{slug}-a{agreement_id}-{key}-p{pass_no}-{attempt} {MARK}"


def goal_title(slug: str, agreement_id: int, section: str, pass_no: int) -> str:
    return f"mål-{slug}-a{agreement_id}-{section}-p{pass_no} {MARK}"


def goal_actions(slug: str, agreement_id: int, section: str, pass_no: int, attempt: int) -> tuple[str, str]:
    stem = f"tiltak-{slug}-a{agreement_id}-{section}-p{pass_no}-{attempt}"
    return f"{stem}-1 blåbær", f"{stem}-2 rødgrøt"


# --- starting and killing the service ------------------------------------------------

#: Run with ``python -c``: imports the service once, then forks one ``lederavtale serve`` for each
#: "PORT LOG" line on stdin, answers "started PID", and reports "exited PID CODE" for each child.
#: When its stdin closes (this script is done, or died), it kills the children left and ends.
ZYGOTE = r"""
import os, select, signal, sys, traceback
from lederavtale.cli import main

children = set()
wake_read, wake_write = os.pipe()
os.set_blocking(wake_write, False)
signal.set_wakeup_fd(wake_write)
signal.signal(signal.SIGCHLD, lambda *_: None)
pending = b""
while True:
    ready = select.select([0, wake_read], [], [])[0]
    if wake_read in ready:
        os.read(wake_read, 4096)
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            children.discard(pid)
            print("exited", pid, os.waitstatus_to_exitcode(status), flush=True)
    if 0 in ready:
        chunk = os.read(0, 4096)
        if not chunk:
            for pid in children:
                os.kill(pid, signal.SIGKILL)
            break
        pending += chunk
        while b"\n" in pending:
            line, pending = pending.split(b"\n", 1)
            port, log = line.decode().split(" ", 1)
            pid = os.fork()
            if pid == 0:
                signal.set_wakeup_fd(-1)
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                os.close(wake_read)
                os.close(wake_write)
                out = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
                null = os.open(os.devnull, os.O_RDONLY)
                os.dup2(null, 0)
                os.dup2(out, 1)
                os.dup2(out, 2)
                os.close(null)
                os.close(out)
                try:
                    code = main(["serve", "--no-scheduler", "--port", port])
                except BaseException:
                    traceback.print_exc()
                    code = 1
                os._exit(code)
            children.add(pid)
            print("started", pid, flush=True)
"""


class ForkLauncher:
    """Forks each service process from a zygote that has imported the service."""

    def __init__(self, env: dict[str, str]) -> None:
        self._env = env
        self._zygote: asyncio.subprocess.Process | None = None
        self._started: deque[asyncio.Future[int]] = deque()
        self._exits: dict[int, asyncio.Future[int]] = {}
        self._reader: asyncio.Task | None = None
        self._lock = asyncio.Lock()

    async def open(self) -> None:
        self._zygote = await asyncio.create_subprocess_exec(
            sys.executable, "-c", ZYGOTE, env=self._env, cwd=ROOT,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, start_new_session=True,
        )
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self._zygote is not None and self._zygote.stdout is not None
        loop = asyncio.get_running_loop()
        async for raw in self._zygote.stdout:
            word, pid, *rest = raw.decode().split()
            if word == "started":
                self._exits[int(pid)] = loop.create_future()
                self._started.popleft().set_result(int(pid))
            elif word == "exited":
                exit_future = self._exits.setdefault(int(pid), loop.create_future())
                if not exit_future.done():
                    exit_future.set_result(int(rest[0]))
        for pending in self._started:
            pending.set_exception(RuntimeError("the service zygote ended"))

    async def start(self, port: int, log: Path) -> tuple[int, asyncio.Future[int]]:
        async with self._lock:
            assert self._zygote is not None and self._zygote.stdin is not None
            started = asyncio.get_running_loop().create_future()
            self._started.append(started)
            self._zygote.stdin.write(f"{port} {log}\n".encode())
            await self._zygote.stdin.drain()
            pid = await started
        return pid, self._exits[pid]

    async def close(self) -> None:
        if self._zygote is None:
            return
        assert self._zygote.stdin is not None
        self._zygote.stdin.close()
        await self._zygote.wait()
        if self._reader is not None:
            await self._reader


class ExecLauncher:
    """Starts each service process with the ``lederavtale`` command (three seconds of imports each)."""

    def __init__(self, env: dict[str, str]) -> None:
        self._env = env
        self._waits: list[asyncio.Task] = []

    async def open(self) -> None:
        if not LEDERAVTALE.exists():
            raise RuntimeError(f"{LEDERAVTALE} is missing: run scripts/setup")

    async def start(self, port: int, log: Path) -> tuple[int, asyncio.Future[int]]:
        with log.open("ab") as out:
            process = await asyncio.create_subprocess_exec(
                str(LEDERAVTALE), "serve", "--no-scheduler", "--port", str(port), env=self._env, cwd=ROOT,
                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            )
        waiting = asyncio.create_task(process.wait())
        self._waits.append(waiting)
        return process.pid, waiting

    async def close(self) -> None:
        await asyncio.gather(*self._waits)


@dataclass
class Service:
    """One ``lederavtale serve`` process."""

    pid: int
    port: int
    log: Path
    exited: asyncio.Future[int]
    killed: bool = False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


class ServicePool:
    """The serving process and the one started ahead to take over when it is killed."""

    def __init__(self, launcher: ForkLauncher | ExecLauncher, folder: Path, http: aiohttp.ClientSession,
                 spares: int) -> None:
        self._launcher = launcher
        self._folder = folder
        self._http = http
        self._spare_count = spares
        self._spares: deque[asyncio.Task[Service]] = deque()
        self._taking_over: list[asyncio.Task] = []
        self._services: list[Service] = []
        self._numbers = itertools.count(1)
        self.current: Service | None = None
        self.up = asyncio.Event()
        self.generation = 0
        self.kills: Counter[str] = Counter()
        self.unexpected_exits = 0
        self.start_seconds: list[float] = []
        self.closing = False

    @property
    def kill_count(self) -> int:
        return sum(self.kills.values())

    async def boot(self) -> Service:
        """A new service process, once its ``/healthz`` answers."""
        for _attempt in range(3):
            log = self._folder / f"service-{next(self._numbers):04d}.log"
            began = time.monotonic()
            # Free a moment ago; if another process takes it first, this one exits and the next try
            # gets another port.
            port = free_port()
            pid, exited = await self._launcher.start(port, log)
            service = Service(pid, port, log, exited)
            self._services.append(service)
            if await self._ready(service):
                self.start_seconds.append(time.monotonic() - began)
                return service
        raise RuntimeError(f"the service did not start three times; see {log}:\n{tail(log)}")

    async def _ready(self, service: Service, timeout: float = 90.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if service.exited.done():
                return False
            try:
                async with self._http.get(f"{service.url}/healthz", timeout=aiohttp.ClientTimeout(total=2)) as reply:
                    if reply.status == 200:
                        return True
            except (aiohttp.ClientError, asyncio.TimeoutError):
                pass
            await asyncio.sleep(0.02)
        raise RuntimeError(f"the service did not answer /healthz within {timeout:.0f} s; see {service.log}")

    async def start(self) -> None:
        self.current = await self.boot()
        self._watch(self.current)
        self.up.set()
        for _ in range(self._spare_count):
            self._spares.append(asyncio.create_task(self.boot()))

    async def spare_ready(self) -> None:
        """Wait until the next process is started and ready to take over."""
        if self._spares:
            await asyncio.shield(self._spares[0])

    def kill(self, kind: str) -> bool:
        """SIGKILL the serving process now; the next one takes over. False when none is serving."""
        service = self.current
        if self.closing or service is None or not self.up.is_set() or service.exited.done():
            return False
        os.kill(service.pid, signal.SIGKILL)
        service.killed = True
        self.kills[kind] += 1
        self._lost(service)
        return True

    def _watch(self, service: Service) -> None:
        def exited(_future: asyncio.Future[int]) -> None:
            if not service.killed and not self.closing and service is self.current:
                self.unexpected_exits += 1
                self._lost(service)

        service.exited.add_done_callback(exited)

    def _lost(self, service: Service) -> None:
        self.up.clear()
        self.generation += 1
        self._taking_over.append(asyncio.create_task(self._take_over(service)))

    async def _take_over(self, dead: Service) -> None:
        await dead.exited
        if not self._spares:
            self._spares.append(asyncio.create_task(self.boot()))
        following = await self._spares.popleft()
        if self.closing:
            return
        self._spares.append(asyncio.create_task(self.boot()))
        self.current = following
        self._watch(following)
        self.up.set()

    async def close(self) -> None:
        """Stop every process (the serving one with SIGTERM, as an operator would)."""
        self.closing = True
        for task in self._taking_over:
            with contextlib.suppress(Exception):
                await task
        for task in self._spares:
            with contextlib.suppress(Exception):
                await task
        for service in self._services:
            if not service.exited.done():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(service.pid, signal.SIGTERM if service is self.current else signal.SIGKILL)
        for service in self._services:
            try:
                await asyncio.wait_for(asyncio.shield(service.exited), 20)
            except asyncio.TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(service.pid, signal.SIGKILL)
                await service.exited

    def logged(self, needle: str) -> int:
        """How many lines of all the services' logs contain ``needle``."""
        count = 0
        for service in self._services:
            with contextlib.suppress(OSError):
                count += sum(1 for line in service.log.read_text(errors="replace").splitlines() if needle in line)
        return count


def tail(path: Path, lines: int = 30) -> str:
    """The last lines of a log file."""
    with contextlib.suppress(OSError):
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    return ""


class Killer:
    """Kills the serving process at random moments until enough kills are done."""

    def __init__(self, pool: ServicePool, rng: random.Random, wanted: int, stop_at: float) -> None:
        self._pool = pool
        self._rng = rng
        self._wanted = wanted
        self._stop_at = stop_at
        self._plan: tuple[str, float | int] | None = None
        self._target: str | None = None
        self._seen = 0
        self._fired = asyncio.Event()
        self._requests = 0
        self._request_seen = asyncio.Event()
        self.done = wanted == 0

    async def run(self, active: Callable[[], bool]) -> None:
        try:
            while self._pool.kill_count < self._wanted and time.monotonic() < self._stop_at and active():
                await self._pool.up.wait()
                await self._pool.spare_ready()
                await self._let_through(self._rng.randint(0, 2))
                kind = self._rng.choice(KILL_KINDS)
                self._fired.clear()
                if kind == KILL_KINDS[0]:
                    self._plan = (kind, self._rng.uniform(0.0, MAX_KILL_DELAY_SECONDS))
                else:
                    self._plan = (kind, 1 if kind == KILL_KINDS[1] else 2)
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self._fired.wait(), 10)
                self._plan = None
                self._target = None
        finally:
            self.done = True

    async def _let_through(self, count: int) -> None:
        """Wait until ``count`` more requests were sent (or a while has passed)."""
        until = self._requests + count
        deadline = time.monotonic() + 5
        while self._requests < until and time.monotonic() < deadline:
            self._request_seen.clear()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._request_seen.wait(), 1)

    def on_request(self, conversation_id: str) -> None:
        """A driver is about to post an activity in ``conversation_id``."""
        self._requests += 1
        self._request_seen.set()
        plan = self._plan
        if plan is None:
            return
        kind, amount = plan
        if kind == KILL_KINDS[0]:
            self._plan = None
            generation = self._pool.generation
            asyncio.get_running_loop().call_later(float(amount), self._fire, kind, generation)
        elif self._target is None:
            self._target = conversation_id
            self._seen = 0

    def on_request_done(self, conversation_id: str) -> None:
        """The post in ``conversation_id`` is answered; a kill at a reply waits for the next turn."""
        if self._target == conversation_id:
            self._target = None

    def on_activity(self, recorded: Recorded) -> None:
        """The fake connector has just recorded an activity the bot sent."""
        plan = self._plan
        if plan is None or plan[0] == KILL_KINDS[0] or recorded.conversation_id != self._target:
            return
        self._seen += 1
        if self._seen == plan[1]:
            self._plan = None
            self._fire(plan[0], self._pool.generation)

    def _fire(self, kind: str, generation: int) -> None:
        if self._pool.generation == generation:
            self._pool.kill(kind)
        self._fired.set()


# --- what the bot showed --------------------------------------------------------------


@dataclass(frozen=True)
class Button:
    title: str
    data: dict[str, Any]


@dataclass
class Card:
    """One Adaptive Card as a leader sees it: its texts, buttons and inputs."""

    buttons: list[Button]
    inputs: dict[str, str]
    choices: list[str]
    texts: list[str]

    @classmethod
    def of(cls, content: dict) -> "Card":
        buttons, inputs, choices, texts = [], {}, [], []
        for node in card_nodes(content):
            kind = node.get("type")
            if kind == "Action.Submit" and isinstance(node.get("data"), dict):
                buttons.append(Button(str(node.get("title") or ""), node["data"]))
            elif kind in ("Input.Text", "Input.ChoiceSet") and isinstance(node.get("id"), str):
                inputs[node["id"]] = str(node.get("value") or "")
                if kind == "Input.ChoiceSet":
                    choices = [choice["value"] for choice in node.get("choices") or []]
            if isinstance(node.get("text"), str):
                texts.append(node["text"])
        return cls(buttons, inputs, choices, texts)

    @property
    def question(self) -> str | None:
        """The question its answer buttons answer."""
        return next((b.data["question"] for b in self.buttons if "reply" in b.data and "question" in b.data), None)

    def button(self, **wanted: Any) -> Button | None:
        return next((b for b in self.buttons if all(b.data.get(k) == v for k, v in wanted.items())), None)

    @property
    def actionable(self) -> bool:
        """A question to answer, or the menu (it has the buttons that open a preparation)."""
        return self.question is not None or self.button(action="prepare") is not None

    def value(self, button: Button, **entered: str) -> dict[str, Any]:
        """What Teams sends for a press: the button's data with every input of the card."""
        return {**button.data, **self.inputs, **entered}


@dataclass
class Turn:
    """One activity sent and what came back: the HTTP status (None if the service died) and the replies."""

    status: int | None
    replies: list[dict[str, Any]]

    @property
    def completed(self) -> bool:
        return self.status is not None and self.status < 500

    @property
    def cards(self) -> list[Card]:
        return [
            Card.of(attachment.get("content") or {})
            for reply in self.replies
            for attachment in reply.get("attachments") or []
            if attachment.get("contentType") == "application/vnd.microsoft.card.adaptive"
        ]

    @property
    def texts(self) -> list[str]:
        found = [reply["text"] for reply in self.replies if isinstance(reply.get("text"), str)]
        return found + [text for card in self.cards for text in card.texts]

    @property
    def screen(self) -> Card | None:
        """The last card that asks something."""
        return next((card for card in reversed(self.cards) if card.actionable), None)


# --- leaders, flows and what they sent ------------------------------------------------


@dataclass(frozen=True)
class Person:
    leader_id: int
    name: str
    slug: str
    email: str
    aad_object_id: str

    @property
    def user_id(self) -> str:
        return f"29:crash-{self.slug}"

    @property
    def conversation_id(self) -> str:
        return f"a:crash-{self.slug}"


@dataclass
class Sent:
    """One answer sent: a text, a choice of statements, or a goal's actions."""

    flow: "Flow"
    pass_no: int
    key: str
    text: str | None = None
    choice: frozenset[str] | None = None
    title: str | None = None
    actions: tuple[str, ...] = ()
    acked: bool = False


@dataclass
class Pass:
    """One time through the preparation of one flow."""

    number: int
    goal_title: str
    acked: dict[str, Sent] = field(default_factory=dict)
    sent: dict[str, list[Sent]] = field(default_factory=dict)
    goal_seen: bool = False
    complete: bool = False
    turns: int = 0


@dataclass(eq=False)
class Flow:
    """One leader preparing one agreement."""

    person: Person
    agreement_id: int
    other_name: str
    keys: list[str]
    kinds: dict[str, FieldKind]
    passes: list[Pass] = field(default_factory=list)
    failed: str | None = None

    def __post_init__(self) -> None:
        self.order: list[str] = []
        for key in self.keys:
            self.order.append(key)
            if self.kinds[key] is FieldKind.GOALS:
                self.order += [f"{key}:title", f"{key}:actions"]
        #: The goals question where each pass adds its goal (the first one); the others are left.
        self.goal_key = next(key for key in self.keys if self.kinds[key] is FieldKind.GOALS)
        self.goal_section = self.goal_key.split(".", 1)[0]

    @property
    def label(self) -> str:
        return f"{self.person.slug}/a{self.agreement_id}"

    @property
    def current(self) -> Pass | None:
        """The pass under way, if any."""
        return self.passes[-1] if self.passes and not self.passes[-1].complete and not self.failed else None

    @property
    def passes_done(self) -> int:
        return sum(1 for p in self.passes if p.complete)

    def start_pass(self) -> Pass:
        number = len(self.passes) + 1
        started = Pass(number, goal_title(self.person.slug, self.agreement_id, self.goal_section, number))
        self.passes.append(started)
        return started

    def position(self, key: str | None) -> int | None:
        return self.order.index(key) if key in self.order else None


@dataclass
class Expect:
    """What the driver's last activity was meant to do, to tell whether the bot moved on from it."""

    what: str
    key: str | None = None
    sent: Sent | None = None


class Run:
    """Everything one database's run shares: the pool, the connector, the killer and the ledger."""

    def __init__(self, pool: ServicePool, connector: FakeConnector, killer: Killer, http: aiohttp.ClientSession,
                 deadline: float, trace: Callable[[str], None]) -> None:
        self.pool = pool
        self.connector = connector
        self.killer = killer
        self.http = http
        self.deadline = deadline
        self.trace = trace
        self.ledger: list[Sent] = []
        self.turns = 0
        self.typed = 0
        self.pressed = 0
        self.resumes = 0
        self.apologies = 0
        self.ids = itertools.count(1)


class Driver:
    """One leader's chat: answers what the bot last asked, for the flow the leader is working on."""

    def __init__(self, run: Run, person: Person, flows: list[Flow], rng: random.Random) -> None:
        self.run = run
        self.person = person
        self.flows = flows
        self.rng = rng
        self.flow: Flow | None = None
        self.screen: Card | None = None
        self.switching = False
        #: The text or card value last sent, to send again when the service died before answering.
        self.last: tuple[str | None, dict | None] = (None, None)

    # --- sending ---

    def _activity(self, text: str | None, value: dict | None) -> dict[str, Any]:
        person = self.person
        body: dict[str, Any] = {
            "type": "message",
            "id": f"crash-{person.slug}-{next(self.run.ids)}",
            "channelId": "msteams",
            "serviceUrl": self.run.connector.url,
            "from": {"id": person.user_id, "name": person.name, "aadObjectId": person.aad_object_id},
            "recipient": {"id": BOT_ID, "name": "Lederavtale"},
            "conversation": {"id": person.conversation_id, "conversationType": "personal", "tenantId": TENANT},
            "channelData": {"tenant": {"id": TENANT}},
            "locale": "nb-NO",
        }
        if text is not None:
            body["text"] = text
        if value is not None:
            body["value"] = value
        return body

    async def post(self, text: str | None = None, value: dict | None = None) -> Turn:
        run = self.run
        try:
            await asyncio.wait_for(run.pool.up.wait(), 120)
        except asyncio.TimeoutError:
            raise RuntimeError("no service came back within 120 s after a kill") from None
        service = run.pool.current
        assert service is not None
        body = self._activity(text, value)
        self.last = (text, value)
        conversation = self.person.conversation_id
        first = len(run.connector.activities)
        run.turns += 1
        if self.flow is not None and self.flow.current is not None:
            self.flow.current.turns += 1
        run.killer.on_request(conversation)
        status: int | None = None
        try:
            async with run.http.post(f"{service.url}/api/messages", json=body,
                                     timeout=aiohttp.ClientTimeout(total=60)) as reply:
                await reply.read()
                status = reply.status
        except (aiohttp.ClientError, asyncio.TimeoutError):
            status = None
        run.killer.on_request_done(conversation)
        if status is not None and 400 <= status < 500:
            raise RuntimeError(f"the service refused an activity with {status}: {json.dumps(body)[:300]}")
        replies = [r.activity for r in run.connector.activities[first:] if r.conversation_id == conversation]
        turn = Turn(status, replies)
        if bot_texts.TURN_ERROR in turn.texts:
            run.apologies += 1
        what = text if text is not None else json.dumps(value, ensure_ascii=False)
        screen = turn.screen
        asks = None if screen is None else screen.question or "menu"
        said = " | ".join((reply.get("text") or "card")[:40] for reply in replies)
        run.trace(f"{self.person.slug} {self.flow.label if self.flow else '-'} sent {what[:90]!r} -> {status}, "
                  f"{len(replies)} replies, asks {asks}: {said}")
        return turn

    async def say(self, text: str) -> Turn:
        self.run.typed += 1
        return await self.post(text=text)

    async def press(self, card: Card, button: Button, **entered: str) -> Turn:
        self.run.pressed += 1
        return await self.post(value=card.value(button, **entered))

    async def answer(self, card: Card, button: Button, typed: str, **entered: str) -> Turn:
        """Half typed, half through the card's button."""
        if self.rng.random() < 0.5:
            return await self.say(typed)
        return await self.press(card, button, **entered)

    # --- the conversation ---

    def finished(self) -> bool:
        return all(flow.failed or (flow.passes_done > 0 and flow.current is None and not self._more(flow))
                   for flow in self.flows)

    def _more(self, flow: Flow) -> bool:
        """Whether ``flow`` is to go through another pass."""
        if flow.failed:
            return False
        return flow.passes_done == 0 or (not self.run.killer.done and len(flow.passes) < MAX_PASSES)

    async def drive(self) -> None:
        turn = await self.say("hei")
        expect = Expect("hello")
        while not self.finished():
            if time.monotonic() > self.run.deadline:
                for flow in self.flows:
                    if flow.current is not None or flow.passes_done == 0:
                        flow.failed = flow.failed or "out of time"
                return
            self._acknowledge(expect, turn)
            current = self.flow.current if self.flow is not None else None
            if current is not None and current.turns > MAX_TURNS_PER_PASS:
                self.flow.failed = f"no end after {MAX_TURNS_PER_PASS} turns"
                self.flow = None
            if self.finished():
                return
            turn, expect = await self._next(turn, expect)

    def _acknowledge(self, expect: Expect, turn: Turn) -> None:
        """Mark what the bot moved on from as acknowledged; a pass the bot said was done as complete."""
        flow = self.flow
        texts = turn.texts
        if flow is None or flow.current is None:
            return
        current = flow.current
        if _said(preparation_texts.DONE, texts):
            if expect.sent is not None and expect.key == flow.keys[-1]:
                self._acked(expect.sent)
            current.complete = True
            self.run.trace(f"{self.person.slug} {flow.label} pass {current.number} done")
            return
        if expect.what == "actions" and expect.sent is not None:
            listing = next(
                (card for card in turn.cards if card.question == flow.goal_key and current.goal_title in card.texts), None
            )
            if listing is not None:
                self._goal_listed(flow, current, listing)
            elif _said(goal_texts.SAVED.format(title=current.goal_title), texts):
                self._acked(expect.sent)
                current.goal_seen = True
            return
        if expect.what in ("answer", "keep", "done") and expect.key is not None:
            asked = flow.position(expect.key)
            moved = any(
                (position := flow.position(card.question)) is not None and asked is not None and position > asked
                for card in turn.cards
            )
            # A text the bot shows back to the leader was not saved, whatever it asks next.
            given_back = expect.sent is not None and expect.sent.text is not None and _said(expect.sent.text, texts)
            if moved and expect.sent is not None and not given_back:
                self._acked(expect.sent)
            if moved and self.rng.random() < SWITCH_PROBABILITY and self._other_flow() is not None:
                self.switching = True

    def _acked(self, sent: Sent) -> None:
        sent.acked = True
        sent.flow.passes[sent.pass_no - 1].acked[sent.key] = sent

    def _other_flow(self) -> Flow | None:
        """Another flow of this leader to go on with (one under way first, else one due a pass)."""
        others = [f for f in self.flows if f is not self.flow and not f.failed]
        under_way = [f for f in others if f.current is not None]
        if under_way:
            return self.rng.choice(under_way)
        due = [f for f in others if self._more(f)]
        return min(due, key=lambda f: len(f.passes)) if due else None

    async def _next(self, turn: Turn, expect: Expect) -> tuple[Turn, Expect]:
        """Act on what the leader sees now; send the same again if the service died without asking anything new."""
        flow = self.flow
        done = flow is not None and flow.passes and flow.passes[-1].complete
        if done and _said(preparation_texts.DONE, turn.texts):
            # Done: on to the menu for what is next.
            self.screen = None
            return await self.say(MENU_WORD), Expect("menu")
        if turn.screen is not None:
            self.screen = turn.screen
        elif turn.completed or self.screen is None:
            # The bot answered but asks nothing: it seems lost. Back to the menu, as a leader would.
            self.run.resumes += 1
            self.screen = None
            return await self.say(MENU_WORD), Expect("menu")
        else:
            # The service died before it asked anything new: the same text or button again.
            text, value = self.last
            if text is not None:
                return await self.say(text), expect
            self.run.pressed += 1
            return await self.post(value=value), expect
        card = self.screen
        if card.button(action="prepare") is not None and card.question is None:
            return await self._from_menu(card)
        if self.switching:
            self.switching = False
            return await self.say(MENU_WORD), Expect("menu")
        named = self._named(card)
        if named is not None and named is not flow:
            # The card says whose agreement it is: the leader answers for that one, if they are at it.
            flow = self.flow = named
        if flow is None or flow.current is None:
            return await self.say(MENU_WORD), Expect("menu")
        return await self._answer(flow, flow.current, card)

    def _named(self, card: Card) -> Flow | None:
        """The flow whose other leader a question card names, when it names exactly one of this leader's."""
        if len(self.flows) < 2 or card.question is None:
            return None
        shown = "\n".join(card.texts)
        named = [flow for flow in self.flows if flow.other_name in shown]
        return named[0] if len(named) == 1 else None

    async def _from_menu(self, card: Card) -> tuple[Turn, Expect]:
        flow = self.flow
        if flow is None or flow.current is None or self.switching:
            self.switching = False
            flow = self._other_flow() if flow is not None and not flow.failed else None
            if flow is None:
                candidates = ([f for f in self.flows if f.current is not None]
                              or [f for f in self.flows if self._more(f)])
                flow = min(candidates, key=lambda f: len(f.passes)) if candidates else None
            if flow is None:
                return Turn(201, []), Expect("finished")
        if flow.current is None:
            flow.start_pass()
        self.flow = flow
        button = card.button(action="prepare", agreement_id=flow.agreement_id)
        if button is None:
            flow.failed = "the menu has no button to prepare it"
            self.flow = None
            return await self.say(MENU_WORD), Expect("menu")
        return await self.press(card, button), Expect("open")

    async def _answer(self, flow: Flow, current: Pass, card: Card) -> tuple[Turn, Expect]:
        key = card.question
        go = card.button(option="go")
        if go is not None:
            return await self.answer(card, go, go.title), Expect("go")
        kind = flow.kinds.get(key) if key in flow.kinds else None
        slug = flow.person.slug
        if kind in (FieldKind.TEXT, FieldKind.NOTE):
            return await self._text(flow, current, card, key)
        if kind is FieldKind.PLATFORM_CHOICE:
            return await self._choice(flow, current, card, key)
        if kind is FieldKind.GOALS:
            if key == flow.goal_key and current.goal_title in card.texts:
                self._goal_listed(flow, current, card)
            elif key == flow.goal_key and not current.goal_seen:
                add = card.button(option="add")
                if add is not None:
                    return await self.answer(card, add, add.title), Expect("add", key)
            done = card.button(option="done")
            if done is not None:
                return await self.answer(card, done, done.title), Expect("done", key)
        if key == f"{flow.goal_key}:title":
            save = card.button(reply="answer")
            if save is not None:
                title = current.goal_title
                return await self.answer(card, save, title, text=title), Expect("title", key)
        if key == f"{flow.goal_key}:actions":
            save = card.button(reply="answer")
            if save is not None:
                attempt = len(current.sent.setdefault(key, [])) + 1
                lines = goal_actions(slug, flow.agreement_id, flow.goal_section, current.number, attempt)
                sent = self._record(Sent(flow, current.number, key, title=current.goal_title, actions=lines))
                typed = "\n".join(lines)
                return await self.answer(card, save, typed, text=typed), Expect("actions", key, sent)
        # A question this driver does not know: back to the menu.
        self.run.resumes += 1
        return await self.say(MENU_WORD), Expect("menu")

    def _record(self, sent: Sent) -> Sent:
        self.run.ledger.append(sent)
        sent.flow.passes[sent.pass_no - 1].sent.setdefault(sent.key, []).append(sent)
        return sent

    def _goal_listed(self, flow: Flow, current: Pass, card: Card) -> None:
        """The goal is in the list: the leader sees it saved, with the actions of one of their sends."""
        current.goal_seen = True
        key = f"{flow.goal_key}:actions"
        if key in current.acked:
            return
        shown = "\n".join(card.texts)
        match = next((s for s in reversed(current.sent.get(key) or [])
                      if all(line in shown for line in s.actions) or " ".join(s.actions) in shown), None)
        if match is None:
            # Listed with actions this driver cannot tell apart: acknowledged by its title alone.
            match = self._record(Sent(flow, current.number, key, title=current.goal_title))
        self._acked(match)

    async def _text(self, flow: Flow, current: Pass, card: Card, key: str) -> tuple[Turn, Expect]:
        shown = card.inputs.get("text", "")
        if key not in current.acked and shown:
            match = next((s for s in current.sent.get(key, []) if s.text == shown), None)
            if match is not None:
                self._acked(match)
        keep = card.button(reply="keep")
        if key in current.acked and keep is not None:
            return await self.answer(card, keep, keep.title), Expect("keep", key)
        save = card.button(reply="answer")
        if save is None:
            self.run.resumes += 1
            return await self.say(MENU_WORD), Expect("menu")
        attempt = len(current.sent.get(key, [])) + 1
        text = answer_text(flow.person.slug, flow.agreement_id, key, current.number, attempt)
        sent = self._record(Sent(flow, current.number, key, text=text))
        return await self.answer(card, save, text, text=text), Expect("answer", key, sent)

    async def _choice(self, flow: Flow, current: Pass, card: Card, key: str) -> tuple[Turn, Expect]:
        shown = frozenset(v for v in card.inputs.get("choice", "").split(",") if v)
        if key not in current.acked and shown:
            match = next((s for s in current.sent.get(key, []) if s.choice == shown), None)
            if match is not None:
                self._acked(match)
        keep = card.button(reply="keep")
        if key in current.acked and keep is not None:
            return await self.answer(card, keep, keep.title), Expect("keep", key)
        save = card.button(reply="answer")
        if save is None or len(card.choices) < 3:
            self.run.resumes += 1
            return await self.say(MENU_WORD), Expect("menu")
        chosen = sorted(self.rng.sample(range(len(card.choices)), self.rng.choice((2, 3))))
        keys = [card.choices[i] for i in chosen]
        sent = self._record(Sent(flow, current.number, key, choice=frozenset(keys)))
        typed = ", ".join(str(i + 1) for i in chosen)
        return await self.answer(card, save, typed, choice=",".join(keys)), Expect("answer", key, sent)


def _said(text: str, texts: list[str]) -> bool:
    """Whether the bot said ``text`` (it may be split over several text runs of a card)."""
    return any(text in shown for shown in texts) or text in "".join(texts)


# --- the audit --------------------------------------------------------------------------


@dataclass
class Report:
    """The figures of one database's run."""

    database: str
    flows: int
    chats: int
    seed: int
    kills: Counter[str]
    turns: int
    typed: int
    pressed: int
    resumes: int
    passes: int
    acknowledged: Counter[str]
    found: int
    lost: list[str]
    misfiled: list[str]
    misfiled_kinds: Counter[str]
    duplicated_goals: int
    duplicated_answers: int
    joined_lines: int
    resume_failures: list[str]
    completed: int
    prepared_in_database: int
    apologies: int
    logged_turn_errors: int
    unexpected_exits: int
    start_seconds: list[float]
    seconds: float

    @property
    def duplicated(self) -> int:
        return self.duplicated_goals + self.duplicated_answers

    @property
    def every_flow_completed(self) -> bool:
        return self.completed == self.flows and self.prepared_in_database == self.flows

    @property
    def clean(self) -> bool:
        """Nothing lost, misfiled or duplicated, and every flow brought to its end."""
        found_wrong = self.lost or self.misfiled or self.duplicated or self.resume_failures
        return not found_wrong and self.every_flow_completed

    def lines(self, details: int = 12) -> list[str]:
        kills = ", ".join(f"{kind} {self.kills[kind]}" for kind in KILL_KINDS)
        starts = sorted(self.start_seconds)
        median = starts[len(starts) // 2] if starts else 0.0
        rows = [
            f"crash test on {self.database}: {self.flows} flows in {self.chats} chats, seed {self.seed}, "
            f"{self.seconds:.0f} s",
            f"  kills                  {sum(self.kills.values())} ({kills})",
            f"  turns                  {self.turns} (typed {self.typed}, card buttons {self.pressed}); "
            f"back to the menu when lost: {self.resumes}",
            f"  passes                 {self.passes} through the preparation",
            f"  answers acknowledged   {sum(self.acknowledged.values())} (texts {self.acknowledged['text']}, "
            f"statement choices {self.acknowledged['choice']}, goals {self.acknowledged['goal']})",
            f"  found as typed         {self.found}",
            f"  lost                   {len(self.lost)}",
            f"  misfiled               {len(self.misfiled)} (" + ", ".join(
                f"{kind} {self.misfiled_kinds[kind]}" for kind in MISFILED_KINDS) + ")",
            f"  duplicated             {self.duplicated} (goals {self.duplicated_goals}, "
            f"answers {self.duplicated_answers})",
            f"  line breaks lost       {self.joined_lines} (a goal's actions typed on two lines, saved as one action; "
            f"not counted as lost)",
            f"  resume failures        {len(self.resume_failures)}",
            f"  flows completed        {self.completed} of {self.flows} (prepared in the database: "
            f"{self.prepared_in_database} of {self.flows}): {'yes' if self.every_flow_completed else 'NO'}",
            f"  apologies seen         {self.apologies} (turn errors logged: {self.logged_turn_errors}); "
            f"service exits not by a kill: {self.unexpected_exits}",
            f"  service starts         {len(starts)}, median {median:.2f} s to /healthz",
        ]
        listed = (("lost", self.lost), ("misfiled", self.misfiled), ("resume failures", self.resume_failures))
        for title, items in listed:
            if items:
                rows.append(f"  {title}, first {min(details, len(items))}:")
                rows += [f"    {item}" for item in items[:details]]
        return rows


def _is_choice(text: str) -> bool:
    with contextlib.suppress(ValueError):
        value = json.loads(text)
        return isinstance(value, list) and all(isinstance(item, str) for item in value)
    return False


def _same(sent: Sent, stored: str | None) -> bool:
    if stored is None:
        return False
    if sent.text is not None:
        return stored == sent.text
    return _is_choice(stored) and frozenset(json.loads(stored)) == sent.choice


def _describe(sent: Sent) -> str:
    what = sent.text or (sent.title and f"goal {sent.title!r}") or f"choice {sorted(sent.choice or ())}"
    return f"{sent.flow.label} {sent.key} pass {sent.pass_no}: {what!r}"


async def audit(database_url: str, flows: list[Flow], ledger: list[Sent]) -> dict[str, Any]:
    """Compare what the leaders were shown as saved with what the database holds."""
    async with open_database(database_url, migrate=False) as (_engine, session_factory):
        async with session_factory() as session:
            revisions = (await session.execute(
                select(AnswerRevision.text, Answer.agreement_id, Answer.question_key, Answer.author_id, Answer.phase)
                .join(Answer, Answer.id == AnswerRevision.answer_id)
                .order_by(Answer.id, AnswerRevision.revision)
            )).all()
            answers = (await session.execute(
                select(Answer.agreement_id, Answer.question_key, Answer.author_id, Answer.phase, Answer.text)
            )).all()
            goals = list(await session.scalars(select(Goal)))
            agreements = {a.id: a for a in await session.scalars(select(Agreement))}
    # The flows play this year; the demo's last year, signed and followed up, is not theirs.
    year = max(agreement.year for agreement in agreements.values())
    played = {agreement_id for agreement_id, agreement in agreements.items() if agreement.year == year}
    revisions = [row for row in revisions if row[1] in played]
    answers = [row for row in answers if row[0] in played]
    goals = [goal for goal in goals if goal.agreement_id in played]
    slugs = {flow.person.slug: flow.person.leader_id for flow in flows}
    kinds = {key: kind for flow in flows for key, kind in flow.kinds.items()}
    misfiled: list[str] = []
    misfiled_kinds: Counter[str] = Counter()
    stored: dict[tuple[int, str, int], list[str]] = {}
    places: dict[str, set[tuple[int, str, int]]] = {}
    for text, agreement_id, key, author_id, phase in revisions:
        where = (agreement_id, key, author_id)
        if phase is Phase.PREPARATION:
            stored.setdefault(where, []).append(text)
        found = ANSWER_RE.match(text)
        if found:
            places.setdefault(text, set()).add(where)
            meant = (int(found["agreement"]), found["key"], slugs.get(found["slug"]))
            if meant != where or phase is not Phase.PREPARATION:
                misfiled.append(f"{text!r} stored under {key} of agreement {agreement_id} by leader {author_id}")
                misfiled_kinds[MISFILED_KINDS[0] if meant[0] != agreement_id else MISFILED_KINDS[1]] += 1
        elif not (kinds.get(key) is FieldKind.PLATFORM_CHOICE and _is_choice(text)):
            misfiled.append(f"{text!r}, not an answer, stored under {key} of agreement {agreement_id}")
            misfiled_kinds[MISFILED_KINDS[2]] += 1
    now = {(a, k, author): text for a, k, author, phase, text in answers if phase is Phase.PREPARATION}

    lost: dict[int, str] = {}
    joined_lines = 0
    acknowledged: Counter[str] = Counter()
    by_question: dict[tuple[int, str], list[Sent]] = {}
    for sent in ledger:
        if sent.title is None:
            by_question.setdefault((id(sent.flow), sent.key), []).append(sent)
    for sends in by_question.values():
        flow, key = sends[0].flow, sends[0].key
        where = (flow.agreement_id, key, flow.person.leader_id)
        history = stored.get(where, [])
        # Where the previous acknowledged answer is in the history (a choice can repeat an earlier one).
        floor = 0
        for index, sent in enumerate(sends):
            if not sent.acked:
                continue
            acknowledged["text" if sent.text is not None else "choice"] += 1
            at = next((i for i in range(floor, len(history)) if _same(sent, history[i])), None)
            if at is None:
                lost[id(sent)] = f"{_describe(sent)} is not stored"
                continue
            floor = at
            if at + 1 < len(history) and not any(_same(later, history[at + 1]) for later in sends[index + 1:]):
                # Overwritten by a text the leader never wrote for this question.
                lost[id(sent)] = f"{_describe(sent)} was replaced by {history[at + 1]!r}"
        acked = [i for i, sent in enumerate(sends) if sent.acked]
        if acked and not any(_same(sent, now.get(where)) for sent in sends[acked[-1]:]):
            last = sends[acked[-1]]
            lost.setdefault(id(last), f"{_describe(last)} was replaced by {now.get(where)!r}")

    live = [goal for goal in goals if goal.removed_at is None]
    titles = Counter((g.agreement_id, g.section_key, g.author_id, g.title) for g in live)
    duplicated_goals = sum(count - 1 for count in titles.values() if count > 1)
    for goal in goals:
        found = TITLE_RE.match(goal.title)
        if not found:
            misfiled.append(f"goal {goal.title!r}, not a goal title, stored in agreement {goal.agreement_id}")
            misfiled_kinds[MISFILED_KINDS[3]] += 1
            continue
        meant = (int(found["agreement"]), found["section"], slugs.get(found["slug"]))
        if meant != (goal.agreement_id, goal.section_key, goal.author_id) or goal.phase is not Phase.PREPARATION:
            misfiled.append(f"goal {goal.title!r} stored in {goal.section_key} of agreement {goal.agreement_id}")
            misfiled_kinds[MISFILED_KINDS[3]] += 1
    for flow in flows:
        for done in flow.passes:
            sent = done.acked.get(f"{flow.goal_key}:actions")
            if sent is None:
                continue
            acknowledged["goal"] += 1
            place = (flow.agreement_id, flow.goal_section, flow.person.leader_id, sent.title)
            matches = [g for g in live if (g.agreement_id, g.section_key, g.author_id, g.title) == place]
            if not matches:
                lost[id(sent)] = f"{_describe(sent)} is not stored"
            elif sent.actions and not any(tuple(a.text for a in g.current_actions) == sent.actions for g in matches):
                shown = [tuple(a.text for a in g.current_actions) for g in matches]
                if (" ".join(sent.actions),) in shown:
                    joined_lines += 1
                else:
                    lost[id(sent)] = f"{_describe(sent)} has the actions {shown}, not {list(sent.actions)}"

    prepared = 0
    for flow in flows:
        agreement = agreements[flow.agreement_id]
        leader = flow.person.leader_id
        mark = agreement.superior_prepared_at if leader == agreement.superior_id else agreement.subordinate_prepared_at
        answered = all((flow.agreement_id, key, leader) in now
                       for key in flow.keys if flow.kinds[key] is not FieldKind.GOALS)
        last = next((p for p in reversed(flow.passes) if p.complete), None)
        goal = last is not None and (flow.agreement_id, flow.goal_section, leader, last.goal_title) in titles
        prepared += bool(mark and answered and goal)
    return {
        "acknowledged": acknowledged,
        "found": sum(acknowledged.values()) - len(lost) - joined_lines,
        "lost": sorted(lost.values()),
        "misfiled": sorted(misfiled),
        "misfiled_kinds": misfiled_kinds,
        "duplicated_goals": duplicated_goals,
        "duplicated_answers": sum(len(where) - 1 for where in places.values()),
        "joined_lines": joined_lines,
        "prepared_in_database": prepared,
    }


# --- one run ------------------------------------------------------------------------------


def _slug(name: str, taken: set[str]) -> str:
    base = re.sub(r"[^a-z]", "", name.split()[0].lower()) or "leder"
    slug = base
    for number in itertools.count(2):
        if slug not in taken:
            break
        slug = f"{base}{chr(ord('a') + number)}"
    taken.add(slug)
    return slug


async def load_flows(database_url: str, count: int) -> list[Flow]:
    """The first ``count`` preparation flows of the demo municipality, the superior with several agreements first."""
    async with open_database(database_url, migrate=False) as (_engine, session_factory):
        async with session_factory() as session:
            leaders = {leader.id: leader for leader in await session.scalars(select(Leader))}
            # This year's agreements: the demo's last year is signed and followed up already.
            agreements = list(await session.scalars(
                select(Agreement)
                .where(Agreement.active.is_(True), Agreement.year == select(func.max(Agreement.year)).scalar_subquery())
                .order_by(Agreement.id)
            ))
    first = next((leader for leader in leaders.values() if leader.email == FIRST_SUPERIOR_EMAIL), None)
    if first is None:
        raise RuntimeError(f"the demo municipality has no {FIRST_SUPERIOR_EMAIL}")
    own = [a for a in agreements if a.superior_id == first.id]
    above = [a for a in agreements if a.subordinate_id == first.id]
    rest = [a for a in agreements if a not in own and a not in above]
    order = [(first.id, a) for a in own] + [(a.subordinate_id, a) for a in own]
    order += [(a.superior_id, a) for a in above] + [(first.id, a) for a in above]
    order += [(leader_id, a) for a in rest for leader_id in (a.superior_id, a.subordinate_id)]
    if not 1 <= count <= len(order):
        raise RuntimeError(f"--flows must be between 1 and {len(order)} (the demo municipality's preparations)")
    people: dict[int, Person] = {}
    taken: set[str] = set()
    flows = []
    for leader_id, agreement in order[:count]:
        leader = leaders[leader_id]
        if leader_id not in people:
            # Leaders without an Entra object id are found by e-mail (the connector's member list).
            people[leader_id] = Person(leader.id, leader.name, _slug(leader.name, taken), leader.email,
                                       leader.aad_object_id or f"crash-aad-{leader.id}")
        template = load_template(agreement.template_id)
        fields = [f for section in template.sections for f in section.fields]
        other = agreement.subordinate_id if leader_id == agreement.superior_id else agreement.superior_id
        flows.append(Flow(people[leader_id], agreement.id, leaders[other].name, [f.key for f in fields],
                          {f.key: f.kind for f in fields}))
    return flows


async def run_demo_command(env: dict[str, str]) -> None:
    """``lederavtale demo`` on the run's database."""
    process = await asyncio.create_subprocess_exec(
        str(LEDERAVTALE), "demo", env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    output, _ = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"lederavtale demo failed:\n{output.decode(errors='replace')}")


async def crash_run(database_url: str, database: str, *, kills: int, seed: int, flows: int,
                    time_limit: float, folder: Path, exec_services: bool = False) -> Report:
    """Load the demo municipality, drive the flows while killing the service, and audit the database."""
    env = local_env(database_url)
    await run_demo_command(env)
    selected = await load_flows(database_url, flows)
    people = list({flow.person.leader_id: flow.person for flow in selected}.values())
    began = time.monotonic()
    trace_file = (folder / "trace.log").open("w", encoding="utf-8")

    def trace(line: str) -> None:
        trace_file.write(f"{time.monotonic() - began:8.3f} {line}\n")

    launcher: ForkLauncher | ExecLauncher = ExecLauncher(env) if exec_services else ForkLauncher(env)
    try:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
            await launcher.open()
            pool = ServicePool(launcher, folder, http, spares=2 if exec_services else 1)
            # Kills stop with a quarter of the time left, for the flows to come to their end.
            killer = Killer(pool, random.Random(f"{seed}-kills"), kills, began + time_limit * 0.75)
            try:
                async with FakeConnector(on_activity=killer.on_activity) as connector:
                    for person in people:
                        connector.add_member(person.user_id, name=person.name, email=person.email,
                                             userPrincipalName=person.email, aadObjectId=person.aad_object_id)
                    await pool.start()
                    run = Run(pool, connector, killer, http, began + time_limit, trace)
                    drivers = [
                        Driver(run, person, [f for f in selected if f.person is person],
                               random.Random(f"{seed}-{person.slug}"))
                        for person in people
                    ]
                    driving = [asyncio.create_task(driver.drive()) for driver in drivers]
                    killing = asyncio.create_task(killer.run(lambda: not all(task.done() for task in driving)))
                    try:
                        await asyncio.gather(*driving, killing)
                    finally:
                        for task in (*driving, killing):
                            task.cancel()
                        await asyncio.gather(*driving, killing, return_exceptions=True)
            finally:
                await pool.close()
    finally:
        await launcher.close()
        trace_file.close()
    seconds = time.monotonic() - began
    figures = await audit(database_url, selected, run.ledger)
    return Report(
        database=database, flows=len(selected), chats=len(people), seed=seed, kills=pool.kills,
        turns=run.turns, typed=run.typed, pressed=run.pressed, resumes=run.resumes,
        passes=sum(flow.passes_done for flow in selected),
        resume_failures=[f"{flow.label}: {flow.failed}" for flow in selected if flow.failed],
        completed=sum(1 for flow in selected if not flow.failed and flow.passes_done and flow.current is None),
        apologies=run.apologies, logged_turn_errors=pool.logged("Unhandled error in a"),
        unexpected_exits=pool.unexpected_exits, start_seconds=pool.start_seconds, seconds=seconds, **figures,
    )


@contextlib.contextmanager
def log_folder(parent: Path | None, kind: str) -> Iterator[Path]:
    """Where the services' logs and the drivers' trace go: under ``parent``, kept, or a temporary folder."""
    if parent is not None:
        folder = parent / kind
        folder.mkdir(parents=True, exist_ok=True)
        yield folder
        return
    with tempfile.TemporaryDirectory(prefix=f"crash-test-{kind}-logs-") as folder:
        yield Path(folder)


async def run_all(args: argparse.Namespace) -> int:
    kinds = ("sqlite", "postgresql") if args.database == "both" else (args.database,)
    clean = True
    for kind in kinds:
        with throwaway_database(kind, "crash-test-") as url, log_folder(args.logs, kind) as folder:
            report = await crash_run(url, kind, kills=args.kills, seed=args.seed, flows=args.flows,
                                     time_limit=args.time_limit, folder=folder, exec_services=args.exec)
        print("\n".join(report.lines()), flush=True)
        clean = clean and report.clean
    return 0 if clean else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="sqlite",
                        help="where the service keeps its data (postgresql starts a throwaway server)")
    parser.add_argument("--kills", type=int, default=200, help="SIGKILLs to deal (default 200)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the random choices (default 1)")
    parser.add_argument("--flows", type=int, default=8, help="preparation flows (default 8; at most 22)")
    parser.add_argument("--time-limit", type=float, default=900.0,
                        help="seconds per database before the drivers give up (default 900)")
    parser.add_argument("--exec", action="store_true",
                        help="start every service process with the lederavtale command instead of forking it")
    parser.add_argument("--logs", type=Path, help="keep the services' logs and the drivers' trace in this folder")
    args = parser.parse_args(argv)
    if args.kills < 0 or args.flows < 1 or args.time_limit <= 0:
        parser.error("--kills must be 0 or more, --flows 1 or more and --time-limit positive")
    return asyncio.run(run_all(args))


if __name__ == "__main__":
    sys.exit(main())
