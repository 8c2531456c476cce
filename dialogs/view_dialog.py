""""Se avtalen": everything of one agreement its viewer may see, at any stage and in later years.

What is shown is read through the access-checked paths: the own preparation, the other leader's
once both are done, the agreed text with the signatures, the autumn reflections as the access
rules open them, and the recorded follow-up.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from botbuilder.dialogs import DialogTurnResult, WaterfallDialog, WaterfallStepContext
from botbuilder.schema import Activity
from sqlalchemy.ext.asyncio import AsyncSession

from agreement.access import Role
from agreement.opening import AgreementAccess, agreements_of, earlier_years
from agreement.progress import comments_pending, review_comment
from agreement.status import both_prepared, is_signed
from bot import actions
from bot.cards import Element, container, submit, text, to_activity
from dialogs.agreement_view import AgreementView, gather, gather_preparations
from dialogs.cards.agreement import agreement_card, followup_card
from dialogs.cards.view import Listed, Written, choose_card, view_card, written_card, written_part
from dialogs.cards.whole_text import CONTEXT_LENGTH, shortened
from dialogs.flow import DialogDeps, FlowDialog
from dialogs.questions import describe, question_keys
from dialogs.seen_by import seen_button
from dialogs.texts import common
from dialogs.texts import document as dtexts
from dialogs.texts import menu as mtexts
from dialogs.texts import questions as qtexts
from dialogs.texts import view as texts
from storage.models import Phase

SHOW = "view.show"

Build = Callable[[Sequence[Element]], dict]


def relation(opened: AgreementAccess) -> str:
    """"Din lederavtale med …" or "Lederavtale med …", as the menu names an agreement."""
    title = mtexts.AS_SUPERIOR if opened.role is Role.SUPERIOR else mtexts.AS_SUBORDINATE
    return title.format(name=opened.other.name)


def _written(who: str, view: AgreementView, hidden: str | None = None) -> Written:
    if hidden is not None:
        return Written(who, hidden=hidden)
    return Written(who, view if view.answers or view.goals else None)


def _agreement_lead(opened: AgreementAccess) -> str | None:
    agreement = opened.agreement
    if is_signed(agreement):
        return None
    if agreement.filled_at is not None:
        return texts.IN_REVIEW
    return texts.DRAFT_OWN if opened.role is Role.SUPERIOR else texts.DRAFT_OTHER.format(name=opened.other.name)


class AgreementViewDialog(FlowDialog):
    """Options: agreement_id."""

    def __init__(self, deps: DialogDeps) -> None:
        super().__init__("AgreementViewDialog", deps)
        self.add_dialog(WaterfallDialog(SHOW, [self.show_step]))
        self.initial_dialog_id = SHOW

    async def _cards(self, session: AsyncSession, opened: AgreementAccess) -> tuple[AgreementAccess, list[Build]]:
        """The view's cards in order, each waiting for the buttons (only the last one gets them)."""
        agreement, template, other = opened.agreement, opened.template, opened.other
        spring = [describe(template, key, {}) for key in question_keys(template, Phase.PREPARATION)]
        prepared = await gather_preparations(session, opened)
        hidden = None if both_prepared(agreement) else qtexts.CONTEXT_HIDDEN_PREPARATION.format(
            name=common.possessive(other.name))
        parts = [written_part(texts.PREPARATION, spring, [_written(qtexts.CONTEXT_OWN, prepared.own),
                                                          _written(other.name, prepared.other, hidden)])]
        if comments_pending(agreement):
            comment = await review_comment(session, opened)
            if comment is not None:
                parts.append(container([text(qtexts.COMMENTS_TITLE.format(name=agreement.subordinate.name), bold=True),
                                        *shortened(comment.text, CONTEXT_LENGTH, agreement.id, comment.id)],
                                       separator=True))
        agreed = await gather(session, opened)
        recorded = bool(agreed.answers or agreed.goals)
        meeting = common.format_when(self.deps.local(agreement.meeting_at)) if agreement.meeting_at else None
        notes = () if recorded else (texts.NOT_FILLED,)
        cards: list[Build] = [lambda buttons: view_card(agreement.year, relation(opened), opened.status.label, meeting,
                                                        parts, notes, buttons)]
        if recorded:
            lead = _agreement_lead(opened)
            cards.append(lambda buttons: agreement_card(agreed, self.deps.local, buttons, lead=lead))
        if is_signed(agreement):
            cards += await self._autumn(session, opened)
        return opened, cards

    async def _autumn(self, session: AsyncSession, opened: AgreementAccess) -> list[Build]:
        """The autumn reflections, as far as they are written and open, and the recorded follow-up."""
        template, other = opened.template, opened.other
        followup = await gather(session, opened, Phase.FOLLOWUP)
        goals = {goal.id: goal for goal in followup.spring_goals}
        keys = question_keys(template, Phase.FOLLOWUP_PREPARATION, list(goals))
        questions = [describe(template, key, goals) for key in keys]
        reflections = await gather_preparations(session, opened, Phase.FOLLOWUP_PREPARATION)
        cards: list[Build] = []
        if reflections.own.answers or reflections.other.answers:
            hidden = None if opened.reflections_open else qtexts.CONTEXT_HIDDEN_REFLECTION.format(
                name=common.possessive(other.name))
            written = [_written(qtexts.CONTEXT_OWN, reflections.own), _written(other.name, reflections.other, hidden)]
            cards.append(lambda buttons: written_card(texts.REFLECTIONS, questions, written, buttons))
        if opened.agreement.followup_recorded_at is not None:
            cards.append(lambda buttons: followup_card(followup, buttons))
        return cards

    async def show_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        """Send the agreement's cards, the last one with the way back."""
        opened, cards = await self.read(step, self._cards)
        year = opened.agreement.year
        buttons = [submit(common.BUTTON_MENU, actions.submit_data(actions.OPEN_MENU))]
        if year != self.deps.today().year:
            buttons.insert(0, submit(mtexts.PAST_YEARS, actions.submit_data(actions.PAST_YEARS)))
        buttons.insert(0, seen_button(opened.agreement.id))
        if is_signed(opened.agreement):
            buttons.insert(0, submit(dtexts.BUTTON, actions.submit_data(actions.DOCUMENT, opened.agreement.id)))
        for number, build in enumerate(cards, start=1):
            content = build(buttons if number == len(cards) else ())
            await step.context.send_activity(to_activity(content, summary=texts.TITLE.format(year=year)))
        return await step.end_dialog(True)


def _listed(opened: AgreementAccess, title: str) -> Listed:
    return Listed(opened.agreement.id, title, opened.status.label)


async def choose_activity(session: AsyncSession, leader_id: int, year: int) -> Activity:
    """This year's agreements to choose one to see, with the way to earlier years."""
    listed = [_listed(opened, relation(opened)) for opened in await agreements_of(session, leader_id, year)]
    buttons = []
    if await earlier_years(session, leader_id, year):
        buttons.append(submit(mtexts.PAST_YEARS, actions.submit_data(actions.PAST_YEARS)))
    buttons.append(submit(common.BUTTON_MENU, actions.submit_data(actions.OPEN_MENU)))
    content = choose_card(texts.CHOOSE_TITLE, listed, mtexts.NONE.format(year=year), buttons)
    return to_activity(content, summary=texts.CHOOSE_TITLE)


async def past_years_activity(session: AsyncSession, leader_id: int, year: int) -> Activity:
    """The leader's agreements of the years before ``year``, the latest first, each to be seen."""
    listed = []
    for earlier in await earlier_years(session, leader_id, year):
        for opened in await agreements_of(session, leader_id, earlier):
            listed.append(_listed(opened, texts.PAST_ENTRY.format(year=earlier, relation=relation(opened))))
    content = choose_card(texts.PAST_TITLE, listed, texts.PAST_NONE,
                          [submit(common.BUTTON_MENU, actions.submit_data(actions.OPEN_MENU))])
    return to_activity(content, summary=texts.PAST_TITLE)
