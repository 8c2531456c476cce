"""Which Entra tenant an activity comes from, and whether that tenant may use the bot."""

from __future__ import annotations

from collections.abc import Collection, Mapping

from botbuilder.schema import Activity


def activity_tenant_id(activity: Activity) -> str | None:
    """The tenant of an activity: ``conversation.tenantId``, else ``channelData.tenant.id``."""
    conversation = activity.conversation
    tenant = getattr(conversation, "tenant_id", None) if conversation is not None else None
    if isinstance(tenant, str) and tenant.strip():
        return tenant.strip()
    channel_data = activity.channel_data
    if isinstance(channel_data, Mapping):
        info = channel_data.get("tenant")
        if isinstance(info, Mapping):
            tenant = info.get("id")
            if isinstance(tenant, str) and tenant.strip():
                return tenant.strip()
    return None


def tenant_allowed(activity: Activity, allowed: Collection[str]) -> bool:
    """True when no tenants are configured, or the activity's tenant is one of them."""
    if not allowed:
        return True
    tenant = activity_tenant_id(activity)
    if tenant is None:
        return False
    return tenant.lower() in {item.lower() for item in allowed}
