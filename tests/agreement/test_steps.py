"""The steps of an agreement's year against a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from agreement.answers import answer_history, read_answers, save_answer
from agreement.errors import AccessDenied, AgreementLocked, InvalidState
from agreement.opening import open_agreement
from agreement.status import AgreementStatus
from agreement.steps import (
    Prepared,
    confirm_followup,
    mark_filled,
    mark_followup_recorded,
    mark_prepared,
    plan_meeting,
    reopen,
    sign,
)
from storage.models import AgreementEvent, Phase
from tests.agreement.helpers import MAX_LENGTH, act, fill_all_required, status_of
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

    assert not await act(session_factory, p.subordinate, p.agreement, lambda s, o: sign(s, o, "Lørenskog, 12.02.2026"))
    assert await act(session_factory, p.superior, p.agreement, lambda s, o: sign(s, o, "Lørenskog, 12.02.2026"))
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
        await act(session_factory, leader, p.agreement, lambda s, o: sign(s, o, "Lørenskog, 1.3.2026"))
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
