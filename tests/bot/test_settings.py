"""Settings from the environment: defaults, one variable per setting, and errors that name the variable."""

from __future__ import annotations

import pytest

from bot.settings import Settings, SettingsError

APP_ID = "11111111-2222-3333-4444-555555555555"


def test_an_empty_environment_gives_the_defaults() -> None:
    settings = Settings.from_env({})
    assert settings == Settings()
    assert settings.local_mode
    assert (settings.database_url, settings.host, settings.port, settings.max_answer_length) == (
        "sqlite+aiosqlite:///var/lederavtale.db", "127.0.0.1", 3978, 4000,
    )
    assert (settings.scheduler_enabled, settings.escalate_overdue, settings.sweep_interval_seconds) == (True, False, 300)


def test_every_setting_is_read_from_its_variable() -> None:
    settings = Settings.from_env({
        "DATABASE_URL": "postgres://lederavtale:pw@db.example.no/lederavtale",
        "MicrosoftAppId": f" {APP_ID} ",
        "MicrosoftAppPassword": " hemmelig ",
        "MicrosoftAppType": "SingleTenant",
        "MicrosoftAppTenantId": "tenant-lorenskog",
        "LEDERAVTALE_ALLOWED_TENANTS": "tenant-lorenskog; tenant-rælingen,",
        "LEDERAVTALE_HOST": "0.0.0.0",
        "LEDERAVTALE_PORT": "8080",
        "LEDERAVTALE_TIMEZONE": "Europe/Stockholm",
        "LEDERAVTALE_SCHEDULER": "off",
        "LEDERAVTALE_SWEEP_SECONDS": "60",
        "LEDERAVTALE_SEND_RATE": "12.5",
        "LEDERAVTALE_SEND_RATE_PER_CONVERSATION": "2",
        "LEDERAVTALE_ESCALATE_OVERDUE": "yes",
        "LEDERAVTALE_MAX_ANSWER_LENGTH": "2000",
        "LEDERAVTALE_DEVELOPER_NAME": "Rælingen kommune",
        "LEDERAVTALE_WEBSITE_URL": "https://www.ralingen.kommune.no",
        "LEDERAVTALE_PRIVACY_URL": "https://www.ralingen.kommune.no/personvern",
        "LEDERAVTALE_TERMS_URL": "https://www.ralingen.kommune.no/vilkar",
    })
    assert settings == Settings(
        database_url="postgresql+asyncpg://lederavtale:pw@db.example.no/lederavtale",
        app_id=APP_ID,
        app_password=" hemmelig ",
        app_type="SingleTenant",
        app_tenant_id="tenant-lorenskog",
        allowed_tenants=("tenant-lorenskog", "tenant-rælingen"),
        host="0.0.0.0",
        port=8080,
        timezone="Europe/Stockholm",
        scheduler_enabled=False,
        sweep_interval_seconds=60,
        send_rate_per_second=12.5,
        send_rate_per_conversation=2.0,
        escalate_overdue=True,
        max_answer_length=2000,
        developer_name="Rælingen kommune",
        website_url="https://www.ralingen.kommune.no",
        privacy_url="https://www.ralingen.kommune.no/personvern",
        terms_url="https://www.ralingen.kommune.no/vilkar",
    )
    assert not settings.local_mode
    assert "hemmelig" not in repr(settings)


def test_a_blank_variable_counts_as_unset() -> None:
    assert Settings.from_env({"LEDERAVTALE_PORT": " ", "DATABASE_URL": "", "MicrosoftAppType": ""}) == Settings()


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("LEDERAVTALE_PORT", "åtti", "LEDERAVTALE_PORT must be a whole number, not 'åtti'"),
        ("LEDERAVTALE_SWEEP_SECONDS", "2.5", "LEDERAVTALE_SWEEP_SECONDS must be a whole number"),
        ("LEDERAVTALE_MAX_ANSWER_LENGTH", "mange", "LEDERAVTALE_MAX_ANSWER_LENGTH must be a whole number"),
        ("LEDERAVTALE_SEND_RATE", "fort", "LEDERAVTALE_SEND_RATE must be a number, not 'fort'"),
        ("LEDERAVTALE_SEND_RATE_PER_CONVERSATION", "x", "LEDERAVTALE_SEND_RATE_PER_CONVERSATION must be a number"),
        ("LEDERAVTALE_SCHEDULER", "kanskje", "LEDERAVTALE_SCHEDULER must be true or false, not 'kanskje'"),
        ("LEDERAVTALE_ESCALATE_OVERDUE", "2", "LEDERAVTALE_ESCALATE_OVERDUE must be true or false"),
        ("MicrosoftAppType", "Tenant", "MicrosoftAppType must be MultiTenant, SingleTenant or UserAssignedMSI, not 'Tenant'"),
    ],
)
def test_a_malformed_value_is_refused_naming_the_variable(variable: str, value: str, message: str) -> None:
    with pytest.raises(SettingsError) as raised:
        Settings.from_env({variable: value})
    assert str(raised.value).startswith(message)


@pytest.mark.parametrize("value", ["1", "true", "Yes", " ON "])
def test_true_in_its_usual_spellings(value: str) -> None:
    assert Settings.from_env({"LEDERAVTALE_ESCALATE_OVERDUE": value}).escalate_overdue is True


@pytest.mark.parametrize(
    ("environment", "variable"),
    [
        ({"MicrosoftAppId": APP_ID, "MicrosoftAppTenantId": "t"}, "MicrosoftAppPassword"),
        ({"MicrosoftAppId": APP_ID, "MicrosoftAppPassword": "p", "MicrosoftAppType": "SingleTenant"}, "MicrosoftAppTenantId"),
        ({"MicrosoftAppId": APP_ID, "MicrosoftAppType": "UserAssignedMSI"}, "MicrosoftAppTenantId"),
        ({"MicrosoftAppId": APP_ID, "MicrosoftAppPassword": "p"}, "LEDERAVTALE_ALLOWED_TENANTS"),
    ],
)
def test_an_app_id_needs_its_credentials_and_tenants(environment: dict, variable: str) -> None:
    with pytest.raises(SettingsError, match=variable):
        Settings.from_env(environment)


def test_the_allowed_tenants_default_to_the_apps_tenant() -> None:
    settings = Settings.from_env({
        "MicrosoftAppId": APP_ID, "MicrosoftAppType": "UserAssignedMSI", "MicrosoftAppTenantId": "tenant-lorenskog",
    })
    assert settings.allowed_tenants == ("tenant-lorenskog",) and settings.app_password == ""


def test_local_mode_needs_no_credentials() -> None:
    assert Settings.from_env({"MicrosoftAppPassword": "p", "MicrosoftAppType": "SingleTenant"}).local_mode
