"""Which Entra tenant an activity comes from, and whether that tenant may use the bot."""

from __future__ import annotations

from collections.abc import Collection, Mapping

from botbuilder.schema import Activity


def _text(value: object) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def activity_tenant_id(activity: Activity) -> str | None:
    """The tenant of an activity: ``conversation.tenantId``, else ``channelData.tenant.id``."""
    conversation = activity.conversation
    if conversation is not None:
        # botbuilder's model maps "tenantID"; Teams sends "tenantId", which lands in
        # additional_properties.
        extra = getattr(conversation, "additional_properties", None) or {}
        tenant = _text(getattr(conversation, "tenant_id", None)) or _text(extra.get("tenantId"))
        if tenant:
            return tenant
    channel_data = activity.channel_data
    if isinstance(channel_data, Mapping):
        info = channel_data.get("tenant")
        if isinstance(info, Mapping):
            return _text(info.get("id"))
    return None


def tenant_allowed(activity: Activity, allowed: Collection[str]) -> bool:
    """True when no tenants are configured, or the activity's tenant is one of them."""
    if not allowed:
        return True
    tenant = activity_tenant_id(activity)
    if tenant is None:
        return False
    return tenant.lower() in {item.lower() for item in allowed}
