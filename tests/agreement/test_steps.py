"""The steps of an agreement's year against a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from sqlalchemy import select

from agreement.answers import answer_history, read_answers, save_answer
from agreement.access import Role
from agreement.errors import (
    AccessDenied,
    AgreementLocked,
    AnswerEmpty,
    AnswerTooLong,
    InvalidPlaceAndDate,
    InvalidState,
    PlaceAndDateProblem,
)
from agreement.opening import open_agreement
from agreement.signatures import PlaceAndDate, signature_of
from agreement.status import AgreementStatus
from agreement.steps import (
    Prepared,
    check_place_and_date,
    confirm_followup,
    mark_filled,
    mark_followup_recorded,
    mark_prepared,
    plan_meeting,
    reopen,
    send_comments,
    set_share_development,
)
from storage.models import Agreement, AgreementEvent, Phase
from tests.agreement.helpers import MAX_LENGTH, SIGNING_DAY, act, fill_all_required, signs, status_of
from tests.support.factories import make_pair

MEETING = datetime(2026, 2, 10, 9, 0, tzinfo=timezone.utc)


async def test_the_year_of_one_agreement(session_factory) -> None:
    p = await make_pair(session_factory)
    assert await status_of(session_factory, p.superior, p.agreement) is AgreementStatus.IKKE_STARTET

    await act(session_factory, p.superior, p.agreement, lambda s, o: plan_meeting(s, o, MEETING))
    assert await status_of(session_factory, p.superior, p.agreement) is AgreementStatus.PLANLAGT

    await act(session_factory, p.superior, p.agreement, mark_prepared)
    assert await status_of(session_factory, p.superior, p.agreement) is AgreementStatus.PLANLAGT
    await act(session_factory, p.subordinate, p.agreement, mark_prepared)
    assert await status_of(session_factory, p.superior, p.agreement) is AgreementStatus.FORBEREDT

    with pytest.raises(InvalidState, match="unanswered"):
        await act(session_factory, p.superior, p.agreement, mark_filled)
    await fill_all_required(session_factory, p.superior, p.agreement)
    await act(session_factory, p.superior, p.agreement, mark_filled)
    assert await status_of(session_factory, p.subordinate, p.agreement) is AgreementStatus.UTFYLT

    assert not await act(session_factory, p.subordinate, p.agreement, signs())
    assert await act(session_factory, p.superior, p.agreement, signs())
    assert await status_of(session_factory, p.hr, p.agreement) is AgreementStatus.SIGNERT

    with pytest.raises(AgreementLocked):
        await act(session_factory, p.superior, p.agreement,
                  lambda s, o: save_answer(s, o, "styringsbrev.bidrag", Phase.AGREEMENT, "Ny tekst",
                                           max_length=MAX_LENGTH))

    await act(session_factory, p.subordinate, p.agreement,
              lambda s, o: save_answer(s, o, o.template.followup_fields()[0].key, Phase.FOLLOWUP_PREPARATION,
                                       "Refleksjon", max_length=MAX_LENGTH))
    with pytest.raises(InvalidState):
        await act(session_factory, p.subordinate, p.agreement, confirm_followup)
    await act(session_factory, p.superior, p.agreement, mark_followup_recorded)
    assert not await act(session_factory, p.superior, p.agreement, confirm_followup)
    assert await act(session_factory, p.subordinate, p.agreement, confirm_followup)
    assert await status_of(session_factory, p.superior, p.agreement) is AgreementStatus.OPPFOLGING_GJENNOMFORT


async def test_marking_a_preparation_done_tells_when_both_are_done(session_factory) -> None:
    p = await make_pair(session_factory)
    assert await act(session_factory, p.superior, p.agreement, mark_prepared) == Prepared(both=False, both_now=False)
    assert await act(session_factory, p.subordinate, p.agreement, mark_prepared) == Prepared(both=True, both_now=True)
    # Going through one's preparation again later: both are done, and the other leader was told already.
    assert await act(session_factory, p.superior, p.agreement, mark_prepared) == Prepared(both=True, both_now=False)


async def test_change_after_signing_reopens_and_keeps_history(session_factory) -> None:
    p = await make_pair(session_factory)
    await fill_all_required(session_factory, p.superior, p.agreement)
    await act(session_factory, p.superior, p.agreement, mark_filled)
    for leader in (p.superior, p.subordinate):
        await act(session_factory, leader, p.agreement, signs("Lørenskog, 1.2.2026"))
    assert await status_of(session_factory, p.superior, p.agreement) is AgreementStatus.SIGNERT

    with pytest.raises(AccessDenied):
        await act(session_factory, p.subordinate, p.agreement, reopen)
    await act(session_factory, p.superior, p.agreement, reopen)
    await act(session_factory, p.superior, p.agreement,
              lambda s, o: save_answer(s, o, "styringsbrev.bidrag", Phase.AGREEMENT, "Endret tekst",
                                       max_length=MAX_LENGTH))
    # The changed text goes to the subordinate for review again.
    await act(session_factory, p.superior, p.agreement, mark_filled)
    assert await status_of(session_factory, p.superior, p.agreement) is AgreementStatus.UTFYLT

    async with session_factory() as session:
        opened = await open_agreement(session, p.subordinate, p.agreement)
        answer = (await read_answers(session, opened, keys=["styringsbrev.bidrag"]))[0]
        history = await answer_history(session, opened, answer.id)
        kinds = (await session.scalars(select(AgreementEvent.kind).where(AgreementEvent.agreement_id == p.agreement))).all()
    assert [r.text for r in history] == ["Avtalt tekst", "Endret tekst"]
    assert answer.text == "Endret tekst" and answer.revision == 2
    assert kinds.count("signed") == 2 and "reopened" in kinds


# --- signing -----------------------------------------------------------------------------


@pytest.mark.parametrize("typed,place,day", [
    ("Lørenskog, 12.02.2026", "Lørenskog", date(2026, 2, 12)),
    ("  Lørenskog 2.2.2026 ", "Lørenskog", date(2026, 2, 2)),
    ("02.02.2026, Rådhuset i Lørenskog", "Rådhuset i Lørenskog", date(2026, 2, 2)),
    ("Oslo; 31.12.2025", "Oslo", date(2025, 12, 31)),
])
def test_a_place_and_a_date_not_after_today(typed: str, place: str, day: date) -> None:
    checked = check_place_and_date(typed, SIGNING_DAY)
    assert checked == PlaceAndDate(place, day)
    assert str(checked) == f"{place}, {day:%d.%m.%Y}"


@pytest.mark.parametrize("typed,problem", [
    ("Lørenskog", PlaceAndDateProblem.NO_DATE),
    ("Lørenskog, 12.2.26", PlaceAndDateProblem.NO_DATE),
    ("Lørenskog, i dag", PlaceAndDateProblem.NO_DATE),
    ("Lørenskog, 10.02.2026 og 12.02.2026", PlaceAndDateProblem.SEVERAL_DATES),
    ("Lørenskog, 30.02.2026", PlaceAndDateProblem.INVALID_DATE),
    ("Lørenskog, 12.13.2026", PlaceAndDateProblem.INVALID_DATE),
    ("Lørenskog, 13.02.2026", PlaceAndDateProblem.FUTURE_DATE),
    ("12.02.2026", PlaceAndDateProblem.NO_PLACE),
    (", 12.02.2026 -", PlaceAndDateProblem.NO_PLACE),
])
def test_a_place_and_date_is_refused_saying_what_is_wrong(typed: str, problem: PlaceAndDateProblem) -> None:
    with pytest.raises(InvalidPlaceAndDate) as refused:
        check_place_and_date(typed, SIGNING_DAY)
    assert refused.value.problem is problem


def test_an_empty_or_overlong_place_and_date_is_refused() -> None:
    with pytest.raises(AnswerEmpty):
        check_place_and_date("  ", SIGNING_DAY)
    with pytest.raises(AnswerTooLong):
        check_place_and_date("L" * 190 + ", 12.02.2026", SIGNING_DAY)


async def _filled(session_factory):
    p = await make_pair(session_factory)
    await fill_all_required(session_factory, p.superior, p.agreement)
    await act(session_factory, p.superior, p.agreement, mark_filled)
    return p


async def _agreement(session_factory, agreement_id: int) -> Agreement:
    async with session_factory() as session:
        return await session.get(Agreement, agreement_id)


async def _events(session_factory, agreement_id: int, kind: str) -> list[AgreementEvent]:
    async with session_factory() as session:
        return list((await session.scalars(
            select(AgreementEvent).where(AgreementEvent.agreement_id == agreement_id, AgreementEvent.kind == kind)
            .order_by(AgreementEvent.id)
        )).all())


async def test_each_signer_keeps_their_own_place_and_date(session_factory) -> None:
    p = await _filled(session_factory)
    assert not await act(session_factory, p.subordinate, p.agreement, signs("Lørenskog, 10.02.2026", share=True))
    assert await act(session_factory, p.superior, p.agreement, signs("Oslo 12.2.2026"))

    agreement = await _agreement(session_factory, p.agreement)
    subordinate, superior = signature_of(agreement, Role.SUBORDINATE), signature_of(agreement, Role.SUPERIOR)
    assert (subordinate.place, subordinate.day) == ("Lørenskog", date(2026, 2, 10)) and subordinate.shares_development
    assert (superior.place, superior.day, superior.shares_development) == ("Oslo", date(2026, 2, 12), False)
    assert (subordinate.place_and_date, superior.place_and_date) == ("Lørenskog, 10.02.2026", "Oslo, 12.02.2026")
    assert not agreement.development_shared
    signed = await _events(session_factory, p.agreement, "signed")
    assert [(e.actor_id, e.detail) for e in signed] == [
        (p.subordinate, {"place": "Lørenskog", "date": "2026-02-10", "place_and_date": "Lørenskog, 10.02.2026",
                         "share_development": True}),
        (p.superior, {"place": "Oslo", "date": "2026-02-12", "place_and_date": "Oslo, 12.02.2026",
                      "share_development": False}),
    ]


async def test_a_refused_or_second_signature_changes_nothing(session_factory) -> None:
    p = await _filled(session_factory)
    for typed in ("Lørenskog", "Lørenskog, 13.02.2026"):
        with pytest.raises(InvalidPlaceAndDate):
            await act(session_factory, p.subordinate, p.agreement, signs(typed))
    agreement = await _agreement(session_factory, p.agreement)
    assert signature_of(agreement, Role.SUBORDINATE) is None and agreement.subordinate_sign_place is None

    await act(session_factory, p.subordinate, p.agreement, signs("Lørenskog, 10.02.2026"))
    with pytest.raises(InvalidState):
        await act(session_factory, p.subordinate, p.agreement, signs("Oslo, 12.02.2026", share=True))
    agreement = await _agreement(session_factory, p.agreement)
    assert signature_of(agreement, Role.SUBORDINATE).place_and_date == "Lørenskog, 10.02.2026"
    assert len(await _events(session_factory, p.agreement, "signed")) == 1
    with pytest.raises(AccessDenied):
        await act(session_factory, p.hr, p.agreement, signs())


async def test_sharing_is_shared_only_when_both_say_yes_and_either_can_withdraw(session_factory) -> None:
    p = await _filled(session_factory)
    await act(session_factory, p.subordinate, p.agreement, signs(share=True))
    assert not (await _agreement(session_factory, p.agreement)).development_shared
    await act(session_factory, p.superior, p.agreement, signs(share=True))
    assert (await _agreement(session_factory, p.agreement)).development_shared

    assert not await act(session_factory, p.superior, p.agreement, lambda s, o: set_share_development(s, o, False))
    agreement = await _agreement(session_factory, p.agreement)
    assert not agreement.development_shared and agreement.subordinate_shares_development
    assert signature_of(agreement, Role.SUPERIOR) is not None  # the signature stands
    assert await act(session_factory, p.superior, p.agreement, lambda s, o: set_share_development(s, o, True))
    assert [(e.actor_id, e.detail) for e in await _events(session_factory, p.agreement, "share_development")] == [
        (p.superior, {"share": False, "shared": False}),
        (p.superior, {"share": True, "shared": True}),
    ]
    with pytest.raises(AccessDenied):
        await act(session_factory, p.hr, p.agreement, lambda s, o: set_share_development(s, o, False))


async def test_clearing_the_signatures_clears_places_dates_and_answers_on_sharing(session_factory) -> None:
    p = await _filled(session_factory)
    await act(session_factory, p.subordinate, p.agreement, signs("Lørenskog, 10.02.2026", share=True))
    await act(session_factory, p.subordinate, p.agreement,
              lambda s, o: send_comments(s, o, "Se på målet", max_length=MAX_LENGTH))
    agreement = await _agreement(session_factory, p.agreement)
    assert signature_of(agreement, Role.SUBORDINATE) is None
    assert (agreement.subordinate_sign_place, agreement.subordinate_sign_date) == (None, None)
    assert not agreement.subordinate_shares_development
    [comments] = await _events(session_factory, p.agreement, "comments_sent")
    assert comments.detail["subordinate_place"] == "Lørenskog"
    assert comments.detail["subordinate_date"] == "2026-02-10"
    assert comments.detail["subordinate_shares_development"] is True

    await act(session_factory, p.superior, p.agreement, mark_filled)
    for leader in (p.subordinate, p.superior):
        await act(session_factory, leader, p.agreement, signs("Lørenskog, 11.02.2026", share=True))
    await act(session_factory, p.superior, p.agreement, reopen)
    agreement = await _agreement(session_factory, p.agreement)
    assert (agreement.superior_sign_place, agreement.subordinate_sign_date) == (None, None)
    assert not agreement.development_shared
    [reopened] = await _events(session_factory, p.agreement, "reopened")
    assert reopened.detail["superior_place"] == reopened.detail["subordinate_place"] == "Lørenskog"
    assert reopened.detail["superior_shares_development"] is True
