"""The Graph HTTP client: one aiohttp session, msal tokens, paging, throttling and retries."""

from __future__ import annotations

import asyncio
import logging
import random
import ssl
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from graph.config import GraphConfig
from graph.credentials import Credentials
from graph.errors import GraphConflict, GraphError, GraphNotFound, GraphPermissionError

logger = logging.getLogger(__name__)

#: First retry after up to this many seconds, doubling each attempt, capped at _BACKOFF_CAP.
_BACKOFF_BASE = 0.5
_BACKOFF_CAP = 30.0
_RETRIED = frozenset({503, 504})
# The segment after one of these is an id: logs and errors show "{id}" instead (ids name people).
_COLLECTIONS = frozenset({"users", "groups", "teamsApps", "installedApps", "events", "chats"})


@dataclass(frozen=True)
class GraphResponse:
    """A successful answer to a POST or PATCH."""

    status: int
    body: dict[str, Any]


def path_template(path: str) -> str:
    """``/groups/abc/transitiveMembers`` -> ``/groups/{id}/transitiveMembers``: the call without whom it names."""
    parts = urlsplit(path).path.split("/")
    return "/".join(
        "{id}" if index and parts[index - 1] in _COLLECTIONS else part for index, part in enumerate(parts)
    )


class GraphClient:
    """``async with GraphClient(config) as client:`` calls Graph as the configured app."""

    def __init__(self, config: GraphConfig) -> None:
        self._config = config
        self._base = config.graph_url.rstrip("/")
        self._origin = urlsplit(config.graph_origin)
        self._credentials = Credentials(config)
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> "GraphClient":
        context = ssl.create_default_context()
        if self._config.ca_file:
            context.load_verify_locations(cafile=self._config.ca_file)
        self._session = aiohttp.ClientSession(
            # Python before 3.12.7 can leave a closed TLS transport open; aiohttp then aborts it.
            connector=aiohttp.TCPConnector(ssl=context, enable_cleanup_closed=sys.version_info < (3, 12, 7)),
            timeout=aiohttp.ClientTimeout(total=self._config.timeout),
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
        self._credentials.close()

    @property
    def graph_url(self) -> str:
        """Graph's base URL without a trailing slash (``https://graph.microsoft.com/v1.0``)."""
        return self._base

    async def get(self, path: str, *, params: dict[str, str] | None = None, permission: str) -> dict[str, Any]:
        """GET one resource."""
        return (await self._call("GET", self._base + path, params, None, permission)).body

    async def get_all(
        self, path: str, *, params: dict[str, str] | None = None, permission: str
    ) -> AsyncIterator[dict[str, Any]]:
        """Every item of a collection, following ``@odata.nextLink`` page by page."""
        url: str | None = self._base + path
        while url is not None:
            page = (await self._call("GET", url, params, None, permission)).body
            for item in page.get("value", []):
                yield item
            url, params = page.get("@odata.nextLink"), None
            if url is not None and self._off_origin(url):
                raise GraphError(f"GET {path_template(path)}", None, "nextLinkRefused", "a next page link leads off Graph")

    async def post(self, path: str, json: dict[str, Any], *, permission: str) -> GraphResponse:
        """POST ``json``; 2xx answers come back, others raise."""
        return await self._call("POST", self._base + path, None, json, permission)

    async def patch(self, path: str, json: dict[str, Any], *, permission: str) -> GraphResponse:
        """PATCH with ``json``; 2xx answers come back, others raise."""
        return await self._call("PATCH", self._base + path, None, json, permission)

    def _off_origin(self, url: str) -> bool:
        parts = urlsplit(url)
        return (parts.scheme, parts.netloc) != (self._origin.scheme, self._origin.netloc)

    async def _call(
        self, method: str, url: str, params: dict[str, str] | None, json: dict[str, Any] | None, permission: str
    ) -> GraphResponse:
        if self._session is None:
            raise RuntimeError("GraphClient is used outside its 'async with' block")
        relative = urlsplit(url).path.removeprefix(urlsplit(self._base).path)
        call = f"{method} {path_template(relative)}"
        token = await self._credentials.token()
        refreshed = False
        attempt = 0
        while True:
            attempt += 1
            last = attempt >= self._config.max_attempts
            try:
                async with self._session.request(
                    method, url, params=params, json=json, headers={"Authorization": f"Bearer {token}"}
                ) as response:
                    status = response.status
                    body = await _body(response)
                    retry_after = _seconds(response.headers.get("Retry-After"))
            except (aiohttp.ClientConnectionError, asyncio.TimeoutError) as exc:
                if last:
                    raise GraphError(call, None, type(exc).__name__, str(exc)) from None
                delay = _backoff(attempt)
                logger.warning("Graph %s: %s, retrying in %.1f s", call, type(exc).__name__, delay)
                await asyncio.sleep(delay)
                continue
            if 200 <= status < 300:
                logger.info("Graph %s -> %s", call, status)
                return GraphResponse(status, body)
            code, message = _graph_error(body)
            if status == 429 and not last:
                delay = retry_after if retry_after is not None else _backoff(attempt)
                if delay > self._config.max_retry_after:
                    raise GraphError(call, status, code, f"throttled for {delay:g} s, more than we wait")
                logger.warning("Graph %s -> 429, waiting %.1f s as asked", call, delay)
                await asyncio.sleep(delay)
                continue
            if status in _RETRIED and not last:
                delay = min(retry_after, self._config.max_retry_after) if retry_after is not None else _backoff(attempt)
                logger.warning("Graph %s -> %s, retrying in %.1f s", call, status, delay)
                await asyncio.sleep(delay)
                continue
            if status == 401 and not refreshed and not last:
                # An expired or revoked token: one fresh token before the call counts as refused.
                logger.warning("Graph %s -> 401, getting a fresh token", call)
                token = await self._credentials.refresh()
                refreshed = True
                continue
            # 404 and 409 are answers the callers expect (no manager, already installed), not trouble.
            logger.log(logging.INFO if status in (404, 409) else logging.WARNING, "Graph %s -> %s %s", call, status, code)
            if status in (401, 403):
                raise GraphPermissionError(call, status, code, message, permission=permission)
            if status == 404:
                raise GraphNotFound(call, status, code, message)
            if status == 409:
                raise GraphConflict(call, status, code, message)
            raise GraphError(call, status, code, message)


async def _body(response: aiohttp.ClientResponse) -> dict[str, Any]:
    """The answer's JSON object, or {} when it has none."""
    try:
        body = await response.json(content_type=None)
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _graph_error(body: dict[str, Any]) -> tuple[str, str]:
    error = body.get("error")
    if not isinstance(error, dict):
        return "", ""
    return str(error.get("code") or ""), str(error.get("message") or "")


def _seconds(header: str | None) -> float | None:
    """Retry-After in seconds (Graph sends whole seconds), or None when absent or unreadable."""
    try:
        return max(0.0, float(header)) if header is not None else None
    except ValueError:
        return None


def _backoff(attempt: int) -> float:
    """Full jitter: a random wait up to an exponentially growing cap, so retrying clients spread out."""
    return random.uniform(0, min(_BACKOFF_CAP, _BACKOFF_BASE * 2 ** (attempt - 1)))
