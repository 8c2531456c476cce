"""Check an inbound request body at the door: anything but a well-formed activity is refused with BadRequest."""

from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

from botbuilder.schema import Activity

from storage.models import BotStateItem, ConversationRef, Leader

#: Deepest nesting accepted anywhere in a body (Teams activities are a handful of levels deep).
MAX_BODY_DEPTH = 32
#: Deepest nesting accepted in a card submit's ``value`` (our cards submit flat objects).
MAX_VALUE_DEPTH = 8

_TENANT_ID_LENGTH = ConversationRef.__table__.c.tenant_id.type.length
_SERVICE_URL_LENGTH = ConversationRef.__table__.c.service_url.type.length
_OBJECT_ID_LENGTH = Leader.__table__.c.aad_object_id.type.length
_STATE_KEY_LENGTH = BotStateItem.__table__.c.key.type.length

# C0/C1 control characters and UTF-16 surrogates (a lone one cannot be encoded, stored or logged).
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


class BadRequest(ValueError):
    """The request body is not an activity this service can process."""


def _depth_exceeds(value: object, limit: int) -> bool:
    """Whether containers nest deeper than ``limit`` (walked without recursion)."""
    stack = [(value, 1)]
    while stack:
        current, depth = stack.pop()
        if isinstance(current, dict):
            children = current.values()
        elif isinstance(current, list):
            children = current
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def _require_object(body: dict, key: str, *, required: bool) -> dict:
    value = body.get(key)
    if value is None:
        if required:
            raise BadRequest(f"missing {key}")
        return {}
    if not isinstance(value, dict):
        raise BadRequest(f"{key} must be an object")
    return value


def _check_id(name: str, value: object, *, required: bool = False, max_length: int | None = None) -> None:
    if value is None:
        if required:
            raise BadRequest(f"missing {name}")
        return
    if not isinstance(value, str):
        raise BadRequest(f"{name} must be a string")
    if required and not value.strip():
        raise BadRequest(f"missing {name}")
    if _UNSAFE.search(value):
        raise BadRequest(f"{name} holds control characters or lone surrogates")
    if max_length is not None and len(value) > max_length:
        raise BadRequest(f"{name} is longer than {max_length} characters")


def _check_ids(body: dict) -> None:
    conversation = _require_object(body, "conversation", required=True)
    sender = _require_object(body, "from", required=False)
    recipient = _require_object(body, "recipient", required=False)
    channel_data = _require_object(body, "channelData", required=False)
    tenant = channel_data.get("tenant")
    if tenant is not None and not isinstance(tenant, dict):
        raise BadRequest("channelData.tenant must be an object")
    _check_id("serviceUrl", body.get("serviceUrl"), required=True, max_length=_SERVICE_URL_LENGTH)
    _check_id("channelId", body.get("channelId"), required=True)
    _check_id("conversation.id", conversation.get("id"), required=True)
    _check_id("conversation.tenantId", conversation.get("tenantId"), max_length=_TENANT_ID_LENGTH)
    _check_id("channelData.tenant.id", (tenant or {}).get("id"), max_length=_TENANT_ID_LENGTH)
    _check_id("from.id", sender.get("id"))
    _check_id("from.aadObjectId", sender.get("aadObjectId"), max_length=_OBJECT_ID_LENGTH)
    _check_id("recipient.id", recipient.get("id"))
    _check_id("id", body.get("id"))
    _check_id("replyToId", body.get("replyToId"))
    # Conversation and user state are stored under "<channel>/conversations/<id>" and "<channel>/users/<id>".
    channel = body["channelId"]
    for name, key in (
        ("conversation.id", f"{channel}/conversations/{conversation['id']}"),
        ("from.id", f"{channel}/users/{sender.get('id') or ''}"),
    ):
        if len(key) > _STATE_KEY_LENGTH:
            raise BadRequest(f"{name} is too long")


def parse_activity(raw: bytes) -> Activity:
    """Decode and check a request body; anything but a well-formed activity raises BadRequest."""
    try:
        body = json.loads(raw)
    except RecursionError:
        raise BadRequest("body is nested too deep") from None
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("body is not JSON") from None
    if not isinstance(body, dict):
        raise BadRequest("body is not an activity")
    if _depth_exceeds(body, MAX_BODY_DEPTH):
        raise BadRequest("body is nested too deep")
    if _depth_exceeds(body.get("value"), MAX_VALUE_DEPTH):
        raise BadRequest("value is nested too deep")
    kind = body.get("type")
    if not isinstance(kind, str) or not kind.strip():
        raise BadRequest("missing type")
    _check_ids(body)
    try:
        parts = urlsplit(body["serviceUrl"])
    except ValueError:
        raise BadRequest("serviceUrl is not a URL") from None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise BadRequest("serviceUrl is not an http(s) URL")
    for key in ("text", "locale", "name"):
        if body.get(key) is not None and not isinstance(body[key], str):
            raise BadRequest(f"{key} must be a string")
    for key in ("entities", "attachments", "membersAdded", "membersRemoved"):
        if body.get(key) is not None and not isinstance(body[key], list):
            raise BadRequest(f"{key} must be a list")
        if not all(isinstance(item, dict) for item in body.get(key) or []):
            raise BadRequest(f"{key} must hold objects")
    for key in ("membersAdded", "membersRemoved"):
        for member in body.get(key) or []:
            _check_id(f"{key}[].id", member.get("id"), required=True)
    if kind == "invoke" and body.get("value") is not None and not isinstance(body["value"], dict):
        # botbuilder reads every Teams invoke value as an object.
        raise BadRequest("value of an invoke must be an object")
    try:
        return Activity().deserialize(body)
    except (ValueError, TypeError, AttributeError, KeyError):
        raise BadRequest("body is not a valid activity") from None
