"""The browser end-to-end stack: a local-mode bot on a temporary SQLite database with the demo
municipality, two Agents Playgrounds (the superior Alex Wilber and his subordinate Megan
Bowen) and headless system Chromium driven by Playwright. Everything listens on 127.0.0.1 and
the browser may reach nothing else."""

from __future__ import annotations

import asyncio
import shutil
import threading
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import pytest

from tests.e2e.processes import (
    CHROMIUM,
    LEDERAVTALE,
    PLAYGROUND_BINARY,
    ROOT,
    Service,
    bot_service,
    free_ports,
    local_env,
    playground_service,
    run_cli,
    wait_http,
)
from tests.e2e.ui import CHROMIUM_ARGS, Chat, loopback_only

SCREENSHOTS = ROOT / "test-output" / "e2e-screenshots"
LOGS = ROOT / "test-output" / "e2e-logs"
T = TypeVar("T")


@dataclass
class Stack:
    """The running processes of one end-to-end module, and how to reach them."""

    workdir: Path
    database_url: str
    env: dict[str, str]
    bot: Service
    bot_port: int
    superior_url: str
    subordinate_url: str
    playgrounds: list[Service] = field(default_factory=list)

    def start_bot(self) -> None:
        self.bot.start()
        wait_http(f"http://127.0.0.1:{self.bot_port}/healthz", 60, self.bot.process, self.bot.log)

    def restart_bot(self) -> None:
        """Stop the bot cleanly (SIGTERM) and start it again on the same port and database."""
        code = self.bot.stop()
        assert code == 0, f"the bot did not stop cleanly (exit {code}); see {self.bot.log}"
        self.start_bot()

    def cli(self, *args: str) -> str:
        result = run_cli(self.env, *args)
        assert result.returncode == 0, f"lederavtale {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
        return result.stdout

    def db(self, work: Callable[..., Awaitable[T]]) -> T:
        """Run ``work(session_factory)`` against the bot's database, on a loop of its own."""
        from storage.db import open_database

        results: list[T] = []
        errors: list[BaseException] = []

        async def main() -> None:
            async with open_database(self.database_url, migrate=False) as (_engine, session_factory):
                results.append(await work(session_factory))

        def target() -> None:
            try:
                asyncio.run(main())
            except BaseException as exc:  # re-raised in the test's thread
                errors.append(exc)

        thread = threading.Thread(target=target)
        thread.start()
        thread.join()
        if errors:
            raise errors[0]
        return results[0]


def _require_tools() -> None:
    missing = [
        str(path) for path in (LEDERAVTALE, PLAYGROUND_BINARY, CHROMIUM) if not path.exists()
    ]
    if missing:
        pytest.fail(f"the browser tests need {', '.join(missing)}: run scripts/setup", pytrace=False)


@pytest.fixture(scope="session")
def screenshots() -> Path:
    """test-output/e2e-screenshots/, emptied at the start of the run."""
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)
    SCREENSHOTS.mkdir(parents=True)
    return SCREENSHOTS


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    _require_tools()
    workdir = tmp_path_factory.mktemp("e2e")
    database_url = f"sqlite+aiosqlite:///{workdir / 'lederavtale.db'}"
    env = local_env(database_url)
    result = run_cli(env, "demo")
    assert result.returncode == 0, f"lederavtale demo failed:\n{result.stdout}\n{result.stderr}"

    bot_port, superior_port, subordinate_port = free_ports(3)
    bot = bot_service(env, bot_port, workdir / "bot.log")
    ports = {"superior": superior_port, "subordinate": subordinate_port}
    stack = Stack(
        workdir=workdir,
        database_url=database_url,
        env=env,
        bot=bot,
        bot_port=bot_port,
        superior_url=f"http://127.0.0.1:{ports['superior']}/",
        subordinate_url=f"http://127.0.0.1:{ports['subordinate']}/",
    )
    try:
        stack.start_bot()
        for role, port in ports.items():
            playground = playground_service(f"{role}.yml", port, bot_port, workdir / f"{role}.log")
            stack.playgrounds.append(playground)
            playground.start()
        for playground, port in zip(stack.playgrounds, ports.values()):
            wait_http(f"http://127.0.0.1:{port}/", 60, playground.process, playground.log)
        yield stack
    finally:
        for service in (*stack.playgrounds, stack.bot):
            service.stop()
        # The services' logs beside the screenshots, for whoever looks into a failure.
        LOGS.mkdir(parents=True, exist_ok=True)
        for log in workdir.glob("*.log"):
            shutil.copy(log, LOGS / log.name)


@pytest.fixture(scope="module")
def browser() -> Iterator:
    _require_tools()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def _chat(browser, who: str, url: str, shots: Path, greeting: str) -> Iterator[Chat]:
    context = browser.new_context(viewport={"width": 1280, "height": 1000}, locale="nb-NO")
    loopback_only(context)
    try:
        chat = Chat(context.new_page(), who, url, shots)
        chat.open()
        # Opening the chat installs the bot: it stores the conversation reference and greets.
        chat.wait_for(0, greeting)
        yield chat
    finally:
        context.close()


@pytest.fixture(scope="module")
def superior(stack: Stack, browser, screenshots: Path) -> Iterator[Chat]:
    """Alex Wilber's Playground, open in the browser."""
    yield from _chat(browser, "alex", stack.superior_url, screenshots, "Hei, Alex!")


@pytest.fixture(scope="module")
def subordinate(stack: Stack, browser, screenshots: Path) -> Iterator[Chat]:
    """Megan Bowen's Playground, open in the browser."""
    yield from _chat(browser, "megan", stack.subordinate_url, screenshots, "Hei, Megan!")
