"""What each leader can do next with an agreement: the menu's buttons, its progress, and the guard on card submits."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from agreement.access import Role
from agreement.calendar import CalendarError, build_calendar, load_calendar
from agreement.opening import AgreementAccess
from agreement import access_log
from agreement.progress import own_preparation_done, progress_of
from agreement.status import both_prepared, followup_done, is_signed
from bot import actions
from dialogs.texts import common
from dialogs.texts import document as dtexts
from dialogs.texts import menu as texts
from storage.models import Phase

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class NextStep:
    """The next step of one agreement for one leader: a sentence and the buttons for it."""

    text: str
    actions: tuple[str, ...]


async def followup_start(session: AsyncSession, year: int, timezone: str) -> date:
    """The day the autumn follow-up opens in ``year``: HR's calendar for the year, or the default."""
    try:
        return (await load_calendar(session, year, timezone)).followup_start
    except CalendarError:
        logger.warning("The stored calendar for %s is invalid; using the default follow-up start", year)
        return build_calendar(year, timezone=timezone).followup_start


def next_step(opened: AgreementAccess, today: date, followup_starts: date | None = None) -> NextStep:
    """The next step for the viewer of ``opened``.

    ``followup_starts`` is the day the autumn follow-up opens this year (see ``followup_start``);
    the calendar's default when not given.
    """
    start = followup_starts or build_calendar(today.year).followup_start
    a = opened.agreement
    other = opened.other.name
    superior = opened.role is Role.SUPERIOR
    if is_signed(a):
        if followup_done(a):
            return NextStep(texts.STEP_DONE, ())
        if a.followup_recorded_at is not None:
            mine = a.superior_followup_confirmed_at if superior else a.subordinate_followup_confirmed_at
            if mine is None:
                return NextStep(texts.STEP_CONFIRM if superior else texts.STEP_CONFIRM_OR_COMMENT,
                                (actions.FOLLOWUP_CONFIRM,))
            return NextStep(texts.STEP_WAIT_CONFIRM.format(name=other), ())
        if today < start:
            return NextStep(texts.STEP_FOLLOWUP_LATER.format(date=common.format_date(start)), ())
        # As in spring: both reflections open to each other once both are done.
        view = (actions.VIEW_REFLECTIONS,) if opened.both_reflected else ()
        if superior:
            return NextStep(texts.STEP_RECORD, (actions.FOLLOWUP_REFLECT, actions.FOLLOWUP_RECORD, *view))
        if opened.viewer.id in opened.reflected:
            return NextStep(texts.STEP_WAIT_RECORD.format(name=other), (*view, actions.FOLLOWUP_REFLECT))
        return NextStep(texts.STEP_REFLECT, (actions.FOLLOWUP_REFLECT,))
    mine_prepared = a.superior_prepared_at if superior else a.subordinate_prepared_at
    if a.filled_at is not None:
        mine_signed = a.superior_signed_at if superior else a.subordinate_signed_at
        if mine_signed is not None:
            return NextStep(texts.STEP_WAIT_SIGN.format(name=other), ())
        if superior:
            return NextStep(texts.STEP_SIGN, (actions.SIGN, actions.FILL))
        return NextStep(texts.STEP_REVIEW, (actions.REVIEW,))
    if superior:
        if a.review_comment_at is not None:
            return NextStep(texts.STEP_FILL_COMMENTS.format(name=other), (actions.FILL,))
        if a.meeting_at is None:
            return NextStep(texts.STEP_PLAN.format(name=other), (actions.PLAN, actions.PREPARE))
        if mine_prepared is None:
            return NextStep(texts.STEP_PREPARE, (actions.PREPARE, actions.FILL, actions.PLAN))
        return NextStep(texts.STEP_FILL, (actions.FILL, *_view(a), actions.PREPARE, actions.PLAN))
    if mine_prepared is None:
        return NextStep(texts.STEP_PREPARE, (actions.PREPARE,))
    return NextStep(texts.STEP_WAIT_FILL.format(name=other), (*_view(a), actions.PREPARE))


async def progress_text(session: AsyncSession, opened: AgreementAccess) -> str | None:
    """How far the viewer's work of the moment has come ("7 av 11"): their preparation, or the agreed text.

    None once the agreement is sent for review, and for a subordinate whose preparation is done.
    """
    agreement = opened.agreement
    if is_signed(agreement) or agreement.filled_at is not None:
        return None
    prepared = own_preparation_done(opened)
    if opened.role is Role.SUPERIOR:
        agreed = await progress_of(session, opened, Phase.AGREEMENT, purpose=access_log.CHECK)
        if agreed.started or prepared:
            return texts.PROGRESS_AGREEMENT.format(answered=agreed.answered, total=agreed.total)
    if prepared:
        return None
    preparation = await progress_of(session, opened, Phase.PREPARATION, purpose=access_log.CHECK)
    return texts.PROGRESS_PREPARATION.format(answered=preparation.answered, total=preparation.total)


def _view(agreement) -> tuple[str, ...]:
    """The button to see both preparations, once both are done."""
    return (actions.VIEW_PREPARATION,) if both_prepared(agreement) else ()


def refusal(action: str, opened: AgreementAccess) -> str | None:
    """Why ``action`` cannot be started now by this viewer, or None when it can."""
    a = opened.agreement
    superior = opened.role is Role.SUPERIOR
    signed = is_signed(a)
    superior_only = {actions.PLAN, actions.FILL, actions.FOLLOWUP_RECORD}
    if action in superior_only and not superior:
        return texts.REFUSE_ROLE
    if action in (actions.PLAN, actions.PREPARE) and signed:
        return texts.REFUSE_SIGNED
    if action == actions.DOCUMENT and not signed:
        return dtexts.NOT_SIGNED
    if action == actions.VIEW_PREPARATION and not both_prepared(a):
        return texts.REFUSE_NOT_BOTH_PREPARED
    if action == actions.VIEW_REFLECTIONS and not opened.reflections_open:
        return texts.REFUSE_NOT_BOTH_REFLECTED
    if action == actions.FILL and a.followup_recorded_at is not None:
        return texts.REFUSE_FOLLOWUP_RECORDED
    if action in (actions.REVIEW, actions.SIGN):
        if signed:
            return texts.REFUSE_SIGNED
        if a.filled_at is None:
            return texts.REFUSE_NOT_FILLED
        if (a.superior_signed_at if superior else a.subordinate_signed_at) is not None:
            return texts.REFUSE_ALREADY_SIGNED
    if action in (actions.FOLLOWUP_REFLECT, actions.FOLLOWUP_RECORD, actions.FOLLOWUP_CONFIRM):
        if not signed:
            return texts.REFUSE_NOT_SIGNED
        if followup_done(a):
            return texts.REFUSE_FOLLOWUP_DONE
    if action == actions.FOLLOWUP_REFLECT and a.followup_recorded_at is not None:
        return texts.REFUSE_FOLLOWUP_RECORDED
    if action == actions.FOLLOWUP_CONFIRM:
        if a.followup_recorded_at is None:
            return texts.REFUSE_NOT_RECORDED
        if (a.superior_followup_confirmed_at if superior else a.subordinate_followup_confirmed_at) is not None:
            return texts.REFUSE_ALREADY_CONFIRMED
    return None
