"""Planning the conversation (superior): date and time; both leaders are told, and it goes in both calendars.

The time is saved first; the meeting in the calendars (:mod:`dialogs.meeting_invitation`) is
made or moved in the same turn, its event id stored with the plan. When it cannot be made, or the
calendar meetings are off, the superior is offered the meeting as an .ics file instead, the way
the PDF copy is offered.
"""

from __future__ import annotations

import enum
import logging
from datetime import datetime, timedelta, timezone
from functools import partial

from botbuilder.dialogs import DialogTurnResult, WaterfallDialog, WaterfallStepContext
from botbuilder.schema import Activity
from sqlalchemy.ext.asyncio import AsyncSession

from agreement.access import Role
from agreement.opening import AgreementAccess
from agreement.steps import plan_meeting, record_meeting_event
from bot import actions, one_time_tokens
from bot.cards import submit, to_activity
from bot.files import consent_offer, link_offer
from bot.one_time_tokens import Kind, Subject
from bot.settings import FILE_CONSENT
from dialogs.cards.message import message_card
from dialogs.cards.plan import plan_card
from dialogs.flow import DialogDeps, FlowDialog
from dialogs.meeting_invitation import calendar_file, ics_file_name
from dialogs.reply import ReplyPrompt, check_meeting, options
from dialogs.texts import common
from dialogs.texts import plan as texts
from graph.errors import GraphError

logger = logging.getLogger(__name__)


class Calendars(enum.Enum):
    """What became of the meeting in the calendars at a planning."""

    OFF = "off"
    MADE = "made"
    MOVED = "moved"
    FAILED = "failed"


#: Added to the confirmation; OFF adds nothing.
_TOLD = {Calendars.MADE: texts.CALENDAR_CREATED, Calendars.MOVED: texts.CALENDAR_MOVED,
         Calendars.FAILED: texts.CALENDAR_FAILED}

STEPS = "plan.steps"
WHEN_PROMPT = "plan.when"
WHEN_KEY = "plan.when"


class PlanDialog(FlowDialog):
    """Options: agreement_id."""

    def __init__(self, deps: DialogDeps) -> None:
        super().__init__("PlanDialog", deps)
        self.add_dialog(WaterfallDialog(STEPS, [self.ask_step, self.save_step]))
        self.add_dialog(ReplyPrompt(WHEN_PROMPT, check_meeting))
        self.initial_dialog_id = STEPS

    async def ask_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        """Ask for the date and time (showing the current ones when moving the meeting)."""
        opened = await self.open(step, require=Role.SUPERIOR)
        meeting = opened.agreement.meeting_at
        current = self.deps.local(meeting) if meeting is not None else None
        day = self.deps.today()
        content = plan_card(opened.other.name, WHEN_KEY, current, day,
                            common.format_when(current) if current else None)
        return await step.prompt(
            WHEN_PROMPT,
            options(to_activity(content),
                    {"agreement_id": step.options["agreement_id"], "question": WHEN_KEY, "timezone": self.deps.settings.timezone, "today": day.isoformat()}),
        )

    async def save_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        """Save the meeting time, put it in both calendars (or offer an .ics), and tell the subordinate."""
        when = datetime.fromisoformat(step.result["when"])
        # Stored in UTC: SQLite keeps the wall time of a timestamp but not its offset.
        stored = when.astimezone(timezone.utc)
        _, opened = await self.change(step, lambda session, opened: plan_meeting(session, opened, stored))
        said = common.format_when(when)
        other = opened.other
        calendar = await self._put_in_calendars(step, opened, stored)
        prepare = [submit(texts.NOTIFY_BUTTON, actions.submit_data(actions.PREPARE, opened.agreement.id))]
        done = texts.DONE.format(name=other.name, when=said)
        if calendar in _TOLD:
            done = f"{done} {_TOLD[calendar].format(name=other.name)}"
        await step.context.send_activity(to_activity(message_card(done, prepare)))
        if calendar in (Calendars.OFF, Calendars.FAILED):
            await step.context.send_activity(await self._ics_offer(step))
        message = texts.NOTIFY.format(name=opened.viewer.name, when=said)
        await self.notify(step, other, to_activity(message_card(message, prepare), summary=message))
        return await step.end_dialog(True)

    async def _put_in_calendars(self, step: WaterfallStepContext, opened: AgreementAccess,
                                start: datetime) -> Calendars:
        """Make or move the meeting and store its event with the plan."""
        meetings = self.deps.meetings
        if meetings is None:
            return Calendars.OFF
        agreement = opened.agreement
        try:
            placed = await meetings.place(agreement, opened.viewer, opened.other, start)
        except (GraphError, OSError) as exc:  # OSError: the CA file for Graph cannot be read
            # The plan stands (saved above, committed with the turn); only the invitation is missing.
            logger.warning("Could not put the meeting of agreement %s in the calendars: %s", agreement.id, exc)
            return Calendars.FAILED
        await self.change(step, lambda session, opened: record_meeting_event(
            session, opened, placed.event_id, placed.organizer_id))
        logger.info("%s the meeting of agreement %s in the calendars", "Moved" if placed.moved else "Made",
                    agreement.id)
        return Calendars.MOVED if placed.moved else Calendars.MADE

    async def _ics_offer(self, step: WaterfallStepContext) -> Activity:
        """The planned meeting as an .ics file: the file consent card, or a single-use link."""
        settings = self.deps.settings
        consent = settings.delivery == FILE_CONSENT
        # Written in the turn's transaction: the offer is stored before the turn sends its card.
        token, opened = await self.change(step, partial(self._issue, Kind.CONSENT if consent else Kind.LINK))
        if consent:
            content = await self.read(step, partial(self._calendar_file, settings.meeting_minutes))
            return consent_offer(ics_file_name(opened.agreement.subordinate), len(content),
                                 texts.ICS_CONSENT_DESCRIPTION.format(other=opened.other.name),
                                 {"agreement_id": opened.agreement.id, "token": token, "meeting": True},
                                 texts.ICS_TITLE)
        return link_offer(settings.link_base_url, token, texts.ICS_TITLE,
                          texts.ICS_LINK_TEXT.format(minutes=settings.document_offer_minutes), texts.ICS_BUTTON)

    async def _issue(self, kind: Kind, session: AsyncSession, opened: AgreementAccess) -> str:
        minutes = self.deps.settings.document_offer_minutes
        return await one_time_tokens.issue(session, kind, opened.viewer.id, opened.agreement.id, self.deps.clock(),
                                           timedelta(minutes=minutes), subject_kind=Subject.MEETING)

    async def _calendar_file(self, minutes: int, session: AsyncSession, opened: AgreementAccess) -> bytes:
        # Made now only to be measured for the consent card; the file handed out is made when taken.
        return await calendar_file(session, opened, minutes, self.deps.clock())
