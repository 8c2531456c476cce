"""The card for setting the date and time of the conversation."""

from __future__ import annotations

from datetime import date, datetime

from bot.cards import Element, card, submit, text
from dialogs.reply import ANSWER, example_when, reply_data
from dialogs.texts import plan as texts


def plan_card(other_name: str, prompt_key: str, current: datetime | None, today: date, current_text: str | None) -> dict:
    """Input.Date and Input.Time, prefilled with the current meeting time if there is one."""
    example = example_when(today)
    date_input: Element = {"type": "Input.Date", "id": "date", "label": texts.DATE_LABEL, "min": today.isoformat(),
                           "isRequired": True, "errorMessage": texts.INVALID_WHEN.format(example=example)}
    time_input: Element = {"type": "Input.Time", "id": "time", "label": texts.TIME_LABEL,
                           "isRequired": True, "errorMessage": texts.MISSING_TIME}
    if current is not None:
        date_input["value"] = current.date().isoformat()
        time_input["value"] = current.strftime("%H:%M")
    body: list[Element] = [text(texts.ASK.format(name=other_name), bold=True)]
    if current_text:
        body.append(text(texts.CURRENT.format(when=current_text)))
    body += [date_input, time_input, text(texts.TYPED_HINT.format(example=example), subtle=True)]
    return card(body, [submit(texts.SAVE, reply_data(ANSWER, prompt_key), style="positive")],
                fallback=texts.ASK.format(name=other_name))
