"""A short message with buttons (confirmations, and what the other leader is told), and text given back."""

from __future__ import annotations

from collections.abc import Sequence

from bot.cards import Element, as_typed, card, container, text
from dialogs.texts import common


def message_card(message: str, buttons: Sequence[Element] = (), *, quoted: str | None = None) -> dict:
    """``message`` in bold, optionally a leader's text quoted under it (e.g. comments), and buttons."""
    body: list[Element] = [text(message, bold=True)]
    if quoted:
        body.append(container([as_typed(quoted)], style="emphasis"))
    return card(body, buttons, fallback=message)


def given_back_card(reason: str, typed: str, question: str | None = None) -> dict:
    """A leader's text that was not saved, word for word, with why and the question it was written for."""
    body: list[Element] = [text(reason, bold=True)]
    if question:
        body += [text(common.GIVEN_BACK_QUESTION, subtle=True), as_typed(question, bold=True, spacing="Small")]
    body += [text(common.GIVEN_BACK_TEXT, subtle=True), container([as_typed(typed)], style="emphasis", spacing="Small"),
             text(common.GIVEN_BACK_COPY, subtle=True)]
    return card(body, fallback=reason)
