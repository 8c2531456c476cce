"""The leader's own copy of a signed agreement: offered as a Teams file consent card, or as a single-use link.

The copy itself is made only when the leader takes it (:mod:`dialogs.document_handout`), from
the data stored then: a copy taken after the follow-up holds the follow-up.
"""

from __future__ import annotations

from datetime import timedelta, timezone
from functools import partial

from botbuilder.dialogs import DialogTurnResult, WaterfallDialog, WaterfallStepContext
from sqlalchemy.ext.asyncio import AsyncSession

from agreement.opening import AgreementAccess
from bot import one_time_tokens
from bot.files import consent_offer, link_offer
from bot.one_time_tokens import Kind
from bot.settings import FILE_CONSENT
from dialogs.flow import DialogDeps, FlowDialog
from dialogs.texts import document as texts
from documents.content import gather_document
from documents.pdf import render_pdf

OFFER = "document.offer"


def file_name(year: int, subordinate: str) -> str:
    """A copy's file name: the year and the subordinate leader, as the document's title."""
    return texts.FILE_NAME.format(year=year, subordinate=subordinate)


class DocumentDialog(FlowDialog):
    """Options: agreement_id (of a signed agreement: the main dialog refuses the button before)."""

    def __init__(self, deps: DialogDeps) -> None:
        super().__init__("DocumentDialog", deps)
        self.add_dialog(WaterfallDialog(OFFER, [self.offer_step]))
        self.initial_dialog_id = OFFER

    async def offer_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        """Send the offer of the leader's own copy: the consent card or the link."""
        settings = self.deps.settings
        consent = settings.delivery == FILE_CONSENT
        # Written in the turn's transaction: the offer is stored before the turn sends its card.
        token, opened = await self.change(step, partial(self._issue, Kind.CONSENT if consent else Kind.LINK))
        year = opened.agreement.year
        if consent:
            activity = consent_offer(
                file_name(year, opened.agreement.subordinate.name), await self.read(step, self._size),
                texts.CONSENT_DESCRIPTION.format(year=year, other=opened.other.name),
                {"agreement_id": opened.agreement.id, "token": token}, texts.CONSENT_SUMMARY)
        else:
            activity = link_offer(settings.link_base_url, token, texts.LINK_TITLE.format(year=year),
                                  texts.LINK_TEXT.format(minutes=settings.document_offer_minutes), texts.LINK_BUTTON)
        await step.context.send_activity(activity)
        return await step.end_dialog(True)

    async def _issue(self, kind: Kind, session: AsyncSession, opened: AgreementAccess) -> str:
        minutes = self.deps.settings.document_offer_minutes
        return await one_time_tokens.issue(session, kind, opened.viewer.id, opened.agreement.id, self.deps.clock(),
                                           timedelta(minutes=minutes))

    async def _size(self, session: AsyncSession, opened: AgreementAccess) -> int:
        # Teams shows the size on the consent card before the copy is made: rendered now only to
        # be measured (never handed out, so not recorded); the copy taken is made anew.
        now = self.deps.clock().astimezone(timezone.utc)
        return len(render_pdf(await gather_document(session, opened, self.deps.local, now)))
