"""Units of work for the dialogs: access-checked agreement work, refusals as messages, notifying."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import TypeVar
from zoneinfo import ZoneInfo

from botbuilder.core import TurnContext
from botbuilder.schema import Activity
from sqlalchemy.ext.asyncio import AsyncSession

from agreement import service
from agreement.errors import (
    AccessDenied,
    AgreementError,
    AgreementLocked,
    AnswerEmpty,
    AnswerTooLong,
    ConcurrentChange,
    InvalidChoice,
    InvalidState,
    NotFound,
)
from agreement.service import AgreementAccess
from dialogs.deps import DialogDeps
from dialogs.texts import common
from dialogs.texts import questions as qtexts
from storage.models import Phase

logger = logging.getLogger(__name__)

T = TypeVar("T")
Work = Callable[[AsyncSession, AgreementAccess], Awaitable[T]]


async def change(deps: DialogDeps, leader_id: int, agreement_id: int, work: Work[T]) -> T:
    """Open the agreement as ``leader_id`` and run ``work`` in its own committed transaction."""

    async def unit(session: AsyncSession) -> T:
        opened = await service.open_agreement(session, leader_id, agreement_id)
        return await work(session, opened)

    return await service.run_in_transaction(deps.session_factory, unit)


async def read(deps: DialogDeps, leader_id: int, agreement_id: int, work: Work[T]) -> T:
    """Open the agreement as ``leader_id`` and run read-only ``work``."""
    async with deps.session_factory() as session:
        opened = await service.open_agreement(session, leader_id, agreement_id)
        return await work(session, opened)


def error_message(exc: AgreementError) -> str:
    """The polite Norwegian message for a refusal; never says anything about the agreement."""
    if isinstance(exc, (AccessDenied, NotFound)):
        return common.NO_ACCESS
    if isinstance(exc, AgreementLocked):
        return common.LOCKED
    if isinstance(exc, ConcurrentChange):
        return common.CONCURRENT
    if isinstance(exc, AnswerEmpty):
        return common.EMPTY
    if isinstance(exc, AnswerTooLong):
        return common.TOO_LONG.format(length=exc.length, limit=exc.limit)
    if isinstance(exc, InvalidChoice):
        return qtexts.CHOICE_COUNT.format(
            given=common.number_word(exc.given),
            minimum=common.number_word(exc.minimum),
            maximum=common.number_word(exc.maximum),
        )
    if isinstance(exc, InvalidState):
        return common.INVALID_STATE
    return common.INVALID_STATE


def local_now(deps: DialogDeps) -> datetime:
    """Now in the service's time zone."""
    return deps.clock().astimezone(ZoneInfo(deps.settings.timezone))


def today(deps: DialogDeps) -> date:
    """Today's date in the service's time zone."""
    return local_now(deps).date()


def local(deps: DialogDeps, moment: datetime) -> datetime:
    """A stored timestamp in the service's time zone (SQLite gives them back naive, in UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo("UTC"))
    return moment.astimezone(ZoneInfo(deps.settings.timezone))


async def notify(deps: DialogDeps, turn_context: TurnContext, leader_id: int, name: str, activity: Activity) -> None:
    """Tell the other leader; if that fails, the leader in this conversation is told so."""
    try:
        await deps.notifier.notify(leader_id, activity)
    except Exception:  # the proactive path can fail in many ways; the flow itself has succeeded
        logger.warning("Could not notify leader %s", leader_id, exc_info=True)
        await turn_context.send_activity(common.NOTIFY_FAILED.format(name=name))


async def on_changed(session: AsyncSession, opened: AgreementAccess, phase: Phase) -> None:
    """After a change to the agreed text: an agreement already sent for review must be sent again."""
    if phase is Phase.AGREEMENT and opened.agreement.filled_at is not None:
        await service.withdraw_from_review(session, opened)


async def just_opened(session: AsyncSession, opened: AgreementAccess) -> AgreementAccess:
    """Work that only opens the agreement (checking access) and returns it."""
    return opened
