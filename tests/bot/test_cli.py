"""The ``lederavtale`` command line, run in-process against a temporary SQLite database."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from lederavtale.cli import main


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "cli.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{path}")
    for name in ("MicrosoftAppId", "MicrosoftAppPassword", "MicrosoftAppType", "MicrosoftAppTenantId"):
        monkeypatch.delenv(name, raising=False)
    return path


def table_contents(path: Path) -> dict[str, list[tuple]]:
    with sqlite3.connect(path) as conn:
        tables = [r[0] for r in conn.execute("select name from sqlite_master where type='table'")]
        return {t: sorted(conn.execute(f'select * from "{t}"').fetchall(), key=repr) for t in tables}


def test_demo_then_status_shows_every_agreement_without_content(database: Path, capsys) -> None:
    assert main(["demo", "--year", "2026"]) == 0
    assert "12" in capsys.readouterr().out
    assert main(["status", "--year", "2026"]) == 0
    out = capsys.readouterr().out
    assert "Lederavtaler 2026" in out
    assert "Alex Wilber" in out and "Megan Bowen" in out
    alex_leads = [line for line in out.splitlines() if line.startswith("Alex Wilber") and "ikke startet" in line]
    assert len(alex_leads) == 3
    assert "ikke startet: 11" in out


def test_demo_twice_changes_nothing(database: Path, capsys) -> None:
    assert main(["demo", "--year", "2026"]) == 0
    before = table_contents(database)
    assert main(["demo", "--year", "2026"]) == 0
    assert table_contents(database) == before


def test_broken_csv_lists_every_problem_and_changes_nothing(database: Path, tmp_path: Path, capsys) -> None:
    assert main(["demo", "--year", "2026"]) == 0
    before = table_contents(database)
    broken = tmp_path / "broken.csv"
    broken.write_text(
        "name,email,unit,superior_email\n"
        "Anne Topp,anne@example.com,Stab,\n"
        "Bjørn Under,bjorn@example.com,Skole,ukjent@example.com\n"
        "Cecilie Dobbel,anne@example.com,Skole,anne@example.com\n"
        "Dag Sirkel,dag@example.com,Teknisk,eva@example.com\n"
        "Eva Sirkel,eva@example.com,Teknisk,dag@example.com\n",
        encoding="utf-8",
    )
    capsys.readouterr()
    assert main(["leaders", "import", str(broken), "--year", "2026"]) == 1
    err = capsys.readouterr().err
    assert "Ingenting er endret" in err
    for line in ("Linje 3: overordnet leder ukjent@example.com", "Linje 4: e-postadressen anne@example.com",
                 "Linje 5 og 6"):
        assert line in err
    assert table_contents(database) == before


def test_wrong_encoding_is_refused(database: Path, tmp_path: Path, capsys) -> None:
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes("name,email,unit,superior_email\nBjørn,b@example.com,Skole,\n".encode("latin-1"))
    assert main(["leaders", "import", str(latin1), "--year", "2026"]) == 1
    assert "UTF-8" in capsys.readouterr().err


def test_missing_file_is_a_clear_error(database: Path, tmp_path: Path, capsys) -> None:
    assert main(["leaders", "import", str(tmp_path / "nope.csv")]) == 2
    assert "Kunne ikke lese" in capsys.readouterr().err


def test_configuration_error_names_the_variable(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setenv("MicrosoftAppId", "11111111-2222-3333-4444-555555555555")
    monkeypatch.delenv("MicrosoftAppPassword", raising=False)
    assert main(["status"]) == 2
    assert "MicrosoftAppPassword" in capsys.readouterr().err
