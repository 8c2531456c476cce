"""A short message with buttons (confirmations, and what the other leader is told)."""

from __future__ import annotations

from collections.abc import Sequence

from bot.cards import Element, card, container, text


def message_card(message: str, buttons: Sequence[Element] = (), *, quoted: str | None = None) -> dict:
    """``message`` in bold, optionally a quoted text under it (e.g. comments), and buttons."""
    body: list[Element] = [text(message, bold=True)]
    if quoted:
        body.append(container([text(quoted)], style="emphasis"))
    return card(body, buttons, fallback=message)
