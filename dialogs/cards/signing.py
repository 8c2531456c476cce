"""The cards of signing: one's own place and date, and the confirmation that names what is signed."""

from __future__ import annotations

from collections.abc import Sequence

from bot.cards import as_typed, card, submit, text, text_input
from dialogs.reply import ANSWER, CHOOSE, LABEL, reply_data
from dialogs.texts import review as texts


def place_card(label: str, prompt_key: str, suggestion: str, *, max_length: int) -> dict:
    """The form's "Sted og dato" with ``suggestion`` in the field, answered with «Neste» (or by typing)."""
    return card(
        [text(label, bold=True), text(texts.PLACE_HINT, subtle=True),
         text_input("text", max_length=max_length, value=suggestion, multiline=False)],
        # The label comes along: text sent from this card after the dialog moved on is given back with it.
        [submit(texts.PLACE_NEXT, reply_data(ANSWER, prompt_key, **{LABEL: label}), style="positive")],
        fallback=label,
    )


def confirm_card(what: str, place_label: str, place_and_date: str, notes: Sequence[str], prompt_key: str) -> dict:
    """``what`` is being signed, with the signer's place and date (as typed) and ``notes``; «Signer» or «Avbryt»."""
    return card(
        [text(what, bold=True), text(place_label, subtle=True), as_typed(place_and_date, spacing="None"),
         *(text(note) for note in notes), text(texts.CONFIRM_QUESTION, bold=True)],
        [submit(texts.SIGN, reply_data(CHOOSE, prompt_key, option="sign"), style="positive"),
         submit(texts.CANCEL, reply_data(CHOOSE, prompt_key, option="cancel"))],
        fallback=what,
    )
