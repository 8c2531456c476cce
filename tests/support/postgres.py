"""A throwaway PostgreSQL server for the test session (initdb + pg_ctl on a free port)."""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

PG_BIN_CANDIDATES = ("/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/16/bin", "/usr/local/bin", "/usr/bin")


def find_pg_bin() -> Path:
    """The folder holding ``initdb`` and ``pg_ctl``."""
    override = os.environ.get("LEDERAVTALE_PG_BIN")
    candidates = (override,) if override else PG_BIN_CANDIDATES
    for folder in candidates:
        if folder and (Path(folder) / "initdb").exists() and (Path(folder) / "pg_ctl").exists():
            return Path(folder)
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    raise RuntimeError(
        "PostgreSQL's initdb/pg_ctl were not found; run scripts/test, which installs postgresql-15"
    )


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class PostgresServer:
    root: Path
    port: int
    bin_dir: Path
    run_as: str | None

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str) -> subprocess.CompletedProcess:
        command = list(args)
        if self.run_as:
            command = ["runuser", "-u", self.run_as, "--", *command]
        return subprocess.run(command, check=True, capture_output=True, text=True)

    def start(self) -> None:
        self._run(
            str(self.bin_dir / "initdb"), "-D", str(self.data_dir), "-U", "postgres",
            "--auth=trust", "--encoding=UTF8", "--no-locale", "--no-sync",
        )
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        self._run(
            str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), "-o", options,
            "-l", str(self.root / "server.log"), "-w", "-t", "60", "start",
        )

    def stop(self) -> None:
        try:
            self._run(str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


def _memory_folder() -> str | None:
    """/dev/shm when it is a writable memory file system with room: a test session makes a database per
    test (over a gigabyte in all), which is written, and removed at the end, far faster there than on disk."""
    folder = Path("/dev/shm")
    try:
        usage = shutil.disk_usage(folder)
    except OSError:
        return None
    return str(folder) if os.access(folder, os.W_OK) and usage.free > 4 * 1024**3 else None


def start_postgres() -> PostgresServer:
    """Start a new server in a temporary folder; the caller must ``stop()`` it."""
    bin_dir = find_pg_bin()
    root = Path(tempfile.mkdtemp(prefix="lederavtale-pg-", dir=_memory_folder()))
    run_as = None
    if os.geteuid() == 0:
        # initdb refuses to run as root: hand the folder to the postgres system user.
        run_as = "postgres"
        user = pwd.getpwnam(run_as)
        os.chown(root, user.pw_uid, user.pw_gid)
    server = PostgresServer(root=root, port=free_port(), bin_dir=bin_dir, run_as=run_as)
    try:
        server.start()
    except subprocess.CalledProcessError as exc:
        shutil.rmtree(root, ignore_errors=True)
        raise RuntimeError(f"PostgreSQL did not start: {exc.stderr or exc.stdout}") from exc
    return server


@contextlib.contextmanager
def throwaway_database(kind: str, prefix: str) -> Iterator[str]:
    """A fresh database URL for a script: a SQLite file in a temporary folder, or a throwaway PostgreSQL server."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix=prefix) as folder:
            yield f"sqlite+aiosqlite:///{Path(folder) / 'lederavtale.db'}"
        return
    server = start_postgres()
    try:
        yield server.url()
    finally:
        server.stop()
