"""The main menu: the leader's agreements this year, their status and next step, with buttons."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot import actions
from bot.cards import card, container, facts, flow_buttons, heading, submit, text
from dialogs.texts import common
from dialogs.texts import menu as texts


@dataclass(frozen=True)
class MenuEntry:
    """One agreement as the menu shows it."""

    agreement_id: int
    as_superior: bool
    other_name: str
    status: str
    meeting: str | None
    next_text: str
    next_actions: tuple[str, ...]
    progress: str | None = None


def menu_card(year: int, entries: Sequence[MenuEntry], *, earlier_years: bool = False,
              overview: str | None = None) -> dict:
    """The menu card; every agreement can be seen, and with ``earlier_years`` those of earlier years too."""
    body = [heading(texts.TITLE.format(year=year))]
    if not entries:
        body.append(text(texts.NONE.format(year=year)))
    for entry in entries:
        title = (texts.AS_SUPERIOR if entry.as_superior else texts.AS_SUBORDINATE).format(name=entry.other_name)
        shown = [
            (texts.STATUS, entry.status),
            (texts.MEETING, entry.meeting or texts.NOT_PLANNED),
            *([(texts.PROGRESS, entry.progress)] if entry.progress else []),
            (texts.NEXT, entry.next_text),
        ]
        items = [
            text(title, bold=True),
            facts(shown),
            flow_buttons(texts.BUTTONS, (*entry.next_actions, actions.VIEW_AGREEMENT), entry.agreement_id),
        ]
        body.append(container(items, separator=True))
    buttons = [submit(texts.PAST_YEARS, actions.submit_data(actions.PAST_YEARS))] if earlier_years else []
    if overview:
        # HR's overview, or the superior's superior's "Status i min linje" (``overview`` is its title).
        buttons.append(submit(overview, actions.submit_data(actions.OVERVIEW)))
    buttons += [
        submit(common.BUTTON_READING, actions.submit_data(actions.OPEN_READING)),
        submit(common.BUTTON_HELP, actions.submit_data(actions.HELP)),
    ]
    return card(body, buttons, fallback=texts.TITLE.format(year=year))
