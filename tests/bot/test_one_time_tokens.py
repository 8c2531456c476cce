"""One-time tokens kept in the database: claimed once by their owner before they expire, in any process."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot import one_time_tokens
from bot.one_time_tokens import KEPT_AFTER, Kind, Outcome
from storage.db import create_engine, create_session_factory
from storage.models import DocumentOffer
from tests.support.factories import make_pair

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
LIFETIME = timedelta(minutes=10)


async def issued(session_factory, kind: Kind, owner: int, subject: int, now: datetime = NOW) -> str:
    async with session_factory() as session:
        token = await one_time_tokens.issue(session, kind, owner, subject, now, LIFETIME)
        await session.commit()
    return token


async def claimed(session_factory, token: object, kind: Kind, now: datetime = NOW, **owner: int) -> Outcome:
    async with session_factory() as session:
        claim = await one_time_tokens.claim(session, token, kind, now, **owner)
        await session.commit()
    return claim.outcome


async def test_a_token_is_claimed_once_by_its_owner_before_it_expires(session_factory) -> None:
    pair = await make_pair(session_factory)
    token = await issued(session_factory, Kind.CONSENT, pair.subordinate, pair.agreement)
    assert len(token) >= 40

    assert await claimed(session_factory, token, Kind.CONSENT, owner=pair.superior) is Outcome.NOT_OWNER
    assert await claimed(session_factory, token, Kind.LINK) is Outcome.UNKNOWN
    async with session_factory() as session:
        claim = await one_time_tokens.claim(session, token, Kind.CONSENT, NOW, owner=pair.subordinate)
        await session.commit()
    assert claim.outcome is Outcome.CLAIMED
    assert (claim.offer.kind, claim.offer.owner, claim.offer.subject) == (Kind.CONSENT, pair.subordinate,
                                                                         pair.agreement)
    assert claim.offer.expires_at == NOW + LIFETIME
    assert await claimed(session_factory, token, Kind.CONSENT, owner=pair.subordinate) is Outcome.USED
    # Used, and still not the other leader's to be told about.
    assert await claimed(session_factory, token, Kind.CONSENT, owner=pair.superior) is Outcome.NOT_OWNER

    late = await issued(session_factory, Kind.LINK, pair.subordinate, pair.agreement)
    assert await claimed(session_factory, late, Kind.LINK, NOW + LIFETIME) is Outcome.EXPIRED
    assert await claimed(session_factory, "guessed", Kind.LINK) is Outcome.UNKNOWN
    assert await claimed(session_factory, None, Kind.LINK) is Outcome.UNKNOWN
    assert await claimed(session_factory, {"token": token}, Kind.CONSENT) is Outcome.UNKNOWN


async def test_old_offers_are_forgotten_when_new_ones_are_issued(session_factory) -> None:
    pair = await make_pair(session_factory)
    used = await issued(session_factory, Kind.LINK, pair.subordinate, pair.agreement)
    assert await claimed(session_factory, used, Kind.LINK) is Outcome.CLAIMED
    expired = await issued(session_factory, Kind.LINK, pair.subordinate, pair.agreement)

    # Within the hour after expiry both are still told for what they are.
    await issued(session_factory, Kind.LINK, pair.superior, pair.agreement, NOW + LIFETIME)
    assert await claimed(session_factory, used, Kind.LINK, NOW + LIFETIME) is Outcome.USED
    assert await claimed(session_factory, expired, Kind.LINK, NOW + LIFETIME) is Outcome.EXPIRED

    fresh = await issued(session_factory, Kind.LINK, pair.superior, pair.agreement, NOW + LIFETIME + KEPT_AFTER)
    later = NOW + LIFETIME + KEPT_AFTER
    assert await claimed(session_factory, used, Kind.LINK, later) is Outcome.UNKNOWN
    assert await claimed(session_factory, expired, Kind.LINK, later) is Outcome.UNKNOWN
    assert await claimed(session_factory, fresh, Kind.LINK, later) is Outcome.CLAIMED


async def test_only_the_tokens_hash_is_stored(session_factory) -> None:
    pair = await make_pair(session_factory)
    token = await issued(session_factory, Kind.LINK, pair.subordinate, pair.agreement)
    async with session_factory() as session:
        [row] = (await session.execute(select(*DocumentOffer.__table__.columns))).all()
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert all(token not in str(value) for value in row)
    assert (row.kind, row.leader_id, row.agreement_id, row.used_at) == ("link", pair.subordinate, pair.agreement,
                                                                        None)


async def test_a_claim_counts_once_its_session_commits(session_factory) -> None:
    pair = await make_pair(session_factory)
    token = await issued(session_factory, Kind.CONSENT, pair.subordinate, pair.agreement)

    async with session_factory() as session:
        claim = await one_time_tokens.claim(session, token, Kind.CONSENT, NOW, owner=pair.subordinate)
        assert claim.outcome is Outcome.CLAIMED
        await session.rollback()
    assert await claimed(session_factory, token, Kind.CONSENT, owner=pair.subordinate) is Outcome.CLAIMED

    async with session_factory() as session:
        await one_time_tokens.give_back(session, token)
        await session.commit()
    assert await claimed(session_factory, token, Kind.CONSENT, owner=pair.subordinate) is Outcome.CLAIMED
    assert await claimed(session_factory, token, Kind.CONSENT, owner=pair.subordinate) is Outcome.USED


async def test_an_issue_counts_once_its_session_commits(session_factory) -> None:
    pair = await make_pair(session_factory)
    async with session_factory() as session:
        token = await one_time_tokens.issue(session, Kind.LINK, pair.subordinate, pair.agreement, NOW, LIFETIME)
        await session.rollback()
    assert await claimed(session_factory, token, Kind.LINK) is Outcome.UNKNOWN


async def test_a_token_issued_by_one_process_is_claimed_by_another(session_factory, database_url) -> None:
    pair = await make_pair(session_factory)
    # Told in the service's time zone: stored and compared as the same moment.
    token = await issued(session_factory, Kind.LINK, pair.subordinate, pair.agreement,
                         NOW.astimezone(ZoneInfo("Europe/Oslo")))
    other = create_engine(database_url)
    try:
        assert await claimed(create_session_factory(other), token, Kind.LINK, NOW + LIFETIME / 2) is Outcome.CLAIMED
    finally:
        await other.dispose()
    assert await claimed(session_factory, token, Kind.LINK) is Outcome.USED


async def test_of_claims_at_the_same_moment_exactly_one_wins(session_factory) -> None:
    pair = await make_pair(session_factory)
    token = await issued(session_factory, Kind.CONSENT, pair.subordinate, pair.agreement)
    together = asyncio.Barrier(4)

    async def take() -> Outcome:
        await together.wait()
        async with session_factory() as session:
            claim = await one_time_tokens.claim(session, token, Kind.CONSENT, NOW, owner=pair.subordinate)
            # The winner keeps its claim open a moment longer: the others meet it uncommitted.
            await asyncio.sleep(0)
            await session.commit()
        return claim.outcome

    outcomes = await asyncio.gather(*(take() for _ in range(4)))
    assert sorted(outcome.value for outcome in outcomes) == ["claimed", "used", "used", "used"]


async def test_an_overview_is_offered_by_its_year_with_no_agreement(session_factory) -> None:
    """The offers' subject may be a year's overview (HR's spreadsheet): bound to its owner, taken once."""
    import pytest

    from bot.one_time_tokens import Subject

    pair = await make_pair(session_factory)
    async with session_factory() as session:
        token = await one_time_tokens.issue(session, Kind.LINK, pair.hr, None, NOW, timedelta(minutes=10),
                                            subject_kind=Subject.OVERVIEW, year=2026)
        for subject, kind, year in ((pair.agreement, Subject.OVERVIEW, 2026), (None, Subject.OVERVIEW, None),
                                    (None, Subject.AGREEMENT, None), (pair.agreement, Subject.AGREEMENT, 2026)):
            with pytest.raises(ValueError):
                await one_time_tokens.issue(session, Kind.LINK, pair.hr, subject, NOW, timedelta(minutes=10),
                                            subject_kind=kind, year=year)
        await session.commit()
    async with session_factory() as session:
        claim = await one_time_tokens.claim(session, token, Kind.LINK, NOW, owner=pair.hr)
        await session.commit()
    assert claim.outcome is Outcome.CLAIMED
    assert (claim.offer.subject_kind, claim.offer.year, claim.offer.subject) == (Subject.OVERVIEW, 2026, None)
    assert await claimed(session_factory, token, Kind.LINK, owner=pair.hr) is Outcome.USED
    old = await issued(session_factory, Kind.LINK, pair.superior, pair.agreement)
    async with session_factory() as session:
        claim = await one_time_tokens.claim(session, old, Kind.LINK, NOW)
    assert (claim.offer.subject_kind, claim.offer.year) == (Subject.AGREEMENT, None)
