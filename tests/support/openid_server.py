"""A real OpenID metadata + JWKS server on 127.0.0.1, standing in for the Bot Framework channel's."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import jwt
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

ISSUER = "https://api.botframework.com"


def new_key() -> rsa.RSAPrivateKey:
    """A fresh RSA signing key."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class OpenIdServer:
    """Serves ``/openid`` (metadata) and ``/keys`` (JWKS); ``hang()`` makes it accept but never answer."""

    def __init__(self, endorsements: tuple[str, ...] = ("msteams",)) -> None:
        self.key = new_key()
        self.kid = "test-key"
        self.endorsements = list(endorsements)
        self.url = ""
        self.requests = 0
        self._answering = asyncio.Event()
        self._answering.set()
        self._runner: web.AppRunner | None = None

    @property
    def metadata_url(self) -> str:
        return f"{self.url}/openid"

    def hang(self) -> None:
        """From now on, requests are accepted and never answered."""
        self._answering.clear()

    def answer(self) -> None:
        """Answer again (also the requests left hanging)."""
        self._answering.set()

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/openid", self._metadata)
        app.router.add_get("/keys", self._keys)
        self._runner = web.AppRunner(app, shutdown_timeout=0.1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"

    async def close(self) -> None:
        self._answering.set()
        await self._runner.cleanup()

    async def _metadata(self, request: web.Request) -> web.Response:
        self.requests += 1
        await self._answering.wait()
        return web.json_response({"issuer": ISSUER, "jwks_uri": f"{self.url}/keys"})

    async def _keys(self, request: web.Request) -> web.Response:
        await self._answering.wait()
        jwk = json.loads(RSAAlgorithm.to_jwk(self.key.public_key()))
        jwk.update(kid=self.kid, use="sig", endorsements=self.endorsements)
        return web.json_response({"keys": [jwk]})

    def token(self, service_url: str | None, *, audience: str, key=None, kid: str | None = None, **claims: Any) -> str:
        """A channel token; a claim given as None is left out."""
        now = int(time.time())
        values = {
            "iss": ISSUER, "aud": audience, "serviceurl": service_url,
            "nbf": now - 60, "iat": now - 60, "exp": now + 600,
        }
        values.update(claims)
        values = {name: value for name, value in values.items() if value is not None}
        return jwt.encode(values, key or self.key, algorithm="RS256", headers={"kid": kid or self.kid})


@asynccontextmanager
async def running_openid_server(**options: Any) -> AsyncIterator[OpenIdServer]:
    """An OpenIdServer, started and closed around the block."""
    server = OpenIdServer(**options)
    await server.start()
    try:
        yield server
    finally:
        await server.close()
