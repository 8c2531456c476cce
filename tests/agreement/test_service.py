"""The agreement rules against a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import itertools
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from agreement import service
from agreement.access import Action
from agreement.errors import (
    AccessDenied,
    AgreementLocked,
    AnswerEmpty,
    AnswerTooLong,
    InvalidChoice,
    InvalidState,
)
from agreement.status import AgreementStatus
from storage.models import AgreementEvent, AnswerRevision, Phase
from tests.support.factories import make_pair

MEETING = datetime(2026, 2, 10, 9, 0, tzinfo=timezone.utc)


async def act(session_factory, leader_id, agreement_id, work):
    async def unit(session):
        opened = await service.open_agreement(session, leader_id, agreement_id)
        return await work(session, opened)

    return await service.run_in_transaction(session_factory, unit)


async def status_of(session_factory, leader_id, agreement_id) -> AgreementStatus:
    async with session_factory() as session:
        return (await service.open_agreement_status(session, leader_id, agreement_id)).status


async def fill_all_required(session_factory, superior, agreement_id) -> None:
    async def work(session, opened):
        for section in opened.template.sections:
            for field in section.fields:
                if field.kind.value == "text":
                    await service.save_answer(session, opened, field.key, Phase.AGREEMENT, "Avtalt tekst")
                elif field.kind.value == "platform_choice":
                    keys = [s.key for s in opened.template.platform_statements[:2]]
                    await service.save_choice(session, opened, field.key, Phase.AGREEMENT, keys)

    await act(session_factory, superior, agreement_id, work)


async def test_the_year_of_one_agreement(session_factory) -> None:
    p = await make_pair(session_factory)
    assert await status_of(session_factory, p.superior, p.agreement) is AgreementStatus.IKKE_STARTET

    await act(session_factory, p.superior, p.agreement, lambda s, o: service.plan_meeting(s, o, MEETING))
    assert await status_of(session_factory, p.superior, p.agreement) is AgreementStatus.PLANLAGT

    await act(session_factory, p.superior, p.agreement, service.mark_prepared)
    assert await status_of(session_factory, p.superior, p.agreement) is AgreementStatus.PLANLAGT
    await act(session_factory, p.subordinate, p.agreement, service.mark_prepared)
    assert await status_of(session_factory, p.superior, p.agreement) is AgreementStatus.FORBEREDT

    with pytest.raises(InvalidState, match="unanswered"):
        await act(session_factory, p.superior, p.agreement, service.mark_filled)
    await fill_all_required(session_factory, p.superior, p.agreement)
    await act(session_factory, p.superior, p.agreement, service.mark_filled)
    assert await status_of(session_factory, p.subordinate, p.agreement) is AgreementStatus.UTFYLT

    assert not await act(session_factory, p.subordinate, p.agreement, lambda s, o: service.sign(s, o, "Lørenskog, 12.02.2026"))
    assert await act(session_factory, p.superior, p.agreement, lambda s, o: service.sign(s, o, "Lørenskog, 12.02.2026"))
    assert await status_of(session_factory, p.hr, p.agreement) is AgreementStatus.SIGNERT

    with pytest.raises(AgreementLocked):
        await act(session_factory, p.superior, p.agreement,
                  lambda s, o: service.save_answer(s, o, "styringsbrev.bidrag", Phase.AGREEMENT, "Ny tekst"))

    await act(session_factory, p.subordinate, p.agreement,
              lambda s, o: service.save_answer(s, o, "oppfolging.q1" if False else o.template.followup_fields()[0].key,
                                               Phase.FOLLOWUP_PREPARATION, "Refleksjon"))
    with pytest.raises(InvalidState):
        await act(session_factory, p.subordinate, p.agreement, service.confirm_followup)
    await act(session_factory, p.superior, p.agreement, service.mark_followup_recorded)
    assert not await act(session_factory, p.superior, p.agreement, service.confirm_followup)
    assert await act(session_factory, p.subordinate, p.agreement, service.confirm_followup)
    assert await status_of(session_factory, p.superior, p.agreement) is AgreementStatus.OPPFOLGING_GJENNOMFORT


async def test_change_after_signing_reopens_and_keeps_history(session_factory) -> None:
    p = await make_pair(session_factory)
    await fill_all_required(session_factory, p.superior, p.agreement)
    await act(session_factory, p.superior, p.agreement, service.mark_filled)
    for leader in (p.superior, p.subordinate):
        await act(session_factory, leader, p.agreement, lambda s, o: service.sign(s, o, "Lørenskog, 1.3.2026"))
    assert await status_of(session_factory, p.superior, p.agreement) is AgreementStatus.SIGNERT

    with pytest.raises(AccessDenied):
        await act(session_factory, p.subordinate, p.agreement, service.reopen)
    await act(session_factory, p.superior, p.agreement, service.reopen)
    await act(session_factory, p.superior, p.agreement,
              lambda s, o: service.save_answer(s, o, "styringsbrev.bidrag", Phase.AGREEMENT, "Endret tekst"))
    assert await status_of(session_factory, p.superior, p.agreement) is AgreementStatus.UTFYLT

    async with session_factory() as session:
        opened = await service.open_agreement(session, p.subordinate, p.agreement)
        answer = (await service.read_answers(session, opened, keys=["styringsbrev.bidrag"]))[0]
        history = await service.answer_history(session, opened, answer.id)
        kinds = (await session.scalars(select(AgreementEvent.kind).where(AgreementEvent.agreement_id == p.agreement))).all()
    assert [r.text for r in history] == ["Avtalt tekst", "Endret tekst"]
    assert answer.text == "Endret tekst" and answer.revision == 2
    assert kinds.count("signed") == 2 and "reopened" in kinds


async def test_preparation_is_private_until_both_are_done(session_factory) -> None:
    p = await make_pair(session_factory)
    await act(session_factory, p.subordinate, p.agreement,
              lambda s, o: service.save_answer(s, o, "ledelsesutvikling.god_til", Phase.PREPARATION, "Mitt notat"))

    async def visible_to(leader):
        async with session_factory() as session:
            opened = await service.open_agreement(session, leader, p.agreement)
            return [a.text for a in await service.read_answers(session, opened, phase=Phase.PREPARATION)]

    assert await visible_to(p.subordinate) == ["Mitt notat"]
    assert await visible_to(p.superior) == []
    await act(session_factory, p.subordinate, p.agreement, service.mark_prepared)
    assert await visible_to(p.superior) == []
    await act(session_factory, p.superior, p.agreement, service.mark_prepared)
    assert await visible_to(p.superior) == ["Mitt notat"]


@pytest.mark.parametrize("who", ["outsider", "colleague", "hr", "top"])
async def test_nobody_outside_the_pair_reads_content(session_factory, who: str) -> None:
    p = await make_pair(session_factory)
    await act(session_factory, p.superior, p.agreement,
              lambda s, o: service.save_answer(s, o, "ledelsesutvikling.god_til", Phase.AGREEMENT, "Privat"))
    async with session_factory() as session:
        with pytest.raises(AccessDenied):
            await service.open_agreement(session, getattr(p, who), p.agreement)
    if who in ("hr", "top"):
        async with session_factory() as session:
            opened = await service.open_agreement_status(session, getattr(p, who), p.agreement)
            assert opened.status is AgreementStatus.IKKE_STARTET
            assert await service.read_answers(session, opened) == []
            assert await service.list_goals(session, opened) == []
    else:
        async with session_factory() as session:
            with pytest.raises(AccessDenied):
                await service.open_agreement_status(session, getattr(p, who), p.agreement)


async def test_export_leaves_out_ledelsesutvikling_unless_both_agree(session_factory) -> None:
    p = await make_pair(session_factory)

    async def write(session, opened):
        await service.save_answer(session, opened, "ledelsesutvikling.god_til", Phase.AGREEMENT, "Privat")
        await service.save_answer(session, opened, "styringsbrev.bidrag", Phase.AGREEMENT, "Åpen")
        await service.add_goal(session, opened, "ledelsesutvikling", Phase.AGREEMENT, "Mål", ["Tiltak"])
        await service.add_goal(session, opened, "personell", Phase.AGREEMENT, "Sykefravær", ["Oppfølging"])

    await act(session_factory, p.superior, p.agreement, write)

    async def exported():
        async with session_factory() as session:
            opened = await service.open_agreement(session, p.subordinate, p.agreement)
            answers = await service.read_answers(session, opened, action=Action.EXPORT)
            goals = await service.list_goals(session, opened, action=Action.EXPORT)
            return sorted(a.text for a in answers), sorted(g.title for g in goals)

    assert await exported() == (["Åpen"], ["Sykefravær"])
    await act(session_factory, p.superior, p.agreement, lambda s, o: service.set_share_development(s, o, True))
    assert await exported() == (["Åpen"], ["Sykefravær"])
    await act(session_factory, p.subordinate, p.agreement, lambda s, o: service.set_share_development(s, o, True))
    assert await exported() == (["Privat", "Åpen"], ["Mål", "Sykefravær"])


async def test_bad_answers_are_refused_and_nothing_is_lost(session_factory) -> None:
    p = await make_pair(session_factory)
    key = "styringsbrev.bidrag"
    await act(session_factory, p.superior, p.agreement, lambda s, o: service.save_answer(s, o, key, Phase.PREPARATION, "Første"))
    with pytest.raises(AnswerEmpty):
        await act(session_factory, p.superior, p.agreement, lambda s, o: service.save_answer(s, o, key, Phase.PREPARATION, "   "))
    with pytest.raises(AnswerTooLong) as too_long:
        await act(session_factory, p.superior, p.agreement,
                  lambda s, o: service.save_answer(s, o, key, Phase.PREPARATION, "x" * 5000, max_length=4000))
    assert too_long.value.limit == 4000
    for chosen in (["apen"], ["apen", "retning", "trygg", "rollemodell"], ["apen", "ukjent"]):
        with pytest.raises(InvalidChoice):
            await act(session_factory, p.superior, p.agreement,
                      lambda s, o: service.save_choice(s, o, "ledelsesutvikling.tema", Phase.PREPARATION, chosen))
    with pytest.raises(AccessDenied):
        await act(session_factory, p.subordinate, p.agreement, lambda s, o: service.save_answer(s, o, key, Phase.AGREEMENT, "Nei"))
    async with session_factory() as session:
        opened = await service.open_agreement(session, p.superior, p.agreement)
        assert [a.text for a in await service.read_answers(session, opened)] == ["Første"]


async def test_a_changed_answer_keeps_every_revision(session_factory) -> None:
    p = await make_pair(session_factory)
    key = "personell.fungerer"
    for text in ("En", "To", "To", "Tre"):
        await act(session_factory, p.subordinate, p.agreement, lambda s, o, t=text: service.save_answer(s, o, key, Phase.PREPARATION, t))
    async with session_factory() as session:
        texts = (await session.scalars(select(AnswerRevision.text).order_by(AnswerRevision.revision))).all()
    assert texts == ["En", "To", "Tre"]


async def test_both_leaders_answering_at_once_keep_both_answers(session_factory) -> None:
    p = await make_pair(session_factory)

    async def answer(leader, text):
        await act(session_factory, leader, p.agreement,
                  lambda s, o: service.save_answer(s, o, "personell.fungerer", Phase.PREPARATION, text))

    await asyncio.gather(*(answer(l, f"{l}-{i}") for i, l in itertools.product(range(5), (p.superior, p.subordinate))))
    await asyncio.gather(
        act(session_factory, p.superior, p.agreement, service.mark_prepared),
        act(session_factory, p.subordinate, p.agreement, service.mark_prepared),
    )
    async with session_factory() as session:
        opened = await service.open_agreement(session, p.superior, p.agreement)
        answers = await service.read_answers(session, opened, phase=Phase.PREPARATION)
        assert sorted(a.author_id for a in answers) == sorted([p.superior, p.subordinate])
        assert opened.status is AgreementStatus.FORBEREDT
        assert await session.scalar(select(func.count()).select_from(AnswerRevision)) == 10


async def test_goals_are_kept_when_changed(session_factory) -> None:
    p = await make_pair(session_factory)
    goal = await act(session_factory, p.subordinate, p.agreement,
                     lambda s, o: service.add_goal(s, o, "personell", Phase.PREPARATION, "Redusere sykefravær", ["Tett dialog", " "]))
    new = await act(session_factory, p.subordinate, p.agreement,
                    lambda s, o: service.replace_goal(s, o, goal.id, "Redusere sykefravær til 6 %", ["Tett dialog", "Månedlig rapport"]))
    async with session_factory() as session:
        opened = await service.open_agreement(session, p.subordinate, p.agreement)
        goals = await service.list_goals(session, opened)
    assert [(g.title, [a.text for a in g.current_actions]) for g in goals] == [
        ("Redusere sykefravær til 6 %", ["Tett dialog", "Månedlig rapport"])
    ]
    assert new.position == goal.position
    with pytest.raises(AccessDenied):
        await act(session_factory, p.superior, p.agreement, lambda s, o: service.remove_goal(s, o, new.id))


async def test_status_rows_hold_no_content(session_factory) -> None:
    p = await make_pair(session_factory)
    async with session_factory() as session:
        rows = await service.status_rows(session, 2026)
    assert {(r.superior_name, r.subordinate_name) for r in rows} == {
        ("Alex Wilber", "Megan Bowen"), ("Alex Wilber", "Adele Vance"), ("Patti Fernandez", "Alex Wilber"),
    }
    assert all(r.status is AgreementStatus.IKKE_STARTET for r in rows)
    assert not hasattr(rows[0], "answers")
    assert p.agreement in {r.agreement_id for r in rows}


async def test_withdrawing_from_review_clears_a_single_signature(session_factory) -> None:
    p = await make_pair(session_factory)
    await fill_all_required(session_factory, p.superior, p.agreement)
    await act(session_factory, p.superior, p.agreement, service.mark_filled)
    await act(session_factory, p.subordinate, p.agreement, lambda s, o: service.sign(s, o, "Lørenskog, 12.02.2026"))
    with pytest.raises(AccessDenied):
        await act(session_factory, p.subordinate, p.agreement, service.withdraw_from_review)

    assert await act(session_factory, p.superior, p.agreement, service.withdraw_from_review) is True
    async with session_factory() as session:
        opened = await service.open_agreement(session, p.superior, p.agreement)
        assert opened.agreement.filled_at is None and opened.agreement.subordinate_signed_at is None
        event = await session.scalar(select(AgreementEvent).order_by(AgreementEvent.id.desc()))
        assert event.kind == "withdrawn_from_review" and event.detail["subordinate_signed"] is True
    with pytest.raises(InvalidState):
        await act(session_factory, p.subordinate, p.agreement, lambda s, o: service.sign(s, o, "Lørenskog"))
    # Nothing to withdraw a second time.
    assert await act(session_factory, p.superior, p.agreement, service.withdraw_from_review) is False

    # Signed by both: locked, it must be reopened first.
    await act(session_factory, p.superior, p.agreement, service.mark_filled)
    for leader in (p.subordinate, p.superior):
        await act(session_factory, leader, p.agreement, lambda s, o: service.sign(s, o, "Lørenskog"))
    with pytest.raises(AgreementLocked):
        await act(session_factory, p.superior, p.agreement, service.withdraw_from_review)


async def test_a_saved_answer_is_what_the_same_unit_of_work_reads_back(session_factory) -> None:
    p = await make_pair(session_factory)
    key = "styringsbrev.bidrag"
    first = await act(session_factory, p.subordinate, p.agreement,
                      lambda s, o: service.save_answer(s, o, key, Phase.PREPARATION, "Første utkast"))
    assert (first.text, first.revision) == ("Første utkast", 1)

    async def read_change_read(session, opened):
        [loaded] = await service.read_answers(session, opened, phase=Phase.PREPARATION, keys=[key])
        saved = await service.save_answer(session, opened, key, Phase.PREPARATION, "Andre utkast")
        [again] = await service.read_answers(session, opened, phase=Phase.PREPARATION, keys=[key])
        unchanged = await service.save_answer(session, opened, key, Phase.PREPARATION, "Andre utkast")
        return loaded, saved, again, unchanged

    loaded, saved, again, unchanged = await act(session_factory, p.subordinate, p.agreement, read_change_read)
    # The copy loaded before the change was brought up to date, not left showing the old text.
    assert saved is loaded and again is loaded and unchanged is loaded
    assert (loaded.text, loaded.revision, loaded.id) == ("Andre utkast", 2, first.id)
    async with session_factory() as session:
        revisions = (await session.scalars(select(AnswerRevision.text).order_by(AnswerRevision.revision))).all()
    assert revisions == ["Første utkast", "Andre utkast"]
