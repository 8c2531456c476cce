"""The steps of an agreement's year: plan, prepare, fill in, review, sign, reopen, follow up, confirm.

Each step checks who may take it and whether the agreement's state allows it, changes the
agreement and keeps the step in its history (``AgreementEvent``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from agreement.access import Role
from agreement.answers import REVIEW_COMMENT_KEY, read_answers, save_answer, validate_text
from agreement.errors import AgreementLocked, InvalidState
from agreement.opening import AgreementAccess, flush, record_event, require_pair, require_role
from agreement.status import both_prepared, followup_done, is_signed
from agreement.template import FieldKind
from storage.models import Phase, utcnow

#: The longest "Sted og dato" a signature takes.
PLACE_AND_DATE_MAX_LENGTH = 200


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
        for a in await read_answers(session, opened, phase=Phase.AGREEMENT)
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
    opened.agreement.filled_at = None
    opened.agreement.review_comment_at = utcnow()
    opened.agreement.superior_signed_at = None
    opened.agreement.subordinate_signed_at = None
    record_event(session, opened, "comments_sent")
    await flush(session)


async def sign(session: AsyncSession, opened: AgreementAccess, place_and_date: str) -> bool:
    """Sign with "Sted og dato"; returns True when both have now signed (the agreement is locked)."""
    require_pair(opened)
    agreement = opened.agreement
    if agreement.filled_at is None:
        raise InvalidState("the agreement must be filled in and sent for review before signing")
    if is_signed(agreement):
        raise AgreementLocked()
    place = validate_text(place_and_date, max_length=PLACE_AND_DATE_MAX_LENGTH)
    now = utcnow()
    agreement.sign_place_date = place
    if opened.role is Role.SUPERIOR:
        agreement.superior_signed_at = now
    else:
        agreement.subordinate_signed_at = now
    record_event(session, opened, "signed", place_and_date=place)
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
    record_event(
        session, opened, "reopened",
        superior_signed_at=agreement.superior_signed_at.isoformat(),
        subordinate_signed_at=agreement.subordinate_signed_at.isoformat(),
        place_and_date=agreement.sign_place_date,
    )
    agreement.superior_signed_at = None
    agreement.subordinate_signed_at = None
    await flush(session)


async def set_share_development(session: AsyncSession, opened: AgreementAccess, share: bool) -> None:
    """The viewer's consent to let Ledelsesutvikling leave the pair (both must agree)."""
    require_pair(opened)
    if opened.role is Role.SUPERIOR:
        opened.agreement.superior_shares_development = share
    else:
        opened.agreement.subordinate_shares_development = share
    record_event(session, opened, "share_development", share=share)
    await flush(session)


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
