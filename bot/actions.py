"""The vocabulary of card buttons (Action.Submit data), shared by dialogs and reminder cards.

A submit carries ``{"action": <one of ACTIONS>, "agreement_id": <int>, ...}``.
"""

from __future__ import annotations

OPEN_MENU = "menu"
OPEN_READING = "reading"
PLAN = "plan"
PREPARE = "prepare"
VIEW_PREPARATION = "view_preparation"
FILL = "fill"
REVIEW = "review"
SIGN = "sign"
FOLLOWUP_REFLECT = "followup_reflect"
VIEW_REFLECTIONS = "view_reflections"
FOLLOWUP_RECORD = "followup_record"
FOLLOWUP_CONFIRM = "followup_confirm"
VIEW_AGREEMENT = "view_agreement"
#: The leader's agreements of earlier years.
PAST_YEARS = "past_years"
#: One answer shown whole (a card shows long answers shortened): ``answer_id`` names it.
SHOW_TEXT = "show_text"
#: A leader's answer on sharing Ledelsesutvikling, changed after signing (e.g. withdrawn).
SHARING = "sharing"
#: The leader's own copy of a signed agreement, as a PDF.
DOCUMENT = "document"
#: HR's overview of the year (or the superior's superior's "Status i min linje"): status and dates only.
OVERVIEW = "overview"
#: The overview's status table as a spreadsheet: ``year`` names the year.
OVERVIEW_XLSX = "overview_xlsx"
#: «Hvem har sett avtalen?»: who has read an agreement's content (``agreement_id``, or this year's).
SEEN_BY = "seen_by"
HELP = "hjelp"
STATUS = "status"
CANCEL = "avbryt"

#: Actions that start a flow for one agreement from a card (e.g. a reminder's button).
FLOW_ACTIONS = frozenset(
    {PLAN, PREPARE, VIEW_PREPARATION, FILL, REVIEW, SIGN, FOLLOWUP_REFLECT, FOLLOWUP_RECORD, FOLLOWUP_CONFIRM,
     VIEW_AGREEMENT, SHARING, VIEW_REFLECTIONS, DOCUMENT}
)
ACTIONS = FLOW_ACTIONS | {OPEN_MENU, OPEN_READING, HELP, STATUS, CANCEL, PAST_YEARS, SHOW_TEXT, OVERVIEW,
                          OVERVIEW_XLSX, SEEN_BY}


def submit_data(action: str, agreement_id: int | None = None, **extra: object) -> dict[str, object]:
    """The ``data`` of an Action.Submit that asks for ``action``."""
    if action not in ACTIONS:
        raise ValueError(f"unknown card action {action!r}")
    data: dict[str, object] = {"action": action}
    if agreement_id is not None:
        data["agreement_id"] = agreement_id
    data.update(extra)
    return data
