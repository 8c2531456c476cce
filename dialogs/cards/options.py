"""A short question answered with one of a few buttons."""

from __future__ import annotations

from collections.abc import Sequence

from bot.cards import Element, as_typed, card, submit, text, text_input
from dialogs.reply import ANSWER, CHOOSE, KEEP, LABEL, SKIP, reply_data
from dialogs.texts import common


def options_card(question: str, prompt_key: str, choices: Sequence[tuple[str, str]],
                 body_before: Sequence[Element] = ()) -> dict:
    """``question`` with one button per (option, title); a button answers ``prompt_key``."""
    return card(
        [*body_before, text(question, bold=True)],
        [submit(title, reply_data(CHOOSE, prompt_key, option=option)) for option, title in choices],
        fallback=question,
    )


def free_text_card(label: str, prompt_key: str, *, max_length: int, hint: str | None = None,
                   placeholder: str | None = None, value: str | None = None, multiline: bool = True,
                   body_before: Sequence[Element] = (), keep: bool = False) -> dict:
    """A card asking for one free text (also answerable by typing in the chat).

    With ``keep`` the card also has a «Behold» button that keeps the current text (``value``).
    """
    # A label can name a leader's goal ("Skriv tiltakene for «…»").
    body = [*body_before, as_typed(label, bold=True)]
    if hint:
        body.append(text(hint, subtle=True))
    body.append(text_input("text", max_length=max_length, value=value, placeholder=placeholder, multiline=multiline))
    return card(body, answer_buttons(prompt_key, label, keep=keep), fallback=label)


def answer_buttons(prompt_key: str, label: str, *, keep: bool = False, skip: bool = False) -> list[Element]:
    """The save button for an answer to ``prompt_key``, then the keep and skip buttons if asked for.

    The buttons carry the question's ``label``, so that text sent from the card after the dialog
    has moved on can be given back with the question it was written for.
    """
    asked = {LABEL: label}
    buttons = [submit(common.BUTTON_SAVE, reply_data(ANSWER, prompt_key, **asked), style="positive")]
    if keep:
        buttons.append(submit(common.BUTTON_KEEP, reply_data(KEEP, prompt_key, **asked)))
    if skip:
        buttons.append(submit(common.BUTTON_SKIP, reply_data(SKIP, prompt_key, **asked)))
    return buttons
