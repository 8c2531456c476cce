"""Validate Adaptive Cards against the Adaptive Cards 1.5 JSON schema (``assert_valid_card``)."""

from __future__ import annotations

import functools
import json
from typing import Any

import jsonschema
from jsonschema.exceptions import best_match

from tests.support.paths import SCHEMAS

SCHEMA_PATH = SCHEMAS / "adaptive-card-1.5.schema.json"
MAX_VERSION = (1, 5)


@functools.cache
def card_validator() -> jsonschema.protocols.Validator:
    """A validator for the 1.5 schema (draft-06, with its ``id`` resolved locally)."""
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


def _version(value: Any) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in str(value).split("."))
    except ValueError:
        raise AssertionError(f"card version {value!r} is not a version number") from None


def card_nodes(tree: Any):
    """Every object (dict) in a card, a list of cards, or any JSON-like tree, depth first."""
    for _path, node in _walk(tree):
        if isinstance(node, dict):
            yield node


def submit_data(tree: Any, title: str | None = None) -> list[dict]:
    """The data of every Action.Submit in ``tree`` (only those titled ``title`` when given)."""
    return [
        node["data"]
        for node in card_nodes(tree)
        if node.get("type") == "Action.Submit" and (title is None or node.get("title") == title)
    ]


def rich_text_lines(tree: Any) -> list[str]:
    """The text of every RichTextBlock in ``tree``, one line each (its TextRuns joined)."""
    return [
        "".join(run if isinstance(run, str) else run.get("text", "") for run in node.get("inlines", []))
        for node in card_nodes(tree)
        if node.get("type") == "RichTextBlock"
    ]


def shown_texts(tree: Any) -> list[str]:
    """Every TextBlock's text and every RichTextBlock's line in ``tree``, in card order."""
    return [
        node["text"] if node["type"] == "TextBlock" else rich_text_lines(node)[0]
        for node in card_nodes(tree)
        if node.get("type") in ("TextBlock", "RichTextBlock")
    ]


def markdown_texts(tree: Any) -> list[str]:
    """Every text in ``tree`` that a renderer may read as Markdown: TextBlocks, facts and choice titles."""
    found: list[str] = []
    for node in card_nodes(tree):
        if node.get("type") == "TextBlock":
            found.append(node["text"])
        elif node.get("type") == "FactSet":
            found += [text for fact in node["facts"] for text in (fact["title"], fact["value"])]
        elif node.get("type") == "Input.ChoiceSet":
            found += [choice["title"] for choice in node["choices"]]
    return found


def assert_shown_as_typed(card: dict[str, Any], typed: str, *, markers: tuple[str, ...]) -> None:
    """``typed`` is in ``card`` word for word as plain TextRuns, one tight RichTextBlock per line.

    A line may have text of the bot's own before the first line or after the last (e.g. a label
    naming a goal: «…»). None of ``markers`` (bits of ``typed``) may be in any text read as Markdown.
    """
    blocks = [node for node in card_nodes(card) if node.get("type") == "RichTextBlock"]
    lines = rich_text_lines(blocks)
    wanted = typed.splitlines()
    count = len(wanted)

    def found_at(start: int) -> bool:
        got = lines[start:start + count]
        if len(got) < count:
            return False
        if count == 1:
            return wanted[0] in got[0]
        tight = all(block.get("spacing") == "None" for block in blocks[start + 1:start + count])
        return tight and got[0].endswith(wanted[0]) and got[1:-1] == wanted[1:-1] and got[-1].startswith(wanted[-1])

    assert any(found_at(start) for start in range(len(lines))), f"{typed!r} not shown as typed in {lines!r}"
    for run in (run for node in blocks for run in node["inlines"]):
        assert set(run) <= {"type", "text", "weight", "isSubtle"}, run  # no selectAction (link) or other styling
    for text in markdown_texts(card):
        for marker in markers:
            assert marker not in text, f"{marker!r} of a leader's text is in Markdown: {text!r}"


def _walk(node: Any, path: str = "$"):
    yield path, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _walk(value, f"{path}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _walk(value, f"{path}[{index}]")


def assert_valid_card(card: dict[str, Any], *, submit_needs_action: bool = True) -> None:
    """Fail with a readable message unless ``card`` is a valid Adaptive Card of version 1.5 or lower.

    Beyond the schema (which accepts any version string and any ``data``), this checks the
    version, that the card survives a JSON round trip, and (unless ``submit_needs_action`` is
    False) that every Action.Submit carries an object with an ``action``, as the dialogs expect.
    """
    assert isinstance(card, dict), f"a card is a JSON object, not {type(card).__name__}"
    assert card.get("type") == "AdaptiveCard", f"card type is {card.get('type')!r}, not 'AdaptiveCard'"
    assert "version" in card, "card has no version"
    assert _version(card["version"]) <= MAX_VERSION, f"card version {card['version']} is newer than 1.5"
    assert json.loads(json.dumps(card)) == card, "card does not survive a JSON round trip"
    errors = list(card_validator().iter_errors(card))
    if errors:
        error = best_match(errors)
        where = "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
        raise AssertionError(f"invalid Adaptive Card at {where}: {error.message} ({len(errors)} error(s))")
    if not submit_needs_action:
        return
    for path, node in _walk(card):
        if isinstance(node, dict) and node.get("type") == "Action.Submit":
            data = node.get("data")
            assert isinstance(data, dict) and "action" in data, f"{path}: Action.Submit data has no 'action'"
