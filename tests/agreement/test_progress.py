"""How far a spring phase has come: answered, missing and changed, against a real database."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from agreement.answers import save_answer, save_choice
from agreement.goals import add_goal, list_goals, remove_goal, replace_goal
from agreement.opening import open_agreement
from agreement.progress import comments_pending, meeting_ahead, own_preparation_done, progress_of, review_comment
from agreement.steps import mark_filled, mark_prepared, send_comments
from storage.models import Agreement, Phase
from tests.agreement.helpers import MAX_LENGTH, act, fill_all_required
from tests.support.factories import make_pair

REQUIRED = ("styringsbrev.bidrag", "ledelsesutvikling.tema", "ledelsesutvikling.god_til",
            "ledelsesutvikling.utfordrende", "personell.fungerer", "personell.utfordringer")


async def progress(session_factory, leader_id: int, agreement_id: int, phase: Phase, since: datetime | None = None):
    async with session_factory() as session:
        opened = await open_agreement(session, leader_id, agreement_id)
        return await progress_of(session, opened, phase, changed_since=since)


def text(key: str, value: str, phase: Phase = Phase.PREPARATION):
    return lambda session, opened: save_answer(session, opened, key, phase, value, max_length=MAX_LENGTH)


async def test_nothing_written_yet(session_factory) -> None:
    pair = await make_pair(session_factory)
    found = await progress(session_factory, pair.subordinate, pair.agreement, Phase.PREPARATION)
    assert (found.answered, found.total, found.started) == (0, 11, False)
    assert found.missing == REQUIRED
    assert [item.key for item in found.fields][:3] == ["styringsbrev.bidrag", "styringsbrev.notat",
                                                       "ledelsesutvikling.tema"]
    with pytest.raises(ValueError):
        await progress(session_factory, pair.subordinate, pair.agreement, Phase.FOLLOWUP)


async def test_the_own_preparation_counts_questions_notes_and_goals(session_factory) -> None:
    pair = await make_pair(session_factory)

    async def some(session, opened):
        await save_answer(session, opened, "styringsbrev.bidrag", Phase.PREPARATION, "bidrag", max_length=MAX_LENGTH)
        await save_answer(session, opened, "styringsbrev.notat", Phase.PREPARATION, "notat", max_length=MAX_LENGTH)
        await save_choice(session, opened, "ledelsesutvikling.tema", Phase.PREPARATION, ["apen", "tillit"])
        await add_goal(session, opened, "personell", Phase.PREPARATION, "Mål", ["Tiltak"], max_length=MAX_LENGTH)

    await act(session_factory, pair.subordinate, pair.agreement, some)
    await act(session_factory, pair.superior, pair.agreement, text("ledelsesutvikling.god_til", "hans"))
    found = await progress(session_factory, pair.subordinate, pair.agreement, Phase.PREPARATION)
    assert (found.answered, found.total) == (4, 11)
    assert found.missing == REQUIRED[2:]  # the superior's answer is his, not hers
    goals = found.field("personell.mal")
    assert goals.answered and not goals.required and [goal.title for goal in goals.goals] == ["Mål"]
    assert not found.field("ledelsesutvikling.notat").missing  # a note may stay empty
    assert found.field("styringsbrev.bidrag").answer.text == "bidrag"
    his = await progress(session_factory, pair.superior, pair.agreement, Phase.PREPARATION)
    assert his.answered == 1 and his.field("ledelsesutvikling.god_til").answered

    # Marking it done is each leader's own.
    await act(session_factory, pair.subordinate, pair.agreement, mark_prepared)
    async with session_factory() as session:
        assert own_preparation_done(await open_agreement(session, pair.subordinate, pair.agreement))
        assert not own_preparation_done(await open_agreement(session, pair.superior, pair.agreement))


async def test_the_agreed_text_is_the_superiors_for_both(session_factory) -> None:
    pair = await make_pair(session_factory)
    await fill_all_required(session_factory, pair.superior, pair.agreement)
    for viewer in (pair.superior, pair.subordinate):
        found = await progress(session_factory, viewer, pair.agreement, Phase.AGREEMENT)
        assert found.missing == () and found.answered == 6 and found.author_id == pair.superior


async def test_changed_since_a_moment(session_factory) -> None:
    pair = await make_pair(session_factory)
    await fill_all_required(session_factory, pair.superior, pair.agreement)

    async def goals_and_send(session, opened):
        await add_goal(session, opened, "ledelsesutvikling", Phase.AGREEMENT, "Delegere", ["Ukentlig"],
                       max_length=MAX_LENGTH)
        await add_goal(session, opened, "personell", Phase.AGREEMENT, "Sykefravær", ["Oppfølging"],
                       max_length=MAX_LENGTH)
        await mark_filled(session, opened)

    await act(session_factory, pair.superior, pair.agreement, goals_and_send)
    await act(session_factory, pair.subordinate, pair.agreement,
              lambda session, opened: send_comments(session, opened, "Mer konkret", max_length=MAX_LENGTH))
    async with session_factory() as session:
        opened = await open_agreement(session, pair.superior, pair.agreement)
        assert comments_pending(opened.agreement)
        comment = await review_comment(session, opened)
        assert comment.text == "Mer konkret"
    since = comment.updated_at
    assert (await progress(session_factory, pair.superior, pair.agreement, Phase.AGREEMENT, since)).changed == ()

    # Changed; changed and then changed back (as it was at the comment); a note written for the first time.
    for key, value in (("ledelsesutvikling.god_til", "Nytt"), ("personell.fungerer", "Midlertidig"),
                       ("personell.fungerer", "Avtalt tekst"), ("personell.notat", "Nytt notat")):
        await act(session_factory, pair.superior, pair.agreement, text(key, value, Phase.AGREEMENT))

    async def change_goal(session, opened):
        goal = next(g for g in await list_goals(session, opened, phase=Phase.AGREEMENT) if g.section_key == "personell")
        await replace_goal(session, opened, goal.id, "Lavere sykefravær", ["Oppfølging"], max_length=MAX_LENGTH)

    await act(session_factory, pair.superior, pair.agreement, change_goal)
    found = await progress(session_factory, pair.superior, pair.agreement, Phase.AGREEMENT, since)
    assert found.changed == ("ledelsesutvikling.god_til", "personell.mal", "personell.notat")
    assert not found.field("ledelsesutvikling.mal").changed
    # The subordinate sees the same marks; nobody's comment counts as a change of the agreed text.
    seen = await progress(session_factory, pair.subordinate, pair.agreement, Phase.AGREEMENT, since)
    assert seen.changed == found.changed

    async def remove(session, opened):
        goal = next(g for g in await list_goals(session, opened, phase=Phase.AGREEMENT)
                    if g.section_key == "ledelsesutvikling")
        await remove_goal(session, opened, goal.id)

    await act(session_factory, pair.superior, pair.agreement, remove)
    assert (await progress(session_factory, pair.superior, pair.agreement, Phase.AGREEMENT, since)).field(
        "ledelsesutvikling.mal").changed


async def test_no_comments_and_the_meeting_ahead(session_factory) -> None:
    pair = await make_pair(session_factory)
    async with session_factory() as session:
        opened = await open_agreement(session, pair.superior, pair.agreement)
        assert await review_comment(session, opened) is None and not comments_pending(opened.agreement)
    now = datetime(2026, 2, 2, 8, 0, tzinfo=timezone.utc)
    assert not meeting_ahead(Agreement(), now)
    assert meeting_ahead(Agreement(meeting_at=datetime(2026, 2, 10, 8, 0, tzinfo=timezone.utc)), now)
    assert not meeting_ahead(Agreement(meeting_at=datetime(2026, 2, 1, 8, 0, tzinfo=timezone.utc)), now)
    # As SQLite gives a stored timestamp back: naive, in UTC.
    assert meeting_ahead(Agreement(meeting_at=datetime(2026, 2, 2, 8, 30)), now)
    assert not meeting_ahead(Agreement(meeting_at=datetime(2026, 2, 2, 8, 0)), now)
