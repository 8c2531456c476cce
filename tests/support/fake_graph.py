"""A fake Microsoft Graph and Entra ID login: a real aiohttp server on 127.0.0.1 over HTTPS.

It serves the token endpoint (client credentials, and the App Service managed identity endpoint
at ``/msi/token``), users, groups with transitive members, managers and paging, the Teams app
catalogue, app installation (201, 409, 403) and the installed app's chat, and calendar events.
It can answer 429 with Retry-After and other failures on request. The certificate is made at
start by a throwaway CA whose PEM is ``ca_file``, because msal only accepts https authorities.

Run ``python -m tests.support.fake_graph --port P --demo`` to serve the demo municipality.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import html
import datetime as dt
import ipaddress
import itertools
import json
import logging
import re
import ssl
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlencode

import aiohttp
from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from graph.config import GraphConfig

logger = logging.getLogger(__name__)

TENANT_ID = "11111111-2222-3333-4444-555555555555"
CLIENT_ID = "00000000-0000-0000-0000-00000000b07a"
CLIENT_SECRET = "fake-graph-secret"
#: The header value the managed identity endpoint expects (IDENTITY_HEADER).
IDENTITY_HEADER = "fake-identity-header"
DEMO_CSV = Path(__file__).resolve().parents[2] / "storage" / "demo" / "leaders.csv"
#: Namespace for the stable object ids of demo leaders whose CSV row has none.
DEMO_NAMESPACE = uuid.UUID("6f1c2a55-8a8e-4e83-9a53-1d1b0f4c7e10")
DEMO_LEADER_GROUP = "leaders"
DEMO_HR_GROUP = "hr"
DEMO_MANIFEST_ID = CLIENT_ID
DEMO_CATALOG_ID = "demo-catalog-app"

_EXTERNAL_ID_FILTER = re.compile(r"^externalId eq '([^']*)'$")
_TEAMS_APP_FILTER = re.compile(r"^teamsApp/id eq '([^']*)'$")
_USER_FIELDS = {
    "id": "id",
    "displayName": "name",
    "mail": "mail",
    "userPrincipalName": "upn",
    "department": "department",
    "accountEnabled": "enabled",
}


def _certificates(directory: Path) -> tuple[Path, Path, Path]:
    """A throwaway CA and a server certificate for 127.0.0.1 signed by it: (ca.pem, cert.pem, key.pem)."""
    now = dt.datetime.now(dt.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Fake Graph test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(True, False, False, False, False, True, True, False, False), critical=True
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    paths = directory / "ca.pem", directory / "cert.pem", directory / "key.pem"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return paths


def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status, headers=headers)


class FakeGraph:
    """``async with FakeGraph(page_size=2) as graph:`` serves Graph at ``graph.graph_url`` until the block ends.

    Inspection: ``requests`` lists each Graph call as (method, path after ``/v1.0`` with its decoded
    query), ``installs`` each installation attempt as (user_id, catalog_id, HTTP status 201/409/403),
    ``events`` each event by id (as posted, with patches applied, plus ``organizer_id``),
    ``tokens_issued`` how many tokens the login endpoints handed out.
    """

    def __init__(
        self,
        *,
        page_size: int = 100,
        port: int = 0,
        bot_endpoint: str | None = None,
        service_url: str | None = None,
        tenant_id: str = TENANT_ID,
        client_id: str = CLIENT_ID,
        client_secret: str = CLIENT_SECRET,
        teams_port: int | None = None,
    ) -> None:
        self.page_size = page_size
        #: With a port: also a plain-HTTP stand-in for Teams' Bot Connector for installed users, and a page
        #: at its root that shows what happened (for scripts/run's demo; 0 picks a free port).
        self.teams_port = teams_port
        self.teams_messages: list[dict[str, Any]] = []
        self._teams_runner: web.AppRunner | None = None
        self.port = port
        self.bot_endpoint = bot_endpoint
        self.service_url = service_url
        self.tenant_id = tenant_id
        self.client_id = client_id
        self.client_secret = client_secret
        self.ca_file = ""
        self.requests: list[tuple[str, str]] = []
        self.installs: list[tuple[str, str, int]] = []
        self.events: dict[str, dict[str, Any]] = {}
        self.tokens_issued = 0
        self._users: dict[str, dict[str, Any]] = {}
        self._groups: dict[str, list[str]] = {}
        self._catalog: dict[str, str] = {}
        self._installed: dict[tuple[str, str], str] = {}
        self._blocked: dict[str, str] = {}
        self._tokens: dict[str, float] = {}
        self._throttle: list[float] = []
        self._failures: list[tuple[int, str | None]] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._directory: tempfile.TemporaryDirectory[str] | None = None
        self._runner: web.AppRunner | None = None
        self._ids = itertools.count(1)

    # -- addresses and configuration --------------------------------------------------------------

    @property
    def login_url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    @property
    def graph_url(self) -> str:
        return f"{self.login_url}/v1.0"

    @property
    def identity_endpoint(self) -> str:
        """The App Service managed identity endpoint (IDENTITY_ENDPOINT); it wants IDENTITY_HEADER."""
        return f"{self.login_url}/msi/token"

    def config(self, **overrides: Any) -> GraphConfig:
        """A client configuration for this fake (client secret), with ``overrides`` applied."""
        values: dict[str, Any] = {
            "graph_url": self.graph_url,
            "login_url": self.login_url,
            "tenant_id": self.tenant_id,
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "ca_file": self.ca_file,
        }
        return GraphConfig(**(values | overrides))

    def settings_env(self) -> dict[str, str]:
        """The LEDERAVTALE_GRAPH_* / LOGIN environment that points Settings.from_env at this fake."""
        return {
            "LEDERAVTALE_GRAPH_URL": self.graph_url,
            "LEDERAVTALE_LOGIN_URL": self.login_url,
            "LEDERAVTALE_GRAPH_CA_FILE": self.ca_file,
            "LEDERAVTALE_GRAPH_TENANT_ID": self.tenant_id,
            "LEDERAVTALE_GRAPH_CLIENT_ID": self.client_id,
            "LEDERAVTALE_GRAPH_CLIENT_SECRET": self.client_secret,
        }

    # -- seeding ----------------------------------------------------------------------------------

    def add_user(
        self,
        id: str,
        name: str,
        mail: str | None,
        *,
        upn: str | None = None,
        department: str | None = None,
        manager_id: str | None = None,
    ) -> None:
        """Add (or replace) a user."""
        self._users[id] = {
            "id": id,
            "name": name,
            "mail": mail,
            "upn": upn or mail or f"{id}@example.onmicrosoft.com",
            "department": department,
            "enabled": True,
            "manager_id": manager_id,
        }

    def set_manager(self, user_id: str, manager_id: str | None) -> None:
        """Give a user another manager, or none."""
        self._users[user_id]["manager_id"] = manager_id

    def add_group(self, group_id: str, members: list[str]) -> None:
        """Add (or replace) a group; members are user or group ids (nested groups count transitively)."""
        self._groups[group_id] = list(members)

    def remove_user(self, id: str) -> None:
        """Delete a user from the directory and from every group."""
        self._users.pop(id, None)
        for members in self._groups.values():
            if id in members:
                members.remove(id)

    def add_catalog_app(self, manifest_id: str, catalog_id: str) -> None:
        """Publish an app in the tenant's catalogue."""
        self._catalog[catalog_id] = manifest_id

    def preinstall(self, user_id: str, catalog_id: str) -> None:
        """The app is already installed for the user (an install answers 409)."""
        self._installed[(user_id, catalog_id)] = self._installation_id(user_id, catalog_id)

    def block_install(self, user_id: str, message: str) -> None:
        """Installing for the user is refused by policy (403 with this message)."""
        self._blocked[user_id] = message

    def throttle(self, count: int, retry_after: float = 1) -> None:
        """The next ``count`` Graph calls answer 429 with this Retry-After (seconds)."""
        self._throttle.extend([retry_after] * count)

    def fail_next(self, status: int, count: int = 1, path_prefix: str | None = None) -> None:
        """The next ``count`` Graph calls (whose path after /v1.0 starts with ``path_prefix``) answer ``status``."""
        self._failures.extend([(status, path_prefix)] * count)

    def expire_tokens(self) -> None:
        """Every token handed out so far is expired from now on (Graph answers 401)."""
        for token in self._tokens:
            self._tokens[token] = 0.0

    def seed_demo(self) -> None:
        """The demo municipality: storage/demo/leaders.csv's leaders in group "leaders", its HR admins in "hr"."""
        with DEMO_CSV.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle, delimiter=";"))
        ids = {
            row["e-post"].lower(): row.get("entra_object_id") or str(uuid.uuid5(DEMO_NAMESPACE, row["e-post"].lower()))
            for row in rows
        }
        for row in rows:
            mail = row["e-post"]
            manager = row["overordnet_epost"].strip().lower()
            self.add_user(
                ids[mail.lower()],
                row["navn"],
                mail,
                upn=mail,
                department=row["enhet"] or None,
                manager_id=ids[manager] if manager else None,
            )
        self.add_group(DEMO_LEADER_GROUP, list(ids.values()))
        self.add_group(DEMO_HR_GROUP, [ids[row["e-post"].lower()] for row in rows if row["hr_admin"].strip() == "ja"])
        self.add_catalog_app(DEMO_MANIFEST_ID, DEMO_CATALOG_ID)

    # -- lifecycle --------------------------------------------------------------------------------

    async def __aenter__(self) -> "FakeGraph":
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def start(self) -> None:
        """Make the certificates and start serving."""
        self._directory = tempfile.TemporaryDirectory(prefix="fake-graph-")
        ca, cert, key = _certificates(Path(self._directory.name))
        self.ca_file = str(ca)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)
        app = web.Application(middlewares=[self._close_after, self._graph_gate])
        app.router.add_get("/{tenant}/v2.0/.well-known/openid-configuration", self._openid_configuration)
        app.router.add_post("/{tenant}/oauth2/v2.0/token", self._token)
        app.router.add_get("/msi/token", self._managed_identity_token)
        app.router.add_get("/v1.0/groups/{group}/transitiveMembers/microsoft.graph.user", self._transitive_users)
        app.router.add_get("/v1.0/users/{user}/manager", self._manager)
        app.router.add_get("/v1.0/appCatalogs/teamsApps", self._catalog_apps)
        app.router.add_post("/v1.0/users/{user}/teamwork/installedApps", self._install)
        app.router.add_get("/v1.0/users/{user}/teamwork/installedApps", self._installed_apps)
        app.router.add_get("/v1.0/users/{user}/teamwork/installedApps/{installation}/chat", self._installed_app_chat)
        app.router.add_post("/v1.0/users/{user}/events", self._create_event)
        app.router.add_patch("/v1.0/users/{user}/events/{event}", self._update_event)
        self._runner = web.AppRunner(app, shutdown_timeout=0.1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port, ssl_context=context)
        await site.start()
        self.port = self._runner.addresses[0][1]
        if self.teams_port is not None:
            teams = web.Application()
            teams.router.add_get("/", self._demo_page)
            teams.router.add_post("/v3/conversations/{conversation}/activities", self._teams_activity)
            teams.router.add_post("/v3/conversations/{conversation}/activities/{reply_to}", self._teams_activity)
            self._teams_runner = web.AppRunner(teams, shutdown_timeout=0.1)
            await self._teams_runner.setup()
            await web.TCPSite(self._teams_runner, "127.0.0.1", self.teams_port).start()
            self.teams_port = self._teams_runner.addresses[0][1]

    @property
    def teams_url(self) -> str:
        """The stand-in Bot Connector's address (the serviceUrl of installed users' conversations)."""
        return f"http://127.0.0.1:{self.teams_port}/"

    async def close(self) -> None:
        """Stop serving and remove the certificates."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._teams_runner is not None:
            await self._teams_runner.cleanup()
            self._teams_runner = None
        if self._directory is not None:
            self._directory.cleanup()
            self._directory = None

    # -- login ------------------------------------------------------------------------------------

    def _issue_token(self, lifetime: int = 3599) -> str:
        token = f"fake-graph-token-{uuid.uuid4()}"
        self._tokens[token] = time.time() + lifetime
        self.tokens_issued += 1
        return token

    async def _openid_configuration(self, request: web.Request) -> web.Response:
        base = f"{self.login_url}/{request.match_info['tenant']}"
        return web.json_response(
            {
                "issuer": f"{base}/v2.0",
                "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                "token_endpoint": f"{base}/oauth2/v2.0/token",
            }
        )

    async def _token(self, request: web.Request) -> web.Response:
        form = await request.post()
        if request.match_info["tenant"] != self.tenant_id:
            return web.json_response({"error": "invalid_request", "error_description": "AADSTS90002: Tenant not found."}, status=400)
        if form.get("client_id") != self.client_id or form.get("client_secret") != self.client_secret:
            return web.json_response(
                {"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret provided."},
                status=401,
            )
        if form.get("grant_type") != "client_credentials" or form.get("scope") not in self._scopes():
            return web.json_response({"error": "invalid_scope", "error_description": "AADSTS70011: bad scope."}, status=400)
        return web.json_response({"token_type": "Bearer", "expires_in": 3599, "access_token": self._issue_token()})

    def _scopes(self) -> set[str]:
        """The token audiences this server accepts: itself, by address or as localhost."""
        return {f"{self.login_url}/.default", f"https://localhost:{self.port}/.default"}

    async def _managed_identity_token(self, request: web.Request) -> web.Response:
        if request.headers.get("X-IDENTITY-HEADER") != IDENTITY_HEADER:
            return web.json_response({"statusCode": 401, "message": "Missing or wrong X-IDENTITY-HEADER"}, status=401)
        if f"{request.query.get('resource')}/.default" not in self._scopes():
            return web.json_response({"statusCode": 500, "message": "Unknown resource"}, status=500)
        return web.json_response(
            {
                "access_token": self._issue_token(),
                "expires_on": str(int(time.time()) + 3599),
                "resource": request.query["resource"],
                "token_type": "Bearer",
                "client_id": request.query.get("client_id", ""),
            }
        )

    # -- the gate every Graph call passes ---------------------------------------------------------

    @web.middleware
    async def _close_after(self, request: web.Request, handler: Any) -> web.StreamResponse:
        # One request per connection: Python 3.11 leaks TLS server transports still open at shutdown.
        response = await handler(request)
        response.force_close()
        return response

    @web.middleware
    async def _graph_gate(self, request: web.Request, handler: Any) -> web.StreamResponse:
        if not request.path.startswith("/v1.0/"):
            return await handler(request)
        path = request.path[len("/v1.0") :]
        query = unquote(request.query_string.replace("+", " "))
        self.requests.append((request.method, f"{path}?{query}" if query else path))
        if self._throttle:
            retry_after = self._throttle.pop(0)
            return _error(429, "TooManyRequests", "Too many requests.", {"Retry-After": f"{retry_after:g}"})
        for index, (status, prefix) in enumerate(self._failures):
            if prefix is None or path.startswith(prefix):
                del self._failures[index]
                return _error(status, "fakeFailure", f"Failure {status} on request.")
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        expires = self._tokens.get(token)
        if scheme != "Bearer" or expires is None:
            return _error(401, "InvalidAuthenticationToken", "Access token is empty or invalid.")
        if expires < time.time():
            return _error(401, "InvalidAuthenticationToken", "Lifetime validation failed, the token is expired.")
        return await handler(request)

    # -- directory --------------------------------------------------------------------------------

    def _transitive(self, group_id: str, seen: set[str]) -> Iterator[str]:
        for member in self._groups.get(group_id, []):
            if member in seen:
                continue
            seen.add(member)
            if member in self._groups:
                yield from self._transitive(member, seen)
            elif member in self._users:
                yield member

    def _user_json(self, user: dict[str, Any], select: str | None) -> dict[str, Any]:
        wanted = [name.strip() for name in select.split(",")] if select else list(_USER_FIELDS)
        return {"id": user["id"]} | {name: user[_USER_FIELDS[name]] for name in wanted if name in _USER_FIELDS}

    async def _transitive_users(self, request: web.Request) -> web.Response:
        group_id = request.match_info["group"]
        if group_id not in self._groups:
            return _error(404, "Request_ResourceNotFound", f"Resource '{group_id}' does not exist.")
        users = [self._users[member] for member in self._transitive(group_id, set())]
        size = min(self.page_size, int(request.query.get("$top", self.page_size)))
        start = int(request.query.get("$skiptoken", "0"))
        page = users[start : start + size]
        body: dict[str, Any] = {"value": [self._user_json(user, request.query.get("$select")) for user in page]}
        if start + size < len(users):
            query = {key: value for key, value in request.query.items() if key != "$skiptoken"}
            query["$skiptoken"] = str(start + size)
            body["@odata.nextLink"] = f"{self.graph_url}/groups/{group_id}/transitiveMembers/microsoft.graph.user?{urlencode(query)}"
        return web.json_response(body)

    async def _manager(self, request: web.Request) -> web.Response:
        user = self._users.get(request.match_info["user"])
        if user is None:
            return _error(404, "Request_ResourceNotFound", "The user does not exist.")
        manager = self._users.get(user["manager_id"] or "")
        if manager is None:
            return _error(404, "Request_ResourceNotFound", "Resource 'manager' does not exist.")
        return web.json_response(self._user_json(manager, request.query.get("$select")))

    # -- Teams apps -------------------------------------------------------------------------------

    @staticmethod
    def _installation_id(user_id: str, catalog_id: str) -> str:
        return f"installation-{user_id}-{catalog_id}"

    def _catalog_json(self, catalog_id: str) -> dict[str, Any]:
        return {
            "id": catalog_id,
            "externalId": self._catalog.get(catalog_id),
            "displayName": "Lederavtale",
            "distributionMethod": "organization",
        }

    async def _catalog_apps(self, request: web.Request) -> web.Response:
        match = _EXTERNAL_ID_FILTER.match(request.query.get("$filter", ""))
        if match is None:
            return _error(400, "BadRequest", "Only $filter=externalId eq '...' is supported.")
        found = [self._catalog_json(catalog_id) for catalog_id, manifest in self._catalog.items() if manifest == match[1]]
        return web.json_response({"value": found})

    async def _install(self, request: web.Request) -> web.Response:
        user_id = request.match_info["user"]
        if user_id not in self._users:
            return _error(404, "NotFound", "The user does not exist.")
        bind = (await request.json()).get("teamsApp@odata.bind", "")
        prefix = f"{self.graph_url}/appCatalogs/teamsApps/"
        catalog_id = bind[len(prefix) :] if bind.startswith(prefix) else ""
        if catalog_id not in self._catalog:
            return _error(404, "NotFound", "The app does not exist in the catalogue.")
        if user_id in self._blocked:
            self.installs.append((user_id, catalog_id, 403))
            return _error(403, "Forbidden", self._blocked[user_id])
        if (user_id, catalog_id) in self._installed:
            self.installs.append((user_id, catalog_id, 409))
            return _error(409, "Conflict", "App is already installed.")
        self._installed[(user_id, catalog_id)] = self._installation_id(user_id, catalog_id)
        self.installs.append((user_id, catalog_id, 201))
        if self.bot_endpoint:
            task = asyncio.get_running_loop().create_task(self._announce_installation(user_id))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return web.Response(status=201)

    async def _announce_installation(self, user_id: str) -> None:
        """Post the installationUpdate Teams sends the bot when its app is added for a user."""
        assert self.bot_endpoint is not None
        activity = {
            "type": "installationUpdate",
            "action": "add",
            "id": str(uuid.uuid4()),
            "timestamp": dt.datetime.now(dt.timezone.utc).isoformat(),
            "channelId": "msteams",
            "serviceUrl": self.service_url or (self.teams_url if self.teams_port else None),
            "from": {"id": f"29:{user_id}", "aadObjectId": user_id, "name": self._users[user_id]["name"]},
            "recipient": {"id": f"28:{self.client_id}", "name": "Lederavtale"},
            "conversation": {"id": f"a:{user_id}", "conversationType": "personal", "tenantId": self.tenant_id},
            "channelData": {"tenant": {"id": self.tenant_id}},
        }
        try:
            async with aiohttp.ClientSession() as session:
                async with session.post(self.bot_endpoint, json=activity) as response:
                    await response.read()
                    logger.info("installationUpdate for a user answered %s", response.status)
        except aiohttp.ClientError as exc:
            logger.warning("installationUpdate could not be posted: %s", exc)

    async def _installed_apps(self, request: web.Request) -> web.Response:
        user_id = request.match_info["user"]
        match = _TEAMS_APP_FILTER.match(request.query.get("$filter", ""))
        if match is None:
            return _error(400, "BadRequest", "Only $filter=teamsApp/id eq '...' is supported.")
        installation = self._installed.get((user_id, match[1]))
        found = [{"id": installation, "teamsApp": self._catalog_json(match[1])}] if installation else []
        return web.json_response({"value": found})

    async def _installed_app_chat(self, request: web.Request) -> web.Response:
        user_id, installation = request.match_info["user"], request.match_info["installation"]
        for (installed_user, catalog_id), known in self._installed.items():
            if installed_user == user_id and known == installation:
                return web.json_response({"id": f"19:{user_id}_{catalog_id}@unq.gbl.spaces", "chatType": "oneOnOne"})
        return _error(404, "NotFound", "The installation does not exist.")

    # -- calendar ---------------------------------------------------------------------------------

    def _event_answer(self, event_id: str) -> dict[str, Any]:
        event = {key: value for key, value in self.events[event_id].items() if key != "organizer_id"}
        join = f"https://teams.microsoft.com/l/meetup-join/fake/{event_id}"
        return event | {"id": event_id, "onlineMeeting": {"joinUrl": join}}

    async def _create_event(self, request: web.Request) -> web.Response:
        organizer = request.match_info["user"]
        if organizer not in self._users:
            return _error(404, "ErrorInvalidUser", "The requested user is invalid.")
        posted = await request.json()
        # As Graph: a retried create with the same transactionId gets the event made the first time, as it is.
        for known_id, known in self.events.items():
            if posted.get("transactionId") and (known.get("transactionId"), known["organizer_id"]) == (
                    posted["transactionId"], organizer):
                return web.json_response(self._event_answer(known_id), status=201)
        event_id = f"event-{next(self._ids)}"
        self.events[event_id] = posted | {"organizer_id": organizer}
        return web.json_response(self._event_answer(event_id), status=201)

    async def _update_event(self, request: web.Request) -> web.Response:
        event_id = request.match_info["event"]
        event = self.events.get(event_id)
        if event is None or event["organizer_id"] != request.match_info["user"]:
            return _error(404, "ErrorItemNotFound", "The specified object was not found in the store.")
        event.update(await request.json())
        return web.json_response(self._event_answer(event_id))


    # -- the demo's stand-in for Teams ------------------------------------------------------------

    async def _teams_activity(self, request: web.Request) -> web.Response:
        """A message from the bot to an installed user's chat: kept for the demo page."""
        try:
            activity = await request.json()
        except ValueError:
            return _error(400, "BadRequest", "The body is not JSON.")
        conversation = request.match_info["conversation"]
        texts: list[str] = [activity.get("text") or ""]
        for attachment in activity.get("attachments") or []:
            texts.extend(_card_texts((attachment or {}).get("content")))
        user_id = conversation.split(":", 1)[-1].split("_", 1)[0]
        user = self._users.get(user_id, {})
        self.teams_messages.append({
            "at": dt.datetime.now(dt.timezone.utc), "conversation": conversation,
            "to": user.get("name") or conversation, "text": "\n".join(text for text in texts if text),
        })
        return web.json_response({"id": f"message-{next(self._ids)}"})

    async def _demo_page(self, request: web.Request) -> web.Response:
        """What the bot did in Graph and Teams, newest first; the page reloads itself every 3 seconds."""
        def cell(value: object) -> str:
            return html.escape(str(value if value is not None else ""))

        names = {user_id: user["name"] for user_id, user in self._users.items()}
        rows_users = "".join(
            f"<tr><td>{cell(user['name'])}</td><td>{cell(user['mail'])}</td><td>{cell(user['department'])}</td>"
            f"<td>{cell(names.get(user['manager_id'], ''))}</td></tr>" for user in self._users.values())
        rows_installs = "".join(
            f"<tr><td>{cell(names.get(user_id, user_id))}</td><td>{cell(catalog_id)}</td><td>{status}</td></tr>"
            for user_id, catalog_id, status in reversed(self.installs)) or '<tr><td colspan="3">none yet</td></tr>'
        rows_events = "".join(
            f"<tr><td>{cell(event.get('subject'))}</td><td>{cell(names.get(event['organizer_id'], event['organizer_id']))}</td>"
            f"<td>{cell(', '.join(a.get('emailAddress', {}).get('name', '') for a in event.get('attendees', [])))}</td>"
            f"<td>{cell((event.get('start') or {}).get('dateTime'))} {cell((event.get('start') or {}).get('timeZone'))}</td>"
            f"<td>{'Teams' if event.get('isOnlineMeeting') else ''}</td></tr>"
            for event in reversed(list(self.events.values()))) or '<tr><td colspan="5">none yet</td></tr>'
        rows_messages = "".join(
            f"<tr><td>{message['at']:%H:%M:%S}</td><td>{cell(message['to'])}</td>"
            f"<td><pre>{cell(message['text'][:600])}</pre></td></tr>"
            for message in reversed(self.teams_messages)) or '<tr><td colspan="3">none yet</td></tr>'
        page = f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="3">
<title>Fake Microsoft Graph</title><style>body{{font-family:sans-serif;margin:2em;max-width:70em}}
table{{border-collapse:collapse;margin-bottom:2em;width:100%}}td,th{{border:1px solid #ccc;padding:.3em .6em;text-align:left;
vertical-align:top}}th{{background:#eef}}pre{{white-space:pre-wrap;margin:0;font-family:inherit}}</style></head><body>
<h1>Fake Microsoft Graph (demo)</h1><p>{len(self.requests)} Graph calls, {self.tokens_issued} tokens issued.</p>
<h2>Teams app installations</h2><table><tr><th>User</th><th>Catalogue app</th><th>HTTP status</th></tr>{rows_installs}</table>
<h2>Calendar events</h2><table><tr><th>Subject</th><th>Organizer</th><th>Invited</th><th>Start</th><th>Meeting</th></tr>
{rows_events}</table>
<h2>Messages to users the bot reached by installing its app</h2><table><tr><th>Time (UTC)</th><th>To</th><th>Text</th></tr>
{rows_messages}</table>
<h2>Directory</h2><table><tr><th>Name</th><th>Mail</th><th>Department</th><th>Manager</th></tr>{rows_users}</table>
</body></html>"""
        return web.Response(text=page, content_type="text/html")


def _card_texts(content: object) -> list[str]:
    """Every TextBlock's and RichTextBlock's text in an Adaptive Card, in order."""
    found: list[str] = []
    if isinstance(content, dict):
        if content.get("type") == "TextBlock" and isinstance(content.get("text"), str):
            found.append(content["text"])
        if content.get("type") == "TextRun" and isinstance(content.get("text"), str):
            found.append(content["text"])
        for value in content.values():
            found.extend(_card_texts(value))
    elif isinstance(content, list):
        for value in content:
            found.extend(_card_texts(value))
    return found


async def _serve(arguments: argparse.Namespace) -> None:
    graph = FakeGraph(port=arguments.port, bot_endpoint=arguments.bot_endpoint, service_url=arguments.service_url,
                      teams_port=arguments.teams_port)
    if arguments.demo:
        graph.seed_demo()
    async with graph:
        environment = graph.settings_env()
        if arguments.demo:
            environment |= {
                "LEDERAVTALE_LEADER_GROUP_ID": DEMO_LEADER_GROUP,
                "LEDERAVTALE_HR_GROUP_ID": DEMO_HR_GROUP,
                "LEDERAVTALE_TEAMS_APP_ID": DEMO_MANIFEST_ID,
            }
        if graph.teams_port is not None:
            environment["LEDERAVTALE_TEAMS_SERVICE_URL"] = graph.teams_url
        print(json.dumps(environment), flush=True)
        await asyncio.Event().wait()


def main(argv: list[str] | None = None) -> None:
    """Serve the fake until interrupted; prints its LEDERAVTALE_GRAPH_* environment as one JSON line."""
    parser = argparse.ArgumentParser(prog="python -m tests.support.fake_graph", description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--demo", action="store_true", help="serve the demo municipality (storage/demo/leaders.csv)")
    parser.add_argument("--bot-endpoint", help="post installationUpdate activities here, e.g. http://127.0.0.1:3978/api/messages")
    parser.add_argument("--service-url", help="the serviceUrl those activities carry (the connector's)")
    parser.add_argument("--teams-port", type=int, help="also serve a stand-in Bot Connector and a demo page here")
    arguments = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO)
    try:
        asyncio.run(_serve(arguments))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
