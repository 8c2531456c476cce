"""Answers against a real database (SQLite and PostgreSQL): private, checked, revised, and withdrawn from review."""

from __future__ import annotations

import asyncio
import itertools

import pytest
from sqlalchemy import func, select

from agreement.access import Action
from agreement.answers import read_answers, save_answer, save_choice, withdraw_from_review
from agreement.errors import (
    AccessDenied,
    AgreementLocked,
    AnswerEmpty,
    AnswerTooLong,
    InvalidChoice,
    InvalidState,
)
from agreement.goals import add_goal, list_goals
from agreement.opening import open_agreement
from agreement.status import AgreementStatus
from agreement.steps import mark_filled, mark_prepared, send_comments, set_share_development
from storage.models import AgreementEvent, AnswerRevision, Phase
from tests.agreement.helpers import MAX_LENGTH, act, fill_all_required, signs, status_of
from tests.support.factories import make_pair


async def test_preparation_is_private_until_both_are_done(session_factory) -> None:
    p = await make_pair(session_factory)
    await act(session_factory, p.subordinate, p.agreement,
              lambda s, o: save_answer(s, o, "ledelsesutvikling.god_til", Phase.PREPARATION, "Mitt notat", max_length=MAX_LENGTH))

    async def visible_to(leader):
        async with session_factory() as session:
            opened = await open_agreement(session, leader, p.agreement)
            return [a.text for a in await read_answers(session, opened, phase=Phase.PREPARATION)]

    assert await visible_to(p.subordinate) == ["Mitt notat"]
    assert await visible_to(p.superior) == []
    await act(session_factory, p.subordinate, p.agreement, mark_prepared)
    assert await visible_to(p.superior) == []
    await act(session_factory, p.superior, p.agreement, mark_prepared)
    assert await visible_to(p.superior) == ["Mitt notat"]


async def test_export_leaves_out_ledelsesutvikling_unless_both_agree(session_factory) -> None:
    p = await make_pair(session_factory)

    async def write(session, opened):
        await save_answer(session, opened, "ledelsesutvikling.god_til", Phase.AGREEMENT, "Privat", max_length=MAX_LENGTH)
        await save_answer(session, opened, "styringsbrev.bidrag", Phase.AGREEMENT, "Åpen", max_length=MAX_LENGTH)
        await add_goal(session, opened, "ledelsesutvikling", Phase.AGREEMENT, "Mål", ["Tiltak"], max_length=MAX_LENGTH)
        await add_goal(session, opened, "personell", Phase.AGREEMENT, "Sykefravær", ["Oppfølging"], max_length=MAX_LENGTH)

    await act(session_factory, p.superior, p.agreement, write)

    async def exported():
        async with session_factory() as session:
            opened = await open_agreement(session, p.subordinate, p.agreement)
            answers = await read_answers(session, opened, action=Action.EXPORT)
            goals = await list_goals(session, opened, action=Action.EXPORT)
            return sorted(a.text for a in answers), sorted(g.title for g in goals)

    assert await exported() == (["Åpen"], ["Sykefravær"])
    await act(session_factory, p.superior, p.agreement, lambda s, o: set_share_development(s, o, True))
    assert await exported() == (["Åpen"], ["Sykefravær"])
    await act(session_factory, p.subordinate, p.agreement, lambda s, o: set_share_development(s, o, True))
    assert await exported() == (["Privat", "Åpen"], ["Mål", "Sykefravær"])


async def test_bad_answers_are_refused_and_nothing_is_lost(session_factory) -> None:
    p = await make_pair(session_factory)
    key = "styringsbrev.bidrag"
    await act(session_factory, p.superior, p.agreement, lambda s, o: save_answer(s, o, key, Phase.PREPARATION, "Første", max_length=MAX_LENGTH))
    with pytest.raises(AnswerEmpty):
        await act(session_factory, p.superior, p.agreement, lambda s, o: save_answer(s, o, key, Phase.PREPARATION, "   ", max_length=MAX_LENGTH))
    with pytest.raises(AnswerTooLong) as too_long:
        await act(session_factory, p.superior, p.agreement,
                  lambda s, o: save_answer(s, o, key, Phase.PREPARATION, "x" * 5000, max_length=4000))
    assert too_long.value.limit == 4000
    for chosen in (["apen"], ["apen", "retning", "trygg", "rollemodell"], ["apen", "ukjent"]):
        with pytest.raises(InvalidChoice):
            await act(session_factory, p.superior, p.agreement,
                      lambda s, o: save_choice(s, o, "ledelsesutvikling.tema", Phase.PREPARATION, chosen))
    with pytest.raises(AccessDenied):
        await act(session_factory, p.subordinate, p.agreement, lambda s, o: save_answer(s, o, key, Phase.AGREEMENT, "Nei", max_length=MAX_LENGTH))
    async with session_factory() as session:
        opened = await open_agreement(session, p.superior, p.agreement)
        assert [a.text for a in await read_answers(session, opened)] == ["Første"]


async def test_a_changed_answer_keeps_every_revision(session_factory) -> None:
    p = await make_pair(session_factory)
    key = "personell.fungerer"
    for text in ("En", "To", "To", "Tre"):
        await act(session_factory, p.subordinate, p.agreement, lambda s, o, t=text: save_answer(s, o, key, Phase.PREPARATION, t, max_length=MAX_LENGTH))
    async with session_factory() as session:
        texts = (await session.scalars(select(AnswerRevision.text).order_by(AnswerRevision.revision))).all()
    assert texts == ["En", "To", "Tre"]


async def test_both_leaders_answering_at_once_keep_both_answers(session_factory) -> None:
    p = await make_pair(session_factory)

    async def answer(leader, text):
        await act(session_factory, leader, p.agreement,
                  lambda s, o: save_answer(s, o, "personell.fungerer", Phase.PREPARATION, text, max_length=MAX_LENGTH))

    await asyncio.gather(*(answer(l, f"{l}-{i}") for i, l in itertools.product(range(5), (p.superior, p.subordinate))))
    await asyncio.gather(
        act(session_factory, p.superior, p.agreement, mark_prepared),
        act(session_factory, p.subordinate, p.agreement, mark_prepared),
    )
    async with session_factory() as session:
        opened = await open_agreement(session, p.superior, p.agreement)
        answers = await read_answers(session, opened, phase=Phase.PREPARATION)
        assert sorted(a.author_id for a in answers) == sorted([p.superior, p.subordinate])
        assert opened.status is AgreementStatus.FORBEREDT
        assert await session.scalar(select(func.count()).select_from(AnswerRevision)) == 10


async def test_a_saved_answer_is_what_the_same_unit_of_work_reads_back(session_factory) -> None:
    p = await make_pair(session_factory)
    key = "styringsbrev.bidrag"
    first = (await act(session_factory, p.subordinate, p.agreement,
                       lambda s, o: save_answer(s, o, key, Phase.PREPARATION, "Første utkast",
                                                max_length=MAX_LENGTH))).answer
    assert (first.text, first.revision) == ("Første utkast", 1)

    async def read_change_read(session, opened):
        [loaded] = await read_answers(session, opened, phase=Phase.PREPARATION, keys=[key])
        changed = await save_answer(session, opened, key, Phase.PREPARATION, "Andre utkast", max_length=MAX_LENGTH)
        [again] = await read_answers(session, opened, phase=Phase.PREPARATION, keys=[key])
        same = await save_answer(session, opened, key, Phase.PREPARATION, "Andre utkast", max_length=MAX_LENGTH)
        assert (changed.changed, same.changed) == (True, False)
        return loaded, changed.answer, again, same.answer

    loaded, saved, again, unchanged = await act(session_factory, p.subordinate, p.agreement, read_change_read)
    # The copy loaded before the change was brought up to date, not left showing the old text.
    assert saved is loaded and again is loaded and unchanged is loaded
    assert (loaded.text, loaded.revision, loaded.id) == ("Andre utkast", 2, first.id)
    async with session_factory() as session:
        revisions = (await session.scalars(select(AnswerRevision.text).order_by(AnswerRevision.revision))).all()
    assert revisions == ["Første utkast", "Andre utkast"]


async def test_withdrawing_from_review_clears_a_single_signature(session_factory) -> None:
    p = await make_pair(session_factory)
    await fill_all_required(session_factory, p.superior, p.agreement)
    await act(session_factory, p.superior, p.agreement, mark_filled)
    await act(session_factory, p.subordinate, p.agreement, signs())
    with pytest.raises(AccessDenied):
        await act(session_factory, p.subordinate, p.agreement, withdraw_from_review)

    assert await act(session_factory, p.superior, p.agreement, withdraw_from_review) is True
    async with session_factory() as session:
        opened = await open_agreement(session, p.superior, p.agreement)
        assert opened.agreement.filled_at is None and opened.agreement.subordinate_signed_at is None
        event = await session.scalar(select(AgreementEvent).order_by(AgreementEvent.id.desc()))
        assert event.kind == "withdrawn_from_review" and event.detail["subordinate_signed"] is True
    with pytest.raises(InvalidState):
        await act(session_factory, p.subordinate, p.agreement, signs())
    # Nothing to withdraw a second time.
    assert await act(session_factory, p.superior, p.agreement, withdraw_from_review) is False

    # Signed by both: locked, it must be reopened first.
    await act(session_factory, p.superior, p.agreement, mark_filled)
    for leader in (p.subordinate, p.superior):
        await act(session_factory, leader, p.agreement, signs())
    with pytest.raises(AgreementLocked):
        await act(session_factory, p.superior, p.agreement, withdraw_from_review)


async def test_a_changed_agreed_text_takes_the_agreement_back_from_review(session_factory) -> None:
    p = await make_pair(session_factory)
    key = "styringsbrev.bidrag"
    await fill_all_required(session_factory, p.superior, p.agreement)
    await act(session_factory, p.superior, p.agreement, mark_filled)
    await act(session_factory, p.subordinate, p.agreement, signs())

    same = await act(session_factory, p.superior, p.agreement,
                     lambda s, o: save_answer(s, o, key, Phase.AGREEMENT, "Avtalt tekst", max_length=MAX_LENGTH))
    assert (same.changed, same.withdrawn) == (False, False)
    assert await status_of(session_factory, p.subordinate, p.agreement) is AgreementStatus.UTFYLT
    preparation = await act(session_factory, p.subordinate, p.agreement,
                            lambda s, o: save_answer(s, o, key, Phase.PREPARATION, "Notat", max_length=MAX_LENGTH))
    assert (preparation.changed, preparation.withdrawn) == (True, False)

    changed = await act(session_factory, p.superior, p.agreement,
                        lambda s, o: save_answer(s, o, key, Phase.AGREEMENT, "Ny tekst", max_length=MAX_LENGTH))
    assert (changed.changed, changed.withdrawn) == (True, True)
    async with session_factory() as session:
        opened = await open_agreement(session, p.superior, p.agreement)
        assert opened.agreement.filled_at is None and opened.agreement.subordinate_signed_at is None

    # The subordinate's comments are not the agreed text: sending them is a step of its own.
    await act(session_factory, p.superior, p.agreement, mark_filled)
    await act(session_factory, p.subordinate, p.agreement,
              lambda s, o: send_comments(s, o, "Mer konkret, takk.", max_length=MAX_LENGTH))
    async with session_factory() as session:
        kinds = (await session.scalars(select(AgreementEvent.kind).where(AgreementEvent.agreement_id == p.agreement))).all()
    assert kinds.count("withdrawn_from_review") == 1 and kinds[-1] == "comments_sent"


async def test_a_choice_and_a_text_each_have_their_own_save(session_factory) -> None:
    p = await make_pair(session_factory)
    with pytest.raises(InvalidState):
        await act(session_factory, p.superior, p.agreement,
                  lambda s, o: save_answer(s, o, "ledelsesutvikling.tema", Phase.PREPARATION, '["apen", "retning"]',
                                           max_length=MAX_LENGTH))
    with pytest.raises(InvalidState):
        await act(session_factory, p.superior, p.agreement,
                  lambda s, o: save_choice(s, o, "styringsbrev.bidrag", Phase.PREPARATION, ["apen", "retning"]))
