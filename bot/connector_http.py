"""Bot Connector calls over aiohttp instead of ``requests`` in worker threads.

botframework-connector's async ``ConnectorClient`` sends through msrest's default async pipeline,
which runs the synchronous ``requests`` library in the event loop's thread pool. Every reply then
costs a thread hand-off each way, ``requests``' per-call environment lookups (proxies, ``.netrc``)
and a blocking socket in a worker thread: about a quarter of a turn's CPU. The bot already runs on
aiohttp, so :func:`use_aiohttp` gives a client a pipeline that sends with one ``aiohttp`` session
instead, keeping msrest's policies (user agent, raw deserialiser, HTTP logger) and the client's
credentials, so the operations, their models and their errors stay as botbuilder expects them.

msrest ships an aiohttp sender of its own, but it drops the request's headers and body.
"""

from __future__ import annotations

import asyncio
import urllib.parse
import urllib.request
from enum import Enum
from types import SimpleNamespace
from typing import Any

import aiohttp
from msrest import Serializer
from msrest.exceptions import ClientRequestError
from msrest.pipeline import AsyncHTTPSender, AsyncPipeline, Request, Response, SansIOHTTPPolicy
from msrest.pipeline.universal import RawDeserializer
from msrest.serialization import Model
from msrest.universal_http import ClientRequest
from msrest.universal_http.async_abc import AsyncClientResponse


class ReadResponse:
    """What is kept of an aiohttp response once read, named as ``requests.Response`` names it.

    msrest's ``HttpOperationError`` (botbuilder's ``ErrorResponseException``) exposes this as
    ``exc.response``; callers read ``status_code``, ``headers`` (``Retry-After``) and ``text``.
    """

    __slots__ = ("status_code", "headers", "reason", "content", "url")

    def __init__(self, response: aiohttp.ClientResponse, body: bytes) -> None:
        self.status_code = response.status
        # Case-insensitive, as requests gives them.
        self.headers = response.headers
        self.reason = response.reason
        self.content = body
        self.url = str(response.url)

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")


class AiohttpClientResponse(AsyncClientResponse):
    """A fully read aiohttp response in msrest's response interface."""

    def __init__(self, request: ClientRequest, response: ReadResponse) -> None:
        super().__init__(request, response)
        self.status_code = response.status_code
        self.headers = response.headers
        self.reason = response.reason
        self._body = response.content

    def body(self) -> bytes:
        return self._body

    def raise_for_status(self) -> None:
        if self.status_code >= 400:
            raise ClientRequestError(f"Received status code {self.status_code}")


class AiohttpSender(AsyncHTTPSender):
    """Sends msrest requests with one aiohttp session, reading each response whole."""

    def __init__(self, timeout_seconds: float, verify: bool = True) -> None:
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        self._verify = verify
        self._session: aiohttp.ClientSession | None = None
        self._proxies: dict[str, str] = {}
        self._proxy_by_origin: dict[tuple[str, str], str | None] = {}

    def _client_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            # Not trust_env: aiohttp would then read ~/.netrc and the proxy variables in a worker
            # thread on every request. The proxies are read once instead (see _proxy_for).
            self._session = aiohttp.ClientSession(timeout=self._timeout)
            self._proxies = urllib.request.getproxies()
            self._proxy_by_origin = {}
        return self._session

    def _proxy_for(self, url: str) -> str | None:
        """The proxy ``requests`` would use for ``url`` (HTTP(S)_PROXY and NO_PROXY), per origin."""
        if not self._proxies:
            return None
        parts = urllib.parse.urlsplit(url)
        origin = (parts.scheme, parts.netloc)
        if origin not in self._proxy_by_origin:
            proxy = self._proxies.get(parts.scheme) or self._proxies.get("all")
            if proxy and urllib.request.proxy_bypass(parts.hostname or ""):
                proxy = None
            self._proxy_by_origin[origin] = proxy
        return self._proxy_by_origin[origin]

    async def __aenter__(self) -> "AiohttpSender":
        return self

    async def __aexit__(self, *exc_details: Any) -> None:
        await self.close()

    async def close(self) -> None:
        session, self._session = self._session, None
        if session is not None and not session.closed:
            await session.close()

    async def send(self, request: Request, **config: Any) -> Response:
        http_request: ClientRequest = request.http_request
        kwargs: dict[str, Any] = {"headers": dict(http_request.headers)}
        if http_request.files:
            form = aiohttp.FormData()
            for name, value in http_request.files.items():
                form.add_field(name, value)
            kwargs["data"] = form
            # aiohttp sets the multipart content type and length itself.
            for header in ("Content-Type", "Content-Length"):
                kwargs["headers"].pop(header, None)
        elif http_request.data is not None:
            kwargs["data"] = http_request.data
        if not self._verify:
            kwargs["ssl"] = False
        session = self._client_session()
        proxy = self._proxy_for(http_request.url)
        if proxy:
            kwargs["proxy"] = proxy
        try:
            async with session.request(http_request.method, http_request.url, **kwargs) as response:
                body = await response.read()
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            raise ClientRequestError(f"Error sending to the Bot Connector: {type(exc).__name__}") from exc
        return Response(request, AiohttpClientResponse(http_request, ReadResponse(response, body)))


class AppCredentialsPolicy(SansIOHTTPPolicy):
    """Sets (or leaves out) the ``Authorization`` header the way the credentials sign a session.

    botframework's ``AppCredentials.signed_session`` decides whether a token is needed (not in
    local, unauthenticated mode) and gets it; it only touches the session's ``headers``.
    """

    def __init__(self, credentials: Any) -> None:
        self._credentials = credentials

    def on_request(self, request: Request, **kwargs: Any) -> None:
        session = SimpleNamespace(headers={})
        self._credentials.signed_session(session)
        headers = request.http_request.headers
        token = session.headers.get("Authorization")
        if token:
            headers["Authorization"] = token
        else:
            headers.pop("Authorization", None)


class ModelBodySerializer(Serializer):
    """msrest's serializer, without rebuilding a request body that is already made of models.

    ``Serializer.body`` first runs the body through a deserializer, in case some model-typed
    attribute holds a plain dict that must become a model, and only then serialises it: for an
    activity that is a second walk over every attribute, as dear as the first. When every
    model-typed attribute already holds a model (as the activities botbuilder builds do), that
    walk changes nothing and is skipped; anything else takes msrest's own path.
    """

    def __init__(self, classes: dict[str, type]) -> None:
        super().__init__(classes)
        self._model_attributes: dict[type, tuple[tuple[str, bool], ...]] = {}

    def _attributes_of(self, cls: type) -> tuple[tuple[str, bool], ...]:
        """The attributes of ``cls`` typed as models: (name, whether a list or dict of them)."""
        found = self._model_attributes.get(cls)
        if found is None:
            found = tuple(
                (name, config["type"] != config["type"].strip("[]{}"))
                for name, config in getattr(cls, "_attribute_map", {}).items()
                if config["type"].strip("[]{}") in self.dependencies
                and not issubclass(self.dependencies[config["type"].strip("[]{}")], Enum)
            )
            self._model_attributes[cls] = found
        return found

    def _made_of_models(self, model: Model) -> bool:
        for name, many in self._attributes_of(type(model)):
            value = getattr(model, name, None)
            if value is None:
                continue
            if many:
                if not isinstance(value, list) or not all(
                    isinstance(item, Model) and self._made_of_models(item) for item in value
                ):
                    return False
            elif not isinstance(value, Model) or not self._made_of_models(value):
                return False
        return True

    def body(self, data: Any, data_type: str, **kwargs: Any) -> Any:
        if (
            isinstance(data, Model)
            and not kwargs.get("is_xml")
            and not self.client_side_validation
            and not type(data).is_xml_model()
            and self._made_of_models(data)
        ):
            return self._serialize(data, data_type, **kwargs)
        return super().body(data, data_type, **kwargs)


def use_aiohttp(client: Any) -> Any:
    """Give a botframework async ``ConnectorClient`` an aiohttp pipeline; returns the client."""
    config = client.config
    policies: list[Any] = [config.user_agent_policy]
    if config.credentials is not None:
        policies.append(AppCredentialsPolicy(config.credentials))
    policies += [RawDeserializer(), config.http_logger_policy]
    sender = AiohttpSender(config.connection.timeout, verify=bool(config.connection.verify))
    config.pipeline = AsyncPipeline(policies, sender)
    # msrest checks every model against its constraints before sending, walking the whole
    # activity; botbuilder's schema models declare none, and the Bot Connector checks what it gets.
    serializer = ModelBodySerializer(client._serialize.dependencies)
    serializer.client_side_validation = False
    client._serialize = serializer
    for operations in (client.conversations, client.attachments):
        operations._serialize = serializer
    return client
