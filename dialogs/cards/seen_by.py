"""The card of «Hvem har sett avtalen?»: per agreement, who read which parts, how and when (never content)."""

from __future__ import annotations

from collections.abc import Sequence

from bot import actions
from bot.cards import Element, card, container, heading, submit, text
from dialogs.texts import common
from dialogs.texts import seen_by as texts


def seen_card(sections: Sequence[tuple[str, Sequence[str]]]) -> dict:
    """``sections``: each agreement's title and its lines (none: nobody else has read it)."""
    body: list[Element] = [heading(texts.TITLE), text(texts.INTRO, subtle=True)]
    for title, lines in sections:
        items: list[Element] = [text(title, bold=True)]
        items += [text(line) for line in lines] if lines else [text(texts.NONE, subtle=True)]
        body.append(container(items, separator=True))
    return card(body, [submit(common.BUTTON_MENU, actions.submit_data(actions.OPEN_MENU))], fallback=texts.TITLE)
