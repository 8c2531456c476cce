"""scripts/run: the bot and both Playgrounds start, answer, and all stop on SIGTERM or Ctrl-C."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from tests.e2e.processes import PLAYGROUND_BINARY, ROOT, free_ports, local_env

pytestmark = pytest.mark.browser

ADDRESS = re.compile(r"^\s+(http://127\.0\.0\.1:\d+/)\s+(\S.*)$", re.MULTILINE)


def children_of(pid: int) -> list[int]:
    """Process ids whose parent is ``pid`` (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command may contain spaces and parentheses: the fields after the last ")" are fixed.
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[1]) == pid:
            found.append(int(entry.name))
    return found


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def get(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.status, response.read()


@pytest.mark.parametrize(("stop", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)], ids=["SIGTERM", "Ctrl-C"])
def test_run_starts_the_bot_and_two_playgrounds_and_stops_them_all(tmp_path: Path, stop: int, code: int) -> None:
    if not PLAYGROUND_BINARY.exists():
        pytest.fail(f"{PLAYGROUND_BINARY} is missing: run scripts/setup", pytrace=False)
    ports = dict(zip(("bot", "superior", "subordinate"), free_ports(3)))
    env = local_env("sqlite+aiosqlite:////nonexistent/never-used.db")
    env.update(
        LEDERAVTALE_SKIP_SETUP="1",
        LEDERAVTALE_RUN_DIR=str(tmp_path / "var"),
        LEDERAVTALE_PORT=str(ports["bot"]),
        LEDERAVTALE_PLAYGROUND_PORT=str(ports["superior"]),
        LEDERAVTALE_PLAYGROUND2_PORT=str(ports["subordinate"]),
    )
    output = tmp_path / "run.out"
    with output.open("wb") as out:
        run = subprocess.Popen(
            [str(ROOT / "scripts" / "run")], cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )
    services: list[int] = []
    try:
        deadline = time.monotonic() + 90
        while "Press Ctrl-C to stop" not in output.read_text() and time.monotonic() < deadline:
            assert run.poll() is None, f"scripts/run exited with {run.returncode}:\n{output.read_text()}"
            time.sleep(0.2)
        text = output.read_text()
        addresses = dict((who.split(",")[0], url) for url, who in ADDRESS.findall(text))
        assert addresses == {
            "Alex Wilber": f"http://127.0.0.1:{ports['superior']}/",
            "Megan Bowen": f"http://127.0.0.1:{ports['subordinate']}/",
        }, text

        # The database the script made has the demo municipality; the bot and both Playgrounds answer.
        assert (tmp_path / "var" / "lederavtale.db").exists()
        assert get(f"http://127.0.0.1:{ports['bot']}/healthz")[0] == 200
        for url in addresses.values():
            status, body = get(url)
            assert status == 200 and b"Agents Playground" in body
        services = children_of(run.pid)
        assert len(services) == 3, services

        run.send_signal(stop)
        assert run.wait(30) == code
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
            run.wait()
        left = [pgid for pgid in services if group_alive(pgid)]
        for pgid in left:  # do not leave them running when the test fails
            os.killpg(pgid, signal.SIGKILL)
    # Everything it started is gone: every service's process group, and every port.
    assert left == []
    for port in ports.values():
        with pytest.raises(OSError):
            get(f"http://127.0.0.1:{port}/healthz")
    assert "stopping" in output.read_text()
