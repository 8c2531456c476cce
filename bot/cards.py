"""The one Adaptive Card kit (version 1.5): every card the bot sends is built from these and sent with ``to_activity``."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from botbuilder.core import CardFactory, MessageFactory
from botbuilder.schema import Activity

from bot.actions import submit_data

CARD_VERSION = "1.5"
CARD_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
#: Teams refuses messages over about 28 KB; stay well under it.
MAX_CARD_BYTES = 24_000
Element = dict[str, Any]


def card(body: Sequence[Element | None], actions: Sequence[Element] = (), *, fallback: str | None = None) -> dict:
    """A top-level Adaptive Card; empty (None) body elements are left out."""
    result: dict[str, Any] = {
        "type": "AdaptiveCard",
        "$schema": CARD_SCHEMA,
        "version": CARD_VERSION,
        "body": [element for element in body if element],
    }
    if actions:
        result["actions"] = list(actions)
    if fallback:
        result["fallbackText"] = fallback
    return result


def heading(text: str, *, size: str = "Large") -> Element:
    """A bold heading."""
    return {"type": "TextBlock", "text": text, "weight": "Bolder", "size": size, "wrap": True}


def text(value: str, *, subtle: bool = False, bold: bool = False, spacing: str | None = None) -> Element:
    """A wrapped paragraph."""
    block: Element = {"type": "TextBlock", "text": value, "wrap": True}
    if subtle:
        block["isSubtle"] = True
    if bold:
        block["weight"] = "Bolder"
    if spacing:
        block["spacing"] = spacing
    return block


def bullets(items: Iterable[str]) -> Element:
    """A bulleted list as one wrapped TextBlock (Adaptive Cards render markdown lists)."""
    return {"type": "TextBlock", "text": "\n".join(f"- {item}" for item in items), "wrap": True}


def facts(pairs: Iterable[tuple[str, str]]) -> Element:
    """A FactSet of title/value pairs."""
    return {"type": "FactSet", "facts": [{"title": title, "value": value} for title, value in pairs]}


def container(items: Sequence[Element | None], *, style: str | None = None, separator: bool = False,
              spacing: str | None = None) -> Element:
    """A group of elements, optionally emphasised, spaced or separated (with medium spacing) from what comes before."""
    result: Element = {"type": "Container", "items": [item for item in items if item]}
    if style:
        result["style"] = style
    if separator:
        result["separator"] = True
    if spacing or separator:
        result["spacing"] = spacing or "Medium"
    return result


def submit(title: str, data: dict[str, Any], *, style: str | None = None) -> Element:
    """An Action.Submit button; ``data`` arrives as the activity's value."""
    action: Element = {"type": "Action.Submit", "title": title, "data": data}
    if style:
        action["style"] = style
    return action


def action_set(buttons: Sequence[Element]) -> Element:
    """Buttons placed inside the body (e.g. under one agreement of several)."""
    return {"type": "ActionSet", "actions": list(buttons)}


def flow_buttons(titles: Mapping[str, str], names: Iterable[str], agreement_id: int) -> Element:
    """One button per card action in ``names`` for one agreement, titled from ``titles``."""
    return action_set([submit(titles[name], submit_data(name, agreement_id)) for name in names])


def text_input(input_id: str, *, value: str | None = None, placeholder: str | None = None,
               multiline: bool = True) -> Element:
    """A text field; no maxLength on purpose: long answers are refused with a message, not cut."""
    field: Element = {"type": "Input.Text", "id": input_id, "isMultiline": multiline}
    if value:
        field["value"] = value
    if placeholder:
        field["placeholder"] = placeholder
    return field


def card_size(content: Mapping[str, Any]) -> int:
    """The card's size in bytes as sent (compact JSON, UTF-8)."""
    return len(json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


def to_activity(content: dict, *, summary: str | None = None) -> Activity:
    """A message activity carrying one Adaptive Card (``summary`` shows in notifications)."""
    activity = MessageFactory.attachment(CardFactory.adaptive_card(content))
    if summary:
        activity.summary = summary
    return activity


def cards_in(activity: Activity) -> list[dict]:
    """The Adaptive Card contents attached to an activity."""
    return [
        attachment.content
        for attachment in activity.attachments or []
        if attachment.content_type == CardFactory.content_types.adaptive_card
    ]
