"""HR's overview of the year in the personal chat ("Oversikt"), and the superior's superior's "Status i min linje".

Who gets which is :func:`agreement.overview.scope_of`; a leader who is neither gets a polite
refusal. The card holds counts, names, units and dates (status and dates only, never content),
the chart as a PNG in a data: URI, and a button for the status table as a spreadsheet. The
spreadsheet goes out as the leaders' copies do: an offer (file consent card or single-use link)
bound to the leader, taken once (:mod:`dialogs.document_handout`), made from the data of the
moment it is taken, and only while the leader still has that overview.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from zoneinfo import ZoneInfo

from botbuilder.core import TurnContext
from botbuilder.schema import Activity, ActivityTypes
from sqlalchemy.ext.asyncio import AsyncSession

from agreement.calendar import load_calendar
from agreement.overview import Overview, build_overview, scope_of
from bot import one_time_tokens
from bot.cards import MAX_CARD_BYTES, card_size, text, to_activity
from bot.files import consent_offer, link_offer
from bot.one_time_tokens import Kind, Subject
from bot.settings import FILE_CONSENT
from bot.turn import turn_session
from dialogs.cards.hr_overview import overview_card
from dialogs.flow import DialogDeps, current_leader_id
from dialogs.reply import normalise
from dialogs.texts import hr_overview as texts
from documents.overview_chart import render_chart
from documents.overview_xlsx import file_name, render_xlsx

logger = logging.getLogger(__name__)

#: The years an overview may be asked for (a card's data is checked against it).
YEARS = range(2000, 2101)


def is_overview_request(activity: Activity) -> bool:
    """«Oversikt» (or «Status i min linje») typed as the whole message."""
    if activity.type != ActivityTypes.message or activity.value is not None or not isinstance(activity.text, str):
        return False
    return normalise(activity.text) in texts.WORDS


async def overview_for(session: AsyncSession, deps: DialogDeps, leader_id: int, year: int) -> Overview | None:
    """The overview ``leader_id`` may have of ``year`` as of today, or None when they may have none."""
    scope = await scope_of(session, leader_id, year)
    if scope is None:
        return None
    calendar = await load_calendar(session, year, deps.settings.timezone)
    return await build_overview(session, scope, year, calendar, deps.today())


async def overview_button(session: AsyncSession, leader_id: int, year: int) -> str | None:
    """The menu's button title for the leader's overview, or None when they have none."""
    scope = await scope_of(session, leader_id, year)
    if scope is None:
        return None
    return texts.BUTTON_HR if scope.kind.value == "hr" else texts.BUTTON_LINE


def overview_activity(overview: Overview, deps: DialogDeps) -> Activity:
    """The overview card, with the chart while the card stays under Teams' size limit (else its text alternative)."""
    chart = render_chart(overview, ZoneInfo(deps.settings.timezone)) if overview.rows else None
    content = overview_card(overview, chart_uri=chart.data_uri if chart else None,
                            chart_alt=chart.alt_text if chart else None)
    if chart is not None and card_size(content) > MAX_CARD_BYTES:
        logger.info("The overview's chart left out: the card would be %s bytes", card_size(content))
        content = overview_card(overview, chart_uri=None, chart_alt=None)
        content["body"].insert(2, text(chart.alt_text))
    summary = content.get("fallbackText")
    return to_activity(content, summary=summary)


async def send_overview(context: TurnContext, deps: DialogDeps) -> None:
    """The overview of this year for the leader of the turn, or the polite refusal."""
    leader = current_leader_id(context)
    year = deps.today().year
    overview = await overview_for(turn_session(context), deps, leader, year)
    if overview is None:
        logger.info("Leader %s refused the overview", leader)
        await context.send_activity(texts.REFUSED)
        return
    logger.info("Overview of %s (%s) for leader %s", year, overview.scope.kind.value, leader)
    await context.send_activity(overview_activity(overview, deps))


async def spreadsheet_for(session: AsyncSession, deps: DialogDeps, leader_id: int, year: int) -> bytes | None:
    """The spreadsheet of the overview ``leader_id`` may have of ``year``, made now, or None."""
    overview = await overview_for(session, deps, leader_id, year)
    if overview is None:
        return None
    return render_xlsx(overview, ZoneInfo(deps.settings.timezone))


async def send_spreadsheet_offer(context: TurnContext, deps: DialogDeps, year: object) -> None:
    """Offer the overview's spreadsheet: a file consent card, or a single-use link (issued in the turn's transaction)."""
    leader = current_leader_id(context)
    session = turn_session(context)
    if isinstance(year, bool) or not isinstance(year, int) or year not in YEARS:
        year = deps.today().year
    content = await spreadsheet_for(session, deps, leader, year)
    if content is None:
        await context.send_activity(texts.REFUSED)
        return
    settings = deps.settings
    consent = settings.delivery == FILE_CONSENT
    token = await one_time_tokens.issue(session, Kind.CONSENT if consent else Kind.LINK, leader, None, deps.clock(),
                                        timedelta(minutes=settings.document_offer_minutes),
                                        subject_kind=Subject.OVERVIEW, year=year)
    if consent:
        # Measured now for the consent card; the file handed out is made anew when it is taken.
        activity = consent_offer(file_name(year), len(content), texts.CONSENT_DESCRIPTION.format(year=year),
                                 {"overview_year": year, "token": token}, texts.CONSENT_SUMMARY)
    else:
        activity = link_offer(settings.link_base_url, token, texts.LINK_TITLE.format(year=year),
                              texts.LINK_TEXT.format(minutes=settings.document_offer_minutes), texts.LINK_BUTTON)
    await context.send_activity(activity)
