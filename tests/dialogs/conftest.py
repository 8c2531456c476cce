"""Fixtures for dialog tests: a pair of leaders, the dialogs' collaborators and chats."""

from __future__ import annotations

import pytest

from dialogs.main_dialog import MainDialog
from tests.dialogs.harness import Chat, Clock, make_deps
from tests.support.factories import Pair, make_pair


@pytest.fixture
async def pair(session_factory) -> Pair:
    return await make_pair(session_factory)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def deps(session_factory, clock):
    return make_deps(clock=clock)


@pytest.fixture
def main_dialog(deps) -> MainDialog:
    return MainDialog(deps)


@pytest.fixture
def chat_for(main_dialog, session_factory):
    """Open a chat for a leader: ``chat_for(leader_id)``."""

    def open_chat(leader_id: int) -> Chat:
        return Chat(main_dialog, leader_id, session_factory)

    return open_chat


@pytest.fixture(autouse=True)
def state_codec_matches_jsonpickle(monkeypatch):
    """Every dialog state the dialogs write is encoded and decoded exactly as jsonpickle would."""
    import json

    from jsonpickle.pickler import Pickler
    from jsonpickle.unpickler import Unpickler

    from storage import state_codec

    encode, decode = state_codec.encode, state_codec.decode
    checked = {"encoded": 0, "decoded": 0, "jsonpickle": 0}

    def checked_encode(item):
        flat = encode(item)
        assert flat == Pickler().flatten(item)
        checked["encoded"] += 1
        try:
            state_codec._Flattener().flatten(item)
        except state_codec._NotPlain:
            checked["jsonpickle"] += 1  # handed to jsonpickle
        return flat

    def checked_decode(document):
        expected = Unpickler(safe=True).restore(json.loads(json.dumps(document)))
        restored = decode(document)
        assert Pickler().flatten(restored) == Pickler().flatten(expected)
        checked["decoded"] += 1
        return restored

    monkeypatch.setattr(state_codec, "encode", checked_encode)
    monkeypatch.setattr(state_codec, "decode", checked_decode)
    return checked
