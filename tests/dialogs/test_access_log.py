"""The access log in Teams: every card that shows content records who read which part, once per read,
in the turn's transaction; a refused read records nothing; «Hvem har sett avtalen?» answers a leader
of the pair (never anyone else) without content. Both databases (the ``session_factory`` fixture)."""

from __future__ import annotations

from sqlalchemy import select

from agreement import access_log
from agreement.access_log import CARD, entries_for
from agreement.answers import read_answers, save_answer
from agreement.opening import open_agreement
from bot import actions
from dialogs.texts import common
from dialogs.texts import seen_by as stexts
from storage.models import AccessLogEntry, Phase
from tests.agreement.helpers import MAX_LENGTH, act
from tests.dialogs.harness import buttons, joined
from tests.dialogs.helpers import fill, prepare

MARKER = "HEMMELIG-MERKE-7731"


async def logged(session_factory, agreement_id: int) -> list[tuple]:
    """(reader id, label, path, part, section) of each entry, in the order written."""
    async with session_factory() as session:
        rows = (await session.scalars(select(AccessLogEntry).where(AccessLogEntry.agreement_id == agreement_id)
                                      .order_by(AccessLogEntry.id))).all()
    return [(row.reader_id, row.reader_label, row.path, row.part, row.section_key) for row in rows]


async def both_prepared(session_factory, pair) -> None:
    await prepare(session_factory, pair.subordinate, pair.agreement, f"fra Megan {MARKER}")
    await prepare(session_factory, pair.superior, pair.agreement, f"fra Alex {MARKER}")


async def test_se_avtalen_records_each_part_read_once_as_a_card(session_factory, pair, chat_for) -> None:
    await both_prepared(session_factory, pair)
    await fill(session_factory, pair.superior, pair.agreement)
    assert await logged(session_factory, pair.agreement) == []  # writing is in the history, not here

    replies = await chat_for(pair.subordinate).submit(actions.submit_data(actions.VIEW_AGREEMENT, pair.agreement))
    assert MARKER in joined(replies)
    entries = await logged(session_factory, pair.agreement)
    assert entries and len(entries) == len(set(entries))  # once per part, not once per answer
    assert {(reader, label, path) for reader, label, path, _part, _section in entries} == {
        (pair.subordinate, None, CARD)}
    parts = {(part, section) for *_who, part, section in entries}
    assert ("preparation", "styringsbrev") in parts and ("preparation", "ledelsesutvikling") in parts
    assert ("agreement", "styringsbrev") in parts
    # The button to ask who has seen it is on the view.
    assert actions.submit_data(actions.SEEN_BY, pair.agreement) in buttons(replies)


async def test_the_preparation_view_records_the_preparation(session_factory, pair, chat_for) -> None:
    await both_prepared(session_factory, pair)
    replies = await chat_for(pair.superior).submit(actions.submit_data(actions.VIEW_PREPARATION, pair.agreement))
    assert f"fra Megan {MARKER}" in joined(replies)
    entries = await logged(session_factory, pair.agreement)
    assert entries and {(reader, path, part) for reader, _label, path, part, _section in entries} == {
        (pair.superior, CARD, "preparation")}


async def test_the_fill_in_context_records_the_preparation_shown(session_factory, pair, chat_for) -> None:
    await both_prepared(session_factory, pair)
    replies = await chat_for(pair.superior).submit(actions.submit_data(actions.FILL, pair.agreement))
    assert f"bidrag fra Megan {MARKER}" in joined(replies)
    entries = await logged(session_factory, pair.agreement)
    assert (pair.superior, None, CARD, "preparation", "styringsbrev") in entries
    # The overview's marks and what is missing are checks, not reads: nothing of the agreed text yet.
    assert not [entry for entry in entries if entry[3] == "agreement"]


async def test_the_review_records_the_agreed_text(session_factory, pair, chat_for, deps) -> None:
    await fill(session_factory, pair.superior, pair.agreement)
    replies = await chat_for(pair.subordinate).submit(actions.submit_data(actions.REVIEW, pair.agreement))
    assert "Avtalt styringsbrev.bidrag" in joined(replies)
    entries = await logged(session_factory, pair.agreement)
    assert (pair.subordinate, None, CARD, "agreement", "styringsbrev") in entries
    assert {entry[0] for entry in entries} == {pair.subordinate}


async def test_a_refused_read_records_nothing(session_factory, pair, chat_for) -> None:
    await both_prepared(session_factory, pair)
    await fill(session_factory, pair.superior, pair.agreement)
    for leader in (pair.outsider, pair.hr, pair.top, pair.colleague):
        for action in (actions.VIEW_AGREEMENT, actions.VIEW_PREPARATION, actions.REVIEW, actions.FILL):
            replies = await chat_for(leader).submit(actions.submit_data(action, pair.agreement))
            assert MARKER not in joined(replies)
    assert await logged(session_factory, pair.agreement) == []


async def test_the_entry_is_in_the_reads_transaction(session_factory, pair) -> None:
    await both_prepared(session_factory, pair)
    async with session_factory() as session:
        opened = await open_agreement(session, pair.superior, pair.agreement)
        assert await read_answers(session, opened, phase=Phase.PREPARATION)
        await session.rollback()  # the turn failed: nothing was shown, nothing is logged
    assert await logged(session_factory, pair.agreement) == []
    async with session_factory() as session:
        opened = await open_agreement(session, pair.superior, pair.agreement)
        await read_answers(session, opened, phase=Phase.PREPARATION, purpose=access_log.CHECK)
        await session.commit()
    assert await logged(session_factory, pair.agreement) == []
    async with session_factory() as session:
        opened = await open_agreement(session, pair.superior, pair.agreement)
        await read_answers(session, opened, phase=Phase.PREPARATION)
        await read_answers(session, opened, phase=Phase.PREPARATION, keys=["styringsbrev.bidrag"])
        await session.commit()
    entries = await logged(session_factory, pair.agreement)
    assert entries and len(entries) == len(set(entries))


async def test_a_leader_asks_who_has_seen_their_agreement(session_factory, pair, chat_for) -> None:
    await both_prepared(session_factory, pair)

    async def typed_marker(session, opened):
        await save_answer(session, opened, "styringsbrev.bidrag", Phase.AGREEMENT, f"Avtalt {MARKER}",
                          max_length=MAX_LENGTH)

    await act(session_factory, pair.superior, pair.agreement, typed_marker)
    megan, alex = chat_for(pair.subordinate), chat_for(pair.superior)

    replies = await megan.say("Hvem har sett avtalen?")
    assert stexts.TITLE in joined(replies) and stexts.NONE in joined(replies)
    assert MARKER not in joined(replies)

    await alex.submit(actions.submit_data(actions.VIEW_PREPARATION, pair.agreement))
    replies = await megan.say("hvem har sett avtalen")
    text = joined(replies)
    assert "Alex Wilber: forberedelsen, med Ledelsesutvikling (i Teams), sist" in text
    assert MARKER not in text
    # Asking is not a read of content.
    async with session_factory() as session:
        before = len(await entries_for(session, pair.agreement))

    # The button on «Se avtalen» asks for that agreement; her own reads are left out.
    replies = await megan.submit(actions.submit_data(actions.SEEN_BY, pair.agreement))
    text = joined(replies)
    assert "Alex Wilber" in text and "Megan Bowen:" not in text and MARKER not in text
    async with session_factory() as session:
        assert len(await entries_for(session, pair.agreement)) == before

    # Typed in the middle of a flow, it answers too.
    await alex.submit(actions.submit_data(actions.PLAN, pair.agreement))
    replies = await alex.say("Hvem har sett avtalen?")
    assert stexts.TITLE in joined(replies) and "Alex Wilber:" not in joined(replies)


async def test_only_the_pair_learns_who_has_seen_an_agreement(session_factory, pair, chat_for) -> None:
    await both_prepared(session_factory, pair)
    await chat_for(pair.superior).submit(actions.submit_data(actions.VIEW_PREPARATION, pair.agreement))
    for leader in (pair.outsider, pair.hr, pair.top):
        replies = await chat_for(leader).submit(actions.submit_data(actions.SEEN_BY, pair.agreement))
        text = joined(replies)
        assert stexts.NO_ACCESS in text and "Alex Wilber:" not in text
    replies = await chat_for(pair.outsider).submit({"action": actions.SEEN_BY, "agreement_id": "1; drop"})
    assert stexts.NO_ACCESS in joined(replies)
    # A leader outside every agreement this year, typing it.
    replies = await chat_for(pair.hr).say("Hvem har sett avtalen?")
    assert stexts.NO_AGREEMENTS.format(year=2026) in joined(replies) or common.NO_ACCESS in joined(replies)
