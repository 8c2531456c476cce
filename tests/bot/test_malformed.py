"""1,000 generated malformed bodies through the real app and dialogs: never a 500, never a turn apology."""

from __future__ import annotations

import copy
import json
import random
from collections import Counter
from typing import Any

import pytest

from bot import texts
from bot.inbound import BadRequest, parse_activity
from lederavtale.app import main_dialog
from tests.bot.conftest import add_leader, make_settings, message

pytestmark = pytest.mark.usefixtures("no_internet")

BODIES = 1000
SEED = 20261201
DEEP = "__deep__"

PATHS = [
    ("type",), ("id",), ("channelId",), ("serviceUrl",), ("from",), ("from", "id"), ("from", "aadObjectId"),
    ("from", "name"), ("recipient",), ("recipient", "id"), ("conversation",), ("conversation", "id"),
    ("conversation", "tenantId"), ("conversation", "conversationType"), ("channelData",), ("channelData", "tenant"),
    ("channelData", "tenant", "id"), ("text",), ("locale",), ("replyToId",), ("value",), ("entities",),
    ("attachments",), ("membersAdded",), ("timestamp",), ("name",),
]
ODD_VALUES: list[Any] = [None, 0, -1, 1.5, True, [], {}, [1, "a"], {"id": 3}, "", " ", "null", "🙂" * 3]
UNSAFE_CHARS = ["\x00", "\x1b", "\x07", "\x7f", "\x85", "\n", "\ud800", "\udfff"]
ACTIVITY_TYPES = ["event", "typing", "messageReaction", "endOfConversation", "installationUpdate", "MESSAGE", "x"]


def _set(body: dict, path: tuple[str, ...], value: Any) -> None:
    target = body
    for key in path[:-1]:
        if not isinstance(target.get(key), dict):
            target[key] = {}
        target = target[key]
    target[path[-1]] = value


def _get(body: dict, path: tuple[str, ...]) -> Any:
    target: Any = body
    for key in path:
        target = target.get(key) if isinstance(target, dict) else None
    return target


def _delete(body: dict, path: tuple[str, ...]) -> None:
    target = _get(body, path[:-1]) if len(path) > 1 else body
    if isinstance(target, dict):
        target.pop(path[-1], None)


def _mutate(rng: random.Random, body: dict) -> tuple[str, bytes | None]:
    """Apply one or two mutations; returns the kind and, for raw bodies, the bytes to post."""
    kind = rng.choice(
        ["type", "deep", "huge", "unsafe", "missing", "unknown", "invoke", "update", "activity", "value", "raw"]
    )
    path = rng.choice(PATHS)
    depth = 0
    if kind == "type":
        _set(body, path, copy.deepcopy(rng.choice(ODD_VALUES)))
    elif kind == "deep":
        depth = rng.choice([33, 64, 500, 1200, 5000])
        _set(body, path, DEEP)
    elif kind == "huge":
        _set(body, path, rng.choice("aZ9/:") * rng.choice([101, 401, 501, 5000, 60000]))
    elif kind == "unsafe":
        current = _get(body, path)
        text = current if isinstance(current, str) else "x"
        cut = rng.randrange(len(text) + 1)
        _set(body, path, text[:cut] + rng.choice(UNSAFE_CHARS) + text[cut:])
    elif kind == "missing":
        _delete(body, path)
    elif kind == "unknown":
        _set(body, (rng.choice(["zz", "from", "conversation", "channelData"]), f"unknown{rng.randrange(9)}"), {"a": [1]})
    elif kind == "invoke":
        body["type"] = "invoke"
        body["name"] = rng.choice(["task/fetch", "composeExtension/query", "unknown/thing", "", "adaptiveCard/action"])
        body["value"] = rng.choice([None, {}, {"action": {"type": "Action.Execute"}}, [1], "x"])
    elif kind == "update":
        body["type"] = rng.choice(["conversationUpdate", "installationUpdate"])
        body.pop("text", None)
        body["action"] = rng.choice(["add", "remove", "", None, 7])
        body["membersAdded"] = rng.choice(
            [[{"id": "28:lederavtale-bot"}], [{}], [None], [{"id": 5}], [{"id": "28:lederavtale-bot"}] * 50, []]
        )
    elif kind == "activity":
        body["type"] = rng.choice(ACTIVITY_TYPES)
    elif kind == "value":
        depth = rng.choice([9, 20, 500])
        body["value"] = DEEP
        path = ("value",)
    else:
        raw = json.dumps(body).encode()
        return kind, rng.choice(
            [raw[: rng.randrange(len(raw))], b"\xff\xfe" + raw, b"[" * 100_000, b"{}", b"[]", b"null", b'"x"', b""]
        )
    if rng.random() < 0.3 and kind not in ("deep", "value"):
        _delete(body, rng.choice(PATHS))
    text = json.dumps(body)  # lone surrogates come out as \ud800 escapes, as a client would send them
    if depth:
        text = text.replace(json.dumps(DEEP), "[" * depth + "]" * depth, 1)
    return kind, text.encode()


def malformed_bodies(connector) -> list[tuple[str, bytes]]:
    """The same BODIES mutated bodies on every run (fixed seed)."""
    rng = random.Random(SEED)
    bodies = []
    for _ in range(BODIES):
        kind, raw = _mutate(rng, message(connector, rng.choice(["hei", "meny", "1", "🙂", ""])))
        bodies.append((kind, raw))
    return bodies


async def test_generated_malformed_bodies_are_refused_or_served_never_a_500(
    db, database_url, connector, client_for
) -> None:
    await add_leader(db, "Megan Bowen", "meganb@example.com", "aad-megan")
    client = await client_for(make_settings(database_url), dialog_factory=main_dialog)
    statuses: Counter[int] = Counter()
    failures = []
    for kind, raw in malformed_bodies(connector):
        response = await client.post(
            "/api/messages", data=raw, headers={"Content-Type": "application/json"}
        )
        statuses[response.status] += 1
        if response.status >= 500:
            failures.append((kind, raw[:200]))
    apologies = [item for item in connector.activities if item.text == texts.TURN_ERROR]
    assert failures == []
    assert apologies == []
    assert statuses[400] > BODIES // 2
    assert sum(statuses.values()) == BODIES

    connector.clear()
    response = await client.post("/api/messages", json=message(connector, "hei", conversation_id="a:after"))
    assert response.status == 201
    assert connector.sent_to("a:after")


@pytest.mark.parametrize(
    "mutate, reason",
    [
        (lambda body: body.pop("channelId"), "missing channelId"),
        (lambda body: body["conversation"].update(id="a:\x00x"), "conversation.id holds control characters"),
        (lambda body: body["conversation"].update(id="a:\ud800"), "conversation.id holds control characters"),
        (lambda body: body["conversation"].update(tenantId="t" * 101), "conversation.tenantId is longer than 100"),
        (lambda body: body["channelData"]["tenant"].update(id="t\x1b"), "channelData.tenant.id holds control"),
        (lambda body: body["from"].update(aadObjectId="a" * 101), "from.aadObjectId is longer than 100"),
        (lambda body: body.update(serviceUrl="https://x.example/" + "a" * 500), "serviceUrl is longer than 500"),
        (lambda body: body.update(id="\udc00"), "id holds control characters"),
        (lambda body: body.update(value={"a": [[[[[[[[1]]]]]]]]}), "value is nested too deep"),
        (lambda body: body["conversation"].update(id="a" * 400), "conversation.id is too long"),
    ],
)
def test_parse_activity_names_what_is_wrong(connector, mutate, reason) -> None:
    body = message(connector)
    mutate(body)
    with pytest.raises(BadRequest, match=reason.replace(".", r"\.")):
        parse_activity(json.dumps(body).encode())


@pytest.mark.parametrize("depth", [33, 999, 100_000])
def test_parse_activity_refuses_deep_nesting_without_crashing(depth) -> None:
    with pytest.raises(BadRequest, match="nested too deep"):
        parse_activity(('{"type": ' * depth + '"message"' + "}" * depth).encode())


@pytest.mark.parametrize("name", ["task/fetch", "composeExtension/query", "unknown/thing", "adaptiveCard/action"])
async def test_an_unhandled_invoke_gets_an_empty_200(db, database_url, connector, client_for, name) -> None:
    client = await client_for(make_settings(database_url), dialog_factory=main_dialog)
    body = message(connector, None, activity_type="invoke", name=name, value={"data": {}})
    response = await client.post("/api/messages", json=body)
    assert response.status == 200
    assert connector.activities == []
