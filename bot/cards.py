"""Small builders for Adaptive Card 1.5 elements; every card the bot sends is made from these."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from botbuilder.core import CardFactory, MessageFactory
from botbuilder.schema import Activity

CARD_VERSION = "1.5"
Element = dict[str, Any]


def card(body: Sequence[Element], actions: Sequence[Element] = (), *, fallback: str | None = None) -> dict:
    """A top-level Adaptive Card."""
    result: dict[str, Any] = {
        "type": "AdaptiveCard",
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
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


def text(value: str, *, subtle: bool = False, bold: bool = False, italic: bool = False, spacing: str | None = None) -> Element:
    """A wrapped paragraph."""
    block: Element = {"type": "TextBlock", "text": value, "wrap": True}
    if subtle:
        block["isSubtle"] = True
    if bold:
        block["weight"] = "Bolder"
    if italic:
        block["text"] = f"_{value}_"
    if spacing:
        block["spacing"] = spacing
    return block


def bullets(items: Iterable[str]) -> Element:
    """A bulleted list as one wrapped TextBlock (Adaptive Cards render markdown lists)."""
    return {"type": "TextBlock", "text": "\n".join(f"- {item}" for item in items), "wrap": True}


def facts(pairs: Iterable[tuple[str, str]]) -> Element:
    """A FactSet of title/value pairs."""
    return {"type": "FactSet", "facts": [{"title": title, "value": value} for title, value in pairs]}


def container(items: Sequence[Element], *, style: str | None = None, separator: bool = False) -> Element:
    """A group of elements, optionally emphasised or separated from what comes before."""
    result: Element = {"type": "Container", "items": [item for item in items if item]}
    if style:
        result["style"] = style
    if separator:
        result["separator"] = True
        result["spacing"] = "Medium"
    return result


def submit(title: str, data: dict[str, Any], *, style: str | None = None) -> Element:
    """An Action.Submit button; ``data`` arrives as the activity's value."""
    action: Element = {"type": "Action.Submit", "title": title, "data": data}
    if style:
        action["style"] = style
    return action


def action_set(actions: Sequence[Element]) -> Element:
    """Buttons placed inside the body (e.g. under one agreement of several)."""
    return {"type": "ActionSet", "actions": list(actions)}


def text_input(input_id: str, *, label: str | None = None, value: str | None = None,
               placeholder: str | None = None, multiline: bool = True) -> Element:
    """A text field; no maxLength on purpose: long answers are refused with a message, not cut."""
    field: Element = {"type": "Input.Text", "id": input_id, "isMultiline": multiline}
    if label:
        field["label"] = label
    if value:
        field["value"] = value
    if placeholder:
        field["placeholder"] = placeholder
    return field


def to_activity(content: dict, *, summary: str | None = None) -> Activity:
    """A message activity carrying one Adaptive Card."""
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
