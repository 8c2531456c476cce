"""A turn's dialog state in ``bot_state``: e_tags checked by the database, keys any string, rows locked on PostgreSQL."""

from __future__ import annotations

import asyncio
import hashlib
import json
import uuid

import pytest
from botbuilder.core import MessageFactory, StoreItem, TurnContext
from botbuilder.dialogs import (
    ComponentDialog,
    DialogInstance,
    DialogState,
    DialogTurnResult,
    PromptOptions,
    TextPrompt,
    WaterfallDialog,
    WaterfallStepContext,
)
from botbuilder.schema import Activity, ActivityTypes, ChannelAccount, ConversationAccount
from sqlalchemy import delete, event, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.turn import DIALOG_STATE, TurnRunner, state_key
from storage.bot_state import (
    MAX_KEY_LENGTH,
    BotStateDataError,
    EtagConflictError,
    StoredState,
    mark_delivered,
    read_state,
    stored_key,
    write_state,
)
from storage.db import create_engine, create_session_factory
from storage.models import BotStateItem
from tests.dialogs.harness import TurnTestAdapter


async def write(engine: AsyncEngine, key: str, item: dict, *, etag: str | None, shown: str | None = None) -> str:
    async with engine.begin() as connection:
        return await write_state(connection, key, item, etag=etag, shown=shown)


async def read(engine: AsyncEngine, key: str) -> StoredState | None:
    async with engine.connect() as connection:
        return await read_state(connection, key, lock=False)


async def stored_keys(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as connection:
        return set((await connection.scalars(select(BotStateItem.key))).all())


async def test_every_write_gives_a_new_etag(engine: AsyncEngine) -> None:
    first = await write(engine, "k", {"n": 1}, etag=None)
    second = await write(engine, "k", {"n": 2}, etag=first)
    third = await write(engine, "k", {"n": 3}, etag=second)

    assert len({first, second, third}) == 3
    assert all(isinstance(etag, str) and etag for etag in (first, second, third))
    stored = await read(engine, "k")
    assert stored.item == {"n": 3}
    assert stored.etag == third


async def test_stale_etag_is_a_conflict_and_changes_nothing(engine: AsyncEngine) -> None:
    stale = await write(engine, "k", {"n": 1}, etag=None, shown="first")
    current = await write(engine, "k", {"n": 2}, etag=stale, shown="second")

    with pytest.raises(EtagConflictError) as raised:
        await write(engine, "k", {"n": 99}, etag=stale, shown="stale")

    assert raised.value.key == "k"
    assert raised.value.expected == stale
    assert await read(engine, "k") == StoredState({"n": 2}, current, "second", None)


async def test_etag_of_a_row_gone_since_is_a_conflict(engine: AsyncEngine) -> None:
    etag = await write(engine, "k", {"n": 1}, etag=None)
    async with engine.begin() as connection:
        await connection.execute(delete(BotStateItem))

    with pytest.raises(EtagConflictError):
        await write(engine, "k", {"n": 2}, etag=etag)
    assert await read(engine, "k") is None


async def test_no_etag_inserts_only_when_there_is_no_row(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        assert await read_state(connection, "k", lock=True) is None
    meanwhile = await write(engine, "k", {"by": "the other turn"}, etag=None, shown="theirs")

    with pytest.raises(EtagConflictError) as raised:
        await write(engine, "k", {"by": "this turn"}, etag=None, shown="mine")

    assert raised.value.expected is None
    assert await read(engine, "k") == StoredState({"by": "the other turn"}, meanwhile, "theirs", None)


async def test_long_keys_are_hashed_deterministically(engine: AsyncEngine, database_url: str) -> None:
    shared = "msteams/conversations/" + "a" * 600
    first, second = shared + "/users/one", shared + "/users/two"
    exact = "e" * MAX_KEY_LENGTH
    for n, key in enumerate((first, second, exact)):
        await write(engine, key, {"n": n}, etag=None)

    assert await stored_keys(engine) == {stored_key(first), stored_key(second), exact}
    assert all(len(key) <= MAX_KEY_LENGTH for key in await stored_keys(engine))
    assert stored_key(first).startswith(shared[: MAX_KEY_LENGTH - 64])
    assert stored_key(first).endswith(hashlib.sha256(first.encode()).hexdigest())

    other_process = create_engine(database_url)
    try:
        assert [(await read(other_process, key)).item for key in (first, second, exact)] == [
            {"n": 0}, {"n": 1}, {"n": 2}
        ]
    finally:
        await other_process.dispose()


@pytest.mark.parametrize(
    "awkward",
    ["msteams/conversations/a\x00b/users/c", "msteams/conversations/\ud800/users/c", "\x00" + "x" * 500 + "\udfff"],
    ids=["nul", "lone-surrogate", "long-with-both"],
)
async def test_keys_postgresql_cannot_hold_are_hashed_and_round_trip(engine: AsyncEngine, awkward: str) -> None:
    etag = await write(engine, awkward, {"n": 1}, etag=None)
    await write(engine, awkward, {"n": 2}, etag=etag)

    assert (await read(engine, awkward)).item == {"n": 2}
    (key,) = await stored_keys(engine)
    assert key == stored_key(awkward)
    assert "\x00" not in key and len(key) <= MAX_KEY_LENGTH
    assert key.endswith(hashlib.sha256(awkward.encode("utf-8", "surrogatepass")).hexdigest())
    storable = awkward.encode("utf-8", "ignore").decode("utf-8").replace("\x00", "")
    assert stored_key(storable) != key  # dropping what cannot be stored would name another chat


async def test_a_key_must_be_a_string(engine: AsyncEngine) -> None:
    with pytest.raises(TypeError, match="must be strings, not int"):
        await read(engine, 5)


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ("{not json", "is not valid JSON"),
        ("[1, 2]", "is not a JSON object"),
        (json.dumps({"py/object": "botbuilder.core.storage.StoreItem", "n": 1}), "is not a mapping"),
    ],
    ids=["not-json", "not-an-object", "not-a-mapping"],
)
async def test_a_corrupt_row_gives_a_clear_error(engine: AsyncEngine, data: str, problem: str) -> None:
    async with engine.begin() as connection:
        await connection.execute(insert(BotStateItem).values(key="broken", etag="x", data=data))

    with pytest.raises(BotStateDataError, match=f"'broken' {problem}"):
        await read(engine, "broken")


async def test_concurrent_writers_with_the_same_etag_one_wins(engine: AsyncEngine, database_url: str) -> None:
    etag = await write(engine, "k", {"winner": None}, etag=None)
    processes = [create_engine(database_url) for _ in range(4)]

    async def attempt(index: int, base: str) -> bool:
        try:
            await write(processes[index], "k", {"winner": index}, etag=base)
        except EtagConflictError:
            return False
        return True

    try:
        for round_number in range(3):
            outcomes = await asyncio.gather(*(attempt(index, etag) for index in range(len(processes))))
            assert outcomes.count(True) == 1, f"round {round_number}: {outcomes}"
            stored = await read(engine, "k")
            assert stored.item == {"winner": outcomes.index(True)}
            etag = stored.etag
    finally:
        for process in processes:
            await process.dispose()


@pytest.mark.postgres
async def test_a_locked_read_waits_for_the_transaction_holding_the_row(postgres_url: str) -> None:
    engines = [create_engine(postgres_url) for _ in range(3)]
    first, second, watcher = engines
    try:
        etag = await write(first, "k", {"n": 1}, etag=None)
        async with first.connect() as holder, second.connect() as waiter, watcher.connect() as watching:
            waiter_pid = await waiter.scalar(text("SELECT pg_backend_pid()"))
            await waiter.rollback()
            transaction = await holder.begin()
            assert (await read_state(holder, "k", lock=True)).etag == etag

            async def locked_read() -> StoredState | None:
                async with waiter.begin():
                    return await read_state(waiter, "k", lock=True)

            async def waits_for_a_lock() -> bool:
                event_type = await watching.scalar(
                    text("SELECT wait_event_type FROM pg_stat_activity WHERE pid = :pid"), {"pid": waiter_pid}
                )
                await watching.rollback()  # the next look gets a fresh snapshot of pg_stat_activity
                return event_type == "Lock"

            waiting = asyncio.create_task(locked_read())
            while not waiting.done() and not await waits_for_a_lock():
                await asyncio.sleep(0.01)
            assert not waiting.done(), "the second locked reader must wait for the row"
            assert (await read(watcher, "k")).etag == etag  # an unlocked read is not held up

            newer = await write_state(holder, "k", {"n": 2}, etag=etag, shown=None)
            await transaction.commit()
            assert await asyncio.wait_for(waiting, timeout=30) == StoredState({"n": 2}, newer, None, None)
    finally:
        for engine in engines:
            await engine.dispose()


async def test_delivery_is_marked_only_while_the_question_is_still_shown(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        assert not await mark_delivered(connection, "k", "t1")  # no state at all

    etag = await write(engine, "k", {"n": 1}, etag=None, shown="t1")
    async with engine.begin() as connection:
        assert not await mark_delivered(connection, "k", "t0")
        assert await mark_delivered(connection, "k", "t1")
    assert await read(engine, "k") == StoredState({"n": 1}, etag, "t1", "t1")

    etag = await write(engine, "k", {"n": 2}, etag=etag, shown="t2")
    async with engine.begin() as connection:
        assert not await mark_delivered(connection, "k", "t1")  # too late: the dialog has moved on
    assert await read(engine, "k") == StoredState({"n": 2}, etag, "t2", "t1")


async def test_object_items_round_trip(engine: AsyncEngine) -> None:
    state = DialogState()
    state.dialog_stack.append(DialogInstance(id="steps", state={"stepIndex": 1, "values": {"name": "Kari"}}))
    item = {"DialogState": state, "pair": (1, 2), "tags": {"x"}, "obj": StoreItem(count=1), "text": "Økonomi"}
    await write(engine, "k", item, etag=None)

    loaded = (await read(engine, "k")).item
    assert isinstance(loaded["DialogState"], DialogState)
    (frame,) = loaded["DialogState"].dialog_stack
    assert isinstance(frame, DialogInstance)
    assert (frame.id, frame.state) == ("steps", {"stepIndex": 1, "values": {"name": "Kari"}})
    assert isinstance(loaded["obj"], StoreItem) and loaded["obj"].count == 1
    assert (loaded["pair"], loaded["tags"], loaded["text"]) == ((1, 2), {"x"}, "Økonomi")


async def test_each_call_is_one_statement(engine: AsyncEngine) -> None:
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:
        verb = statement.lstrip().split()[0].upper()
        if verb in {"SELECT", "INSERT", "UPDATE", "DELETE"}:
            statements.append(verb)

    def calls(expected: list[str]) -> None:
        assert statements == expected
        statements.clear()

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        async with engine.begin() as connection:
            assert await read_state(connection, "k", lock=True) is None
            calls(["SELECT"])
            etag = await write_state(connection, "k", {"n": 1}, etag=None, shown="t1")
            calls(["INSERT"])
            etag = await write_state(connection, "k", {"n": 2}, etag=etag, shown="t1")
            calls(["UPDATE"])
            assert (await read_state(connection, "k", lock=True)).etag == etag
            calls(["SELECT"])
            with pytest.raises(EtagConflictError):
                await write_state(connection, "k", {"n": 3}, etag="stale", shown=None)
            calls(["UPDATE"])
            with pytest.raises(EtagConflictError):
                await write_state(connection, "k", {"n": 3}, etag=None, shown=None)
            calls(["INSERT"])
            assert await mark_delivered(connection, "k", "t1")
            calls(["UPDATE"])
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


class _Flow(ComponentDialog):
    def __init__(self) -> None:
        super().__init__("flow")
        self.add_dialog(TextPrompt("text"))
        self.add_dialog(WaterfallDialog("steps", [_ask_name_step, _ask_unit_step, _summary_step]))
        self.initial_dialog_id = "steps"


async def test_dialog_continues_after_a_restart(database_url: str) -> None:
    template = Activity(
        channel_id="msteams",
        service_url="https://smba.example.test/",
        conversation=ConversationAccount(id="personal-kari"),
        from_property=ChannelAccount(id="user-kari"),
        recipient=ChannelAccount(id="bot"),
    )
    key = state_key(template)

    async def turn(text_in: str) -> list[str]:
        engine = create_engine(database_url)  # a new process: new engine, runner and dialogs
        try:
            runner = TurnRunner(create_session_factory(engine), _Flow())

            async def logic(turn_context: TurnContext) -> None:
                await runner.run(turn_context)

            adapter = TurnTestAdapter(logic, template)
            # Unique, as Teams' are: a new adapter counts from 1 again, which the turn would take for a repeat.
            await adapter.receive_activity(Activity(type=ActivityTypes.message, text=text_in, id=uuid.uuid4().hex))
            replies = []
            while (reply := adapter.get_next_activity()) is not None:
                replies.append(reply.text)
            return replies
        finally:
            await engine.dispose()

    async def stored() -> tuple[DialogState, int]:
        engine = create_engine(database_url)
        try:
            async with engine.connect() as connection:
                state = await read_state(connection, key, lock=False)
                rows = await connection.scalar(select(func.count()).select_from(BotStateItem))
        finally:
            await engine.dispose()
        return state.item[DIALOG_STATE], rows

    assert await turn("hei") == ["name?"]
    assert await turn("Kari") == ["unit?"]

    dialog_state, rows = await stored()
    assert isinstance(dialog_state, DialogState)
    steps = dialog_state.dialog_stack[0].state["dialogs"].dialog_stack[-1]
    assert steps.id == "steps"
    assert steps.state["stepIndex"] == 1
    assert steps.state["values"] == {"name": "Kari"}
    assert rows == 1

    assert await turn("Økonomi") == ["Kari / Økonomi"]
    dialog_state, rows = await stored()
    assert dialog_state.dialog_stack == []
    assert rows == 1
