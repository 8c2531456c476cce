"""The proactive sender against the fake Bot Connector: limits, retries and unreachable leaders."""

from __future__ import annotations

import asyncio
import bisect
import heapq
import random
import time
from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest
from botbuilder.core import TurnContext
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.cards import to_activity
from bot.proactive import (
    KeyedRateLimiter,
    ProactiveSender,
    RateLimiter,
    SendStatus,
    retry_after_seconds,
)
from bot.settings import Settings
from storage.conversation_refs import get_reference, save_reference
from storage.db import create_engine, create_session_factory
from storage.models import Leader
from tests.support.fake_connector import FakeConnector, conversation_reference

CARD = {"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "TextBlock", "text": "Hei"}]}


class FakeClock:
    """A monotonic clock that only moves when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class RecordingSleep:
    """Records the sender's retry waits and sleeps a negligible real time instead."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        await asyncio.sleep(0)


@pytest.fixture
async def db(sqlite_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(sqlite_url)
    try:
        yield create_session_factory(engine)
    finally:
        await engine.dispose()


async def add_leaders(
    factory: async_sessionmaker[AsyncSession], connector: FakeConnector, count: int, *, with_reference: bool = True
) -> list[int]:
    async with factory() as session:
        leaders = [Leader(name=f"Leder {n}", email=f"leder{n}@example.com") for n in range(count)]
        session.add_all(leaders)
        await session.flush()
        if with_reference:
            for leader in leaders:
                await save_reference(session, leader.id, conversation_reference(connector.url, f"conv-{leader.id}"))
        await session.commit()
        return [leader.id for leader in leaders]


def make_sender(adapter, db, sleep=None, **settings) -> ProactiveSender:
    return ProactiveSender(
        adapter, Settings(**settings), db, rng=random.Random(7), sleep=sleep or RecordingSleep()
    )


# --- the limiters -----------------------------------------------------------------------


async def test_rate_limiter_spaces_events_evenly() -> None:
    clock = FakeClock()
    limiter = RateLimiter(4, clock=clock, sleep=clock.sleep)
    starts = []
    for _ in range(5):
        await limiter.acquire()
        starts.append(clock.now)
    assert [round(b - a, 6) for a, b in zip(starts, starts[1:])] == [0.25] * 4


async def test_rate_limiter_allows_a_burst_then_the_rate() -> None:
    clock = FakeClock()
    limiter = RateLimiter(10, burst=3, clock=clock, sleep=clock.sleep)
    starts = []
    for _ in range(5):
        await limiter.acquire()
        starts.append(round(clock.now - 1000.0, 6))
    assert starts == [0.0, 0.0, 0.0, 0.1, 0.2]


async def test_rate_limiter_serves_concurrent_waiters_at_the_rate() -> None:
    limiter = RateLimiter(50)
    releases: list[tuple[float, int]] = []

    async def take(n: int) -> None:
        await limiter.acquire()
        releases.append((time.monotonic(), n))  # no await between the release and this reading

    started = time.monotonic()
    await asyncio.gather(*(take(n) for n in range(26)))
    assert sorted(n for _at, n in releases) == list(range(26))
    gaps = [b - a for (a, _), (b, _) in zip(releases, releases[1:])]
    assert min(gaps) >= 0.01 - 1e-4  # never two releases closer than half an interval, however late the loop ran
    assert releases[-1][0] - started >= 25 / 50 - 1e-4  # and none before its booked slot


async def test_waiters_woken_late_together_are_released_half_an_interval_apart() -> None:
    clock = FakeClock()
    limiter = RateLimiter(10, clock=clock, sleep=clock.sleep)
    assert [round(limiter.reserve(), 6) for _ in range(3)] == [0.0, 0.1, 0.2]  # three waiters booked
    clock.now += 0.5  # the event loop was busy: all three wake at once, late
    released = []
    for _ in range(3):
        await limiter.release()
        released.append(round(clock.now - 1000.0, 6))
    assert released == [0.5, 0.55, 0.6]  # one after another, not in a bunch
    assert round(limiter.reserve(), 6) == 0.05  # the fourth slot (0.3) has passed: half an interval after the last


async def test_a_pause_also_holds_back_waiters_that_booked_before_it() -> None:
    clock = FakeClock()
    limiter = RateLimiter(10, clock=clock, sleep=clock.sleep)
    assert limiter.reserve() == 0.0
    limiter.pause(1.0)  # a 429 arrives before the booked waiter was released
    await limiter.release()
    assert clock.now - 1000.0 == pytest.approx(1.0)


async def test_a_paused_limiter_hands_out_no_slot_until_the_pause_ends() -> None:
    clock = FakeClock()
    limiter = RateLimiter(10, burst=5, clock=clock, sleep=clock.sleep)
    await limiter.acquire()
    limiter.pause(2.0)
    await limiter.acquire()
    await limiter.acquire()
    assert clock.sleeps == [2.0, pytest.approx(0.1)]
    limiter.pause(0.05)  # shorter than what is booked already: no change
    await limiter.acquire()
    assert clock.sleeps[-1] == pytest.approx(0.1)


class VirtualTime:
    """A clock and sleep for many concurrent waiters: time jumps to the next wake-up, woken ``late(n)`` after it."""

    def __init__(self, late=lambda n: 0.0) -> None:
        self.now = 1000.0
        self.late = late
        self._sleepers: list[tuple[float, int, asyncio.Future]] = []
        self._seq = 0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self._seq += 1
        future = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self.now + seconds + self.late(self._seq), self._seq, future))
        await future

    async def run(self, *coroutines) -> None:
        """Run the coroutines to the end in virtual time."""
        tasks = [asyncio.ensure_future(coroutine) for coroutine in coroutines]
        while True:
            for _ in range(5):  # let every woken task run up to its next sleep
                await asyncio.sleep(0)
            if all(task.done() for task in tasks):
                break
            wake, _seq, future = heapq.heappop(self._sleepers)
            self.now = max(self.now, wake)
            future.set_result(None)
        for task in tasks:
            task.result()


def most_in_one_second(stamps: list[float]) -> int:
    """The most stamps in any window [t, t + 1 s) (a nanosecond less, for sums of float spacings)."""
    stamps = sorted(stamps)
    return max(bisect.bisect_left(stamps, at + 1.0 - 1e-9) - index for index, at in enumerate(stamps))


async def workers_sending(limiter: RateLimiter, clock: VirtualTime, workers: int, each: int) -> list[float]:
    """``workers`` callers acquiring ``each`` slots one after another; the release times."""
    releases: list[float] = []

    async def worker() -> None:
        for _ in range(each):
            await limiter.acquire()
            releases.append(clock.now)

    await clock.run(*(worker() for _ in range(workers)))
    return releases


async def test_a_late_wake_up_does_not_push_later_slots_back() -> None:
    clock = FakeClock()
    limiter = RateLimiter(9, limit=10, clock=clock, sleep=clock.sleep)
    slots = [limiter.reserve() for _ in range(3)]
    assert [round(slot, 6) for slot in slots] == [0.0, round(1 / 9, 6), round(2 / 9, 6)]
    released = []
    for slot in slots:
        clock.now = max(clock.now, 1000.0 + slot + 0.005)  # every waiter wakes 5 ms after its slot
        await limiter.release()
        released.append(clock.now - 1000.0)
    assert released == pytest.approx([0.005, 1 / 9 + 0.005, 2 / 9 + 0.005])
    assert clock.sleeps == []  # none waited for its predecessor: the lateness did not add up
    assert limiter.reserve() == pytest.approx(3 / 9 - released[-1])  # the fourth slot is still the booked one


async def test_a_late_bunch_goes_at_the_true_limit_and_the_schedule_catches_up() -> None:
    late = {3: 0.3, 40: 0.25, 41: 0.25, 42: 0.25}  # the event loop was busy: some wake-ups come very late
    clock = VirtualTime(late=lambda n: late.get(n, 0.0))
    limiter = RateLimiter(49.5, limit=50, clock=clock, sleep=clock.sleep)
    releases = await workers_sending(limiter, clock, workers=10, each=100)
    assert len(releases) == 1000
    gaps = [b - a for a, b in zip(releases, releases[1:])]
    assert min(gaps) >= 0.5 / 49.5 - 1e-9  # never two releases closer than half an interval
    assert most_in_one_second(releases) <= 50  # however late the bunch, never above the limit in any second
    # The late waiters held everyone behind them back; the queue then ran at the window's pace,
    # faster than the booking, and the last release is on its booked slot again.
    assert releases[-1] - releases[0] == pytest.approx(999 / 49.5, abs=1e-6)


@pytest.mark.parametrize("late", [0.0005, 0.0016, 0.005])  # 1.6 ms: the mean measured in the reminders benchmark
async def test_the_long_run_average_is_the_booked_rate_despite_late_wake_ups(late: float) -> None:
    rng = random.Random(3)
    clock = VirtualTime(late=lambda n: rng.uniform(0.0, 2 * late))  # ``late`` on average
    limiter = RateLimiter(49.5, limit=50, clock=clock, sleep=clock.sleep)
    releases = await workers_sending(limiter, clock, workers=10, each=200)
    rate = (len(releases) - 1) / (releases[-1] - releases[0])
    # Spacing each release from the last one gave 1 / (1/50 + late) once behind: 46.3/s at 1.6 ms.
    assert rate == pytest.approx(49.5, rel=0.002)
    assert most_in_one_second(releases) <= 50


async def test_a_request_held_up_on_the_way_holds_back_the_one_a_window_later() -> None:
    clock = FakeClock()
    limiter = RateLimiter(49.5, limit=50, clock=clock, sleep=clock.sleep)
    released = []
    for n in range(50):
        released.append(await limiter.acquire())
        clock.now += 0.004 if n else 0.024  # the first round trip took 20 ms longer than the others
        limiter.answered(released[-1])
    assert [round(limiter.held_up(r), 6) for r in released[:3]] == [0.02, 0.0, 0.0]
    fifty_first = await limiter.acquire()
    # Counted by the service 20 ms late, the first must lie a window and 20 ms before the 51st.
    assert fifty_first.at - released[0].at == pytest.approx(0.020 + limiter.span)
    assert limiter.span == pytest.approx(1 + (50 / 49.5 - 1) / 2)


async def test_answered_round_trips_measure_the_hold_up_against_the_fastest() -> None:
    clock = FakeClock()
    limiter = RateLimiter(50, clock=clock, sleep=clock.sleep)
    released = []
    for trip in [0.010, 0.004, 0.030, 0.004]:
        released.append(await limiter.acquire())
        clock.now += trip
        limiter.answered(released[-1])
    unanswered = await limiter.acquire()
    assert [round(limiter.held_up(r), 6) for r in released + [unanswered]] == [0.006, 0.0, 0.026, 0.0, 0.0]


async def test_a_steady_long_round_trip_costs_no_rate() -> None:
    clock = VirtualTime()
    limiter = RateLimiter(49.5, limit=50, clock=clock, sleep=clock.sleep)
    releases: list[float] = []

    async def worker() -> None:
        for _ in range(100):
            released = await limiter.acquire()
            releases.append(clock.now)
            await clock.sleep(0.150)  # a far-away service: 150 ms every time
            limiter.answered(released)

    await clock.run(*(worker() for _ in range(20)))
    assert (len(releases) - 1) / (releases[-1] - releases[0]) == pytest.approx(49.5, rel=0.001)


async def test_a_pause_holds_back_everyone_then_the_rate_resumes() -> None:
    clock = VirtualTime(late=lambda n: 0.002)
    limiter = RateLimiter(49.5, limit=50, clock=clock, sleep=clock.sleep)
    releases: list[float] = []
    paused: list[float] = []

    async def worker(n: int) -> None:
        for round_ in range(30):
            await limiter.acquire()
            releases.append(clock.now)
            if n == 0 and round_ == 5:
                limiter.pause(1.0)  # a 429 with Retry-After: 1, while the nine others hold booked slots
                paused.append(clock.now)

    await clock.run(*(worker(n) for n in range(10)))
    [paused_at] = paused
    assert len(releases) == 300
    assert [at for at in releases if paused_at < at < paused_at + 1.0] == []  # nobody passed during the pause
    assert min(at for at in releases if at > paused_at) == pytest.approx(paused_at + 1.0, abs=0.003)
    assert min(b - a for a, b in zip(releases, releases[1:])) >= 0.5 / 49.5 - 1e-9
    assert most_in_one_second(releases) <= 50


async def test_the_per_conversation_limiter_holds_seven_a_second() -> None:
    clock = VirtualTime(late=lambda n: 0.01 * (n % 2))
    limiter = KeyedRateLimiter(7 * 0.99, limit=7, clock=clock, sleep=clock.sleep)
    releases: dict[str, list[float]] = {"a": [], "b": []}

    async def sender(key: str) -> None:
        await limiter.acquire(key)
        releases[key].append(clock.now)

    await clock.run(*(sender(key) for key in ("a", "b") for _ in range(40)))
    assert all(most_in_one_second(stamps) <= 7 for stamps in releases.values())
    assert most_in_one_second(releases["a"] + releases["b"]) > 7  # the keys are limited separately


async def conversation_posts(downstream: bool) -> dict[str, list[float]]:
    """Ten notices at once to each of five conversations, through both limiters as the sender takes them."""
    clock = VirtualTime(late=lambda n: 0.001 * (n % 3))
    everyone = RateLimiter(49.5, limit=50, clock=clock, sleep=clock.sleep)
    conversations = KeyedRateLimiter(
        7 * 0.99, limit=7, downstream=everyone if downstream else None, clock=clock, sleep=clock.sleep
    )
    posts: dict[str, list[float]] = {f"conv-{n}": [] for n in range(5)}

    async def send(key: str) -> None:
        await conversations.acquire(key)
        await everyone.acquire()
        posts[key].append(clock.now)

    await clock.run(*(send(key) for _ in range(10) for key in posts))
    return posts


async def test_a_conversations_requests_are_spaced_where_they_leave_the_global_queue() -> None:
    posts = await conversation_posts(downstream=True)
    assert all(len(stamps) == 10 for stamps in posts.values())
    assert max(most_in_one_second(stamps) for stamps in posts.values()) <= 7
    # Spaced where they leave the conversation's limiter, the wait in the global queue bunches them.
    bunched = await conversation_posts(downstream=False)
    assert max(most_in_one_second(stamps) for stamps in bunched.values()) > 7


async def test_rate_limiter_refuses_nonsense() -> None:
    with pytest.raises(ValueError, match="rate must be positive"):
        RateLimiter(0)
    with pytest.raises(ValueError, match="burst"):
        RateLimiter(5, burst=0)
    with pytest.raises(ValueError, match="limit must be at least"):
        RateLimiter(5, limit=4)
    with pytest.raises(ValueError, match="window"):
        RateLimiter(5, window=0)


async def test_keyed_limiter_limits_each_key_separately_and_forgets_idle_keys() -> None:
    clock = FakeClock()
    limiter = KeyedRateLimiter(2, clock=clock, sleep=clock.sleep)
    await limiter.acquire("a")
    await limiter.acquire("b")
    assert clock.sleeps == []
    await limiter.acquire("a")
    assert clock.sleeps == [0.5]
    clock.now += 10
    for n in range(998):
        await limiter.acquire(f"other-{n}")
    assert "a" not in limiter._limiters and len(limiter) <= 998


def test_retry_after_reads_seconds_and_http_dates() -> None:
    now = datetime(2025, 3, 1, 12, 0, tzinfo=timezone.utc)
    assert retry_after_seconds("3", now) == 3.0
    assert retry_after_seconds("0.5", now) == 0.5
    assert retry_after_seconds(format_datetime(now + timedelta(seconds=7), usegmt=True), now) == 7.0
    assert retry_after_seconds(format_datetime(now - timedelta(seconds=7), usegmt=True), now) == 0.0
    assert retry_after_seconds("soon", now) is None
    assert retry_after_seconds(None, now) is None


# --- sending ------------------------------------------------------------------------------


async def test_sends_a_card_to_the_leaders_conversation(adapter, db, connector: FakeConnector) -> None:
    [leader] = await add_leaders(db, connector, 1)
    result = await make_sender(adapter, db).send(leader, to_activity(CARD, summary="Påminnelse"))
    assert result.status is SendStatus.SENT and result.attempts == 1 and result.activity_id
    [recorded] = connector.activities
    assert recorded.conversation_id == f"conv-{leader}"
    assert recorded.cards == [CARD]
    assert recorded.activity["summary"] == "Påminnelse"


async def test_the_same_activity_can_go_to_several_leaders(adapter, db, connector: FakeConnector) -> None:
    leaders = await add_leaders(db, connector, 3)
    sender = make_sender(adapter, db)
    activity = to_activity(CARD)
    results = await asyncio.gather(*(sender.send(leader, activity) for leader in leaders))
    assert all(result.sent for result in results)
    assert sorted(item.conversation_id for item in connector.activities) == sorted(f"conv-{n}" for n in leaders)
    assert all(item.activity["recipient"]["id"] == "user" for item in connector.activities)


async def test_a_leader_without_reference_is_unreachable_without_a_request(adapter, db, connector) -> None:
    [leader] = await add_leaders(db, connector, 1, with_reference=False)
    result = await make_sender(adapter, db).send(leader, to_activity(CARD))
    assert result.status is SendStatus.UNREACHABLE and result.error == "no_reference"
    assert connector.requests == 0


@pytest.mark.parametrize("status", [403, 404])
async def test_403_and_404_mark_the_leader_unreachable_until_they_talk_again(
    adapter, db, connector: FakeConnector, status: int
) -> None:
    leader, other = await add_leaders(db, connector, 2)
    connector.fail_conversation(f"conv-{leader}", status)
    sender = make_sender(adapter, db)
    result = await sender.send(leader, to_activity(CARD))
    assert (result.status, result.http_status, result.attempts) == (SendStatus.UNREACHABLE, status, 1)
    async with db() as session:
        row = await get_reference(session, leader)
        assert not row.reachable and row.unreachable_reason == f"http_{status}"
    requests = connector.requests
    again = await sender.send(leader, to_activity(CARD))
    assert again.status is SendStatus.UNREACHABLE and connector.requests == requests
    assert (await sender.send(other, to_activity(CARD))).sent

    connector._conversation_failures.clear()
    async with db() as session:  # the leader speaks to the bot again
        await save_reference(session, leader, conversation_reference(connector.url, f"conv-{leader}"))
        await session.commit()
    assert (await sender.send(leader, to_activity(CARD))).sent


async def test_errors_are_not_swallowed_by_the_adapters_turn_error_handler(adapter, db, connector) -> None:
    handled: list[Exception] = []

    async def on_turn_error(context: TurnContext, error: Exception) -> None:
        handled.append(error)

    adapter.on_turn_error = on_turn_error
    [leader] = await add_leaders(db, connector, 1)
    connector.fail_next(403)
    result = await make_sender(adapter, db).send(leader, to_activity(CARD))
    assert result.status is SendStatus.UNREACHABLE and handled == []


async def test_429_waits_for_retry_after_and_then_sends(adapter, db, connector: FakeConnector) -> None:
    [leader] = await add_leaders(db, connector, 1)
    connector.fail_next(429, count=2, headers={"Retry-After": "0.3"})
    sleep = RecordingSleep()
    result = await make_sender(adapter, db, sleep).send(leader, to_activity(CARD))
    assert result.sent and result.attempts == 3
    assert sleep.waits == [0.3, 0.3]
    assert len(connector.activities) == 1


async def test_429_pauses_everyone_sending_through_the_sender(adapter, db, connector: FakeConnector) -> None:
    leader, other = await add_leaders(db, connector, 2)
    connector.fail_next(429, count=1, headers={"Retry-After": "0.4"})
    sender = make_sender(adapter, db, sleep=asyncio.sleep)
    assert (await sender.send(leader, to_activity(CARD))).sent
    started = time.monotonic()
    connector.fail_next(429, count=1, headers={"Retry-After": "0.4"})
    first = asyncio.create_task(sender.send(leader, to_activity(CARD)))
    await asyncio.sleep(0.1)
    assert (await sender.send(other, to_activity(CARD))).sent
    assert time.monotonic() - started >= 0.35  # the other leader's message waited for the pause
    assert (await first).sent


async def test_429_without_retry_after_backs_off(adapter, db, connector: FakeConnector) -> None:
    [leader] = await add_leaders(db, connector, 1)
    connector.fail_next(429, count=1)
    sleep = RecordingSleep()
    result = await make_sender(adapter, db, sleep).send(leader, to_activity(CARD))
    assert result.sent and len(sleep.waits) == 1 and 0.25 <= sleep.waits[0] <= 0.5


async def test_a_retry_after_longer_than_the_cap_gives_up(adapter, db, connector: FakeConnector) -> None:
    [leader] = await add_leaders(db, connector, 1)
    connector.fail_next(429, count=1, headers={"Retry-After": "3600"})
    result = await make_sender(adapter, db).send(leader, to_activity(CARD))
    assert (result.status, result.error, result.attempts) == (SendStatus.FAILED, "throttled", 1)
    assert connector.activities == []


@pytest.mark.parametrize("status", [412, 502, 503, 504])
async def test_transient_errors_are_retried_with_jittered_exponential_backoff(
    adapter, db, connector: FakeConnector, status: int
) -> None:
    [leader] = await add_leaders(db, connector, 1)
    connector.fail_next(status, count=3)
    sleep = RecordingSleep()
    result = await make_sender(adapter, db, sleep).send(leader, to_activity(CARD))
    assert result.sent and result.attempts == 4
    assert len(sleep.waits) == 3
    for n, wait in enumerate(sleep.waits, start=1):
        ceiling = 0.5 * 2 ** (n - 1)
        assert ceiling / 2 <= wait <= ceiling
    assert len(connector.activities) == 1


async def test_transient_errors_give_up_after_a_bounded_number_of_tries(adapter, db, connector) -> None:
    [leader] = await add_leaders(db, connector, 1)
    connector.fail_conversation(f"conv-{leader}", 503)
    result = await make_sender(adapter, db).send(leader, to_activity(CARD))
    assert (result.status, result.http_status, result.attempts) == (SendStatus.FAILED, 503, 5)
    assert connector.requests == 5
    async with db() as session:
        assert (await get_reference(session, leader)).reachable


async def test_other_errors_are_not_retried(adapter, db, connector: FakeConnector) -> None:
    [leader] = await add_leaders(db, connector, 1)
    connector.fail_next(400)
    result = await make_sender(adapter, db).send(leader, to_activity(CARD))
    assert (result.status, result.http_status, result.attempts) == (SendStatus.FAILED, 400, 1)


async def test_global_rate_keeps_under_the_connectors_limit(adapter, db) -> None:
    async with FakeConnector(rate_limit_per_second=20) as connector:
        leaders = await add_leaders(db, connector, 45)
        sender = make_sender(adapter, db, sleep=asyncio.sleep, send_rate_per_second=20)
        started = time.monotonic()
        results = await asyncio.gather(*(sender.send(leader, to_activity(CARD)) for leader in leaders))
        elapsed = time.monotonic() - started
    assert all(result.sent for result in results)
    assert sorted(connector.conversation_counts().values()) == [1] * 45
    assert elapsed >= 44 / 20
    assert connector.rejected_for_rate <= 2


async def test_one_conversation_gets_at_most_its_own_rate(adapter, db, connector: FakeConnector) -> None:
    [leader] = await add_leaders(db, connector, 1)
    sender = make_sender(adapter, db, sleep=asyncio.sleep, send_rate_per_conversation=7)
    started = time.monotonic()
    results = await asyncio.gather(*(sender.send(leader, to_activity(CARD)) for _ in range(8)))
    elapsed = time.monotonic() - started
    assert all(result.sent for result in results) and len(connector.activities) == 8
    # Eight sends into one conversation at 7/s need at least a second; the exact
    # spacing is covered by the fake-clock limiter tests above (arrival times at the
    # connector carry scheduling jitter, so they are not compared here).
    assert elapsed >= 7 / 7
