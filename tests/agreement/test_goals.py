"""Development goals: changed goals keep their history, a change to the agreed goals withdraws a review, and a
goal from a preparation stands in the agreement once."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from agreement.errors import AccessDenied, NotFound
from agreement.goals import GoalAlreadyUsed, add_goal, list_goals, remove_goal, replace_goal, use_goal
from agreement.opening import open_agreement
from agreement.status import AgreementStatus
from agreement.steps import mark_filled, mark_prepared
from storage.models import Goal, Phase
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


async def _prepared_goal(session_factory, p, leader_id: int, title: str, actions: list[str]) -> int:
    """A goal in ``leader_id``'s preparation, the preparation marked done; its id."""

    async def work(session, opened):
        goal = await add_goal(session, opened, "personell", Phase.PREPARATION, title, actions, max_length=MAX_LENGTH)
        await mark_prepared(session, opened)
        return goal.id

    return await act(session_factory, leader_id, p.agreement, work)


async def _agreed(session_factory, p) -> list[tuple[str, list[str], str | None]]:
    async with session_factory() as session:
        rows = await session.scalars(
            select(Goal).where(Goal.agreement_id == p.agreement, Goal.phase == Phase.AGREEMENT,
                               Goal.removed_at.is_(None)).order_by(Goal.position)
        )
        return [(g.title, [a.text for a in g.current_actions], g.source_token) for g in rows]


async def test_a_goal_from_the_preparation_is_used_once(session_factory) -> None:
    p = await make_pair(session_factory)
    source = await _prepared_goal(session_factory, p, p.subordinate, "Lavere sykefravær", ["Tett oppfølging"])

    def use(s, o):
        return use_goal(s, o, source, max_length=MAX_LENGTH)

    # Not visible to the superior before both preparations are done, and never the subordinate's to use.
    with pytest.raises(NotFound):
        await act(session_factory, p.superior, p.agreement, use)
    await _prepared_goal(session_factory, p, p.superior, "Rekruttere", ["Plan"])
    with pytest.raises(AccessDenied):
        await act(session_factory, p.subordinate, p.agreement, use)

    used = await act(session_factory, p.superior, p.agreement, use)
    assert (used.section_key, used.author_id) == ("personell", p.superior)
    assert used.source_token == f"use:{source}:agreement:0"
    with pytest.raises(GoalAlreadyUsed) as refused:
        await act(session_factory, p.superior, p.agreement, use)
    assert refused.value.title == "Lavere sykefravær"

    # Changed, it is still the goal taken from the preparation.
    changed = await act(session_factory, p.superior, p.agreement,
                        lambda s, o: replace_goal(s, o, used.id, "Sykefravær under 6 %", ["Tett oppfølging"],
                                                  max_length=MAX_LENGTH, source_token="card-2"))
    with pytest.raises(GoalAlreadyUsed):
        await act(session_factory, p.superior, p.agreement, use)
    assert await _agreed(session_factory, p) == [
        ("Sykefravær under 6 %", ["Tett oppfølging"], f"use:{source}:agreement:1")
    ]

    # Removed, it may be taken again; the removed rows keep their tokens as history.
    await act(session_factory, p.superior, p.agreement, lambda s, o: remove_goal(s, o, changed.id))
    again = await act(session_factory, p.superior, p.agreement, use)
    assert again.source_token == f"use:{source}:agreement:2"
    assert await _agreed(session_factory, p) == [
        ("Lavere sykefravær", ["Tett oppfølging"], f"use:{source}:agreement:2")
    ]


async def test_a_goal_with_the_same_title_and_actions_is_not_used_again(session_factory) -> None:
    p = await make_pair(session_factory)
    megans = await _prepared_goal(session_factory, p, p.subordinate, "Lavere sykefravær", ["Tett oppfølging"])
    alexs = await _prepared_goal(session_factory, p, p.superior, "lavere  sykefravær", ["Tett  oppfølging"])
    other = await act(session_factory, p.subordinate, p.agreement,
                      lambda s, o: add_goal(s, o, "ledelsesutvikling", Phase.PREPARATION, "Lavere sykefravær",
                                            ["Tett oppfølging"], max_length=MAX_LENGTH))

    await act(session_factory, p.superior, p.agreement, lambda s, o: use_goal(s, o, megans, max_length=MAX_LENGTH))
    with pytest.raises(GoalAlreadyUsed):
        await act(session_factory, p.superior, p.agreement, lambda s, o: use_goal(s, o, alexs, max_length=MAX_LENGTH))
    # The same goal in another section is another goal.
    await act(session_factory, p.superior, p.agreement, lambda s, o: use_goal(s, o, other.id, max_length=MAX_LENGTH))
    async with session_factory() as session:
        opened = await open_agreement(session, p.superior, p.agreement)
        agreed = await list_goals(session, opened, phase=Phase.AGREEMENT)
    assert [(g.section_key, g.title) for g in agreed] == [
        ("ledelsesutvikling", "Lavere sykefravær"), ("personell", "Lavere sykefravær")
    ]


async def test_the_unique_key_is_the_safety_net_for_a_use(session_factory) -> None:
    """Two turns that both checked before either was stored write the same token: the second breaks the key."""
    p = await make_pair(session_factory)
    source = await _prepared_goal(session_factory, p, p.subordinate, "Lavere sykefravær", ["Tett oppfølging"])
    await _prepared_goal(session_factory, p, p.superior, "Rekruttere", ["Plan"])
    await act(session_factory, p.superior, p.agreement, lambda s, o: use_goal(s, o, source, max_length=MAX_LENGTH))
    with pytest.raises(IntegrityError):
        await act(session_factory, p.superior, p.agreement,
                  lambda s, o: add_goal(s, o, "personell", Phase.AGREEMENT, "Lavere sykefravær", ["Annet tiltak"],
                                        max_length=MAX_LENGTH, source_token=f"use:{source}:agreement:0"))
    assert len(await _agreed(session_factory, p)) == 1
