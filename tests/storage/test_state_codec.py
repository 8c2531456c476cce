"""The dialog-state codec writes and reads exactly jsonpickle's format, and hands over what it cannot."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from botbuilder.dialogs import DialogInstance, DialogState, PromptOptions
from botbuilder.schema import Activity, ActivityTypes, Attachment, InputHints
from jsonpickle.pickler import Pickler
from jsonpickle.unpickler import Unpickler

from storage import state_codec


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
def test_plain_states_take_the_fast_path_and_match_jsonpickle(make) -> None:
    item = make()
    flat = state_codec._Flattener().flatten(item)  # raises if the fast path could not take it
    assert flat == Pickler().flatten(item)
    document = json.loads(json.dumps(flat))
    restored = state_codec.decode(json.loads(json.dumps(flat)))
    expected = Unpickler(safe=True).restore(document)
    assert Pickler().flatten(restored) == Pickler().flatten(expected) == flat


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
def test_anything_else_is_handed_to_jsonpickle_whole(make) -> None:
    item = make()
    with pytest.raises(state_codec._NotPlain):
        state_codec._Flattener().flatten(item)
    assert state_codec.encode(item) == Pickler().flatten(item)


@pytest.mark.parametrize(
    "document",
    [
        {"a": {"py/tuple": [1, 2]}},
        Pickler().flatten({"a": datetime(2026, 3, 31, 12, 0, tzinfo=timezone.utc)}),
        {"a": {"py/object": "os._wrap_close"}},  # not a class the fast path rebuilds
        {"a": {"py/id": 5}},  # refers to nothing yet
        {"a": {"py/reduce": [{"py/type": "builtins.print"}, {"py/tuple": ["x"]}]}},
    ],
)
def test_documents_outside_the_fast_path_are_read_by_jsonpickle(document) -> None:
    expected = Unpickler(safe=True).restore(json.loads(json.dumps(document)))
    restored = state_codec.decode(json.loads(json.dumps(document)))
    assert type(restored["a"]) is type(expected["a"])


def test_decoding_never_rebuilds_a_class_outside_botbuilder() -> None:
    with pytest.raises(state_codec._NotPlain):
        state_codec._Restorer().restore({"py/object": "subprocess.Popen"})
    with pytest.raises(state_codec._NotPlain):
        state_codec._Restorer().restore({"py/reduce": [{"py/type": "os.system"}, {"py/tuple": ["true"]}]})


@pytest.mark.parametrize(
    "document",
    [
        {"py/object": 5},
        {"py/reduce": [{"py/type": "botbuilder.schema._models_py3.Activity"}, {"py/tuple": ["x"]}]},
        {"py/reduce": "not a list"},
        {"py/id": "0"},
    ],
)
def test_malformed_tags_never_take_the_fast_path(document) -> None:
    state_codec._class_named("botbuilder.schema._models_py3.Activity")  # cached as an object class
    with pytest.raises(state_codec._NotPlain):
        state_codec._Restorer().restore(document)
