"""Start and stop the bot and the Agents Playgrounds as real processes, on loopback only."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LEDERAVTALE = ROOT / ".venv" / "bin" / "lederavtale"
PLAYGROUND_START = ROOT / "playground" / "start"
PLAYGROUND_BINARY = ROOT / "node_modules" / ".bin" / "agentsplayground"
CHROMIUM = Path("/usr/bin/chromium")

#: Bot Framework settings that would take the bot out of local mode; never passed on.
_NOT_LOCAL = ("MicrosoftAppId", "MicrosoftAppPassword", "MicrosoftAppType", "MicrosoftAppTenantId")


def free_ports(count: int) -> list[int]:
    """``count`` different TCP ports on 127.0.0.1 that nothing listens on right now."""
    probes = [socket.socket(socket.AF_INET, socket.SOCK_STREAM) for _ in range(count)]
    try:
        for probe in probes:
            probe.bind(("127.0.0.1", 0))
        return [probe.getsockname()[1] for probe in probes]
    finally:
        for probe in probes:
            probe.close()


def local_env(database_url: str, **extra: str) -> dict[str, str]:
    """The environment of a local-mode bot process on ``database_url``."""
    env = {key: value for key, value in os.environ.items() if key not in _NOT_LOCAL}
    env["DATABASE_URL"] = database_url
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


def run_cli(env: Mapping[str, str], *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run ``lederavtale ARGS`` to completion and return its output."""
    return subprocess.run(
        [str(LEDERAVTALE), *args], env=dict(env), cwd=ROOT, capture_output=True, text=True, timeout=timeout
    )


def wait_http(url: str, timeout: float, process: subprocess.Popen | None = None, log: Path | None = None) -> None:
    """Wait until ``url`` answers 200, or fail naming the process's log."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited with {process.returncode}; see {log}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError) as exc:
            last_error = exc
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout} s ({last_error}); see {log}")


class Service:
    """One long-running process in its own process group, its output in a log file."""

    def __init__(self, name: str, argv: list[str], env: Mapping[str, str], log: Path) -> None:
        self.name = name
        self.argv = argv
        self.env = dict(env)
        self.log = log
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                self.argv, env=self.env, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=out,
                stderr=subprocess.STDOUT, start_new_session=True,
            )

    def stop(self, timeout: float = 15) -> int | None:
        """SIGTERM the whole process group, SIGKILL it if it does not end in time."""
        process, self.process = self.process, None
        if process is None:
            return None
        if process.poll() is None:
            try:
                os.killpg(process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        try:  # leftover children of the group, if any
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        return process.returncode


def bot_service(env: Mapping[str, str], port: int, log: Path) -> Service:
    """``lederavtale serve`` in local mode; the tests send reminders themselves."""
    argv = [str(LEDERAVTALE), "serve", "--port", str(port), "--no-scheduler"]
    return Service("bot", argv, env, log)


def playground_service(config: str, port: int, bot_port: int, log: Path) -> Service:
    """One Agents Playground through playground/start (headless, loopback only)."""
    argv = [
        str(PLAYGROUND_START), str(ROOT / "playground" / config), str(port),
        f"http://127.0.0.1:{bot_port}/api/messages", str(log.with_suffix(".playground.log")),
    ]
    return Service(f"playground {config}", argv, os.environ, log)
