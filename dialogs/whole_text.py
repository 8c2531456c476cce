"""One answer shown whole, from the button under its shortened text: at any step, without leaving it."""

from __future__ import annotations

import logging

from botbuilder.core import MessageFactory
from botbuilder.schema import Activity
from sqlalchemy.ext.asyncio import AsyncSession

from agreement.answers import GOAL_FOLLOWUP_PREFIX, read_answers
from agreement.errors import AccessDenied, NotFound
from agreement.goals import list_goals
from agreement.opening import AgreementAccess, open_agreement
from bot.cards import to_activity
from dialogs.cards.whole_text import whole_text_card
from dialogs.questions import describe
from dialogs.texts import common
from dialogs.texts import questions as qtexts
from storage.models import Answer, Phase

logger = logging.getLogger(__name__)


def _database_id(value: object) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**63:
        return None
    return value


async def _label(session: AsyncSession, opened: AgreementAccess, answer: Answer) -> str:
    """The question an answer answers (a goal's follow-up names the goal), or what the text is."""
    key = answer.question_key
    try:
        if key.startswith(GOAL_FOLLOWUP_PREFIX):
            goals = {goal.id: goal for goal in await list_goals(session, opened, phase=Phase.AGREEMENT)}
            return describe(opened.template, key, goals).label
        return opened.template.field(key).label
    except KeyError:  # the subordinate's comments, or a goal removed since
        return qtexts.COMMENTS_LABEL


async def whole_text_activity(session: AsyncSession, leader_id: int, data: dict) -> Activity:
    """The answer the button names, whole, if this leader may read it."""
    agreement_id, answer_id = _database_id(data.get("agreement_id")), _database_id(data.get("answer_id"))
    if agreement_id is None or answer_id is None:
        return MessageFactory.text(common.TEXT_NOT_FOUND)
    try:
        opened = await open_agreement(session, leader_id, agreement_id)
    except (AccessDenied, NotFound):
        logger.info("Leader %s refused a text of agreement %s", leader_id, agreement_id)
        return MessageFactory.text(common.TEXT_NOT_FOUND)
    answer = next((a for a in await read_answers(session, opened) if a.id == answer_id), None)
    if answer is None:
        return MessageFactory.text(common.TEXT_NOT_FOUND)
    who = qtexts.CONTEXT_OWN if answer.author_id == opened.viewer.id else opened.other.name
    content = whole_text_card(who, await _label(session, opened, answer), answer.text)
    return to_activity(content, summary=common.WHOLE_TEXT_TITLE)
