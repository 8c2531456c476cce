"""The steps of an agreement's year: plan, prepare, fill in, review, sign, reopen, follow up, confirm.

Each step checks who may take it and whether the agreement's state allows it, changes the
agreement and keeps the step in its history (``AgreementEvent``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from agreement.access import Role
from agreement import access_log
from agreement.answers import FOLLOWUP_COMMENT_KEY, REVIEW_COMMENT_KEY, read_answers, save_answer, validate_text
from agreement.errors import AgreementLocked, InvalidPlaceAndDate, InvalidState, PlaceAndDateProblem
from agreement.opening import REFLECTED, AgreementAccess, flush, record_event, require_pair, require_role
from agreement.signatures import PlaceAndDate, clear_signatures, put_signature, signature_of, signatures_detail
from agreement.status import both_prepared, followup_done, is_signed
from agreement.template import FieldKind
from storage.models import Phase, utcnow

#: The longest "Sted og dato" a signature takes.
PLACE_AND_DATE_MAX_LENGTH = 200

_DATE = re.compile(r"(?<![\d.])(?P<day>\d{1,2})\.(?P<month>\d{1,2})\.(?P<year>\d{4})(?![\d.])")
#: What may stand between the place and the date: "Lørenskog, 02.02.2026", "Lørenskog 02.02.2026".
_SEPARATORS = " \t,;:-–"


@dataclass(frozen=True)
class Prepared:
    """What marking one's preparation done led to."""

    #: Both preparations are done: each leader may now see the other's.
    both: bool
    #: This mark was the second one: the other leader has not been told yet.
    both_now: bool


async def plan_meeting(session: AsyncSession, opened: AgreementAccess, when: datetime) -> None:
    """Set (or move) the meeting time of the conversation."""
    require_role(opened, Role.SUPERIOR)
    if is_signed(opened.agreement):
        raise AgreementLocked()
    if when.tzinfo is None:
        raise ValueError("meeting time must be timezone-aware")
    opened.agreement.meeting_at = when
    record_event(session, opened, "planned", meeting_at=when.isoformat())
    await flush(session)


async def record_meeting_event(session: AsyncSession, opened: AgreementAccess, event_id: str,
                               organizer_id: str) -> None:
    """Keep the planned conversation's calendar event (and whose calendar holds it), so re-planning moves it."""
    require_role(opened, Role.SUPERIOR)
    if opened.agreement.meeting_at is None:
        raise InvalidState("a calendar event belongs to a planned conversation")
    if not event_id or not organizer_id:
        raise ValueError("a calendar event needs its id and its organizer")
    opened.agreement.meeting_event_id = event_id
    opened.agreement.meeting_event_organizer_id = organizer_id
    await flush(session)


async def mark_prepared(session: AsyncSession, opened: AgreementAccess) -> Prepared:
    """Mark the viewer's own preparation as done."""
    require_pair(opened)
    agreement = opened.agreement
    if is_signed(agreement):
        raise AgreementLocked()
    was_both = both_prepared(agreement)
    now = utcnow()
    if opened.role is Role.SUPERIOR:
        agreement.superior_prepared_at = agreement.superior_prepared_at or now
    else:
        agreement.subordinate_prepared_at = agreement.subordinate_prepared_at or now
    record_event(session, opened, "prepared")
    await flush(session)
    both = both_prepared(agreement)
    return Prepared(both=both, both_now=both and not was_both)


async def missing_for_review(session: AsyncSession, opened: AgreementAccess) -> list[str]:
    """Question keys the superior must answer before sending the agreement for review."""
    answered = {
        a.question_key
        for a in await read_answers(session, opened, phase=Phase.AGREEMENT, purpose=access_log.CHECK)
        if a.author_id == opened.agreement.superior_id
    }
    required = [
        field.key
        for section in opened.template.sections
        for field in section.fields
        if field.kind in (FieldKind.TEXT, FieldKind.PLATFORM_CHOICE)
    ]
    return [key for key in required if key not in answered]


async def mark_filled(session: AsyncSession, opened: AgreementAccess) -> None:
    """The superior has recorded the agreed text and sends it to the subordinate for review."""
    require_role(opened, Role.SUPERIOR)
    if is_signed(opened.agreement):
        raise AgreementLocked()
    missing = await missing_for_review(session, opened)
    if missing:
        raise InvalidState("unanswered: " + ", ".join(missing))
    opened.agreement.filled_at = utcnow()
    opened.agreement.review_comment_at = None
    record_event(session, opened, "filled")
    await flush(session)


async def send_comments(session: AsyncSession, opened: AgreementAccess, text: str, *, max_length: int) -> None:
    """The subordinate sends the filled agreement back to the superior with comments."""
    require_role(opened, Role.SUBORDINATE)
    if opened.agreement.filled_at is None:
        raise InvalidState("the agreement has not been sent for review")
    if is_signed(opened.agreement):
        raise AgreementLocked()
    await save_answer(session, opened, REVIEW_COMMENT_KEY, Phase.AGREEMENT, text, max_length=max_length)
    record_event(session, opened, "comments_sent", **signatures_detail(opened.agreement))
    opened.agreement.filled_at = None
    opened.agreement.review_comment_at = utcnow()
    clear_signatures(opened.agreement)
    await flush(session)


def check_place_and_date(text: str | None, today: date) -> PlaceAndDate:
    """A signature's "Sted og dato": a place and one valid date (dd.mm.yyyy) not after ``today``.

    Refused with InvalidPlaceAndDate saying what is wrong (or AnswerEmpty / AnswerTooLong).
    """
    cleaned = validate_text(text, max_length=PLACE_AND_DATE_MAX_LENGTH)
    dates = list(_DATE.finditer(cleaned))
    if not dates:
        raise InvalidPlaceAndDate(PlaceAndDateProblem.NO_DATE)
    if len(dates) > 1:
        raise InvalidPlaceAndDate(PlaceAndDateProblem.SEVERAL_DATES)
    found = dates[0]
    try:
        day = date(int(found["year"]), int(found["month"]), int(found["day"]))
    except ValueError:
        raise InvalidPlaceAndDate(PlaceAndDateProblem.INVALID_DATE) from None
    if day > today:
        raise InvalidPlaceAndDate(PlaceAndDateProblem.FUTURE_DATE)
    place = " ".join(
        part for part in (cleaned[:found.start()].strip(_SEPARATORS), cleaned[found.end():].strip(_SEPARATORS)) if part
    )
    if not place:
        raise InvalidPlaceAndDate(PlaceAndDateProblem.NO_PLACE)
    return PlaceAndDate(place, day)


async def sign(session: AsyncSession, opened: AgreementAccess, place_and_date: str, *, today: date,
               share_development: bool) -> bool:
    """Sign with one's own "Sted og dato" and one's answer on sharing Ledelsesutvikling.

    ``today`` is the date in the service's time zone (the signature's date may not be after it).
    Returns True when both have now signed (the agreement is locked).
    """
    require_pair(opened)
    agreement = opened.agreement
    if agreement.filled_at is None:
        raise InvalidState("the agreement must be filled in and sent for review before signing")
    if is_signed(agreement):
        raise AgreementLocked()
    if signature_of(agreement, opened.role) is not None:
        raise InvalidState("already signed: the signature stands as given")
    signed = check_place_and_date(place_and_date, today)
    put_signature(agreement, opened.role, signed, utcnow(), share_development)
    record_event(session, opened, "signed", place=signed.place, date=signed.day.isoformat(),
                 place_and_date=str(signed), share_development=share_development)
    await flush(session)
    return is_signed(agreement)


async def reopen(session: AsyncSession, opened: AgreementAccess) -> None:
    """Reopen a signed agreement for changes: both signatures are cleared, history is kept."""
    require_role(opened, Role.SUPERIOR)
    agreement = opened.agreement
    if not is_signed(agreement):
        return
    if agreement.followup_recorded_at is not None:
        raise InvalidState("the follow-up has been recorded; the spring agreement can no longer change")
    record_event(session, opened, "reopened", **signatures_detail(agreement))
    clear_signatures(agreement)
    await flush(session)


async def set_share_development(session: AsyncSession, opened: AgreementAccess, share: bool) -> bool:
    """The viewer's consent to let Ledelsesutvikling leave the pair; returns whether it is now shared (both agree).

    Asked at signing; either leader can change it later, and withdrawing is always possible.
    """
    require_pair(opened)
    agreement = opened.agreement
    if opened.role is Role.SUPERIOR:
        agreement.superior_shares_development = share
    else:
        agreement.subordinate_shares_development = share
    record_event(session, opened, "share_development", share=share, shared=agreement.development_shared)
    await flush(session)
    return agreement.development_shared


async def mark_followup_recorded(session: AsyncSession, opened: AgreementAccess) -> None:
    """The superior has recorded the follow-up conversation; both are asked to confirm."""
    require_role(opened, Role.SUPERIOR)
    if not is_signed(opened.agreement):
        raise InvalidState("the follow-up starts when the agreement is signed")
    if followup_done(opened.agreement):
        raise AgreementLocked()
    opened.agreement.followup_recorded_at = utcnow()
    opened.agreement.superior_followup_confirmed_at = None
    opened.agreement.subordinate_followup_confirmed_at = None
    record_event(session, opened, "followup_recorded")
    await flush(session)


async def confirm_followup(session: AsyncSession, opened: AgreementAccess) -> bool:
    """Confirm the recorded follow-up; returns True when both have confirmed."""
    require_pair(opened)
    agreement = opened.agreement
    if agreement.followup_recorded_at is None:
        raise InvalidState("the follow-up has not been recorded yet")
    now = utcnow()
    if opened.role is Role.SUPERIOR:
        agreement.superior_followup_confirmed_at = agreement.superior_followup_confirmed_at or now
    else:
        agreement.subordinate_followup_confirmed_at = agreement.subordinate_followup_confirmed_at or now
    record_event(session, opened, "followup_confirmed")
    await flush(session)
    return followup_done(agreement)


# --- the autumn's mirror of the spring: reflections done, the subordinate's comment ---------


async def mark_reflected(session: AsyncSession, opened: AgreementAccess) -> Prepared:
    """Mark the viewer's autumn reflections done; once both are, each may see the other's (as in spring)."""
    require_pair(opened)
    agreement = opened.agreement
    if not is_signed(agreement):
        raise InvalidState("the follow-up starts when the agreement is signed")
    if followup_done(agreement):
        raise AgreementLocked()
    was_both = opened.both_reflected
    if opened.viewer.id not in opened.reflected:
        record_event(session, opened, REFLECTED)
        # Touching the agreement makes two marks at the same moment meet at its version check: the
        # later turn runs again and sees the first mark, so one of the two learns that both are done.
        agreement.updated_at = utcnow()
        await flush(session)
    both = {agreement.superior_id, agreement.subordinate_id} <= opened.reflected | {opened.viewer.id}
    return Prepared(both=both, both_now=both and not was_both)


async def comment_followup(session: AsyncSession, opened: AgreementAccess, text: str, *, max_length: int) -> None:
    """The subordinate comments on the recorded follow-up before confirming it (a later comment replaces it)."""
    require_role(opened, Role.SUBORDINATE)
    agreement = opened.agreement
    if agreement.followup_recorded_at is None:
        raise InvalidState("the follow-up has not been recorded yet")
    if agreement.subordinate_followup_confirmed_at is not None:
        raise InvalidState("the follow-up is confirmed; a comment comes before confirming")
    await save_answer(session, opened, FOLLOWUP_COMMENT_KEY, Phase.FOLLOWUP, text, max_length=max_length)
    record_event(session, opened, "followup_commented")
    await flush(session)
