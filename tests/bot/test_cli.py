"""The ``lederavtale`` command line, run in-process against a temporary SQLite database."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
import time_machine

from agreement.calendar import DEFAULT_DATES
from lederavtale.cli import main

ROOT = Path(__file__).resolve().parents[2]
#: The console script ``pip install`` made for ``lederavtale.cli:main``, beside the interpreter.
LEDERAVTALE = Path(sys.executable).with_name("lederavtale")
#: A log record as the command line formats it; it must only ever start a line.
LOG_RECORD = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (DEBUG|INFO|WARNING|ERROR|CRITICAL) ")
#: argparse's English words, as they would show if a message were left untranslated.
ENGLISH = re.compile(r"\b(usage|error|options|positional|arguments?|required|unrecognized|invalid|choose|expected|ignored)\b")
WEEKDAY = "(mandag|tirsdag|onsdag|torsdag|fredag)"


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


def run_lederavtale(database: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The real console script, in a process of its own, in local mode on ``database``."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("Microsoft", "LEDERAVTALE_"))}
    env["DATABASE_URL"] = f"sqlite:///{database}"
    return subprocess.run(
        [str(LEDERAVTALE), *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_commands_print_their_result_alone_in_whole_lines_and_log_with_v(tmp_path: Path) -> None:
    database = tmp_path / "quiet.db"
    demo = run_lederavtale(database, "demo", "--year", "2025")
    assert demo.returncode == 0, demo.stderr
    assert demo.stderr == ""
    assert demo.stdout.splitlines()[0].startswith("Ledere: 12 nye")
    # The kick-off day: the demo leaders never opened the bot, so nothing leaves the machine.
    send = run_lederavtale(database, "reminders", "send", "--date", "2025-01-10")
    assert send.returncode == 0, send.stderr
    assert send.stderr == ""
    assert send.stdout.startswith("Påminnelser 2025-01-10: ")
    assert send.stdout.endswith("Tatt av en annen prosess eller utsatt: 0.\n")
    assert not LOG_RECORD.search(send.stdout)

    verbose = run_lederavtale(database, "-v", "demo", "--year", "2025")
    assert verbose.returncode == 0, verbose.stderr
    assert " INFO agreement.roster.apply: Leader import for 2025: " in verbose.stderr
    assert all(LOG_RECORD.match(line) for line in verbose.stderr.splitlines())
    assert verbose.stdout == demo.stdout.replace("12 nye, 0 endret, 0 uendret", "0 nye, 0 endret, 12 uendret").replace(
        "11 nye, 0 uendret", "0 nye, 11 uendret"
    )

    refused = run_lederavtale(database, "leaders", "import", str(tmp_path / "nope.csv"))
    assert refused.returncode == 2
    assert refused.stdout == ""
    assert refused.stderr.startswith("Kunne ikke lese ") and refused.stderr.endswith("\n")
    assert refused.stderr.count("\n") == 1


@pytest.mark.parametrize(
    ("argv", "prog", "message"),
    [
        ([], "lederavtale", "følgende argumenter mangler: KOMMANDO"),
        (["bogus"], "lederavtale", "KOMMANDO: ugyldig valg: 'bogus' (velg blant 'db', 'leaders', 'demo', "),
        (["status", "--bogus"], "lederavtale", "ukjente argumenter: --bogus"),
        (["reminders", "send", "--dry"], "lederavtale", "ukjente argumenter: --dry"),
        (["calendar", "set"], "lederavtale calendar set", "følgende argumenter mangler: NØKKEL=VERDI"),
        (["calendar"], "lederavtale calendar", "følgende argumenter mangler: KOMMANDO"),
        (["status", "--year"], "lederavtale status", "--year: forventet én verdi"),
        (["status", "--year", "i fjor"], "lederavtale status", "--year: «i fjor» er ikke et årstall (ÅÅÅÅ)."),
        (["serve", "--port", "http"], "lederavtale serve", "--port: «http» er ikke et portnummer."),
        (["reminders", "log", "--status", "lest"], "lederavtale reminders log",
         "--status: ugyldig valg: 'lest' (velg blant 'claimed', 'sent', 'failed', 'unreachable')"),
        (["reminders", "send", "--dry-run=ja"], "lederavtale reminders send",
         "--dry-run: tar ingen verdi, men fikk 'ja'"),
    ],
)
def test_argument_errors_are_in_norwegian(argv: list[str], prog: str, message: str, capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    *usage, error, hint = captured.err.splitlines()
    assert usage[0].startswith(f"bruk: {prog} [-h]")
    assert error.startswith(f"{prog}: feil: {message}")
    assert hint == f"Skriv «{prog} -h» for å se hva kommandoen tar imot."
    assert not ENGLISH.search(captured.err), captured.err


@pytest.mark.parametrize(
    ("argv", "headings"),
    [([], ["valg:", "kommandoer:"]), (["calendar", "set"], ["argumenter:", "valg:"]), (["status"], ["valg:"])],
)
def test_help_is_in_norwegian(argv: list[str], headings: list[str], capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([*argv, "-h"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(" ".join(["bruk: lederavtale", *argv, "[-h]"]))
    assert [line for line in out.splitlines() if line.endswith(":") and not line.startswith(" ")] == headings
    assert "-h, --help" in out and "vis denne hjelpen og avslutt" in out
    assert not ENGLISH.search(out), out


def test_the_year_is_this_year_in_oslo_wherever_a_year_is_taken(database: Path, tmp_path: Path, capsys) -> None:
    # New Year's Eve 23:30 in UTC is already the new year in Oslo.
    with time_machine.travel(datetime(2031, 12, 31, 23, 30, tzinfo=timezone.utc), tick=True):
        assert main(["calendar", "set", "kickoff=2032-01-12"]) == 0
        assert capsys.readouterr().out.startswith("Påminnelseskalender 2032 (Europe/Oslo)\n")
        assert main(["calendar", "show"]) == 0
        assert "kickoff              2032-01-12  sendes mandag 12. januar" in capsys.readouterr().out
        assert main(["status"]) == 0
        assert capsys.readouterr().out == (
            "Ingen lederavtaler for 2032. Importer ledere med «lederavtale leaders import».\n"
        )
        assert main(["reminders", "log"]) == 0
        assert capsys.readouterr().out == "Ingen påminnelser er sendt for 2032.\n"
        assert main(["demo"]) == 0
        assert "Lederavtaler 2032: 11 nye" in capsys.readouterr().out
        csv = tmp_path / "leaders.csv"
        csv.write_text("name,email,unit,superior_email\nAnne Topp,anne@example.com,Stab,\n"
                       "Bjørn Under,bjorn@example.com,Skole,anne@example.com\n", encoding="utf-8")
        assert main(["leaders", "import", str(csv)]) == 0
        assert "Lederavtaler 2032: 1 nye" in capsys.readouterr().out
        assert main(["status"]) == 0
        assert "Lederavtaler 2032\n" in capsys.readouterr().out


def test_calendar_show_gives_every_row_the_day_it_is_sent_or_falls_due(database: Path, capsys) -> None:
    assert main(["calendar", "show", "--year", "2024"]) == 0
    out = capsys.readouterr().out
    rows = {line.split()[0]: line for line in out.splitlines()[3:]}
    assert list(rows) == [*DEFAULT_DATES, "send_time"]
    for key in DEFAULT_DATES:
        kind = "frist" if key.endswith("_deadline") else "sendes"
        assert re.search(rf"  {kind} {WEEKDAY} \d{{1,2}}\. [a-zæøå]+( \(flyttet fra [a-zæøå]+\))?  ", rows[key]), rows[key]
    assert "  sendes onsdag 10. januar  " in rows["kickoff"]
    assert "  frist onsdag 27. mars (flyttet fra helligdag)  " in rows["q1_deadline"]  # Easter
    assert "  sendes tirsdag 2. april (flyttet fra helligdag)  " in rows["q1_deadline_passed"]
    assert "  sendes fredag 30. august (flyttet fra søndag)  " in rows["followup_start"]
    assert rows["send_time"].split() == ["send_time", "09:00", "kl.", "09.00", "standard"]


def test_the_readme_shows_each_command_as_its_usage(capsys) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## The command line\n", 1)[1].split("\n## ", 1)[0]
    documented = re.findall(r"^\| `(lederavtale [^`]+)` \|", section, flags=re.MULTILINE)
    assert documented
    for line in documented:
        words = [word for word in line.split()[1:] if re.fullmatch(r"[a-z][a-z-]*", word)]
        with pytest.raises(SystemExit):
            main([*words, "-h"])
        usage = capsys.readouterr().out.split("\n\n", 1)[0]
        assert " ".join(usage.removeprefix("bruk: ").replace("[-h]", "").split()) == line
    with pytest.raises(SystemExit):
        main(["-h"])
    listed = re.findall(r"^    ([a-z-]+)", capsys.readouterr().out, flags=re.MULTILINE)
    assert sorted(listed) == sorted({line.split()[1] for line in documented})
