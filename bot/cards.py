"""The one Adaptive Card kit (version 1.5): every card the bot sends is built from these and sent with ``to_activity``."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
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
    """A wrapped paragraph of the bot's own text (Markdown); a leader's text goes through ``as_typed``."""
    block: Element = {"type": "TextBlock", "text": value, "wrap": True}
    if subtle:
        block["isSubtle"] = True
    if bold:
        block["weight"] = "Bolder"
    if spacing:
        block["spacing"] = spacing
    return block


def bullets(items: Iterable[str]) -> Element:
    """A bulleted list of the bot's own texts as one wrapped TextBlock (Adaptive Cards render markdown lists)."""
    return {"type": "TextBlock", "text": "\n".join(f"- {item}" for item in items), "wrap": True}


def as_typed(value: str, *, bold: bool = False, subtle: bool = False, bullet: bool = False,
             spacing: str | None = None) -> Element:
    """A leader's text exactly as typed: no links, emphasis, list numbering or headings; line breaks kept.

    Every text a leader wrote (answers, goals, actions, comments, place and date, labels that name
    a goal) is shown through this, never in a TextBlock. A TextBlock's text is Markdown: in Teams
    ``[lenke](http://…)`` became a link, ``*x*`` italics, a line starting "26)" a list item shown
    as "6.", and single line breaks vanished. Escaping the Markdown with backslashes is not robust:
    renderers (Teams desktop, web, mobile) parse the subset differently and some show the
    backslashes. The text of a TextRun in a RichTextBlock is never Markdown-processed (Adaptive
    Cards 1.2 and later, so 1.5), so it is shown as it is. A TextRun cannot carry a line break, so
    each line is its own RichTextBlock, set tight under the one before; a blank line becomes
    Medium spacing before the next line (several in a row count as one). With ``bullet`` the text
    is one item of a list ("• " before its first line).
    """
    style: Element = {}
    if bold:
        style["weight"] = "Bolder"
    if subtle:
        style["isSubtle"] = True
    blocks: list[Element] = []
    after_blank = False
    for line in value.splitlines():
        if not line.strip():
            after_blank = bool(blocks)
            continue
        inlines = [{"type": "TextRun", "text": line, **style}]
        if bullet and not blocks:
            inlines.insert(0, {"type": "TextRun", "text": "• ", **style})
        block: Element = {"type": "RichTextBlock", "inlines": inlines}
        if blocks:
            block["spacing"] = "Medium" if after_blank else "None"
        blocks.append(block)
        after_blank = False
    if not blocks:
        blocks.append({"type": "RichTextBlock", "inlines": [{"type": "TextRun", "text": value, **style}]})
    if len(blocks) == 1:
        if spacing:
            blocks[0]["spacing"] = spacing
        return blocks[0]
    return container(blocks, spacing=spacing)


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


def open_url(title: str, url: str) -> Element:
    """An Action.OpenUrl button: the client opens ``url`` (in the browser)."""
    return {"type": "Action.OpenUrl", "title": title, "url": url}


def action_set(buttons: Sequence[Element]) -> Element:
    """Buttons placed inside the body (e.g. under one agreement of several)."""
    return {"type": "ActionSet", "actions": list(buttons)}


def flow_buttons(titles: Mapping[str, str], names: Iterable[str], agreement_id: int) -> Element:
    """One button per card action in ``names`` for one agreement, titled from ``titles``."""
    return action_set([submit(titles[name], submit_data(name, agreement_id)) for name in names])


def text_input(input_id: str, *, max_length: int, value: str | None = None, placeholder: str | None = None,
               multiline: bool = True) -> Element:
    """A text field with ``max_length`` as its maxLength hint; the server checks the length again.

    A ``value`` longer than ``max_length`` (a refused answer given back) raises the hint to its
    length: a client that honours maxLength may otherwise cut the leader's text when it shows it.
    """
    field: Element = {"type": "Input.Text", "id": input_id, "isMultiline": multiline,
                      "maxLength": max(max_length, len(value or ""))}
    if value:
        field["value"] = value
    if placeholder:
        field["placeholder"] = placeholder
    return field


def refilled(content: Mapping[str, Any], values: Mapping[str, str], notice: str | None = None) -> dict:
    """A copy of a card with the inputs named in ``values`` (by id) set to them and ``notice`` above the rest.

    This is how a refused answer comes back: the same card, the leader's text in its field and the
    ticked boxes ticked (unknown choices are left out), with the reason first.
    """
    result = copy.deepcopy(dict(content))
    for node in _nodes(result.get("body", [])):
        value = values.get(node.get("id")) if node.get("type", "").startswith("Input.") else None
        if not isinstance(value, str):
            continue
        if node["type"] == "Input.ChoiceSet":
            known = {choice["value"] for choice in node.get("choices", [])}
            value = ",".join(key for key in value.split(",") if key in known)
        if node["type"] == "Input.Text":
            node["maxLength"] = max(node.get("maxLength", 0), len(value))
        node["value"] = value
    if notice:
        result["body"] = [container([text(notice, bold=True)], style="attention"), *result.get("body", [])]
    return result


def stamp(activity: Activity, fields: Mapping[str, Any]) -> None:
    """Add ``fields`` to the data of every Action.Submit in the activity's cards (in place: pass a copy).

    This is how a card says what its buttons answer: the agreement and the step it was sent in.
    """
    for content in cards_in(activity):
        for node in _nodes(content):
            if node.get("type") == "Action.Submit" and isinstance(node.get("data", {}), dict):
                node["data"] = {**node.get("data", {}), **fields}


def _nodes(tree: Any) -> Iterator[dict]:
    """Every object in a card's body, depth first."""
    if isinstance(tree, dict):
        yield tree
        tree = list(tree.values())
    if isinstance(tree, list):
        for item in tree:
            yield from _nodes(item)


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
