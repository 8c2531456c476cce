"""The dialog-state codec writes and reads exactly jsonpickle's format, and hands over what it cannot.

Plain dialog state (botbuilder objects, enums, dicts, lists) is encoded and decoded without calling
jsonpickle, which is the point of the codec; anything else is handed to jsonpickle whole.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from botbuilder.dialogs import DialogInstance, DialogState, PromptOptions
from botbuilder.schema import Activity, ActivityTypes, Attachment, InputHints
from jsonpickle.pickler import Pickler
from jsonpickle.unpickler import Unpickler
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from storage import state_codec
from storage.bot_state import read_state, write_state
from storage.models import BotStateItem


@pytest.fixture
def jsonpickle_calls(monkeypatch) -> list[tuple[str, object]]:
    """Every top-level call of jsonpickle's Pickler.flatten and Unpickler.restore, with its argument."""
    calls: list[tuple[str, object]] = []
    flatten, restore = Pickler.flatten, Unpickler.restore

    def counted_flatten(self, obj, *args, **kwargs):
        calls.append(("flatten", obj))
        return flatten(self, obj, *args, **kwargs)

    def counted_restore(self, obj, *args, **kwargs):
        calls.append(("restore", obj))
        return restore(self, obj, *args, **kwargs)

    monkeypatch.setattr(Pickler, "flatten", counted_flatten)
    monkeypatch.setattr(Unpickler, "restore", counted_restore)
    return calls


def as_json(value):
    """``value`` after a trip through JSON text, as it comes back from the database."""
    return json.loads(json.dumps(value))


def prompt(text: str) -> Activity:
    return Activity(
        type=ActivityTypes.message,
        text=text,
        input_hint=InputHints.expecting_input,
        attachments=[Attachment(content_type="application/vnd.microsoft.card.adaptive",
                                content={"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "TextBlock", "text": text}]})],
    )


def dialog_state() -> dict:
    shared_values = {"agreement_id": 7, "keys": ["styringsbrev.bidrag", "styringsbrev.notat"]}
    first, retry = prompt("Hva er leders viktigste bidrag?"), prompt("Skriv et svar, eller «avbryt».")
    return {
        "DialogState": DialogState([
            DialogInstance(id="main", state={"dialogs": DialogState([
                DialogInstance(id="questions.loop", state={"options": shared_values, "values": {"index": 0}, "stepIndex": 0}),
                DialogInstance(id="questions.text", state={
                    "options": PromptOptions(prompt=first, retry_prompt=retry, validations={"max_length": 4000}),
                    "state": {"attemptCount": 2}, "again": shared_values,
                }),
            ])}),
        ]),
        "numbers": [0, -1, 2.5, True, False, None, "æøå «»"],
        "same_prompt_twice": [first, first],
    }


STATES = {
    "dialog stack with prompts, repeated enums and shared values": dialog_state,
    "empty": dict,
    "plain data": lambda: {"a": [1, {"b": None}], "c": "d"},
    "one enum, then again": lambda: {"a": InputHints.expecting_input, "b": [InputHints.expecting_input]},
    "a list met twice": lambda: (lambda shared: {"x": shared, "y": [shared]})([1, 2]),
}


@pytest.mark.parametrize("make", STATES.values(), ids=STATES.keys())
def test_plain_states_match_jsonpickle_without_calling_it(make, jsonpickle_calls) -> None:
    item = make()
    expected = Pickler().flatten(item)
    jsonpickle_calls.clear()
    flat = state_codec.encode(item)
    restored = state_codec.decode(as_json(flat))
    assert jsonpickle_calls == []
    assert flat == expected
    assert Pickler().flatten(restored) == Pickler().flatten(Unpickler(safe=True).restore(as_json(flat))) == expected


def test_shared_objects_stay_shared_after_decoding() -> None:
    restored = state_codec.decode(json.loads(json.dumps(state_codec.encode(dialog_state()))))
    first, second = restored["same_prompt_twice"]
    assert first is second and first.input_hint is InputHints.expecting_input
    inner = restored["DialogState"].dialog_stack[0].state["dialogs"].dialog_stack
    assert inner[1].state["again"] is inner[0].state["options"]
    assert isinstance(inner[1].state["options"], PromptOptions) and inner[1].state["options"].prompt.text.startswith("Hva")


UNUSUAL = {
    "a datetime": lambda: {"at": datetime(2026, 3, 31, 12, 0, tzinfo=timezone.utc)},
    "a tuple": lambda: {"pair": (1, 2)},
    "a set": lambda: {"keys": {"a"}},
    "a non-string key": lambda: {1: "one"},
    "an object from elsewhere": lambda: {"activity": Activity(timestamp=datetime(2026, 1, 1, tzinfo=timezone.utc))},
    "a key jsonpickle reserves": lambda: {"py/object": "not really"},
    "not a finite number": lambda: {"x": float("inf")},
}


@pytest.mark.parametrize("make", UNUSUAL.values(), ids=UNUSUAL.keys())
def test_anything_else_is_handed_to_jsonpickle_whole(make, jsonpickle_calls) -> None:
    item = make()
    flat = state_codec.encode(item)
    assert jsonpickle_calls[0] == ("flatten", item)  # the first call gets the whole item
    assert flat == Pickler().flatten(item)


@pytest.mark.parametrize(
    "document",
    [
        {"a": {"py/tuple": [1, 2]}},
        Pickler().flatten({"a": datetime(2026, 3, 31, 12, 0, tzinfo=timezone.utc)}),
        {"a": {"py/object": "argparse.Namespace"}},  # not a class the fast path rebuilds
        {"a": {"py/reduce": [{"py/type": "builtins.len"}, {"py/tuple": ["abc"]}]}},  # nor a call it makes
        {"a": {"py/id": 5}},  # refers to nothing yet
    ],
    ids=["a tuple", "a datetime", "a class outside botbuilder", "a reduce that is no botbuilder enum", "a dangling id"],
)
def test_documents_outside_the_fast_path_are_read_by_jsonpickle(document, jsonpickle_calls) -> None:
    expected = Unpickler(safe=True).restore(as_json(document))
    jsonpickle_calls.clear()
    restored = state_codec.decode(as_json(document))
    assert jsonpickle_calls[0] == ("restore", as_json(document))
    assert type(restored["a"]) is type(expected["a"])
    assert Pickler().flatten(restored) == Pickler().flatten(expected)


@pytest.mark.parametrize(
    "document",
    [
        {"py/object": 5},
        {"py/reduce": [{"py/type": "botbuilder.schema._models_py3.Activity"}, {"py/tuple": ["x"]}]},
        {"py/reduce": "not a list"},
        {"py/id": "0"},
    ],
)
def test_malformed_tags_are_left_to_jsonpickle(document, jsonpickle_calls) -> None:
    state_codec.decode(as_json(state_codec.encode(prompt("hei"))))  # Activity is now a known class
    with pytest.raises(Exception) as by_jsonpickle:
        Unpickler(safe=True).restore(as_json(document))
    jsonpickle_calls.clear()
    with pytest.raises(type(by_jsonpickle.value)):
        state_codec.decode(as_json(document))
    assert jsonpickle_calls[0] == ("restore", as_json(document))


async def test_the_bot_state_row_holds_jsonpickles_document(engine: AsyncEngine) -> None:
    state = dialog_state()
    async with engine.begin() as connection:
        await write_state(connection, "msteams/conversations/a:megan", state, etag=None, shown=None)
    async with engine.connect() as connection:
        stored = await connection.scalar(select(BotStateItem.data).where(BotStateItem.key == "msteams/conversations/a:megan"))
        read = await read_state(connection, "msteams/conversations/a:megan", lock=False)
    assert json.loads(stored) == Pickler().flatten(state)
    assert Pickler().flatten(read.item) == Pickler().flatten(state)
