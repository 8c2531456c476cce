"""Development goals: changed goals keep their history, and a change to the agreed goals withdraws a review."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError

from agreement.errors import AccessDenied
from agreement.goals import add_goal, list_goals, remove_goal, replace_goal
from agreement.opening import open_agreement
from agreement.status import AgreementStatus
from agreement.steps import mark_filled
from storage.models import Phase
from tests.agreement.helpers import MAX_LENGTH, act, fill_all_required, status_of
from tests.support.factories import make_pair


async def test_goals_are_kept_when_changed(session_factory) -> None:
    p = await make_pair(session_factory)
    goal = await act(session_factory, p.subordinate, p.agreement,
                     lambda s, o: add_goal(s, o, "personell", Phase.PREPARATION, "Redusere sykefravær",
                                           ["Tett dialog", " "], max_length=MAX_LENGTH))
    new = await act(session_factory, p.subordinate, p.agreement,
                    lambda s, o: replace_goal(s, o, goal.id, "Redusere sykefravær til 6 %",
                                              ["Tett dialog", "Månedlig rapport"], max_length=MAX_LENGTH))
    async with session_factory() as session:
        opened = await open_agreement(session, p.subordinate, p.agreement)
        goals = await list_goals(session, opened)
    assert [(g.title, [a.text for a in g.current_actions]) for g in goals] == [
        ("Redusere sykefravær til 6 %", ["Tett dialog", "Månedlig rapport"])
    ]
    assert new.position == goal.position
    with pytest.raises(AccessDenied):
        await act(session_factory, p.superior, p.agreement, lambda s, o: remove_goal(s, o, new.id))


async def test_a_change_to_the_agreed_goals_takes_the_agreement_back_from_review(session_factory) -> None:
    p = await make_pair(session_factory)
    await fill_all_required(session_factory, p.superior, p.agreement)
    goal = await act(session_factory, p.superior, p.agreement,
                     lambda s, o: add_goal(s, o, "personell", Phase.AGREEMENT, "Sykefravær", ["Oppfølging"],
                                           max_length=MAX_LENGTH))

    async def sent_for_review_then(change):
        await act(session_factory, p.superior, p.agreement, mark_filled)
        assert await status_of(session_factory, p.subordinate, p.agreement) is AgreementStatus.UTFYLT
        changed = await act(session_factory, p.superior, p.agreement, change)
        assert await status_of(session_factory, p.subordinate, p.agreement) is AgreementStatus.IKKE_STARTET
        return changed

    added = await sent_for_review_then(
        lambda s, o: add_goal(s, o, "personell", Phase.AGREEMENT, "Rekruttering", ["Plan"], max_length=MAX_LENGTH)
    )
    await sent_for_review_then(
        lambda s, o: replace_goal(s, o, goal.id, "Sykefravær under 6 %", ["Oppfølging"], max_length=MAX_LENGTH)
    )
    removed = await sent_for_review_then(lambda s, o: remove_goal(s, o, added.id))
    assert removed.title == "Rekruttering"


async def test_one_card_adds_one_goal(session_factory) -> None:
    """A goal remembers the card (step token) it came from; the same card cannot add a second one."""
    p = await make_pair(session_factory)

    async def add(session, opened):
        await add_goal(session, opened, "ledelsesutvikling", Phase.PREPARATION, "Mål", ["Tiltak"],
                       max_length=MAX_LENGTH, source_token="card-1")

    await act(session_factory, p.subordinate, p.agreement, add)
    with pytest.raises(IntegrityError):
        await act(session_factory, p.subordinate, p.agreement, add)
    async with session_factory() as session:
        opened = await open_agreement(session, p.subordinate, p.agreement)
        assert [g.title for g in await list_goals(session, opened, phase=Phase.PREPARATION)] == ["Mål"]
