"""Long texts shortened where they are context, with a button that shows one of them whole."""

from __future__ import annotations

from bot import actions
from bot.cards import Element, action_set, as_typed, card, heading, submit, text
from dialogs.texts import common

#: How much of another text a question card shows (the leader answers below it).
CONTEXT_LENGTH = 280
#: How much of each answer the agreement's overview and view show.
VIEW_LENGTH = 700
#: Where a shortened text may end before its limit, to end at a space rather than inside a word.
_WORD_SLACK = 40


def excerpt(typed: str, limit: int) -> tuple[str, bool]:
    """``typed`` cut to at most ``limit`` characters, at a space if one is near, and whether it was cut."""
    if len(typed) <= limit:
        return typed, False
    cut = typed[:limit]
    space = max(cut.rfind(" "), cut.rfind("\n"))
    if space >= limit - _WORD_SLACK:
        cut = cut[:space]
    return cut.rstrip() + " …", True


def read_whole_button(agreement_id: int, answer_id: int) -> Element:
    """The button under a shortened text that shows it whole."""
    return action_set([submit(common.BUTTON_READ_WHOLE,
                              actions.submit_data(actions.SHOW_TEXT, agreement_id, answer_id=answer_id))])


def shortened(typed: str, limit: int, agreement_id: int, answer_id: int | None, *, spacing: str | None = None,
              subtle: bool = False) -> list[Element]:
    """A leader's text as typed, shortened to ``limit`` with a button to read it whole (when its answer is known)."""
    shown, cut = excerpt(typed, limit) if answer_id is not None else (typed, False)
    items = [as_typed(shown, spacing=spacing, subtle=subtle)]
    if cut:
        items.append(read_whole_button(agreement_id, answer_id))
    return items


def whole_text_card(who: str, label: str, typed: str) -> dict:
    """One text whole: whose it is, the question it answers, and the text as typed."""
    return card(
        [heading(common.WHOLE_TEXT_TITLE, size="Medium"), text(who, subtle=True),
         as_typed(label, bold=True), as_typed(typed)],
        fallback=common.WHOLE_TEXT_TITLE,
    )
