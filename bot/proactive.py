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
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any

from botbuilder.core import BotAdapter, TurnContext
from botbuilder.schema import Activity, ErrorResponseException
from msrest.exceptions import ClientRequestError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.settings import Settings
from storage.conversation_refs import get_reference, mark_unreachable, to_reference

logger = logging.getLogger(__name__)

#: Answers after which the same request may succeed if tried again later.
RETRY_WITH_BACKOFF = frozenset({412, 502, 503, 504})
THROTTLED = 429
#: Answers that mean the bot cannot reach this conversation any more.
UNREACHABLE = frozenset({403, 404})
#: The sender aims this much under the configured limits: requests spaced exactly at the limit
#: reach Teams with scheduling jitter, and one that lands early is answered 429, which makes
#: every send wait for its Retry-After (a second or more). The limiters also space the actual
#: releases (see RateLimiter), so a small margin is enough.
RATE_HEADROOM = 0.97

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[Any]]


class RateLimiter:
    """Spaces events at least ``1 / rate`` seconds apart, allowing a burst of ``burst``.

    A reservation (GCRA) limiter: each ``acquire`` books the next free slot, so waiting
    callers are served in order and never exceed ``rate`` on average or ``burst`` at once.
    Without a burst (``burst=1``) it also keeps the actual releases ``1 / rate`` apart: when the
    event loop wakes several waiters late at once (a busy process), they go one interval after
    another instead of together, as a bunch could exceed the service's limit in its window.
    """

    def __init__(self, rate: float, burst: int = 1, *, clock: Clock = time.monotonic, sleep: Sleep = asyncio.sleep):
        if not rate > 0:
            raise ValueError(f"rate must be positive, not {rate!r}")
        if burst < 1:
            raise ValueError(f"burst must be at least 1, not {burst!r}")
        self.rate = float(rate)
        self.burst = int(burst)
        self.interval = 1.0 / self.rate
        self._clock = clock
        self._sleep = sleep
        self._next_free = float("-inf")
        self._last_release = float("-inf")
        self._paused_until = float("-inf")

    def reserve(self) -> float:
        """Book the next slot and return how long to wait for it (0 if it is free now)."""
        now = self._clock()
        earliest = max(self._next_free, now - (self.burst - 1) * self.interval)
        start = max(earliest, now)
        self._next_free = earliest + self.interval
        return start - now

    async def acquire(self) -> None:
        """Wait for the next slot."""
        delay = self.reserve()
        if delay > 0:
            await self._sleep(delay)
        await self.release()

    async def release(self) -> None:
        """Pass the gate after the booked slot: not during a pause, nor too close to the last one."""
        spacing = self.interval if self.burst == 1 else 0.0
        while True:  # no await between the check and the release: one waiter at a time passes
            now = self._clock()
            # A pause also holds back the waiters that booked their slot before it began.
            wait = max(self._last_release + spacing, self._paused_until) - now
            if wait <= 0:
                self._last_release = now
                if spacing:
                    self._next_free = max(self._next_free, now + spacing)
                return
            await self._sleep(wait)

    def pause(self, seconds: float) -> None:
        """Hand out no slot for the next ``seconds`` (the service asked us to slow down)."""
        until = self._clock() + max(0.0, seconds)
        self._next_free = max(self._next_free, until)
        self._paused_until = max(self._paused_until, until)

    def idle_since(self) -> float:
        """The clock time from which this limiter is back to a full burst (no bookings left)."""
        return self._next_free + (self.burst - 1) * self.interval


class KeyedRateLimiter:
    """One :class:`RateLimiter` per key (e.g. per conversation), forgetting idle keys."""

    def __init__(self, rate: float, burst: int = 1, *, clock: Clock = time.monotonic, sleep: Sleep = asyncio.sleep):
        RateLimiter(rate, burst)  # validates the arguments
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._sleep = sleep
        self._limiters: dict[str, RateLimiter] = {}
        self._acquires = 0

    def __len__(self) -> int:
        return len(self._limiters)

    async def acquire(self, key: str) -> None:
        """Wait for the next slot of ``key``."""
        limiter = self._limiters.get(key)
        if limiter is None:
            limiter = RateLimiter(self.rate, self.burst, clock=self._clock, sleep=self._sleep)
            self._limiters[key] = limiter
        self._acquires += 1
        if self._acquires % 1000 == 0:
            self._forget_idle()
        await limiter.acquire()

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
    ) -> None:
        self._adapter = adapter
        self._app_id = settings.app_id
        self._session_factory = session_factory
        self.max_attempts = max_attempts
        self.max_throttled = max_throttled
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.max_retry_after = max_retry_after
        self.global_limiter = global_limiter or RateLimiter(settings.send_rate_per_second * RATE_HEADROOM)
        self.conversation_limiter = conversation_limiter or KeyedRateLimiter(
            settings.send_rate_per_conversation * RATE_HEADROOM
        )
        self._rng = rng or random.Random()
        self._sleep = sleep

    async def send(self, leader_id: int, activity: Activity) -> SendResult:
        """Send ``activity`` to the leader's stored conversation, with limits and retries."""
        async with self._session_factory() as session:
            row = await get_reference(session, leader_id)
            if row is None:
                logger.info("Leader %s has no conversation reference: unreachable", leader_id)
                return SendResult(SendStatus.UNREACHABLE, error="no_reference")
            if not row.reachable:
                logger.info("Leader %s is marked unreachable (%s): not sent", leader_id, row.unreachable_reason)
                return SendResult(SendStatus.UNREACHABLE, error=row.unreachable_reason or "unreachable")
            try:
                reference = to_reference(row)
            except Exception:  # a corrupt stored reference must not stop other leaders' messages
                logger.exception("Leader %s has an unreadable conversation reference", leader_id)
                return SendResult(SendStatus.FAILED, error="bad_reference")
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
            await self.conversation_limiter.acquire(conversation_id)
            await self.global_limiter.acquire()
            try:
                activity_id = await self._post(reference, copy.deepcopy(activity))
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
