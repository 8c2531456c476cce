"""Where Microsoft Graph and its login are, and who the app signs in as."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit


@dataclass(frozen=True)
class GraphConfig:
    """Graph's base URL, the login authority's base URL, the app's credentials and the client's limits."""

    graph_url: str
    login_url: str
    tenant_id: str
    client_id: str
    client_secret: str = field(default="", repr=False)
    #: Set to the user-assigned managed identity's client id to get tokens from the managed identity endpoint.
    managed_identity_client_id: str | None = None
    #: An extra PEM CA trusted for Graph and login, on top of the system's.
    ca_file: str | None = None
    timeout: float = 30.0
    max_attempts: int = 5
    max_retry_after: float = 120.0

    @property
    def graph_origin(self) -> str:
        """Graph's scheme and host (``https://graph.microsoft.com``): the token's audience and the only place links may lead."""
        parts = urlsplit(self.graph_url)
        return f"{parts.scheme}://{parts.netloc}"
