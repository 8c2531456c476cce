"""The overview card: counts per status and per unit, what is overdue, whom the bot cannot reach, the chart.

Only the bot's own texts, names, units, counts and dates: status and dates, never content.
"""

from __future__ import annotations

from agreement.overview import Overview, ScopeKind
from bot import actions
from bot.cards import bullets, card, facts, heading, submit, text
from dialogs.texts import hr_overview as texts

#: How many overdue agreements and unreachable leaders the card names (the spreadsheet has them all).
LISTED = 15


def _listed(lines: list[str], empty: str) -> list[str]:
    if not lines:
        return [empty]
    shown = lines[:LISTED]
    if len(lines) > LISTED:
        shown.append(texts.MORE.format(count=len(lines) - LISTED))
    return shown


def _name(name: str, active: bool) -> str:
    return name if active else texts.LEFT.format(name=name)


def overview_card(overview: Overview, *, chart_uri: str | None, chart_alt: str | None) -> dict:
    hr = overview.scope.kind is ScopeKind.HR
    title = (texts.TITLE_HR if hr else texts.TITLE_LINE).format(year=overview.year)
    today = f"{overview.today:%d.%m.%Y}"
    body: list = [heading(title, size="Medium")]
    if not overview.rows:
        body.append(text(texts.NO_AGREEMENTS.format(year=overview.year)))
        return card(body, fallback=title)
    intro = texts.INTRO_HR if hr else texts.INTRO_LINE
    body.append(text(intro.format(count=len(overview.rows), year=overview.year, today=today), subtle=True))
    if chart_uri:
        body.append({"type": "Image", "url": chart_uri, "altText": chart_alt or title, "size": "Stretch"})
        if chart_alt:
            # Also shown: Teams clients have been reported not to show data: URIs in cards (web, desktop).
            body.append(text(chart_alt, subtle=True, spacing="None"))
    body.append(text(texts.BY_STATUS, bold=True, spacing="Medium"))
    body.append(facts([(status.label, str(count)) for status, count in overview.by_status.items()]))
    body.append(text(texts.BY_UNIT, bold=True, spacing="Medium"))
    body.append(bullets(_listed([
        texts.UNIT_LINE.format(unit=unit.unit or texts.NO_UNIT, agreements=unit.agreements, planned=unit.planned,
                               prepared=unit.prepared, signed=unit.signed, followed_up=unit.followed_up)
        for unit in overview.by_unit
    ], texts.NO_AGREEMENTS.format(year=overview.year))))
    body.append(text(texts.OVERDUE, bold=True, spacing="Medium"))
    overdue = []
    for item in overview.overdue:
        line = texts.OVERDUE_Q1 if item.deadline == "q1" else texts.OVERDUE_FOLLOWUP
        deadline = overview.q1_deadline if item.deadline == "q1" else overview.followup_deadline
        overdue.append(line.format(subordinate=_name(item.row.subordinate_name, item.row.subordinate_active),
                                   superior=_name(item.row.superior_name, item.row.superior_active),
                                   deadline=f"{deadline:%d.%m.%Y}"))
    body.append(bullets(_listed(overdue, texts.OVERDUE_NONE)))
    body.append(text(texts.UNREACHABLE, bold=True, spacing="Medium"))
    body.append(bullets(_listed([
        (texts.UNREACHABLE_NO_REF if leader.reason is None else texts.UNREACHABLE_MARKED).format(
            name=_name(leader.name, leader.active))
        for leader in overview.unreachable
    ], texts.UNREACHABLE_NONE)))
    buttons = [submit(texts.DOWNLOAD, actions.submit_data(actions.OVERVIEW_XLSX, year=overview.year))]
    return card(body, buttons, fallback=title)
