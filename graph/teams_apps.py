"""The bot's Teams app through Graph: found in the tenant's catalogue, installed for a user, its chat."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from graph.client import GraphClient
from graph.errors import GraphConflict, GraphPermissionError

_CATALOG_PERMISSION = "AppCatalog.Read.All"
# The least privileged permission that installs the app itself also reads its installation and chat.
_INSTALL_PERMISSION = "TeamsAppInstallation.ReadWriteSelfForUser.All"
_CHAT_PERMISSION = _INSTALL_PERMISSION


@dataclass(frozen=True)
class InstallResult:
    """How installing the app for a user went; ``reason`` is Graph's "code: message" when blocked."""

    status: Literal["installed", "already_installed", "blocked"]
    reason: str | None = None


async def find_catalog_app(client: GraphClient, manifest_id: str) -> str | None:
    """The catalogue id of the app whose manifest id is ``manifest_id``, or None when it is not published."""
    answer = await client.get(
        "/appCatalogs/teamsApps", params={"$filter": f"externalId eq '{_quoted(manifest_id)}'"}, permission=_CATALOG_PERMISSION
    )
    apps = answer.get("value", [])
    return apps[0]["id"] if apps else None


async def install_for_user(client: GraphClient, user_id: str, catalog_app_id: str) -> InstallResult:
    """Install the app in the user's personal scope; a policy that blocks it is a result, not an error."""
    bind = f"{client.graph_url}/appCatalogs/teamsApps/{catalog_app_id}"
    try:
        await client.post(
            f"/users/{user_id}/teamwork/installedApps", {"teamsApp@odata.bind": bind}, permission=_INSTALL_PERMISSION
        )
    except GraphConflict:
        return InstallResult("already_installed")
    except GraphPermissionError as exc:
        if exc.status != 403:
            raise
        return InstallResult("blocked", ": ".join(part for part in (exc.code, exc.message) if part) or None)
    return InstallResult("installed")


async def installed_app_chat_id(client: GraphClient, user_id: str, catalog_app_id: str) -> str | None:
    """The id of the chat between the user and the installed app, or None when it is not installed."""
    answer = await client.get(
        f"/users/{user_id}/teamwork/installedApps",
        params={"$expand": "teamsApp", "$filter": f"teamsApp/id eq '{_quoted(catalog_app_id)}'"},
        permission=_CHAT_PERMISSION,
    )
    installations = answer.get("value", [])
    if not installations:
        return None
    chat = await client.get(
        f"/users/{user_id}/teamwork/installedApps/{installations[0]['id']}/chat", permission=_CHAT_PERMISSION
    )
    return chat.get("id")


def _quoted(value: str) -> str:
    """An OData string literal's content: a quote is written twice."""
    return value.replace("'", "''")
