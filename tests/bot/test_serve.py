"""``lederavtale serve`` as a real process: local mode binds loopback only and stops cleanly on SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STARTUP_LIMIT_SECONDS = 60
STOP_LIMIT_SECONDS = 15


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def listening_addresses(port: int) -> set[str]:
    """The local addresses with a TCP socket listening on ``port`` (from /proc/net/tcp and tcp6)."""
    found: set[str] = set()
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(name).read_text().splitlines()[1:]
        except FileNotFoundError:
            continue
        for line in lines:
            fields = line.split()
            address, port_hex = fields[1].rsplit(":", 1)
            if int(port_hex, 16) == port and fields[3] == "0A":  # 0A = LISTEN
                if len(address) == 8:
                    found.add(socket.inet_ntop(socket.AF_INET, bytes.fromhex(address)[::-1]))
                else:
                    raw = bytes.fromhex(address)
                    words = b"".join(raw[i:i + 4][::-1] for i in range(0, 16, 4))
                    found.add(socket.inet_ntop(socket.AF_INET6, words))
    return found


def wait_for_health(process: subprocess.Popen, url: str) -> dict:
    deadline = time.monotonic() + STARTUP_LIMIT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"serve exited with {process.returncode} before it was healthy")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return {"status": response.status, "body": json.loads(response.read())}
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.1)
    raise AssertionError("serve did not answer /healthz in time")


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="needs Linux /proc/net/tcp")
def test_serve_in_local_mode_binds_loopback_and_stops_on_sigterm(tmp_path: Path) -> None:
    port = free_port()
    env = {
        key: value for key, value in os.environ.items()
        if not key.startswith("Microsoft") and not key.startswith("LEDERAVTALE_")
    }
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'serve.db'}"
    log_path = tmp_path / "serve.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "lederavtale.cli", "serve", "--host", "0.0.0.0", "--port", str(port), "--no-scheduler"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
        try:
            health = wait_for_health(process, f"http://127.0.0.1:{port}/healthz")
            assert health == {"status": 200, "body": {"status": "ok"}}
            assert listening_addresses(port) == {"127.0.0.1"}
            assert (tmp_path / "serve.db").exists()

            process.send_signal(signal.SIGTERM)
            returncode = process.wait(timeout=STOP_LIMIT_SECONDS)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    output = log_path.read_text()
    assert returncode == 0, output
    assert "binding to 127.0.0.1 instead of 0.0.0.0" in output
    assert "requests are NOT authenticated" in output
    assert "Bot service stopped" in output
    assert "Garbage collector tuned for a long-running process" in output
    assert "Traceback" not in output
    assert listening_addresses(port) == set()


@pytest.mark.parametrize("dialog", ["minimal", "real"])
def test_the_turns_benchmark_runs_with_a_tiny_load(dialog: str) -> None:
    """The benchmark must keep working (its figures are printed, not asserted)."""
    result = subprocess.run(
        [sys.executable, "benchmarks/turns_benchmark.py", "--conversations", "2", "--turns", "4", "--warmup", "1",
         "--rounds", "2", "--dialog", dialog],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # 1 + 2 × 4 turns per conversation: all but the first save (minimal); or (real) one of the four that
    # begin the preparation, then every other one from its overview.
    saved = 2 * (8 if dialog == "minimal" else 3)
    assert f"answers saved: {saved} of {saved}" in result.stdout
    assert "echo (bare botbuilder)" in result.stdout and f"dialog turn ({dialog})" in result.stdout
    assert "the median of 2 rounds" in result.stdout


def test_tuning_the_garbage_collector_freezes_start_up_objects_and_raises_the_thresholds() -> None:
    # In a process of its own: the test run's collector is left as it is.
    code = (
        "import gc; from lederavtale.gc_tuning import tune_for_service; "
        "before = gc.get_threshold(); assert gc.get_freeze_count() == 0; tune_for_service(); "
        "after = gc.get_threshold(); "
        "print(gc.get_freeze_count() > 1000, all(a > b for a, b in zip(after, before)), gc.isenabled())"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "True", "True"]
