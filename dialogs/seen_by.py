"""«Hvem har sett avtalen?»: a leader asks who has read the content of their agreement.

Typed as the whole message anywhere (as «Oversikt» is), or the button on «Se avtalen». It
answers from the access log (:mod:`agreement.access_log`) for agreements the leader is in, and
only those: anyone else is refused, and reading the log is not itself a read of content. The
answer names leaders, "arkivet" for the archive export and "innsyn ved <handler>" for an access
request, when (the latest time) and which parts; never content. The leader's own reads are left
out: they know what they read.
"""

from __future__ import annotations

import logging

from botbuilder.core import TurnContext
from botbuilder.schema import Activity, ActivityTypes

from agreement.access import Role
from agreement.access_log import EXPORT, INNSYN, PERSONAL_DATA, LoggedRead, seen_by
from agreement.errors import AccessDenied, NotFound
from agreement.opening import AgreementAccess, agreements_of, open_agreement
from bot import actions
from bot.cards import Element, submit, to_activity
from bot.turn import turn_session
from dialogs.cards.seen_by import seen_card
from dialogs.flow import DialogDeps, current_leader_id
from dialogs.reply import normalise
from dialogs.texts import common
from dialogs.texts import menu as mtexts
from dialogs.texts import seen_by as texts

logger = logging.getLogger(__name__)

#: The most readers listed per agreement in a card (the privacy officer has the whole log).
MAX_ROWS = 25


def is_seen_request(activity: Activity) -> bool:
    """«Hvem har sett avtalen?» typed as the whole message."""
    if activity.type != ActivityTypes.message or activity.value is not None or not isinstance(activity.text, str):
        return False
    return normalise(activity.text) in texts.WORDS


def seen_button(agreement_id: int) -> Element:
    """The button that asks who has seen one agreement."""
    return submit(texts.BUTTON, actions.submit_data(actions.SEEN_BY, agreement_id))


def _who(entry: LoggedRead) -> str:
    if entry.path == EXPORT and entry.reader_id is None:
        return texts.ARCHIVE
    if entry.path == INNSYN:
        return texts.INNSYN.format(handler=entry.reader_label) if entry.reader_label else texts.INNSYN_UNNAMED
    if entry.path == PERSONAL_DATA:
        return texts.PERSONAL_DATA.format(name=entry.reader_name or entry.reader_label or texts.UNKNOWN)
    return entry.reader_name or entry.reader_label or texts.UNKNOWN


def summary_lines(opened: AgreementAccess, entries: list[LoggedRead], deps: DialogDeps) -> list[str]:
    """One line per reader and path: the parts read, how often, and the latest time (never content)."""
    private = opened.template.private_section_keys
    groups: dict[tuple[str, str], dict] = {}
    for entry in entries:
        if entry.reader_id == opened.viewer.id and entry.path != PERSONAL_DATA:
            continue
        group = groups.setdefault((_who(entry), entry.path), {"parts": [], "private": False, "times": set(),
                                                              "last": entry.read_at})
        if entry.part not in group["parts"]:
            group["parts"].append(entry.part)
        group["private"] |= entry.section_key in private
        # One read is one moment (a turn or a copy records all its parts at once).
        group["times"].add(entry.read_at.replace(microsecond=0))
        group["last"] = max(group["last"], entry.read_at)
    ordered = sorted(groups.items(), key=lambda item: item[1]["last"], reverse=True)
    lines = []
    for (who, path), group in ordered:
        parts = ", ".join(texts.PARTS.get(part, part) for part in group["parts"])
        if group["private"]:
            parts = texts.PRIVATE_INCLUDED.format(parts=parts)
        when = common.format_when(deps.local(group["last"]))
        count = len(group["times"])
        template = texts.ENTRY_TIMES if count > 1 else texts.ENTRY
        lines.append(template.format(who=who, parts=parts, path=texts.PATHS.get(path, path), count=count, when=when))
    if len(lines) > MAX_ROWS:
        lines = lines[:MAX_ROWS] + [texts.MORE.format(count=len(lines) - MAX_ROWS)]
    return lines


def _relation(opened: AgreementAccess) -> str:
    title = mtexts.AS_SUPERIOR if opened.role is Role.SUPERIOR else mtexts.AS_SUBORDINATE
    return f"{title.format(name=opened.other.name)} ({opened.agreement.year})"


async def send_seen_by(context: TurnContext, deps: DialogDeps, agreement_id: object = None) -> None:
    """Who has seen ``agreement_id`` (or each of this year's agreements of the leader), or the polite refusal."""
    leader = current_leader_id(context)
    session = turn_session(context)
    if agreement_id is None:
        chosen = await agreements_of(session, leader, deps.today().year)
        if not chosen:
            await context.send_activity(texts.NO_AGREEMENTS.format(year=deps.today().year))
            return
    elif isinstance(agreement_id, bool) or not isinstance(agreement_id, int) or not 0 < agreement_id < 2**63:
        await context.send_activity(texts.NO_ACCESS)
        return
    else:
        try:
            chosen = [await open_agreement(session, leader, agreement_id)]
        except (AccessDenied, NotFound):
            logger.info("Leader %s refused the access log of agreement %s", leader, agreement_id)
            await context.send_activity(texts.NO_ACCESS)
            return
    sections = []
    for opened in chosen:
        entries = await seen_by(session, leader, opened.agreement.id)
        sections.append((_relation(opened), summary_lines(opened, entries, deps)))
    logger.info("Access log of %d agreement(s) for leader %s", len(sections), leader)
    await context.send_activity(to_activity(seen_card(sections), summary=texts.TITLE))
