"""A fake Bot Connector service: a real aiohttp server on 127.0.0.1 that records what the bot sends.

It can be told to answer with failures (429 with Retry-After, 5xx, 403, 404), per conversation
or for the next N requests, and to enforce a request rate like Teams does. An ``on_activity``
callback sees each activity the moment it is recorded, before the bot gets its answer.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from botbuilder.schema import ChannelAccount, ConversationAccount, ConversationReference


@dataclass
class Recorded:
    """One activity the bot sent."""

    conversation_id: str
    activity: dict[str, Any]
    #: When it arrived (time.monotonic), as the rate limit counted it.
    at: float
    authorization: str | None

    @property
    def text(self) -> str:
        return self.activity.get("text") or ""

    @property
    def cards(self) -> list[dict[str, Any]]:
        return [
            attachment.get("content") or {}
            for attachment in self.activity.get("attachments") or []
            if attachment.get("contentType") == "application/vnd.microsoft.card.adaptive"
        ]


@dataclass
class _Failure:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    remaining: int = 1


class FakeConnector:
    """Records activities posted to ``/v3/conversations/...``."""

    def __init__(
        self,
        rate_limit_per_second: float | None = None,
        on_activity: Callable[[Recorded], None] | None = None,
    ) -> None:
        self.activities: list[Recorded] = []
        #: Called with each recorded activity before the bot's post is answered (e.g. to kill the bot then).
        self.on_activity = on_activity
        self.requests = 0
        self.rejected_for_rate = 0
        self.members: dict[str, dict[str, Any]] = {}
        self.rate_limit_per_second = rate_limit_per_second
        self._next_failures: deque[_Failure] = deque()
        self._conversation_failures: dict[str, _Failure] = {}
        self._window: deque[float] = deque()
        self._delays: deque[list[float]] = deque()
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self._changed = asyncio.Event()
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # --- telling it how to answer -------------------------------------------------

    def fail_next(self, status: int, count: int = 1, headers: dict[str, str] | None = None) -> None:
        """Answer the next ``count`` activity posts with ``status``."""
        self._next_failures.append(_Failure(status, headers or {}, count))

    def fail_conversation(
        self, conversation_id: str, status: int, count: int = 10**9, headers: dict[str, str] | None = None
    ) -> None:
        """Answer posts into one conversation with ``status`` (by default for ever)."""
        self._conversation_failures[conversation_id] = _Failure(status, headers or {}, count)

    def stop_failing(self, conversation_id: str) -> None:
        """Answer posts into the conversation normally again."""
        self._conversation_failures.pop(conversation_id, None)

    def delay_next(self, seconds: float, count: int = 1) -> None:
        """Record the next ``count`` activities at once but answer only after ``seconds``.

        The message counts as delivered even if the bot gives up waiting (as with a crash
        between Teams accepting a message and the bot recording that it was sent).
        """
        self._delays.append([seconds, count])

    def add_member(self, member_id: str, **fields: Any) -> None:
        """Make ``GET /v3/conversations/{id}/members/{member_id}`` return these fields."""
        self.members[member_id] = {"id": member_id, **fields}

    # --- reading what was sent ----------------------------------------------------

    def sent_to(self, conversation_id: str) -> list[Recorded]:
        return [item for item in self.activities if item.conversation_id == conversation_id]

    async def wait_for(self, count: int, timeout: float = 10.0) -> list[Recorded]:
        """Wait until at least ``count`` activities were recorded."""
        deadline = time.monotonic() + timeout
        while len(self.activities) < count:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"expected {count} activities, got {len(self.activities)}")
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), remaining)
            except asyncio.TimeoutError:
                pass
        return self.activities

    def clear(self) -> None:
        self.activities.clear()

    def conversation_counts(self) -> dict[str, int]:
        """How many activities each conversation received."""
        counts: dict[str, int] = {}
        for item in self.activities:
            counts[item.conversation_id] = counts.get(item.conversation_id, 0) + 1
        return counts

    # --- server -------------------------------------------------------------------

    async def start(self) -> "FakeConnector":
        app = web.Application(client_max_size=10 * 1024 * 1024)
        app.router.add_post("/v3/conversations/{conversation_id}/activities", self._post_activity)
        app.router.add_post(
            "/v3/conversations/{conversation_id}/activities/{activity_id}", self._post_activity
        )
        app.router.add_put(
            "/v3/conversations/{conversation_id}/activities/{activity_id}", self._post_activity
        )
        app.router.add_get(
            "/v3/conversations/{conversation_id}/members/{member_id}", self._get_member
        )
        app.router.add_post("/v3/conversations", self._create_conversation)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> "FakeConnector":
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def _rate_exceeded(self, now: float) -> bool:
        if not self.rate_limit_per_second:
            return False
        while self._window and now - self._window[0] >= 1.0:
            self._window.popleft()
        if len(self._window) >= self.rate_limit_per_second:
            return True
        self._window.append(now)
        return False

    def _scripted_failure(self, conversation_id: str) -> _Failure | None:
        failure = self._conversation_failures.get(conversation_id)
        if failure is None and self._next_failures:
            failure = self._next_failures[0]
            failure.remaining -= 1
            if failure.remaining <= 0:
                self._next_failures.popleft()
            return failure
        if failure is not None:
            failure.remaining -= 1
            if failure.remaining <= 0:
                del self._conversation_failures[conversation_id]
        return failure

    async def _post_activity(self, request: web.Request) -> web.Response:
        self.requests += 1
        arrived = time.monotonic()  # when the rate limit counts it, and the time it is recorded with
        conversation_id = request.match_info["conversation_id"]
        if self._rate_exceeded(arrived):
            self.rejected_for_rate += 1
            return web.json_response(
                {"error": {"code": "TooManyRequests"}}, status=429, headers={"Retry-After": "1"}
            )
        failure = self._scripted_failure(conversation_id)
        if failure is not None:
            return web.json_response(
                {"error": {"code": "Scripted", "message": str(failure.status)}},
                status=failure.status,
                headers=failure.headers,
            )
        activity = await request.json()
        recorded = Recorded(conversation_id, activity, arrived, request.headers.get("Authorization"))
        self.activities.append(recorded)
        self._changed.set()
        if self.on_activity is not None:
            self.on_activity(recorded)
        if self._delays:
            delay = self._delays[0]
            delay[1] -= 1
            if delay[1] <= 0:
                self._delays.popleft()
            await asyncio.sleep(delay[0])
        return web.json_response({"id": f"activity-{next(self._ids)}"})

    async def _get_member(self, request: web.Request) -> web.Response:
        member = self.members.get(request.match_info["member_id"])
        if member is None:
            return web.json_response({"error": {"code": "MemberNotFound"}}, status=404)
        return web.json_response(member)

    async def _create_conversation(self, request: web.Request) -> web.Response:
        return web.json_response({"id": f"conversation-{next(self._ids)}", "activityId": ""})


def conversation_reference(
    service_url: str, conversation_id: str, user_id: str = "user", tenant_id: str = "tenant"
) -> ConversationReference:
    """A Teams personal-chat reference whose connector is ``service_url`` (e.g. a FakeConnector)."""
    return ConversationReference(
        channel_id="msteams",
        service_url=service_url,
        conversation=ConversationAccount(id=conversation_id, tenant_id=tenant_id, conversation_type="personal"),
        bot=ChannelAccount(id="28:bot", name="Lederavtale"),
        user=ChannelAccount(id=user_id, aad_object_id=f"aad-{user_id}"),
    )
