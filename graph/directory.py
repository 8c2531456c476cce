"""Entra ID's directory through Graph: a group's users (transitively) and each one's manager."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from graph.client import GraphClient
from graph.errors import GraphNotFound

_MEMBERS_PERMISSION = "GroupMember.Read.All"
_MANAGER_PERMISSION = "User.Read.All"
_USER_FIELDS = "id,displayName,mail,userPrincipalName,department,accountEnabled"
_MANAGER_FIELDS = "id,displayName,mail,userPrincipalName"
#: Managers are one call per user: this many at a time keeps a large group quick without being throttled.
_MANAGER_CONCURRENCY = 8


@dataclass(frozen=True)
class DirectoryUser:
    """A user as the directory has them, with their manager (None when they have none)."""

    id: str
    display_name: str
    mail: str | None
    user_principal_name: str
    department: str | None
    manager_id: str | None
    manager_name: str | None
    manager_mail: str | None


def _members_path(group_id: str) -> str:
    return f"/groups/{group_id}/transitiveMembers/microsoft.graph.user"


async def group_users(client: GraphClient, group_id: str) -> list[DirectoryUser]:
    """The enabled users in a group, through nested groups, each with their manager."""
    members = [
        member
        async for member in client.get_all(
            _members_path(group_id),
            params={"$select": _USER_FIELDS, "$top": "999"},
            permission=_MEMBERS_PERMISSION,
        )
        if member.get("accountEnabled", True)
    ]
    gate = asyncio.Semaphore(_MANAGER_CONCURRENCY)

    async def with_manager(member: dict[str, Any]) -> DirectoryUser:
        async with gate:
            manager = await _manager(client, member["id"])
        return DirectoryUser(
            id=member["id"],
            display_name=member.get("displayName") or "",
            mail=member.get("mail") or None,
            user_principal_name=member.get("userPrincipalName") or "",
            department=member.get("department") or None,
            manager_id=manager.get("id"),
            manager_name=manager.get("displayName"),
            manager_mail=manager.get("mail") or manager.get("userPrincipalName"),
        )

    return list(await asyncio.gather(*(with_manager(member) for member in members)))


async def group_member_ids(client: GraphClient, group_id: str) -> set[str]:
    """The object ids of the enabled users in a group, through nested groups."""
    return {
        member["id"]
        async for member in client.get_all(
            _members_path(group_id), params={"$select": "id,accountEnabled", "$top": "999"}, permission=_MEMBERS_PERMISSION
        )
        if member.get("accountEnabled", True)
    }


async def _manager(client: GraphClient, user_id: str) -> dict[str, Any]:
    try:
        return await client.get(
            f"/users/{user_id}/manager", params={"$select": _MANAGER_FIELDS}, permission=_MANAGER_PERMISSION
        )
    except GraphNotFound:
        return {}
