"""The crash test's audit: it finds what a run lost, misfiled and doubled (checked on a database set up by hand)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from agreement.roster.apply import load_demo
from agreement.template import default_template_id_for_year
from benchmarks.crash_test import MISFILED_KINDS, Sent, answer_text, audit, goal_actions, load_flows
from storage.models import Answer, AnswerRevision, Goal, GoalAction, Phase


async def store(session: AsyncSession, agreement_id: int, key: str, author_id: int, *texts: str) -> None:
    """An answer whose revisions are ``texts``, the last one current."""
    answer = Answer(agreement_id=agreement_id, question_key=key, author_id=author_id, phase=Phase.PREPARATION,
                    text=texts[-1], revision=len(texts))
    session.add(answer)
    await session.flush()
    for number, text in enumerate(texts, start=1):
        session.add(AnswerRevision(answer_id=answer.id, revision=number, text=text, changed_by_id=author_id))


def goal(agreement_id: int, author_id: int, title: str, actions: list[str]) -> Goal:
    return Goal(agreement_id=agreement_id, section_key="ledelsesutvikling", phase=Phase.PREPARATION,
                author_id=author_id, title=title,
                actions=[GoalAction(position=i, text=text) for i, text in enumerate(actions)])


async def test_the_audit_finds_what_was_lost_misfiled_and_doubled(
    database_url: str, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    year = datetime.now(ZoneInfo("Europe/Oslo")).year
    await load_demo(session_factory, year, default_template_id_for_year(year))
    # Alex Wilber preparing for Megan Bowen (megan) and for Adele Vance (adele).
    megan, adele = (await load_flows(database_url, 2))[:2]
    alex = megan.person
    for flow in (megan, adele):
        flow.start_pass()

    def text(flow, key: str) -> Sent:
        return Sent(flow, 1, key, text=answer_text(alex.slug, flow.agreement_id, key, 1, 1), acked=True)

    kept = text(megan, "styringsbrev.bidrag")
    never_stored = text(megan, "styringsbrev.notat")
    overwritten = text(megan, "ledelsesutvikling.god_til")
    overwriting = text(megan, "ledelsesutvikling.utfordrende")
    elsewhere = text(adele, "personell.fungerer")
    doubled_goal = Sent(megan, 1, "ledelsesutvikling.mal:actions", title=megan.passes[0].goal_title,
                        actions=goal_actions(alex.slug, megan.agreement_id, "ledelsesutvikling", 1, 1), acked=True)
    joined_goal = Sent(adele, 1, "ledelsesutvikling.mal:actions", title=adele.passes[0].goal_title,
                       actions=goal_actions(alex.slug, adele.agreement_id, "ledelsesutvikling", 1, 1), acked=True)
    megan.passes[0].acked[doubled_goal.key] = doubled_goal
    adele.passes[0].acked[joined_goal.key] = joined_goal
    async with session_factory() as session:
        await store(session, megan.agreement_id, "styringsbrev.bidrag", alex.leader_id, kept.text)
        # The next question's answer went into this one, over the answer the bot had moved on from.
        await store(session, megan.agreement_id, "ledelsesutvikling.god_til", alex.leader_id,
                    overwritten.text, overwriting.text)
        await store(session, megan.agreement_id, "ledelsesutvikling.utfordrende", alex.leader_id, overwriting.text)
        # Adele's answer in Megan's agreement, and a button's words saved as an answer.
        await store(session, megan.agreement_id, "personell.fungerer", alex.leader_id, elsewhere.text)
        await store(session, megan.agreement_id, "personell.notat", alex.leader_id, "Legg til mål")
        session.add_all([
            goal(megan.agreement_id, alex.leader_id, doubled_goal.title, list(doubled_goal.actions)),
            goal(megan.agreement_id, alex.leader_id, doubled_goal.title, ["noe annet"]),
            goal(adele.agreement_id, alex.leader_id, joined_goal.title, [" ".join(joined_goal.actions)]),
        ])
        await session.commit()

    figures = await audit(database_url, [megan, adele], [kept, never_stored, overwritten, overwriting, elsewhere])

    assert figures["acknowledged"] == {"text": 5, "goal": 2}
    assert len(figures["lost"]) == 3
    assert any(never_stored.text in line and "is not stored" in line for line in figures["lost"])
    assert any(overwritten.text in line and f"replaced by {overwriting.text!r}" in line for line in figures["lost"])
    assert any(elsewhere.text in line and "is not stored" in line for line in figures["lost"])
    assert figures["misfiled_kinds"] == {MISFILED_KINDS[0]: 1, MISFILED_KINDS[1]: 1, MISFILED_KINDS[2]: 1}
    assert figures["duplicated_goals"] == 1
    assert figures["duplicated_answers"] == 1
    assert figures["joined_lines"] == 1
    assert figures["found"] == 3
    assert figures["prepared_in_database"] == 0
