"""The Teams app package: ``manifest.json`` plus the two icons, zipped for a Teams administrator."""

from __future__ import annotations

import json
import logging
import re
import zipfile
from importlib.metadata import version as distribution_version
from pathlib import Path
from typing import Any

from bot.settings import Settings

logger = logging.getLogger(__name__)

MANIFEST_VERSION = "1.29"
MANIFEST_SCHEMA_URL = (
    f"https://developer.microsoft.com/json-schemas/teams/v{MANIFEST_VERSION}/MicrosoftTeams.schema.json"
)
ASSETS = Path(__file__).parent / "assets"
COLOR_ICON = "color.png"
OUTLINE_ICON = "outline.png"
ACCENT_COLOR = "#005B82"
LANGUAGE_TAG = "nb-NO"

_GUID = re.compile(r"^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
_SEMVER = re.compile(r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$")
_URL_FIELDS = (
    ("website_url", "LEDERAVTALE_WEBSITE_URL"),
    ("privacy_url", "LEDERAVTALE_PRIVACY_URL"),
    ("terms_url", "LEDERAVTALE_TERMS_URL"),
)
_DEVELOPER_NAME_MAX = 32

# What a Teams user reads in the app store and the command menu (Norwegian bokmål).
NAME_SHORT = "Lederavtale"
NAME_FULL = "Lederavtale-boten: den årlige lederavtalen"
DESCRIPTION_SHORT = "Årets lederavtale i Teams: forberedelse, utfylling, signering og oppfølging"
DESCRIPTION_FULL = (
    "Lederavtale-boten fører den årlige lederavtalen mellom overordnet og underordnet leder "
    "fra start til slutt, i en chat i Teams.\n\n"
    "Boten minner overordnet leder på å planlegge samtalene før fristen 31. mars, tar begge "
    "lederne gjennom forberedelsen del for del, lar overordnet leder skrive inn det dere ble "
    "enige om, og sender avtalen til gjennomlesing og signering. Til høsten kommer "
    "oppfølgingsspørsmålene sammen med målene og tiltakene dere satte i vår.\n\n"
    "Alt du svarer, lagres med en gang, og tidligere versjoner tas vare på. Du kan ta en pause "
    "når du vil og fortsette der du slapp.\n\n"
    "Innholdet i en lederavtale kan bare leses av de to lederne som har den. Ledelsesutvikling "
    "deles aldri med andre, heller ikke med HR eller overordnet leders leder. HR ser bare status "
    "og datoer.\n\n"
    "Skriv «start» for å se lederavtalene dine, «status» for å se hvor langt dere har kommet, og "
    "«hjelp» for å få hjelp."
)
COMMANDS = (
    ("start", "Vis menyen med lederavtalene dine"),
    ("status", "Se hvor langt lederavtalene dine har kommet"),
    ("hjelp", "Hva boten kan hjelpe deg med"),
)


class TeamsPackageError(ValueError):
    """Raised when the package cannot be built from the given app id or settings."""


def check_app_id(app_id: str | None) -> str:
    """The bot's Microsoft app id, lower-cased, or a clear error if it is not a GUID."""
    value = (app_id or "").strip()
    if not value:
        raise TeamsPackageError(
            "App-id mangler. Oppgi Azure Bot-ressursens Microsoft App ID med --app-id "
            "(eller sett MicrosoftAppId)."
        )
    if not _GUID.match(value):
        raise TeamsPackageError(
            f"App-id {value!r} er ikke en gyldig GUID (for eksempel "
            "12345678-abcd-1234-abcd-1234567890ab). Bruk Microsoft App ID fra Azure Bot-ressursen."
        )
    return value.lower()


def _check_settings(settings: Settings) -> None:
    name = settings.developer_name.strip()
    if not name or len(name) > _DEVELOPER_NAME_MAX:
        raise TeamsPackageError(
            f"LEDERAVTALE_DEVELOPER_NAME må ha mellom 1 og {_DEVELOPER_NAME_MAX} tegn, "
            f"ikke {len(name)}."
        )
    for attribute, variable in _URL_FIELDS:
        url = getattr(settings, attribute).strip()
        if not re.match(r"^https://[^\s/]+\.[^\s/]+(?:/\S*)?$", url):
            raise TeamsPackageError(f"{variable} må være en https-adresse, ikke {url!r}.")


def _check_version(app_version: str) -> str:
    if not _SEMVER.match(app_version):
        raise TeamsPackageError(
            f"Versjonen {app_version!r} må ha formen X.Y.Z (for eksempel 1.0.0)."
        )
    return app_version


def default_app_version() -> str:
    """The installed lederavtale distribution's version, used as the app version."""
    return distribution_version("lederavtale")


def build_manifest(app_id: str, settings: Settings, app_version: str | None = None) -> dict[str, Any]:
    """The manifest.json of the Teams app whose bot has the Microsoft app id ``app_id``."""
    bot_id = check_app_id(app_id)
    _check_settings(settings)
    return {
        "$schema": MANIFEST_SCHEMA_URL,
        "manifestVersion": MANIFEST_VERSION,
        "version": _check_version(app_version or default_app_version()),
        "id": bot_id,
        "localizationInfo": {"defaultLanguageTag": LANGUAGE_TAG},
        "developer": {
            "name": settings.developer_name.strip(),
            "websiteUrl": settings.website_url.strip(),
            "privacyUrl": settings.privacy_url.strip(),
            "termsOfUseUrl": settings.terms_url.strip(),
        },
        "name": {"short": NAME_SHORT, "full": NAME_FULL},
        "description": {"short": DESCRIPTION_SHORT, "full": DESCRIPTION_FULL},
        "icons": {"color": COLOR_ICON, "outline": OUTLINE_ICON},
        "accentColor": ACCENT_COLOR,
        "bots": [
            {
                "botId": bot_id,
                "scopes": ["personal"],
                "supportsFiles": True,
                "isNotificationOnly": False,
                "commandLists": [
                    {
                        "scopes": ["personal"],
                        "commands": [
                            {"title": title, "description": description}
                            for title, description in COMMANDS
                        ],
                    }
                ],
            }
        ],
    }


def build_package(
    app_id: str, settings: Settings, out: Path, app_version: str | None = None
) -> Path:
    """Write the app package zip (manifest.json, color.png, outline.png) to ``out``."""
    manifest = build_manifest(app_id, settings, app_version)
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2) + "\n")
        for icon in (COLOR_ICON, OUTLINE_ICON):
            archive.write(ASSETS / icon, arcname=icon)
    logger.info("Teams app package for bot %s written to %s", manifest["id"], out)
    return out
