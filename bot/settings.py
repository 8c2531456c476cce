"""Service configuration, read once from an environment mapping."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from storage.db import DEFAULT_DATABASE_URL, normalise_database_url



class SettingsError(ValueError):
    """Raised when the environment holds an invalid or incomplete configuration."""


def _split(value: str | None) -> tuple[str, ...]:
    if not value:
        return ()
    return tuple(part.strip() for part in value.replace(";", ",").split(",") if part.strip())


def _bool(name: str, value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise SettingsError(f"{name} must be true or false, not {value!r}")


def _int(name: str, value: str | None, default: int) -> int:
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise SettingsError(f"{name} must be a whole number, not {value!r}") from exc


def _float(name: str, value: str | None, default: float) -> float:
    if value is None or value == "":
        return default
    try:
        return float(value)
    except ValueError as exc:
        raise SettingsError(f"{name} must be a number, not {value!r}") from exc


@dataclass(frozen=True)
class Settings:
    """Everything the service needs from its environment."""

    database_url: str = DEFAULT_DATABASE_URL
    app_id: str = ""
    app_password: str = ""
    app_type: str = "MultiTenant"
    app_tenant_id: str = ""
    allowed_tenants: tuple[str, ...] = ()
    host: str = "127.0.0.1"
    port: int = 3978
    timezone: str = "Europe/Oslo"
    scheduler_enabled: bool = True
    sweep_interval_seconds: int = 300
    send_rate_per_second: float = 50.0
    send_rate_per_conversation: float = 7.0
    escalate_overdue: bool = False
    max_answer_length: int = 4000
    developer_name: str = "Lørenskog kommune"
    website_url: str = "https://www.lorenskog.kommune.no"
    privacy_url: str = "https://www.lorenskog.kommune.no/personvern"
    terms_url: str = "https://www.lorenskog.kommune.no/vilkar"
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def local_mode(self) -> bool:
        """True when no Bot Framework app id is configured (no authentication)."""
        return not self.app_id

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "Settings":
        """Read settings from ``environ`` (default ``os.environ``)."""
        env = os.environ if environ is None else environ
        app_id = env.get("MicrosoftAppId", "").strip()
        app_type = env.get("MicrosoftAppType", "").strip() or "MultiTenant"
        if app_type not in {"MultiTenant", "SingleTenant", "UserAssignedMSI"}:
            raise SettingsError(
                "MicrosoftAppType must be MultiTenant, SingleTenant or UserAssignedMSI, "
                f"not {app_type!r}"
            )
        password = env.get("MicrosoftAppPassword", "")
        tenant_id = env.get("MicrosoftAppTenantId", "").strip()
        if app_id and app_type != "UserAssignedMSI" and not password:
            raise SettingsError("MicrosoftAppPassword must be set when MicrosoftAppId is set")
        if app_id and app_type in {"SingleTenant", "UserAssignedMSI"} and not tenant_id:
            raise SettingsError(f"MicrosoftAppTenantId must be set when MicrosoftAppType is {app_type}")
        allowed = _split(env.get("LEDERAVTALE_ALLOWED_TENANTS"))
        if not allowed and tenant_id:
            allowed = (tenant_id,)
        if app_id and not allowed:
            raise SettingsError(
                "LEDERAVTALE_ALLOWED_TENANTS (or MicrosoftAppTenantId) must be set when MicrosoftAppId is set"
            )
        database_url = env.get("DATABASE_URL", "").strip() or DEFAULT_DATABASE_URL
        return cls(
            database_url=normalise_database_url(database_url),
            app_id=app_id,
            app_password=password,
            app_type=app_type,
            app_tenant_id=tenant_id,
            allowed_tenants=allowed,
            host=env.get("LEDERAVTALE_HOST", "127.0.0.1"),
            port=_int("LEDERAVTALE_PORT", env.get("LEDERAVTALE_PORT"), 3978),
            timezone=env.get("LEDERAVTALE_TIMEZONE", "Europe/Oslo"),
            scheduler_enabled=_bool("LEDERAVTALE_SCHEDULER", env.get("LEDERAVTALE_SCHEDULER"), True),
            sweep_interval_seconds=_int(
                "LEDERAVTALE_SWEEP_SECONDS", env.get("LEDERAVTALE_SWEEP_SECONDS"), 300
            ),
            send_rate_per_second=_float(
                "LEDERAVTALE_SEND_RATE", env.get("LEDERAVTALE_SEND_RATE"), 50.0
            ),
            send_rate_per_conversation=_float(
                "LEDERAVTALE_SEND_RATE_PER_CONVERSATION",
                env.get("LEDERAVTALE_SEND_RATE_PER_CONVERSATION"),
                7.0,
            ),
            escalate_overdue=_bool(
                "LEDERAVTALE_ESCALATE_OVERDUE", env.get("LEDERAVTALE_ESCALATE_OVERDUE"), False
            ),
            max_answer_length=_int(
                "LEDERAVTALE_MAX_ANSWER_LENGTH", env.get("LEDERAVTALE_MAX_ANSWER_LENGTH"), 4000
            ),
            developer_name=env.get("LEDERAVTALE_DEVELOPER_NAME", cls.developer_name),
            website_url=env.get("LEDERAVTALE_WEBSITE_URL", cls.website_url),
            privacy_url=env.get("LEDERAVTALE_PRIVACY_URL", cls.privacy_url),
            terms_url=env.get("LEDERAVTALE_TERMS_URL", cls.terms_url),
        )
