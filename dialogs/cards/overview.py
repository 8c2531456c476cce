"""The overview of one agreement's answers: each question with its mark and a button to open it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot import actions
from bot.cards import Element, action_set, as_typed, card, container, heading, submit, text
from dialogs.cards.questions import ContextEntry
from dialogs.cards.whole_text import CONTEXT_LENGTH, shortened
from dialogs.reply import CHOOSE, reply_data
from dialogs.texts import common
from dialogs.texts import overview as texts


@dataclass(frozen=True)
class OverviewRow:
    """One question of the overview: where it is asked, its mark, and a glimpse of its answer."""

    index: int
    section: str
    label: str
    mark: str
    answered: bool
    glimpse: str | None = None


def overview_card(title: str, whose: str, summary: Sequence[str], rows: Sequence[OverviewRow], prompt_key: str, *,
                  notice: str | None = None, comment: ContextEntry | None = None, resume: bool = False,
                  finish: str | None = None) -> dict:
    """Every question of a phase under its section, each with a button that opens it alone.

    «Gå gjennom alle spørsmålene» walks them from the first; ``resume`` adds «Fortsett der du slapp»,
    ``finish`` the button that ends the phase (its title).
    """
    body: list[Element | None] = [
        container([text(notice, bold=True)], style="attention") if notice else None,
        text(whose, subtle=True),
        heading(title),
        *(text(line, spacing="None" if number else None) for number, line in enumerate(summary)),
    ]
    if comment is not None:
        body.append(container([text(comment.who, bold=True),
                               *shortened(comment.lines[0], CONTEXT_LENGTH, comment.agreement_id, comment.answer_id)],
                              style="accent"))
    section = None
    items: list[Element] = []
    for row in rows:
        if row.section != section:
            if items:
                body.append(container(items, separator=True))
            section, items = row.section, [heading(row.section, size="Medium")]
        # A label is the form's own text; a glimpse is what a leader wrote.
        items += [
            text(row.label, bold=True, spacing="Medium"),
            text(row.mark, subtle=True, spacing="None"),
            as_typed(row.glimpse, spacing="None") if row.glimpse else None,
            action_set([submit(texts.OPEN_ANSWERED if row.answered else texts.OPEN_EMPTY,
                               reply_data(CHOOSE, prompt_key, option="open", index=row.index))]),
        ]
    if items:
        body.append(container(items, separator=True))
    buttons = []
    if resume:
        buttons.append(submit(texts.CONTINUE, reply_data(CHOOSE, prompt_key, option="continue"), style="positive"))
    buttons.append(submit(texts.GO_THROUGH, reply_data(CHOOSE, prompt_key, option="go")))
    if finish:
        buttons.append(submit(finish, reply_data(CHOOSE, prompt_key, option="finish"),
                              style=None if resume else "positive"))
    buttons.append(submit(common.BUTTON_MENU, actions.submit_data(actions.OPEN_MENU)))
    return card(body, buttons, fallback=title)
