"""Validation of the Bot Framework channel's tokens, with signing keys fetched in the background.

botframework-connector fetches the OpenID metadata and keys with blocking ``requests`` calls, without a
timeout, inside the event loop, so one silent key server froze the service. Here the keys are fetched with
aiohttp by one background task, cached, refreshed every day (or soon after an unknown key id appears), and a
failed fetch is remembered for a while so requests are refused at once instead of each one waiting.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

import aiohttp
import jwt

logger = logging.getLogger(__name__)

#: The Bot Framework's allowed clock skew on ``nbf`` and ``exp``.
CLOCK_SKEW_SECONDS = 300


class Unauthorized(PermissionError):
    """The request's token is missing or not valid for this bot."""


class AuthenticationUnavailable(RuntimeError):
    """The channel's signing keys cannot be had just now."""


@dataclass(frozen=True)
class SigningKey:
    """One key of the channel's JWKS and the channels it is endorsed for."""

    key: jwt.PyJWK
    endorsements: frozenset[str]


@dataclass(frozen=True)
class KeyTimings:
    """How long to wait for, keep and retry the channel's keys (seconds)."""

    fetch_timeout: float = 10.0
    request_wait: float = 5.0
    refresh_interval: float = 24 * 3600.0
    failure_memory: float = 30.0
    unknown_key_interval: float = 300.0


class ChannelKeys:
    """The channel's signing keys, kept fresh by a background task started on first use."""

    def __init__(self, metadata_url: str, timings: KeyTimings = KeyTimings()) -> None:
        self._metadata_url = metadata_url
        self._timings = timings
        self._keys: dict[str, SigningKey] | None = None
        self._failed_at: float | None = None
        self._attempted_at: float | None = None
        self._task: asyncio.Task | None = None
        self._session: aiohttp.ClientSession | None = None
        self._wake = asyncio.Event()
        self._attempt_done = asyncio.Event()

    def status(self) -> str:
        """``ok`` once keys are held, ``unavailable`` after a failed fetch, else ``loading``; starts the task."""
        self._start()
        if self._keys is not None:
            return "ok"
        return "unavailable" if self._failed_at is not None else "loading"

    async def signing_key(self, kid: str) -> SigningKey:
        """The key with id ``kid``; raises AuthenticationUnavailable or Unauthorized, never waits long."""
        self._start()
        if self._keys is None:
            if self._failed_at is not None:  # the background task retries after failure_memory
                raise AuthenticationUnavailable("the last fetch of the signing keys failed")
            await self._wait_for_attempt()
            if self._keys is None:
                raise AuthenticationUnavailable("the signing keys could not be fetched")
        key = self._keys.get(kid)
        if key is None and self._may_refresh_for_unknown_key():
            self._wake.set()
            await self._wait_for_attempt()
            key = (self._keys or {}).get(kid)
        if key is None:
            raise Unauthorized("unknown signing key")
        return key

    async def close(self) -> None:
        """Stop the background task and close its HTTP session."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="channel-signing-keys")

    def _may_refresh_for_unknown_key(self) -> bool:
        return self._attempted_at is None or (
            time.monotonic() - self._attempted_at >= self._timings.unknown_key_interval
        )

    async def _wait_for_attempt(self) -> None:
        try:
            async with asyncio.timeout(self._timings.request_wait):
                await asyncio.shield(self._attempt_done.wait())
        except TimeoutError:
            pass

    async def _run(self) -> None:
        while True:
            fetched = await self._fetch()
            done, self._attempt_done = self._attempt_done, asyncio.Event()
            done.set()
            self._wake.clear()
            delay = self._timings.refresh_interval if fetched else self._timings.failure_memory
            try:
                async with asyncio.timeout(delay):
                    await self._wake.wait()
            except TimeoutError:
                pass

    async def _fetch(self) -> bool:
        self._attempted_at = time.monotonic()
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self._timings.fetch_timeout))
        try:
            async with asyncio.timeout(self._timings.fetch_timeout):
                metadata = await self._get_json(self._metadata_url)
                jwks = await self._get_json(metadata["jwks_uri"])
                keys = _signing_keys(jwks)
        except (aiohttp.ClientError, TimeoutError, ValueError, KeyError, TypeError, jwt.PyJWTError) as exc:
            self._failed_at = time.monotonic()
            logger.error("Could not fetch the Bot Framework signing keys: %s", type(exc).__name__)
            return False
        self._keys = keys
        self._failed_at = None
        logger.info("Fetched %d Bot Framework signing keys", len(keys))
        return True

    async def _get_json(self, url: str) -> dict:
        async with self._session.get(url) as response:
            response.raise_for_status()
            body = await response.json(content_type=None)
        if not isinstance(body, dict):
            raise ValueError("not a JSON object")
        return body


def _signing_keys(jwks: dict) -> dict[str, SigningKey]:
    keys = {}
    for entry in jwks["keys"]:
        if entry.get("kty") != "RSA" or not entry.get("kid"):
            continue
        keys[entry["kid"]] = SigningKey(jwt.PyJWK(entry, algorithm="RS256"), frozenset(entry.get("endorsements") or ()))
    if not keys:
        raise ValueError("no RSA signing keys")
    return keys


class ChannelTokenValidator:
    """Validates a channel's bearer token the way the Bot Framework's channel validation does."""

    def __init__(self, keys: ChannelKeys, app_id: str, issuer: str) -> None:
        self.keys = keys
        self._app_id = app_id
        self._issuer = issuer

    async def validate(self, auth_header: str, channel_id: str | None, service_url: str | None) -> dict:
        """The token's claims; raises Unauthorized or AuthenticationUnavailable."""
        scheme, _, token = (auth_header or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("no bearer token")
        try:
            header = jwt.get_unverified_header(token.strip())
        except jwt.PyJWTError:
            raise Unauthorized("not a JSON web token") from None
        if header.get("alg") != "RS256" or not isinstance(header.get("kid"), str):
            raise Unauthorized("not an RS256 token with a key id")
        key = await self.keys.signing_key(header["kid"])
        if not channel_id or channel_id not in key.endorsements:
            raise Unauthorized("the signing key is not endorsed for the channel")
        try:
            claims = jwt.decode(
                token.strip(),
                key.key,
                algorithms=["RS256"],
                audience=self._app_id,
                issuer=self._issuer,
                leeway=CLOCK_SKEW_SECONDS,
                options={"require": ["exp", "iss", "aud"]},
            )
        except jwt.PyJWTError as exc:
            raise Unauthorized(type(exc).__name__) from None
        if not service_url or claims.get("serviceurl") != service_url:
            raise Unauthorized("the token was issued for another service URL")
        return claims
