"""Service configuration, read once from an environment mapping.

Each setting is one dataclass field carrying its default, its environment variable and how the
variable's text is read; :meth:`Settings.from_env` reads them all the same way.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

from graph.config import GraphConfig
from storage.db import DEFAULT_DATABASE_URL, normalise_database_url

_APP_TYPES = ("MultiTenant", "SingleTenant", "UserAssignedMSI")
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


class SettingsError(ValueError):
    """Raised when the environment holds an invalid or incomplete configuration."""


def _boolean(raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered not in _TRUE | _FALSE:
        raise ValueError(raw)
    return lowered in _TRUE


def _app_type(raw: str) -> str:
    if raw.strip() not in _APP_TYPES:
        raise ValueError(raw)
    return raw.strip()


def _names(raw: str) -> tuple[str, ...]:
    """A list separated by commas or semicolons."""
    return tuple(part.strip() for part in raw.replace(";", ",").split(",") if part.strip())


#: The ways a leader's copy is handed out (LEDERAVTALE_DOCUMENT_DELIVERY).
FILE_CONSENT = "file-consent"
LINK = "link"
DELIVERIES = (FILE_CONSENT, LINK)


def _delivery(raw: str) -> str:
    if raw.strip().lower() not in DELIVERIES:
        raise ValueError(raw)
    return raw.strip().lower()


def _positive(raw: str) -> int:
    value = int(raw)
    if value <= 0:
        raise ValueError(raw)
    return value


def _not_negative(raw: str) -> int:
    value = int(raw)
    if value < 0:
        raise ValueError(raw)
    return value


def _hour(raw: str) -> int:
    value = int(raw)
    if not 0 <= value <= 23:
        raise ValueError(raw)
    return value


def _database_url(raw: str) -> str:
    return normalise_database_url(raw.strip())


def _env(
    variable: str, default: Any, read: Callable[[str], Any] = str.strip, expected: str = "", *, secret: bool = False
) -> Any:
    """A field set from ``variable`` when that is set and not blank; ``expected`` names what ``read`` accepts."""
    return field(default=default, repr=not secret, metadata={"variable": variable, "read": read, "expected": expected})


@dataclass(frozen=True)
class Settings:
    """Everything the service needs from its environment."""

    database_url: str = _env("DATABASE_URL", DEFAULT_DATABASE_URL, _database_url)
    app_id: str = _env("MicrosoftAppId", "")
    # A secret is taken exactly as given, and never shown.
    app_password: str = _env("MicrosoftAppPassword", "", str, secret=True)
    app_type: str = _env(
        "MicrosoftAppType", "MultiTenant", _app_type, f"{', '.join(_APP_TYPES[:-1])} or {_APP_TYPES[-1]}"
    )
    app_tenant_id: str = _env("MicrosoftAppTenantId", "")
    # The Bot Framework's own configuration names for where channel tokens come from.
    channel_openid_metadata_url: str = _env(
        "ToBotFromChannelOpenIdMetadataUrl", "https://login.botframework.com/v1/.well-known/openidconfiguration"
    )
    channel_token_issuer: str = _env("ToBotFromChannelTokenIssuer", "https://api.botframework.com")
    #: Defaults to the app's own tenant (see :meth:`from_env`).
    allowed_tenants: tuple[str, ...] = _env("LEDERAVTALE_ALLOWED_TENANTS", (), _names)
    host: str = _env("LEDERAVTALE_HOST", "127.0.0.1")
    port: int = _env("LEDERAVTALE_PORT", 3978, int, "a whole number")
    timezone: str = _env("LEDERAVTALE_TIMEZONE", "Europe/Oslo")
    scheduler_enabled: bool = _env("LEDERAVTALE_SCHEDULER", True, _boolean, "true or false")
    sweep_interval_seconds: int = _env("LEDERAVTALE_SWEEP_SECONDS", 300, int, "a whole number")
    send_rate_per_second: float = _env("LEDERAVTALE_SEND_RATE", 50.0, float, "a number")
    send_rate_per_conversation: float = _env("LEDERAVTALE_SEND_RATE_PER_CONVERSATION", 7.0, float, "a number")
    escalate_overdue: bool = _env("LEDERAVTALE_ESCALATE_OVERDUE", False, _boolean, "true or false")
    max_answer_length: int = _env("LEDERAVTALE_MAX_ANSWER_LENGTH", 4000, int, "a whole number")
    developer_name: str = _env("LEDERAVTALE_DEVELOPER_NAME", "Lørenskog kommune")
    website_url: str = _env("LEDERAVTALE_WEBSITE_URL", "https://www.lorenskog.kommune.no")
    privacy_url: str = _env("LEDERAVTALE_PRIVACY_URL", "https://www.lorenskog.kommune.no/personvern")
    terms_url: str = _env("LEDERAVTALE_TERMS_URL", "https://www.lorenskog.kommune.no/vilkar")
    # The archive export's arkivmelding: the municipality's own values in its archive system.
    archive_unit: str = _env("LEDERAVTALE_ARCHIVE_UNIT", "HR")
    archive_part: str = _env("LEDERAVTALE_ARCHIVE_PART", "PERSONAL")
    archive_case_type: str = _env("LEDERAVTALE_ARCHIVE_CASE_TYPE", "PERSONALSAK")
    archive_classification_system: str = _env("LEDERAVTALE_ARCHIVE_CLASSIFICATION_SYSTEM", "ARKNØKKEL")
    archive_class: str = _env("LEDERAVTALE_ARCHIVE_CLASS", "400")
    archive_class_title: str = _env("LEDERAVTALE_ARCHIVE_CLASS_TITLE", "Personalforvaltning")
    # How a leader gets their copy of the agreement: Teams' file consent card, or a single-use link
    # from the bot's own endpoint (the Agents Playground has no file consent). Default: see ``delivery``.
    document_delivery: str = _env("LEDERAVTALE_DOCUMENT_DELIVERY", "", _delivery, " or ".join(DELIVERIES))
    document_offer_minutes: int = _env("LEDERAVTALE_DOCUMENT_OFFER_MINUTES", 10, _positive, "a whole number above 0")
    # Teams waits about 15 seconds for the answer to a file consent; the upload comes before it.
    upload_timeout_seconds: float = _env("LEDERAVTALE_UPLOAD_TIMEOUT_SECONDS", 10.0, float, "a number")
    #: Where a link's user reaches the bot's endpoint; defaults to http://{host}:{port}.
    public_url: str = _env("LEDERAVTALE_PUBLIC_URL", "")
    # Retention: an agreement's content is kept through the end of its year plus this many years
    # (the municipality's records plan decides; see README "Privacy"). 0 keeps nothing past its year.
    retention_years: int = _env("LEDERAVTALE_RETENTION_YEARS", 2, _not_negative, "a whole number, 0 or more")
    # A conversation's dialog state (not the answers) is cleared after this many days without a turn.
    dialog_idle_days: int = _env("LEDERAVTALE_DIALOG_IDLE_DAYS", 30, _positive, "a whole number above 0")
    # The scheduler runs retention and idle clearing once a night, at this local hour, when on.
    retention_nightly: bool = _env("LEDERAVTALE_RETENTION_NIGHTLY", False, _boolean, "true or false")
    retention_hour: int = _env("LEDERAVTALE_RETENTION_HOUR", 3, _hour, "a whole number from 0 to 23")
    # Microsoft Graph: the base addresses (sovereign clouds, tests), and an extra CA for both (a TLS-inspecting proxy).
    graph_url: str = _env("LEDERAVTALE_GRAPH_URL", "https://graph.microsoft.com/v1.0")
    login_url: str = _env("LEDERAVTALE_LOGIN_URL", "https://login.microsoftonline.com")
    graph_ca_file: str = _env("LEDERAVTALE_GRAPH_CA_FILE", "")
    # Graph's credentials default to the bot's own app registration (see ``graph_tenant`` and the others).
    graph_tenant_id: str = _env("LEDERAVTALE_GRAPH_TENANT_ID", "")
    graph_client_id: str = _env("LEDERAVTALE_GRAPH_CLIENT_ID", "")
    graph_client_secret: str = _env("LEDERAVTALE_GRAPH_CLIENT_SECRET", "", str, secret=True)
    # The leader roster from Entra ID: the leaders' group (transitive members) and HR's.
    leader_group_id: str = _env("LEDERAVTALE_LEADER_GROUP_ID", "")
    hr_group_id: str = _env("LEDERAVTALE_HR_GROUP_ID", "")
    leader_sync_nightly: bool = _env("LEDERAVTALE_LEADER_SYNC_NIGHTLY", False, _boolean, "true or false")
    leader_sync_hour: int = _env("LEDERAVTALE_LEADER_SYNC_HOUR", 2, _hour, "a whole number from 0 to 23")
    # Installing the Teams app for a leader the bot cannot reach; unset: on when Graph is configured.
    proactive_install: bool | None = _env("LEDERAVTALE_PROACTIVE_INSTALL", None, _boolean, "true or false")
    #: The Teams app manifest's id (defaults to the bot's app id, as ``lederavtale teams-package`` writes it).
    teams_app_id: str = _env("LEDERAVTALE_TEAMS_APP_ID", "")
    #: The app's id in the tenant's app catalogue; looked up by the manifest's id when not set.
    teams_app_catalog_id: str = _env("LEDERAVTALE_TEAMS_APP_CATALOG_ID", "")
    #: The Bot Connector address for a conversation the bot learnt from Graph rather than from Teams.
    teams_service_url: str = _env("LEDERAVTALE_TEAMS_SERVICE_URL", "https://smba.trafficmanager.net/teams/")
    #: How long an install waits for Teams' installation update before fetching the chat itself.
    install_wait_seconds: float = _env("LEDERAVTALE_INSTALL_WAIT_SECONDS", 10.0, float, "a number")
    # The planned conversation as a Teams meeting in both calendars; unset: on when Graph is configured.
    calendar_meetings: bool | None = _env("LEDERAVTALE_CALENDAR_MEETINGS", None, _boolean, "true or false")
    meeting_minutes: int = _env("LEDERAVTALE_MEETING_MINUTES", 60, _positive, "a whole number above 0")

    @property
    def local_mode(self) -> bool:
        """True when no Bot Framework app id is configured (no authentication)."""
        return not self.app_id

    @property
    def delivery(self) -> str:
        """How copies are handed out: as set, else file consent with an app id and a link in local mode."""
        return self.document_delivery or (LINK if self.local_mode else FILE_CONSENT)

    @property
    def link_base_url(self) -> str:
        """The address a single-use link starts with (no trailing slash)."""
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def graph_tenant(self) -> str:
        """The tenant Graph's token is for: its own setting, else the bot's."""
        return self.graph_tenant_id or self.app_tenant_id

    @property
    def graph_client(self) -> str:
        """The app registration Graph is called as: its own setting, else the bot's."""
        return self.graph_client_id or self.app_id

    @property
    def graph_secret(self) -> str:
        """The client secret for Graph: its own setting, else the bot's password."""
        return self.graph_client_secret or self.app_password

    @property
    def uses_managed_identity(self) -> bool:
        """Graph tokens come from the user-assigned managed identity (no secret of Graph's own)."""
        return self.app_type == "UserAssignedMSI" and not self.graph_client_secret

    @property
    def graph_configured(self) -> bool:
        """Whether the bot can call Microsoft Graph: a tenant, a client and a secret or a managed identity."""
        return bool(self.graph_tenant and self.graph_client and (self.graph_secret or self.uses_managed_identity))

    @property
    def install_enabled(self) -> bool:
        """Install the Teams app for unreachable leaders: as set, else whenever Graph is configured."""
        return self.graph_configured and self.proactive_install is not False

    @property
    def meetings_enabled(self) -> bool:
        """Put the planned conversation in the calendars: as set, else whenever Graph is configured."""
        return self.graph_configured and self.calendar_meetings is not False

    def graph_config(self) -> GraphConfig | None:
        """How to reach Microsoft Graph as this app, or None when Graph is not configured."""
        if not self.graph_configured:
            return None
        return GraphConfig(
            graph_url=self.graph_url,
            login_url=self.login_url,
            tenant_id=self.graph_tenant,
            client_id=self.graph_client,
            client_secret="" if self.uses_managed_identity else self.graph_secret,
            # A user-assigned managed identity is named by its client id, which is the bot's app id.
            managed_identity_client_id=self.graph_client if self.uses_managed_identity else None,
            ca_file=self.graph_ca_file or None,
        )

    @property
    def teams_manifest_id(self) -> str:
        """The Teams app's manifest id, which the tenant's catalogue knows it by."""
        return self.teams_app_id or self.app_id

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "Settings":
        """Read settings from ``environ`` (default ``os.environ``); a bad or missing value raises SettingsError."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for setting in fields(cls):
            variable, read = setting.metadata["variable"], setting.metadata["read"]
            raw = env.get(variable)
            if raw is None or not raw.strip():
                continue
            try:
                values[setting.name] = read(raw)
            except ValueError:
                raise SettingsError(f"{variable} must be {setting.metadata['expected']}, not {raw!r}") from None
        settings = cls(**values)
        if not settings.allowed_tenants and settings.app_tenant_id:
            settings = replace(settings, allowed_tenants=(settings.app_tenant_id,))
        settings._check_authentication()
        return settings

    def _check_authentication(self) -> None:
        if self.local_mode:
            return
        if self.app_type != "UserAssignedMSI" and not self.app_password:
            raise SettingsError("MicrosoftAppPassword must be set when MicrosoftAppId is set")
        if self.app_type in {"SingleTenant", "UserAssignedMSI"} and not self.app_tenant_id:
            raise SettingsError(f"MicrosoftAppTenantId must be set when MicrosoftAppType is {self.app_type}")
        if not self.allowed_tenants:
            raise SettingsError(
                "LEDERAVTALE_ALLOWED_TENANTS (or MicrosoftAppTenantId) must be set when MicrosoftAppId is set"
            )
