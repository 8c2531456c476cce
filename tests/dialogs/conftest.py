"""Fixtures for dialog tests: a pair of leaders, the dialogs' collaborators and chats."""

from __future__ import annotations

import pytest

from dialogs.main_dialog import MainDialog
from storage.bot_state import SqlAlchemyStorage
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
    return make_deps(session_factory, clock=clock)


@pytest.fixture
def storage(session_factory) -> SqlAlchemyStorage:
    """Dialog state in the test database, as the service keeps it (never MemoryStorage)."""
    return SqlAlchemyStorage(session_factory)


@pytest.fixture
def main_dialog(deps) -> MainDialog:
    return MainDialog(deps)


@pytest.fixture
def chat_for(main_dialog, storage):
    """Open a chat for a leader: ``chat_for(leader_id)``."""

    def open_chat(leader_id: int) -> Chat:
        return Chat(main_dialog, leader_id, storage)

    return open_chat
