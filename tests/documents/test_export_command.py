"""``lederavtale export``: its output, its exit codes and its refusals."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from bot.settings import Settings
from lederavtale.cli import build_parser, main
from storage.db import create_engine, create_session_factory
from tests.support.complete import complete_agreement
from tests.support.factories import make_pair


async def run(settings: Settings, *argv: str) -> int:
    args = build_parser().parse_args(list(argv))
    return await args.handler(args, settings)


@pytest.fixture
async def signed(sqlite_url: str):
    """A database with one agreement of 2026 signed (the others not), and its settings."""
    engine = create_engine(sqlite_url)
    try:
        factory = create_session_factory(engine)
        p = await make_pair(factory)
        await complete_agreement(factory, p.superior, p.subordinate, p.agreement,
                                 superior_shares=True, subordinate_shares=False, follow_up=False)
        yield Settings(database_url=sqlite_url), p
    finally:
        await engine.dispose()


async def test_export_lists_each_agreement_and_sums_up_and_exports_nothing_twice(signed, tmp_path: Path,
                                                                                 capsys) -> None:
    settings, p = signed
    out = tmp_path / "arkiv" / "2026"
    assert await run(settings, "export", "--year", "2026", "--out", str(out)) == 0
    captured = capsys.readouterr()
    folder = f"2026-{p.agreement}-signed"
    assert captured.out == (
        f"1/1 Lederavtale 2026 – Megan Bowen [{p.agreement}]: eksportert til {folder}\n"
        f"Arkiveksport 2026 til {out}: 1 eksportert, 0 hoppet over (eksportert før), 0 feilet.\n"
    )
    assert captured.err == ""
    assert (out / folder / "arkivmelding.xml").is_file()

    assert await run(settings, "export", "--year", "2026", "--out", str(out)) == 0
    assert capsys.readouterr().out == (
        f"1/1 Lederavtale 2026 – Megan Bowen [{p.agreement}]: eksportert før, hoppet over\n"
        f"Arkiveksport 2026 til {out}: 0 eksportert, 1 hoppet over (eksportert før), 0 feilet.\n"
    )
    assert await run(settings, "export", "--year", "2026", "--out", str(out), "--again") == 0
    assert "1 eksportert, 0 hoppet over" in capsys.readouterr().out


async def test_a_failed_agreement_is_named_and_the_exit_code_says_so(signed, tmp_path: Path, capsys,
                                                                     monkeypatch) -> None:
    settings, p = signed

    def refuse(*args, **kwargs) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("documents.archive_export.write_folder", refuse)
    assert await run(settings, "export", "--year", "2026", "--out", str(tmp_path / "arkiv")) == 1
    out = capsys.readouterr().out
    assert f"1/1 Lederavtale 2026 – Megan Bowen [{p.agreement}]: feilet (OSError)\n" in out
    assert "0 eksportert, 0 hoppet over (eksportert før), 1 feilet.\nKjør eksporten igjen" in out


async def test_a_year_without_signed_agreements_is_refused_and_writes_nothing(signed, tmp_path: Path, capsys) -> None:
    settings, _ = signed
    out = tmp_path / "arkiv"
    assert await run(settings, "export", "--year", "2025", "--out", str(out)) == 1
    captured = capsys.readouterr()
    assert captured.err == "Ingen signerte lederavtaler for 2025: ingenting å eksportere.\n"
    assert captured.out == ""
    assert not out.exists()


async def test_an_out_that_is_a_file_or_lies_under_one_is_refused(signed, tmp_path: Path, capsys) -> None:
    settings, _ = signed
    file = tmp_path / "arkiv.txt"
    file.write_text("ikke en mappe", encoding="utf-8")
    assert await run(settings, "export", "--year", "2026", "--out", str(file)) == 2
    assert capsys.readouterr().err == f"«{file}» er en fil, ikke en mappe: oppgi en mappe med --out.\n"
    below = file / "2026"
    assert await run(settings, "export", "--year", "2026", "--out", str(below)) == 2
    assert capsys.readouterr().err == (
        f"Kan ikke opprette eller skrive til mappen «{below}»: oppgi en mappe du kan skrive til med --out.\n"
    )
    assert file.read_text(encoding="utf-8") == "ikke en mappe"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["export", "--year", "i fjor", "--out", "arkiv"], "--year: «i fjor» er ikke et årstall (ÅÅÅÅ)."),
        (["export", "--year", "2026"], "følgende argumenter mangler: --out"),
    ],
)
def test_bad_arguments_are_refused_in_norwegian(argv: list[str], message: str, capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    assert f"lederavtale export: feil: {message}" in capsys.readouterr().err


async def test_on_a_terminal_the_progress_is_a_bar_and_the_result_stays_on_stdout(signed, tmp_path: Path, capsys,
                                                                                 monkeypatch) -> None:
    settings, _ = signed
    out = tmp_path / "arkiv"
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    assert await run(settings, "export", "--year", "2026", "--out", str(out)) == 0
    captured = capsys.readouterr()
    assert "Eksporterer: 100%" in captured.err and "1/1" in captured.err
    assert captured.out == f"Arkiveksport 2026 til {out}: 1 eksportert, 0 hoppet over (eksportert før), 0 feilet.\n"
