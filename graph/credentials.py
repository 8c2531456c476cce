"""Access tokens for Graph from msal: the app's client secret, or a user-assigned managed identity."""

from __future__ import annotations

import asyncio
import logging
import os
import tempfile
from pathlib import Path
from typing import Any

import certifi
import msal
import requests

from graph.config import GraphConfig
from graph.errors import GraphError

logger = logging.getLogger(__name__)

_TOKEN_CALL = "token request"


class Credentials:
    """Hands out Graph access tokens; msal caches them and renews them before they expire."""

    def __init__(self, config: GraphConfig) -> None:
        self._config = config
        self._app: msal.ConfidentialClientApplication | msal.ManagedIdentityClient | None = None
        self._lock = asyncio.Lock()
        self._bundle = _trust_bundle(config.ca_file) if config.ca_file else None

    async def token(self) -> str:
        """A valid access token (from msal's cache when it has one)."""
        async with self._lock:
            return await asyncio.to_thread(self._acquire)

    async def refresh(self) -> str:
        """A fresh access token, for when Graph refused the cached one."""
        async with self._lock:
            if isinstance(self._app, msal.ConfidentialClientApplication):
                self._app.remove_tokens_for_client()
            else:
                # A managed identity client has no way to drop its cache: start a new one.
                self._app = None
            return await asyncio.to_thread(self._acquire)

    def close(self) -> None:
        """Remove the trust bundle written for msal."""
        if self._bundle is not None:
            self._bundle.unlink(missing_ok=True)
            self._bundle = None

    def _acquire(self) -> str:
        # Runs in a worker thread: msal's HTTP calls (including authority discovery on first use) block.
        if self._app is None:
            self._app = self._build()
        try:
            if isinstance(self._app, msal.ManagedIdentityClient):
                result: dict[str, Any] = self._app.acquire_token_for_client(resource=self._config.graph_origin)
            else:
                result = self._app.acquire_token_for_client(scopes=[f"{self._config.graph_origin}/.default"])
        except (ValueError, requests.RequestException) as exc:
            raise GraphError(_TOKEN_CALL, None, type(exc).__name__, str(exc)) from None
        if "access_token" not in result:
            raise GraphError(_TOKEN_CALL, None, result.get("error", ""), result.get("error_description", ""))
        return result["access_token"]

    def _build(self) -> msal.ConfidentialClientApplication | msal.ManagedIdentityClient:
        config = self._config
        session = _Session(str(self._bundle) if self._bundle else None, config.timeout)
        if config.managed_identity_client_id:
            return msal.ManagedIdentityClient(
                msal.UserAssignedManagedIdentity(client_id=config.managed_identity_client_id), http_client=session
            )
        try:
            return msal.ConfidentialClientApplication(
                config.client_id,
                client_credential=config.client_secret,
                authority=f"{config.login_url.rstrip('/')}/{config.tenant_id}",
                http_client=session,
                # Instance discovery asks login.microsoftonline.com whether the login host is Microsoft's;
                # msal skips it for the clouds it knows, and a configured host is trusted by its operator.
                instance_discovery=False,
            )
        except (ValueError, requests.RequestException) as exc:
            raise GraphError(_TOKEN_CALL, None, "authority", str(exc)) from None


class _Session(requests.Session):
    """msal's HTTP client: every request with the timeout, and with the trust bundle when there is one."""

    def __init__(self, bundle: str | None, timeout: float) -> None:
        super().__init__()
        self._bundle = bundle
        self._timeout = timeout

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        # Per request, because requests lets REQUESTS_CA_BUNDLE override a session's own ``verify``.
        if self._bundle is not None:
            kwargs.setdefault("verify", self._bundle)
        kwargs.setdefault("timeout", self._timeout)
        return super().request(method, url, *args, **kwargs)


def _trust_bundle(ca_file: str) -> Path:
    """The roots requests would trust plus ``ca_file`` in one PEM file: requests takes one bundle, not two."""
    roots = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or certifi.where()
    extra = Path(ca_file).read_text(encoding="utf-8")
    handle, name = tempfile.mkstemp(prefix="lederavtale-graph-ca-", suffix=".pem")
    with os.fdopen(handle, "w", encoding="utf-8") as bundle:
        bundle.write(Path(roots).read_text(encoding="utf-8"))
        bundle.write("\n")
        bundle.write(extra)
    return Path(name)
