"""Everything the bot holds about one leader, for their request for their own data (GDPR art. 15).

:func:`gather_personal_data` reads, for one leader: their leader record; each of their agreements
(as superior or subordinate, every year) as the pair's copy made for them through
:func:`documents.copies.make_copy` (the copy is recorded like any other), or as status and dates
where no agreed text exists yet; the answers and goals they wrote themselves, with every revision
(their preparations included); the history steps they took; the reminders sent to them; their
conversation reference's metadata; the document copies made of their agreements; and the access
log's entries about their agreements. What is read for the answer is itself recorded in the access
log (path "personal-data"), in the caller's session: the copies through :func:`make_copy`, the
leader's own answers and goals by the parts they belong to.

Nothing about another person is in it: the other leader's preparations and reflections are
theirs, not this leader's, and are never read here. The agreed text of the leader's own
agreements is theirs, and comes only through the access-checked copy.

The caller writes the files and commits: the copies' records must not be committed for files
that were not written.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, datetime, timezone

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload, selectinload

from agreement import access_log
from agreement.access import Role
from agreement.errors import NotFound
from agreement.opening import AgreementAccess, open_agreement, reflected_by
from agreement.status import derive_status, is_signed
from agreement.template import load_template
from documents import copies
from documents.content import Localise
from storage.models import (
    Agreement,
    AgreementEvent,
    Answer,
    AnswerRevision,
    ConversationRef,
    DocumentCopy,
    Goal,
    Leader,
    Phase,
    ReminderLog,
)

#: The version of the layout of the files written (in the index).
FORMAT_VERSION = 1

#: The keys of a stored Teams conversation reference that say where the bot writes to the
#: leader. The rest (the bot's own account, the activity id) says nothing about the leader.
#: A reference holds no token or secret: what is left out is left out as noise, not as a secret.
REFERENCE_KEYS = ("channelId", "locale", "serviceUrl")
REFERENCE_USER_KEYS = ("id", "name", "aadObjectId", "role")
REFERENCE_CONVERSATION_KEYS = ("id", "conversationType", "tenantId", "isGroup")


class UnknownLeader(NotFound):
    """No leader has this email address."""


@dataclass(frozen=True)
class PersonalFile:
    """One file of the answer: its name in the folder, its bytes, and what it holds (for the index)."""

    name: str
    data: bytes
    what: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass
class PersonalData:
    """The files for one leader, and the copy records made for them (still to be committed)."""

    leader: Leader
    files: list[PersonalFile] = field(default_factory=list)
    copies: list[DocumentCopy] = field(default_factory=list)
    #: The agreements the answer covers, by id.
    agreement_ids: list[int] = field(default_factory=list)


def _moment(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:  # SQLite gives stored UTC moments back naive
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).isoformat(timespec="seconds")


def _day(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _json(data: object) -> bytes:
    return (json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False) + "\n").encode("utf-8")


async def find_leader(session: AsyncSession, email: str) -> Leader:
    """The leader with ``email`` (any case, active or not: a leader who left may ask too)."""
    wanted = email.strip().lower()
    leader = await session.scalar(select(Leader).where(func.lower(Leader.email) == wanted))
    if leader is None:
        raise UnknownLeader(email)
    return leader


def _leader_record(leader: Leader, superior: Leader | None) -> dict:
    return {
        "id": leader.id,
        "name": leader.name,
        "email": leader.email,
        "aad_object_id": leader.aad_object_id,
        "unit": leader.unit,
        "superior": None if superior is None else {"id": superior.id, "name": superior.name},
        "hr_admin": leader.is_hr_admin,
        "active": leader.active,
        "created_at": _moment(leader.created_at),
        "updated_at": _moment(leader.updated_at),
    }


def _role(leader: Leader, agreement: Agreement) -> Role:
    return Role.SUPERIOR if agreement.superior_id == leader.id else Role.SUBORDINATE


async def _own_access(session: AsyncSession, leader: Leader, agreement: Agreement) -> AgreementAccess:
    """The leader's own access to one of their agreements, as the pair reads it.

    A leader who left, or an agreement the roster retired, is not opened by :func:`open_agreement`
    (it serves the bot's turns, for active leaders only), but the agreement is still theirs to
    have: the same access is built for them as a leader of the pair, and the copy is still read
    through the access-checked path with their role.
    """
    if leader.active and agreement.active:
        try:
            return await open_agreement(session, leader.id, agreement.id)
        except NotFound:
            pass
    reflected = (await reflected_by(session, [agreement])).get(agreement.id, frozenset())
    return AgreementAccess(agreement, leader, _role(leader, agreement), load_template(agreement.template_id),
                           reflected)


async def _has_agreed_text(session: AsyncSession, agreement: Agreement) -> bool:
    """Whether the agreement has any agreed text (the superior's record) for a copy to show."""
    if is_signed(agreement) or agreement.filled_at is not None:
        return True
    answer = await session.scalar(
        select(Answer.id).where(Answer.agreement_id == agreement.id, Answer.author_id == agreement.superior_id,
                                Answer.phase.in_((Phase.AGREEMENT, Phase.FOLLOWUP))).limit(1))
    if answer is not None:
        return True
    goal = await session.scalar(
        select(Goal.id).where(Goal.agreement_id == agreement.id, Goal.author_id == agreement.superior_id,
                              Goal.phase == Phase.AGREEMENT).limit(1))
    return goal is not None


def _agreement_summary(leader: Leader, agreement: Agreement, file_name: str) -> dict:
    """An agreement's status and dates, with the leader's role in it (never content)."""
    role = _role(leader, agreement)
    other = agreement.subordinate if role is Role.SUPERIOR else agreement.superior
    return {
        "id": agreement.id,
        "year": agreement.year,
        "your_role": role.value,
        "other_leader": {"id": other.id, "name": other.name},
        "unit": agreement.subordinate.unit,
        "template": f"{agreement.template_id} v{agreement.template_version}",
        "active": agreement.active,
        "status": derive_status(agreement).label,
        "meeting_at": _moment(agreement.meeting_at),
        "superior_prepared_at": _moment(agreement.superior_prepared_at),
        "subordinate_prepared_at": _moment(agreement.subordinate_prepared_at),
        "filled_at": _moment(agreement.filled_at),
        "superior_signed_at": _moment(agreement.superior_signed_at),
        "subordinate_signed_at": _moment(agreement.subordinate_signed_at),
        "followup_recorded_at": _moment(agreement.followup_recorded_at),
        "superior_followup_confirmed_at": _moment(agreement.superior_followup_confirmed_at),
        "subordinate_followup_confirmed_at": _moment(agreement.subordinate_followup_confirmed_at),
        "created_at": _moment(agreement.created_at),
        "file": file_name,
    }


async def _answers(session: AsyncSession, leader: Leader, years: dict[int, int]) -> list[dict]:
    """The answers the leader wrote (every phase), each with every text it has had."""
    answers = list((await session.scalars(
        select(Answer).where(Answer.author_id == leader.id).order_by(Answer.agreement_id, Answer.phase,
                                                                     Answer.question_key))).all())
    revisions: dict[int, list[AnswerRevision]] = {}
    if answers:
        rows = await session.scalars(select(AnswerRevision)
                                     .where(AnswerRevision.answer_id.in_([a.id for a in answers]))
                                     .order_by(AnswerRevision.answer_id, AnswerRevision.revision))
        for row in rows:
            revisions.setdefault(row.answer_id, []).append(row)
    return [{
        "agreement_id": answer.agreement_id,
        "year": years.get(answer.agreement_id),
        "phase": answer.phase.value,
        "question": answer.question_key,
        "text": answer.text,
        "revision": answer.revision,
        "created_at": _moment(answer.created_at),
        "updated_at": _moment(answer.updated_at),
        "revisions": [{"revision": r.revision, "text": r.text, "written_at": _moment(r.created_at)}
                      for r in revisions.get(answer.id, [])],
    } for answer in answers]


async def _goals(session: AsyncSession, leader: Leader, years: dict[int, int]) -> list[dict]:
    """The goals the leader wrote (every phase), with their actions, removed ones too."""
    goals = (await session.scalars(
        select(Goal).where(Goal.author_id == leader.id).options(selectinload(Goal.actions))
        .order_by(Goal.agreement_id, Goal.phase, Goal.section_key, Goal.position, Goal.id))).all()
    return [{
        "agreement_id": goal.agreement_id,
        "year": years.get(goal.agreement_id),
        "phase": goal.phase.value,
        "section": goal.section_key,
        "title": goal.title,
        "created_at": _moment(goal.created_at),
        "removed_at": _moment(goal.removed_at),
        "actions": [{"text": action.text, "created_at": _moment(action.created_at),
                     "removed_at": _moment(action.removed_at)} for action in goal.actions],
    } for goal in goals]


async def _events(session: AsyncSession, leader: Leader, agreement_ids: list[int]) -> list[dict]:
    """The steps the leader took in their agreements' history, and the roster's changes to them."""
    if not agreement_ids:
        return []
    events = await session.scalars(
        select(AgreementEvent)
        .where(AgreementEvent.agreement_id.in_(agreement_ids),
               or_(AgreementEvent.actor_id == leader.id, AgreementEvent.actor_id.is_(None)))
        .order_by(AgreementEvent.created_at, AgreementEvent.id))
    return [{"agreement_id": event.agreement_id, "kind": event.kind,
             "by": "you" if event.actor_id == leader.id else "leader import",
             "detail": event.detail, "at": _moment(event.created_at)} for event in events]


async def _reminders(session: AsyncSession, leader: Leader) -> list[dict]:
    rows = await session.scalars(select(ReminderLog).where(ReminderLog.recipient_id == leader.id)
                                 .order_by(ReminderLog.due_date, ReminderLog.id))
    return [{"kind": row.kind, "agreement_id": row.agreement_id, "due_date": _day(row.due_date),
             "status": row.status.value, "claimed_at": _moment(row.claimed_at), "sent_at": _moment(row.sent_at),
             "attempts": row.attempts, "error": row.error} for row in rows]


def _pick(data: object, keys: tuple[str, ...]) -> dict | None:
    if not isinstance(data, dict):
        return None
    return {key: data[key] for key in keys if key in data}


async def _conversation(session: AsyncSession, leader: Leader) -> dict | None:
    """Where the bot writes to the leader in Teams: the reference's metadata, not the bot's part of it."""
    row = await session.get(ConversationRef, leader.id)
    if row is None:
        return None
    reference = row.reference if isinstance(row.reference, dict) else {}
    picked = _pick(reference, REFERENCE_KEYS) or {}
    return {
        **picked,
        "user": _pick(reference.get("user"), REFERENCE_USER_KEYS),
        "conversation": _pick(reference.get("conversation"), REFERENCE_CONVERSATION_KEYS),
        "tenant_id": row.tenant_id,
        "reachable": row.reachable,
        "unreachable_reason": row.unreachable_reason,
        "unreachable_at": _moment(row.unreachable_at),
        "updated_at": _moment(row.updated_at),
    }


async def _copies(session: AsyncSession, leader: Leader, agreement_ids: list[int],
                  names: dict[int, str]) -> list[dict]:
    """Every document copy made of the leader's agreements: when, which, to whom or why; never content."""
    if not agreement_ids:
        return []
    rows = await session.scalars(select(DocumentCopy).where(DocumentCopy.agreement_id.in_(agreement_ids))
                                 .order_by(DocumentCopy.made_at, DocumentCopy.id))
    made = []
    for row in rows:
        recipient = None
        if row.recipient_id is not None:
            recipient = "you" if row.recipient_id == leader.id else names.get(row.recipient_id, row.recipient_id)
        made.append({"id": row.id, "agreement_id": row.agreement_id, "variant": row.variant.value,
                     "channel": row.channel, "recipient": recipient, "handled_by": row.handled_by,
                     "reason": row.reason, "sha256": row.sha256, "made_at": _moment(row.made_at)})
    return made


async def _access_log(session: AsyncSession, leader: Leader, agreement_ids: list[int]) -> list[dict]:
    """Every recorded read of the leader's agreements (as the pair sees it in Teams), never content."""
    entries = []
    for agreement_id in agreement_ids:
        for read in await access_log.entries_for(session, agreement_id):
            reader = read.reader_label
            if read.reader_id is not None:
                reader = "you" if read.reader_id == leader.id else read.reader_name
            entries.append({"agreement_id": agreement_id, "read_at": _moment(read.read_at), "reader": reader,
                            "path": read.path, "part": read.part, "section": read.section_key})
    return entries


def _file_stem(agreement: Agreement, role: Role) -> str:
    return f"agreements/{agreement.year}-{agreement.id}-{role.value}"


async def gather_personal_data(session: AsyncSession, email: str, localise: Localise,
                               now: datetime) -> PersonalData:
    """Everything held about the leader with ``email``, as files; UnknownLeader when there is none."""
    leader = await find_leader(session, email)
    superior = await session.get(Leader, leader.superior_id) if leader.superior_id is not None else None
    gathered = PersonalData(leader)
    agreements = list((await session.scalars(
        select(Agreement)
        .where(or_(Agreement.superior_id == leader.id, Agreement.subordinate_id == leader.id))
        .options(joinedload(Agreement.superior), joinedload(Agreement.subordinate))
        .order_by(Agreement.year, Agreement.id))).all())
    years = {agreement.id: agreement.year for agreement in agreements}
    names = {a.superior.id: a.superior.name for a in agreements} | {a.subordinate.id: a.subordinate.name
                                                                     for a in agreements}
    gathered.agreement_ids = [agreement.id for agreement in agreements]

    summaries = []
    for agreement in agreements:
        role = _role(leader, agreement)
        stem = _file_stem(agreement, role)
        if await _has_agreed_text(session, agreement):
            reader = await _own_access(session, leader, agreement)
            made = await copies.make_copy(session, reader, localise, now, channel=copies.PERSONAL_DATA,
                                          purpose=access_log.personal_data())
            gathered.copies.append(made.record)
            name = f"{stem}.pdf"
            gathered.files.append(PersonalFile(name, made.pdf, f"agreement {agreement.id} ({agreement.year}), "
                                                                f"your copy as {role.value}"))
            summaries.append(_agreement_summary(leader, agreement, name))
        else:
            name = f"{stem}.json"
            summary = _agreement_summary(leader, agreement, name)
            summaries.append(summary)
            gathered.files.append(PersonalFile(name, _json(summary), f"agreement {agreement.id} ({agreement.year}): "
                                                                     "status and dates, no agreed text yet"))

    gathered.files[0:0] = [
        PersonalFile("leader.json", _json(_leader_record(leader, superior)), "your leader record"),
        PersonalFile("agreements.json", _json(summaries), "your agreements: status, dates and the file of each"),
    ]
    answers = await _answers(session, leader, years)
    goals = await _goals(session, leader, years)
    # What is read here outside the copies (the leader's own writing, with its revisions) is
    # recorded in the access log as the parts it belongs to, in the same session as the copies.
    read_parts: dict[int, set[str]] = {}
    for item in [*answers, *goals]:
        read_parts.setdefault(item["agreement_id"], set()).add(access_log.PARTS[Phase(item["phase"])])
    for agreement_id, parts in sorted(read_parts.items()):
        access_log.record_personal_data(session, agreement_id, leader.id, parts=sorted(parts))
    await session.flush()
    gathered.files += [
        PersonalFile("answers.json", _json(answers),
                     "the answers you wrote (preparations included), each with every revision"),
        PersonalFile("goals.json", _json(goals),
                     "the goals and actions you wrote, removed ones included"),
        PersonalFile("history.json", _json(await _events(session, leader, gathered.agreement_ids)),
                     "the steps you took in your agreements, and the leader import's changes to them"),
        PersonalFile("reminders.json", _json(await _reminders(session, leader)), "the reminders sent to you"),
        PersonalFile("teams_conversation.json", _json(await _conversation(session, leader)),
                     "where the bot writes to you in Teams (metadata of the conversation reference)"),
        # Read last: they list the copies just made, and the reads recorded, for this answer too.
        PersonalFile("document_copies.json",
                     _json(await _copies(session, leader, gathered.agreement_ids, names)),
                     "every document copy made of your agreements: when, which copy, to whom or why"),
        PersonalFile("access_log.json", _json(await _access_log(session, leader, gathered.agreement_ids)),
                     "who has read your agreements' content, when, which part and by which path "
                     "(this answer included)"),
    ]
    return gathered


def index(gathered: PersonalData, now: datetime) -> PersonalFile:
    """index.json: what the folder holds, file by file, with each file's size and SHA-256."""
    data = {
        "format": FORMAT_VERSION,
        "leader": {"id": gathered.leader.id, "name": gathered.leader.name, "email": gathered.leader.email},
        "made_at": _moment(now),
        "files": [{"name": f.name, "what": f.what, "bytes": len(f.data), "sha256": f.sha256}
                  for f in gathered.files],
    }
    return PersonalFile("index.json", _json(data), "this index")
