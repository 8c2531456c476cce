"""Proactive messages to one leader through their stored conversation reference.

Used by the reminder scheduler and by the dialogs (to tell the other leader about a planned
meeting or an agreement sent for review). Sending keeps under Teams' limits with two rate
limiters (a global one and one per conversation), retries 429 after ``Retry-After`` and
412/502/503/504 (and connection errors) with jittered exponential backoff, and records
403/404 (bot removed, blocked, conversation gone) as "unreachable" instead of retrying.
"""

from __future__ import annotations

import asyncio
import copy
import enum
import logging
import math
import random
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any

from botbuilder.core import BotAdapter, TurnContext
from botbuilder.schema import Activity, ErrorResponseException
from msrest.exceptions import ClientRequestError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.installation import AppInstaller
from bot.settings import Settings
from storage.conversation_refs import get_reference, mark_unreachable, to_reference

logger = logging.getLogger(__name__)

#: Answers after which the same request may succeed if tried again later.
RETRY_WITH_BACKOFF = frozenset({412, 502, 503, 504})
THROTTLED = 429
#: Answers that mean the bot cannot reach this conversation any more.
UNREACHABLE = frozenset({403, 404})
#: The sender books its slots this much under the configured limits (see RateLimiter for the
#: arithmetic): at ``0.99 x limit`` the ``limit`` slots of any run lie 1/0.99 - 1 = 10 ms more
#: than a second apart, room for late wake-ups and jitter in transit, and the rate costs 1%:
#: 10,000 reminders at 50/s take 202 s.
RATE_HEADROOM = 0.99
#: The same for each conversation, whose few requests leave through the global queue and then the
#: event loop: at 0.9 x 7/s the eighth request comes 1/0.9 - 1 = 111 ms after a second's window,
#: room for that wait's jitter (1% left 10 ms, and a loaded machine put eight into one second).
#: A conversation rarely gets more than one message a second, so the margin costs nothing.
CONVERSATION_RATE_HEADROOM = 0.9
#: The service counts requests per this many seconds (Teams: per second).
LIMIT_WINDOW = 1.0

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[Any]]


class Release:
    """One pass through a :class:`RateLimiter`: when it left, and its round trip once answered."""

    __slots__ = ("at", "round_trip")

    def __init__(self, at: float) -> None:
        self.at = at
        self.round_trip: float | None = None

    def __repr__(self) -> str:
        return f"Release(at={self.at!r}, round_trip={self.round_trip!r})"


class RateLimiter:
    """Releases events at booked slots ``1 / rate`` apart, allowing a burst of ``burst``.

    A reservation (GCRA) limiter: each ``acquire`` books the next free slot, ``start + k / rate``,
    so waiting callers are served in order and never exceed ``rate`` on average or ``burst`` at
    once. Slots follow the booking, not the previous actual release: a waiter that the event loop
    wakes late does not push every later slot back, so lateness does not add up (spacing each
    release from the previous one reached 45.7/s of 50).

    Late waiters must still not add up to more than the service's true ``limit`` (by default
    ``rate``) in one :data:`LIMIT_WINDOW`. The actual releases keep two rules that look further
    back than the previous release (a wait measured from the last release adds that release's
    lateness to the next, and a queue behind schedule then runs at ``1 / (1 / limit + lateness)``:
    46.3/s of 50 with the 1.6 ms wake-ups measured in the reminders benchmark):

    - **A window:** the ``n = floor(limit x window)``-th release before this one lies at least
      ``span`` back, ``span`` being the window plus half the room the booking leaves
      (``n / rate - window``: 5 ms at 0.99 x 50/s). On schedule this holds nobody back, as booked
      slots ``n`` apart lie ``n / rate`` apart. Behind schedule the queue runs at
      ``n / (span + lateness)``, one lateness per ``n`` releases: faster than the booking (49.7/s
      against 49.5), so the schedule catches up, and no window holds more than ``n`` releases.
    - **A least gap** of half a booked interval between two releases: waiters woken late
      together leave one after another, not in a bunch that queues in the sender's serialisation.

    The service counts a request when it arrives, not when it left here, and a request can be
    held up in between: by a pause of this process (a garbage collection took 20 ms), the
    network, or the service itself. Request ``k + n`` must then wait as long, or the service sees
    ``n + 1`` in a second. A caller that hands each answered request back (:meth:`answered`) has
    its release count as late as its round trip exceeded the fastest of the last
    :data:`ROUND_TRIPS` ones, an estimate of the hold-up on the way there. A steady round trip,
    short or long, costs nothing; one held up by 20 ms holds request ``k + n`` back 20 ms.

    A pause (the service's ``Retry-After``) holds back every waiter, also those booked before it.

    ``downstream`` is a limiter each caller acquires right after this one (the sender's global
    limiter after a conversation's): this one then spaces the slots that limiter will hand out, as
    those are when the requests leave. Spaced at its own releases instead, a conversation's requests
    could be bunched by the wait in the global queue (eight in one second at 7/s).
    """

    #: Answered requests whose fastest round trip is taken as the undelayed one.
    ROUND_TRIPS = 200

    def __init__(
        self,
        rate: float,
        burst: int = 1,
        *,
        limit: float | None = None,
        window: float = LIMIT_WINDOW,
        downstream: RateLimiter | None = None,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ):
        if not rate > 0:
            raise ValueError(f"rate must be positive, not {rate!r}")
        if burst < 1:
            raise ValueError(f"burst must be at least 1, not {burst!r}")
        if limit is not None and not limit >= rate:
            raise ValueError(f"limit must be at least the rate {rate!r}, not {limit!r}")
        if not window > 0:
            raise ValueError(f"window must be positive, not {window!r}")
        self.rate = float(rate)
        self.burst = int(burst)
        self.limit = self.rate if limit is None else float(limit)
        self.interval = 1.0 / self.rate
        #: At most this many releases in any ``span`` seconds.
        self.per_window = max(1, math.floor(self.limit * window + 1e-9))
        self.span = window + max(0.0, self.per_window * self.interval - window) / 2
        #: The least time between two releases (none with a burst, which allows them together).
        self.gap = self.interval / 2 if self.burst == 1 else 0.0
        self._downstream = downstream
        self._clock = clock
        self._sleep = sleep
        self._next_free = float("-inf")
        never = Release(float("-inf"))
        self._released: deque[Release] = deque([never] * self.per_window, maxlen=self.per_window)
        self._round_trips: deque[float] = deque(maxlen=self.ROUND_TRIPS)
        self._fastest = 0.0
        self._paused_until = float("-inf")

    def held_up(self, released: Release) -> float:
        """How much later than it left the service is taken to have counted ``released`` (0 until answered)."""
        if released.round_trip is None:
            return 0.0
        return released.round_trip - self._fastest

    def _free_from(self) -> float:
        """The earliest clock time the two release rules and a pause allow the next release."""
        oldest = self._released[0]
        counted = oldest.at + self.held_up(oldest)
        return max(counted + self.span, self._released[-1].at + self.gap, self._paused_until)

    def reserve(self) -> float:
        """Book the next slot and return how long to wait for it (0 if it is free now)."""
        now = self._clock()
        earliest = max(self._next_free, now - (self.burst - 1) * self.interval)
        self._next_free = earliest + self.interval
        return max(earliest, self._free_from(), now) - now

    async def acquire(self) -> Release:
        """Wait for the next slot; the release, to hand to :meth:`answered` when the service answers."""
        delay = self.reserve()
        if delay > 0:
            await self._sleep(delay)
        return await self.release()

    async def release(self) -> Release:
        """Pass the gate after the booked slot: not during a pause, nor against the window or the gap."""
        while True:  # no await between the check and the release: one waiter at a time passes
            leaves = self._downstream.next_slot() if self._downstream else self._clock()
            wait = self._free_from() - leaves
            if wait <= 0:
                released = Release(leaves)
                self._released.append(released)
                return released
            await self._sleep(wait)  # the downstream slot only moves later meanwhile: enough

    def answered(self, released: Release) -> None:
        """The service has answered the request sent at ``released`` (with anything, 429 too)."""
        released.round_trip = max(0.0, self._clock() - released.at)
        self._round_trips.append(released.round_trip)
        self._fastest = min(self._round_trips)

    def next_slot(self) -> float:
        """The clock time of the slot an ``acquire`` now would get, without booking it."""
        now = self._clock()
        earliest = max(self._next_free, now - (self.burst - 1) * self.interval)
        return max(earliest, self._free_from(), now)

    def pause(self, seconds: float) -> None:
        """Hand out no slot for the next ``seconds`` (the service asked us to slow down)."""
        until = self._clock() + max(0.0, seconds)
        self._next_free = max(self._next_free, until)
        self._paused_until = max(self._paused_until, until)

    def idle_since(self) -> float:
        """The clock time from which this limiter is as new: no bookings left, no release in its window."""
        counted = max(released.at + self.held_up(released) for released in self._released)
        return max(self._next_free + (self.burst - 1) * self.interval, counted + self.span)


class KeyedRateLimiter:
    """One :class:`RateLimiter` per key (e.g. per conversation), forgetting idle keys; ``downstream`` as there."""

    def __init__(
        self,
        rate: float,
        burst: int = 1,
        *,
        limit: float | None = None,
        downstream: RateLimiter | None = None,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ):
        RateLimiter(rate, burst, limit=limit)  # validates the arguments
        self.rate = rate
        self.burst = burst
        self.limit = limit
        self.downstream = downstream
        self._clock = clock
        self._sleep = sleep
        self._limiters: dict[str, RateLimiter] = {}
        self._acquires = 0

    def __len__(self) -> int:
        return len(self._limiters)

    async def acquire(self, key: str) -> Release:
        """Wait for the next slot of ``key``."""
        limiter = self._limiters.get(key)
        if limiter is None:
            limiter = RateLimiter(
                self.rate, self.burst, limit=self.limit, downstream=self.downstream,
                clock=self._clock, sleep=self._sleep,
            )
            self._limiters[key] = limiter
        self._acquires += 1
        if self._acquires % 1000 == 0:
            self._forget_idle()
        return await limiter.acquire()

    def _forget_idle(self) -> None:
        now = self._clock()
        for key in [key for key, limiter in self._limiters.items() if limiter.idle_since() <= now]:
            del self._limiters[key]


class SendStatus(str, enum.Enum):
    SENT = "sent"
    UNREACHABLE = "unreachable"
    FAILED = "failed"


@dataclass(frozen=True)
class SendResult:
    """What became of one proactive message (``error`` is a short reason, never content)."""

    status: SendStatus
    attempts: int = 0
    http_status: int | None = None
    error: str | None = None
    activity_id: str | None = None

    @property
    def sent(self) -> bool:
        return self.status is SendStatus.SENT


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta seconds or an HTTP date)."""
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None:
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        seconds = (when - (now or datetime.now(timezone.utc))).total_seconds()
    if seconds != seconds:  # NaN
        return None
    return max(0.0, seconds)


def _status_of(exc: ErrorResponseException) -> int | None:
    response = getattr(exc, "response", None)
    return getattr(response, "status_code", None)


def _header(exc: ErrorResponseException, name: str) -> str | None:
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None) or {}
    return headers.get(name)


class ProactiveSender:
    """Sends activities to leaders by id through their stored conversation references."""

    def __init__(
        self,
        adapter: BotAdapter,
        settings: Settings,
        session_factory: async_sessionmaker[AsyncSession],
        *,
        max_attempts: int = 5,
        max_throttled: int = 10,
        base_delay: float = 0.5,
        max_delay: float = 30.0,
        max_retry_after: float = 120.0,
        global_limiter: RateLimiter | None = None,
        conversation_limiter: KeyedRateLimiter | None = None,
        rng: random.Random | None = None,
        sleep: Sleep = asyncio.sleep,
        installer: AppInstaller | None = None,
    ) -> None:
        self._adapter = adapter
        self._app_id = settings.app_id
        self._session_factory = session_factory
        self.max_attempts = max_attempts
        self.max_throttled = max_throttled
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.max_retry_after = max_retry_after
        self.global_limiter = global_limiter or RateLimiter(
            settings.send_rate_per_second * RATE_HEADROOM, limit=settings.send_rate_per_second
        )
        self.conversation_limiter = conversation_limiter or KeyedRateLimiter(
            settings.send_rate_per_conversation * CONVERSATION_RATE_HEADROOM, limit=settings.send_rate_per_conversation,
            downstream=self.global_limiter,
        )
        self._rng = rng or random.Random()
        self._sleep = sleep
        #: Installs the Teams app for a leader without a working reference (None: they stay unreachable).
        self.installer = installer

    async def send(self, leader_id: int, activity: Activity) -> SendResult:
        """Send ``activity`` to the leader's stored conversation, with limits and retries.

        A leader without a working reference gets the Teams app installed first when there is an
        installer; the activity is then sent once to the reference the install brought.
        """
        unreachable = None
        async with self._session_factory() as session:
            row = await get_reference(session, leader_id)
            if row is None:
                unreachable = "no_reference"
            elif not row.reachable:
                unreachable = row.unreachable_reason or "unreachable"
            else:
                try:
                    reference = to_reference(row)
                except Exception:  # a corrupt stored reference must not stop other leaders' messages
                    logger.exception("Leader %s has an unreadable conversation reference", leader_id)
                    return SendResult(SendStatus.FAILED, error="bad_reference")
        if unreachable is not None:
            if self.installer is None or not self.installer.installs_for(unreachable):
                if row is None:
                    logger.info("Leader %s has no conversation reference: unreachable", leader_id)
                else:
                    logger.info("Leader %s is marked unreachable (%s): not sent", leader_id, unreachable)
                return SendResult(SendStatus.UNREACHABLE, error=unreachable)
            # Outside the session above: the install waits for Teams, which stores the reference meanwhile.
            reached = await self.installer.reach(leader_id)
            if reached.reference is None:
                return SendResult(SendStatus.UNREACHABLE, error=reached.reason)
            reference = reached.reference
        conversation_id = reference.conversation.id if reference.conversation else None
        if not conversation_id or not reference.service_url:
            return SendResult(SendStatus.FAILED, error="bad_reference")
        return await self._send_with_retries(leader_id, reference, conversation_id, activity)

    async def _send_with_retries(self, leader_id, reference, conversation_id: str, activity: Activity) -> SendResult:
        attempts = 0
        failures = 0
        throttled = 0
        while True:
            attempts += 1
            try:
                activity_id = await self._post_in_turn(reference, conversation_id, activity)
            except ErrorResponseException as exc:
                status = _status_of(exc)
                if status in UNREACHABLE:
                    await self._mark_unreachable(leader_id, f"http_{status}")
                    logger.warning("Leader %s is unreachable (HTTP %s)", leader_id, status)
                    return SendResult(SendStatus.UNREACHABLE, attempts, status, f"http_{status}")
                if status == THROTTLED:
                    throttled += 1
                    wait = retry_after_seconds(_header(exc, "Retry-After"))
                    if wait is None:
                        wait = self._backoff(throttled)
                    if throttled > self.max_throttled or wait > self.max_retry_after:
                        logger.warning("Gave up on leader %s after %s throttled attempts", leader_id, throttled)
                        return SendResult(SendStatus.FAILED, attempts, status, "throttled")
                    logger.info("Throttled sending to leader %s: waiting %.2fs", leader_id, wait)
                    # Teams throttles per app as well as per conversation: everyone waits.
                    self.global_limiter.pause(wait)
                    await self._sleep(wait)
                    continue
                if status in RETRY_WITH_BACKOFF:
                    failures += 1
                    if failures >= self.max_attempts:
                        logger.warning("Gave up on leader %s after HTTP %s (%s tries)", leader_id, status, failures)
                        return SendResult(SendStatus.FAILED, attempts, status, f"http_{status}")
                    await self._sleep(self._backoff(failures))
                    continue
                logger.error("Sending to leader %s failed with HTTP %s", leader_id, status)
                return SendResult(SendStatus.FAILED, attempts, status, f"http_{status}")
            except (ClientRequestError, OSError, asyncio.TimeoutError) as exc:
                failures += 1
                if failures >= self.max_attempts:
                    logger.warning("Gave up on leader %s: %s", leader_id, type(exc).__name__)
                    return SendResult(SendStatus.FAILED, attempts, None, "connection")
                await self._sleep(self._backoff(failures))
                continue
            return SendResult(SendStatus.SENT, attempts, None, None, activity_id)

    def _backoff(self, failures: int) -> float:
        """Exponential backoff with "equal jitter": half fixed, half random."""
        ceiling = min(self.max_delay, self.base_delay * 2 ** (failures - 1))
        return ceiling / 2 + self._rng.uniform(0, ceiling / 2)

    async def _post_in_turn(self, reference, conversation_id: str, activity: Activity) -> str | None:
        """One attempt once both limiters let it go; the global one hears when it was answered."""
        await self.conversation_limiter.acquire(conversation_id)
        released = await self.global_limiter.acquire()
        try:
            return await self._post(reference, copy.deepcopy(activity))
        finally:  # an error is an answer too; a broken connection as late as it came
            self.global_limiter.answered(released)

    async def _post(self, reference, activity: Activity) -> str | None:
        """One attempt through ``continue_conversation``; errors are raised here, not swallowed by on_turn_error."""
        outcome: dict[str, Any] = {}

        async def callback(context: TurnContext) -> None:
            try:
                response = await context.send_activity(activity)
                outcome["id"] = getattr(response, "id", None)
            except Exception as exc:  # re-raised below, outside the adapter's error handler
                outcome["error"] = exc

        await self._adapter.continue_conversation(reference, callback, self._app_id)
        if "error" in outcome:
            raise outcome["error"]
        return outcome.get("id")

    async def _mark_unreachable(self, leader_id: int, reason: str) -> None:
        async with self._session_factory() as session:
            await mark_unreachable(session, leader_id, reason)
            await session.commit()
