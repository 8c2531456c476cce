"""``lederavtale leaders sync`` refuses clearly when Entra ID cannot be read."""

from pathlib import Path

import pytest

from lederavtale.cli import main


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "cli.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{path}")
    for name in ("MicrosoftAppId", "MicrosoftAppPassword", "MicrosoftAppType", "MicrosoftAppTenantId",
                 "LEDERAVTALE_LEADER_GROUP_ID"):
        monkeypatch.delenv(name, raising=False)
    return path


def test_sync_without_graph_names_the_settings(database: Path, capsys) -> None:
    assert main(["leaders", "sync", "--dry-run"]) == 2

    err = capsys.readouterr().err
    assert "Microsoft Graph er ikke satt opp" in err
    assert "LEDERAVTALE_LEADER_GROUP_ID" in err


def test_sync_without_the_leader_group_names_it(database: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    for name, value in (("MicrosoftAppId", "app"), ("MicrosoftAppPassword", "secret"), ("MicrosoftAppTenantId", "t")):
        monkeypatch.setenv(name, value)

    assert main(["leaders", "sync"]) == 2

    assert "LEDERAVTALE_LEADER_GROUP_ID mangler" in capsys.readouterr().err
