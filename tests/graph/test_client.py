"""The Graph client against the fake Graph: tokens, paging, throttling, retries, errors, trust."""

from __future__ import annotations

import time

import pytest

from graph.client import GraphClient
from graph.errors import GraphError, GraphNotFound, GraphPermissionError
from tests.support.fake_graph import IDENTITY_HEADER, FakeGraph

_MEMBERS = "/groups/everyone/transitiveMembers/microsoft.graph.user"


def _seed(graph: FakeGraph, count: int) -> list[str]:
    ids = [f"user-{index}" for index in range(count)]
    for user_id in ids:
        graph.add_user(user_id, f"Leader {user_id}", f"{user_id}@example.com")
    graph.add_group("everyone", ids)
    return ids


async def _member_ids(client: GraphClient) -> list[str]:
    return [member["id"] async for member in client.get_all(_MEMBERS, permission="GroupMember.Read.All")]


async def test_a_token_is_fetched_once_and_reused() -> None:
    async with FakeGraph() as graph:
        _seed(graph, 1)
        async with GraphClient(graph.config()) as client:
            for _ in range(3):
                await _member_ids(client)
        assert graph.tokens_issued == 1
        assert len(graph.requests) == 3


async def test_paging_follows_next_links_over_several_pages() -> None:
    async with FakeGraph(page_size=2) as graph:
        ids = _seed(graph, 7)
        async with GraphClient(graph.config()) as client:
            assert await _member_ids(client) == ids
        assert len(graph.requests) == 4


async def test_429_is_waited_out_for_retry_after() -> None:
    async with FakeGraph() as graph:
        ids = _seed(graph, 2)
        graph.throttle(2, retry_after=0.2)
        async with GraphClient(graph.config()) as client:
            started = time.monotonic()
            assert await _member_ids(client) == ids
            assert time.monotonic() - started >= 0.4
        assert len(graph.requests) == 3


async def test_a_retry_after_beyond_the_cap_is_an_error() -> None:
    async with FakeGraph() as graph:
        _seed(graph, 1)
        graph.throttle(1, retry_after=600)
        async with GraphClient(graph.config(max_retry_after=5)) as client:
            with pytest.raises(GraphError) as raised:
                await _member_ids(client)
        assert raised.value.status == 429


async def test_503_and_504_are_retried() -> None:
    async with FakeGraph() as graph:
        ids = _seed(graph, 1)
        graph.fail_next(503)
        graph.fail_next(504)
        async with GraphClient(graph.config()) as client:
            assert await _member_ids(client) == ids
        assert len(graph.requests) == 3


async def test_retries_stop_after_max_attempts() -> None:
    async with FakeGraph() as graph:
        _seed(graph, 1)
        graph.fail_next(503, count=10)
        async with GraphClient(graph.config(max_attempts=3)) as client:
            with pytest.raises(GraphError) as raised:
                await _member_ids(client)
        assert raised.value.status == 503
        assert len(graph.requests) == 3


async def test_a_connection_error_is_retried_then_reported() -> None:
    async with FakeGraph() as graph:
        config = graph.config(max_attempts=2, ca_file=None)
    # The fake has stopped: nothing listens on its port any more.
    async with GraphClient(config) as client:
        with pytest.raises(GraphError) as raised:
            await client.get("/users/x", permission="User.Read.All")
    assert raised.value.status is None


async def test_403_names_the_call_and_the_permission() -> None:
    async with FakeGraph() as graph:
        _seed(graph, 1)
        graph.fail_next(403)
        async with GraphClient(graph.config()) as client:
            with pytest.raises(GraphPermissionError) as raised:
                await _member_ids(client)
    text = str(raised.value)
    assert "GET /groups/{id}/transitiveMembers/microsoft.graph.user" in text
    assert "GroupMember.Read.All" in text
    assert "everyone" not in text


async def test_404_is_not_found() -> None:
    async with FakeGraph() as graph:
        _seed(graph, 1)
        async with GraphClient(graph.config()) as client:
            with pytest.raises(GraphNotFound):
                await client.get("/users/user-0/manager", permission="User.Read.All")


async def test_an_expired_token_is_renewed_once() -> None:
    async with FakeGraph() as graph:
        ids = _seed(graph, 1)
        async with GraphClient(graph.config()) as client:
            assert await _member_ids(client) == ids
            graph.expire_tokens()
            assert await _member_ids(client) == ids
        assert graph.tokens_issued == 2


async def test_a_401_after_a_fresh_token_is_a_permission_error() -> None:
    async with FakeGraph() as graph:
        _seed(graph, 1)
        graph.fail_next(401, count=2)
        async with GraphClient(graph.config()) as client:
            with pytest.raises(GraphPermissionError):
                await _member_ids(client)
        assert graph.tokens_issued == 2


async def test_a_wrong_secret_is_a_clear_error() -> None:
    async with FakeGraph() as graph:
        async with GraphClient(graph.config(client_secret="wrong")) as client:
            with pytest.raises(GraphError) as raised:
                await client.get("/users/x", permission="User.Read.All")
    assert raised.value.code == "invalid_client"
    assert "wrong" not in str(raised.value)


async def test_a_next_link_off_graph_is_refused() -> None:
    async with FakeGraph(page_size=1) as graph:
        _seed(graph, 2)
        # The fake's links lead to its own address; a client configured for "localhost" sees them as elsewhere.
        config = graph.config(graph_url=graph.graph_url.replace("127.0.0.1", "localhost"))
        async with GraphClient(config) as client:
            with pytest.raises(GraphError) as raised:
                await _member_ids(client)
        assert raised.value.code == "nextLinkRefused"
        assert len(graph.requests) == 1


async def test_managed_identity_tokens_come_from_the_identity_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    async with FakeGraph() as graph:
        ids = _seed(graph, 1)
        monkeypatch.setenv("IDENTITY_ENDPOINT", graph.identity_endpoint)
        monkeypatch.setenv("IDENTITY_HEADER", IDENTITY_HEADER)
        config = graph.config(client_secret="", managed_identity_client_id="mi-client-id")
        async with GraphClient(config) as client:
            assert await _member_ids(client) == ids
            assert await _member_ids(client) == ids
        assert graph.tokens_issued == 1


async def test_without_the_ca_file_the_fake_is_not_trusted() -> None:
    async with FakeGraph() as graph:
        _seed(graph, 1)
        async with GraphClient(graph.config(ca_file=None, max_attempts=1)) as client:
            with pytest.raises(GraphError) as raised:
                await _member_ids(client)
        assert graph.tokens_issued == 0
    assert raised.value.status is None
