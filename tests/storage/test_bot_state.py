import asyncio
import hashlib
import json

import pytest
from botbuilder.core import ConversationState, MessageFactory, StoreItem
from botbuilder.dialogs import (
    ComponentDialog,
    DialogInstance,
    DialogState,
    DialogTurnResult,
    DialogTurnStatus,
    PromptOptions,
    TextPrompt,
    WaterfallDialog,
    WaterfallStepContext,
)
from botbuilder.testing import DialogTestClient
from botbuilder.testing.storage_base_tests import StorageBaseTests
from sqlalchemy import event, func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from storage.bot_state import (
    MAX_KEY_LENGTH,
    BotStateDataError,
    EtagConflictError,
    SqlAlchemyStorage,
    stored_key,
)
from storage.db import create_engine, create_session_factory
from storage.models import BotStateItem

CONFORMANCE_TESTS = sorted(
    name for name, member in vars(StorageBaseTests).items() if isinstance(member, staticmethod)
)


@pytest.fixture
def storage(session_factory: async_sessionmaker[AsyncSession]) -> SqlAlchemyStorage:
    return SqlAlchemyStorage(session_factory)


def test_conformance_suite_is_found() -> None:
    assert len(CONFORMANCE_TESTS) >= 11
    assert "update_object" in CONFORMANCE_TESTS
    assert "proceeds_through_waterfall" in CONFORMANCE_TESTS


@pytest.mark.parametrize("name", CONFORMANCE_TESTS)
async def test_storage_base_conformance(storage: SqlAlchemyStorage, name: str) -> None:
    assert await getattr(StorageBaseTests, name)(storage) is True


async def test_every_write_gives_a_new_etag(storage: SqlAlchemyStorage) -> None:
    await storage.write({"k": {"n": 1}})
    first = (await storage.read(["k"]))["k"]
    await storage.write({"k": first})
    second = (await storage.read(["k"]))["k"]
    await storage.write({"k": {"n": 3}})
    third = (await storage.read(["k"]))["k"]

    etags = {first["e_tag"], second["e_tag"], third["e_tag"]}
    assert len(etags) == 3
    assert all(isinstance(etag, str) and etag for etag in etags)
    assert third["n"] == 3


async def test_stale_etag_is_a_conflict_and_changes_nothing(storage: SqlAlchemyStorage) -> None:
    await storage.write({"k": {"n": 1}})
    loaded = (await storage.read(["k"]))["k"]
    await storage.write({"k": {**loaded, "n": 2}})

    with pytest.raises(EtagConflictError) as raised:
        await storage.write({"k": {**loaded, "n": 99}})

    current = (await storage.read(["k"]))["k"]
    assert current["n"] == 2
    assert isinstance(raised.value, KeyError)  # MemoryStorage raises KeyError
    assert str(raised.value).startswith("Etag conflict.\nOriginal: " + loaded["e_tag"])
    assert raised.value.current == current["e_tag"]
    assert raised.value.key == "k"


async def test_wildcard_and_missing_etag_overwrite(storage: SqlAlchemyStorage) -> None:
    await storage.write({"a": {"n": 1}, "b": {"n": 1}})
    await storage.write({"a": {"n": 2, "e_tag": "*"}, "b": {"n": 2, "e_tag": None}})
    loaded = await storage.read(["a", "b"])
    assert loaded["a"]["n"] == 2
    assert loaded["b"]["n"] == 2


async def test_empty_etag_is_rejected(storage: SqlAlchemyStorage) -> None:
    with pytest.raises(ValueError, match="etag missing"):
        await storage.write({"k": {"n": 1, "e_tag": ""}})
    assert await storage.read(["k"]) == {}


async def test_unknown_key_with_an_etag_is_inserted_like_memory_storage(
    storage: SqlAlchemyStorage,
) -> None:
    await storage.write({"new": {"n": 1, "e_tag": "made-up"}})
    loaded = (await storage.read(["new"]))["new"]
    assert loaded["n"] == 1
    assert loaded["e_tag"] != "made-up"
    with pytest.raises(EtagConflictError):
        await storage.write({"new": {"n": 2, "e_tag": "made-up"}})


async def test_write_is_all_or_nothing(storage: SqlAlchemyStorage) -> None:
    await storage.write({"b": {"n": 1}})
    stale = (await storage.read(["b"]))["b"]
    await storage.write({"b": {"n": 2}})

    with pytest.raises(EtagConflictError):
        await storage.write({"a": {"n": 1}, "b": {**stale, "n": 3}})

    assert await storage.read(["a"]) == {}
    assert (await storage.read(["b"]))["b"]["n"] == 2


async def test_write_does_not_touch_the_callers_item(storage: SqlAlchemyStorage) -> None:
    item = {"n": 1, "e_tag": "*"}
    await storage.write({"k": item})
    assert item == {"n": 1, "e_tag": "*"}


async def test_store_item_objects_round_trip(storage: SqlAlchemyStorage) -> None:
    await storage.write({"obj": StoreItem(count=1, e_tag="*")})
    loaded = (await storage.read(["obj"]))["obj"]
    assert isinstance(loaded, StoreItem)
    assert loaded.count == 1
    stale_etag = loaded.e_tag

    loaded.count = 2
    await storage.write({"obj": loaded})
    with pytest.raises(EtagConflictError):
        await storage.write({"obj": StoreItem(count=3, e_tag=stale_etag)})
    assert (await storage.read(["obj"]))["obj"].count == 2


async def test_non_json_values_survive(storage: SqlAlchemyStorage) -> None:
    state = DialogState()
    state.dialog_stack.append(DialogInstance())
    await storage.write({"k": {"dialog": state, "pair": (1, 2), "tags": {"x"}}})
    loaded = (await storage.read(["k"]))["k"]
    assert isinstance(loaded["dialog"], DialogState)
    assert len(loaded["dialog"].dialog_stack) == 1
    assert loaded["pair"] == (1, 2)
    assert loaded["tags"] == {"x"}


async def test_long_keys_are_hashed_deterministically(
    storage: SqlAlchemyStorage, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    shared = "msteams/conversations/" + "a" * 600
    first, second = shared + "/one", shared + "/two"
    exact = "e" * MAX_KEY_LENGTH

    await storage.write({first: {"n": 1}, second: {"n": 2}, exact: {"n": 3}})

    other = SqlAlchemyStorage(session_factory)
    loaded = await other.read([first, second, exact])
    assert {key: item["n"] for key, item in loaded.items()} == {first: 1, second: 2, exact: 3}

    async with session_factory() as session:
        keys = set((await session.scalars(select(BotStateItem.key))).all())
    assert exact in keys
    assert stored_key(first) in keys and stored_key(second) in keys
    assert all(len(key) <= MAX_KEY_LENGTH for key in keys)
    assert stored_key(first).endswith(hashlib.sha256(first.encode()).hexdigest())

    await other.delete([first])
    assert set(await storage.read([first, second])) == {second}


async def test_keys_postgresql_cannot_hold_are_hashed(storage: SqlAlchemyStorage) -> None:
    awkward = "conversation\x00with-nul"
    await storage.write({awkward: {"n": 1}})
    assert (await storage.read([awkward]))[awkward]["n"] == 1
    assert "\x00" not in stored_key(awkward)


async def test_read_and_delete_of_nothing(storage: SqlAlchemyStorage) -> None:
    assert await storage.read([]) == {}
    await storage.delete([])
    await storage.delete(set())


async def test_bad_input_gets_clear_errors(storage: SqlAlchemyStorage) -> None:
    with pytest.raises(ValueError, match="Keys are required when deleting"):
        await storage.delete(None)
    with pytest.raises(TypeError, match="single str"):
        await storage.read("k")
    with pytest.raises(TypeError, match="must be strings"):
        await storage.read([1])
    with pytest.raises(TypeError, match="mapping"):
        await storage.write([("k", {})])
    with pytest.raises(TypeError, match="dict or an object"):
        await storage.write({"k": 5})
    with pytest.raises(TypeError, match="e_tag"):
        await storage.write({"k": {"e_tag": 5}})


async def test_corrupt_row_gives_a_clear_error(
    storage: SqlAlchemyStorage, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    async with session_factory() as session, session.begin():
        session.add(BotStateItem(key="broken", etag="x", data="{not json"))
    with pytest.raises(BotStateDataError, match="broken"):
        await storage.read(["broken"])


async def test_concurrent_writers_with_the_same_etag_one_wins(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    writers = [SqlAlchemyStorage(session_factory) for _ in range(5)]
    await writers[0].write({"k": {"winner": None}})
    for round_number in range(3):
        base = (await writers[0].read(["k"]))["k"]

        async def attempt(index: int) -> bool:
            try:
                await writers[index].write({"k": {**base, "winner": index}})
            except EtagConflictError:
                return False
            return True

        outcomes = await asyncio.gather(*(attempt(i) for i in range(len(writers))))
        assert outcomes.count(True) == 1, f"round {round_number}: {outcomes}"
        stored = (await writers[0].read(["k"]))["k"]
        assert stored["winner"] == outcomes.index(True)


async def test_writer_waiting_on_a_locked_row_loses_to_the_lock_holder(
    database_url: str, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    storage = SqlAlchemyStorage(session_factory)
    await storage.write({"k": {"n": 1}})
    base = (await storage.read(["k"]))["k"]

    other_process = create_engine(database_url)  # the lock holder: another node or command
    try:
        async with other_process.connect() as holder:
            transaction = await holder.begin()
            await holder.execute(
                text("UPDATE bot_state SET etag = 'held', data = :data WHERE key = 'k'"),
                {"data": json.dumps({"n": 2})},
            )
            waiting = asyncio.create_task(storage.write({"k": {**base, "n": 3}}))
            await asyncio.sleep(0.5)
            assert not waiting.done(), "the second writer must wait for the row (or database) lock"
            await transaction.commit()
            with pytest.raises(EtagConflictError):
                await asyncio.wait_for(waiting, timeout=20)
    finally:
        await other_process.dispose()

    loaded = (await storage.read(["k"]))["k"]
    assert loaded["n"] == 2
    assert loaded["e_tag"] == "held"


async def test_round_trips_per_call(engine: AsyncEngine, storage: SqlAlchemyStorage) -> None:
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement.lstrip().split()[0].upper())

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        await storage.write({"a": {"n": 1}, "b": {"n": 2}, "c": {"n": 3}})
        writes = [s for s in statements if s in {"INSERT", "UPDATE", "SELECT", "DELETE"}]
        assert writes == ["INSERT", "INSERT", "INSERT"]

        statements.clear()
        assert len(await storage.read(["a", "b", "c", "missing"])) == 3
        assert [s for s in statements if s != "BEGIN"] == ["SELECT"]

        statements.clear()
        await storage.delete(["a", "b", "c"])
        assert [s for s in statements if s in {"SELECT", "DELETE"}] == ["DELETE"]
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)


async def _ask_name_step(step: WaterfallStepContext) -> DialogTurnResult:
    return await step.prompt("text", PromptOptions(prompt=MessageFactory.text("name?")))


async def _ask_unit_step(step: WaterfallStepContext) -> DialogTurnResult:
    step.values["name"] = step.result
    return await step.prompt("text", PromptOptions(prompt=MessageFactory.text("unit?")))


async def _summary_step(step: WaterfallStepContext) -> DialogTurnResult:
    await step.context.send_activity(f"{step.values['name']} / {step.result}")
    return await step.end_dialog(step.values["name"])


async def test_dialog_continues_after_a_restart(database_url: str) -> None:
    class Flow(ComponentDialog):
        def __init__(self) -> None:
            super().__init__("flow")
            self.add_dialog(TextPrompt("text"))
            self.add_dialog(
                WaterfallDialog("steps", [_ask_name_step, _ask_unit_step, _summary_step])
            )
            self.initial_dialog_id = "steps"

    async def turn(text_in: str) -> tuple[str, DialogTurnStatus]:
        engine = create_engine(database_url)  # a new process: new engine, storage and dialogs
        try:
            storage = SqlAlchemyStorage(create_session_factory(engine))
            client = DialogTestClient("test", Flow(), conversation_state=ConversationState(storage))
            reply = await client.send_activity(text_in)
            return reply.text, client.dialog_turn_result.status
        finally:
            await engine.dispose()

    assert await turn("hei") == ("name?", DialogTurnStatus.Waiting)
    assert await turn("Kari") == ("unit?", DialogTurnStatus.Waiting)

    engine = create_engine(database_url)
    try:
        stored = await SqlAlchemyStorage(create_session_factory(engine)).read(
            ["test/conversations/Convo1"]
        )
        async with engine.connect() as conn:
            rows = await conn.scalar(select(func.count()).select_from(BotStateItem))
    finally:
        await engine.dispose()
    dialog_state = stored["test/conversations/Convo1"]["DialogState"]
    assert isinstance(dialog_state, DialogState)
    steps = dialog_state.dialog_stack[0].state["dialogs"].dialog_stack[-1]
    assert steps.id == "steps"
    assert steps.state["stepIndex"] == 1
    assert steps.state["values"] == {"name": "Kari"}
    assert rows == 1

    assert await turn("Økonomi") == ("Kari / Økonomi", DialogTurnStatus.Complete)
