"""The database tables, as SQLAlchemy 2 typed models."""

from __future__ import annotations

import enum
from datetime import date, datetime, timezone

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    """Timezone-aware now in UTC (the only kind of timestamp stored)."""
    return datetime.now(timezone.utc)


NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: DateTime(timezone=True)}


class Phase(str, enum.Enum):
    """When an answer was written."""

    PREPARATION = "preparation"
    AGREEMENT = "agreement"
    FOLLOWUP_PREPARATION = "followup_preparation"
    FOLLOWUP = "followup"


class Leader(Base):
    __tablename__ = "leaders"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320), unique=True)
    aad_object_id: Mapped[str | None] = mapped_column(String(100), unique=True)
    unit: Mapped[str] = mapped_column(String(200), default="")
    superior_id: Mapped[int | None] = mapped_column(ForeignKey("leaders.id"), index=True)
    is_hr_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    #: When the leader left the roster (the file or Entra ID no longer has them); None while in it.
    left_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    superior: Mapped["Leader | None"] = relationship(remote_side="Leader.id", lazy="raise")

    def __repr__(self) -> str:  # never include personal content beyond the id
        return f"Leader(id={self.id})"


class Agreement(Base):
    """One superior–subordinate pair for one year."""

    __tablename__ = "agreements"
    __table_args__ = (UniqueConstraint("year", "subordinate_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    template_id: Mapped[str] = mapped_column(String(100))
    template_version: Mapped[int] = mapped_column(Integer, default=1)
    superior_id: Mapped[int] = mapped_column(ForeignKey("leaders.id"), index=True)
    subordinate_id: Mapped[int] = mapped_column(ForeignKey("leaders.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    meeting_at: Mapped[datetime | None] = mapped_column()
    #: The planned conversation as an event in the superior's calendar (Microsoft Graph), when made.
    meeting_event_id: Mapped[str | None] = mapped_column(String(300))
    #: Whose calendar holds that event: the organizer's Entra object id.
    meeting_event_organizer_id: Mapped[str | None] = mapped_column(String(100))
    superior_prepared_at: Mapped[datetime | None] = mapped_column()
    subordinate_prepared_at: Mapped[datetime | None] = mapped_column()
    filled_at: Mapped[datetime | None] = mapped_column()
    review_comment_at: Mapped[datetime | None] = mapped_column()
    superior_signed_at: Mapped[datetime | None] = mapped_column()
    subordinate_signed_at: Mapped[datetime | None] = mapped_column()
    # Each signer's own "Sted og dato": the form has one line, but two people sign it.
    superior_sign_place: Mapped[str | None] = mapped_column(String(200))
    superior_sign_date: Mapped[date | None] = mapped_column(Date)
    subordinate_sign_place: Mapped[str | None] = mapped_column(String(200))
    subordinate_sign_date: Mapped[date | None] = mapped_column(Date)
    superior_shares_development: Mapped[bool] = mapped_column(Boolean, default=False)
    subordinate_shares_development: Mapped[bool] = mapped_column(Boolean, default=False)
    followup_recorded_at: Mapped[datetime | None] = mapped_column()
    superior_followup_confirmed_at: Mapped[datetime | None] = mapped_column()
    subordinate_followup_confirmed_at: Mapped[datetime | None] = mapped_column()
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    superior: Mapped[Leader] = relationship(foreign_keys=[superior_id], lazy="raise")
    subordinate: Mapped[Leader] = relationship(foreign_keys=[subordinate_id], lazy="raise")

    __mapper_args__ = {"version_id_col": version}

    @property
    def development_shared(self) -> bool:
        """Both leaders agreed that Ledelsesutvikling may leave the pair."""
        return self.superior_shares_development and self.subordinate_shares_development

    def __repr__(self) -> str:
        return f"Agreement(id={self.id}, year={self.year})"


class AgreementEvent(Base):
    """History of an agreement: planned, prepared, filled, signed, reopened, ..."""

    __tablename__ = "agreement_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"), index=True)
    kind: Mapped[str] = mapped_column(String(50))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("leaders.id"))
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Answer(Base):
    """The current text of one answer; earlier texts live in ``answer_revisions``."""

    __tablename__ = "answers"
    __table_args__ = (UniqueConstraint("agreement_id", "question_key", "author_id", "phase"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"), index=True)
    question_key: Mapped[str] = mapped_column(String(120))
    author_id: Mapped[int] = mapped_column(ForeignKey("leaders.id"))
    phase: Mapped[Phase] = mapped_column(Enum(Phase, native_enum=False, length=30))
    text: Mapped[str] = mapped_column(Text)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class AnswerRevision(Base):
    """Every text an answer has had, including the current one."""

    __tablename__ = "answer_revisions"
    __table_args__ = (UniqueConstraint("answer_id", "revision"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    answer_id: Mapped[int] = mapped_column(ForeignKey("answers.id"), index=True)
    revision: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    changed_by_id: Mapped[int] = mapped_column(ForeignKey("leaders.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Goal(Base):
    """One "utviklingsmål" with its actions; removed goals are kept with ``removed_at``."""

    __tablename__ = "goals"
    __table_args__ = (
        Index("ix_goals_agreement_phase", "agreement_id", "phase", "section_key"),
        # The card (step token) a goal was added from: the same card twice adds one goal.
        UniqueConstraint("agreement_id", "source_token"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"))
    section_key: Mapped[str] = mapped_column(String(80))
    phase: Mapped[Phase] = mapped_column(Enum(Phase, native_enum=False, length=30))
    author_id: Mapped[int] = mapped_column(ForeignKey("leaders.id"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str] = mapped_column(Text)
    source_token: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    removed_at: Mapped[datetime | None] = mapped_column()

    actions: Mapped[list["GoalAction"]] = relationship(
        back_populates="goal", order_by="GoalAction.position", lazy="selectin"
    )

    @property
    def current_actions(self) -> list["GoalAction"]:
        """The actions not removed."""
        return [action for action in self.actions if action.removed_at is None]


class GoalAction(Base):
    """One "tiltak" under a goal; removed actions are kept with ``removed_at``."""

    __tablename__ = "goal_actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    goal_id: Mapped[int] = mapped_column(ForeignKey("goals.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    removed_at: Mapped[datetime | None] = mapped_column()

    goal: Mapped[Goal] = relationship(back_populates="actions", lazy="raise")


class ConversationRef(Base):
    """The Teams conversation reference for proactive messages to one leader."""

    __tablename__ = "conversation_refs"

    leader_id: Mapped[int] = mapped_column(ForeignKey("leaders.id"), primary_key=True)
    reference: Mapped[dict] = mapped_column(JSON)
    tenant_id: Mapped[str | None] = mapped_column(String(100))
    service_url: Mapped[str] = mapped_column(String(500))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    reachable: Mapped[bool] = mapped_column(Boolean, default=True)
    unreachable_reason: Mapped[str | None] = mapped_column(String(200))
    unreachable_at: Mapped[datetime | None] = mapped_column()


class ReminderStatus(str, enum.Enum):
    CLAIMED = "claimed"
    SENT = "sent"
    FAILED = "failed"
    UNREACHABLE = "unreachable"


class ReminderLog(Base):
    """One reminder for one recipient about one agreement on one due date, claimed once."""

    __tablename__ = "reminder_log"
    __table_args__ = (UniqueConstraint("kind", "recipient_id", "agreement_id", "due_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(50))
    recipient_id: Mapped[int] = mapped_column(ForeignKey("leaders.id"), index=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"))
    due_date: Mapped[date] = mapped_column(Date)
    status: Mapped[ReminderStatus] = mapped_column(
        Enum(ReminderStatus, native_enum=False, length=20), default=ReminderStatus.CLAIMED
    )
    claimed_by: Mapped[str] = mapped_column(String(100), default="")
    claimed_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column()
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(String(500))


class YearCalendar(Base):
    """Per-year overrides of the reminder calendar (dates and sending hour)."""

    __tablename__ = "year_calendars"

    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    settings: Mapped[dict] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class BotStateItem(Base):
    """One item of Bot Framework state (dialog stacks, user/conversation state)."""

    __tablename__ = "bot_state"

    key: Mapped[str] = mapped_column(String(400), primary_key=True)
    etag: Mapped[str] = mapped_column(String(64))
    data: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: The step token of the question a dialog waits on, written with the state.
    shown: Mapped[str | None] = mapped_column(String(32))
    #: The step token of the last question known to have reached the leader, written after sending.
    delivered: Mapped[str | None] = mapped_column(String(32))


class DocumentVariant(str, enum.Enum):
    """Which copy of an agreement a document is: chosen by who asks for it."""

    #: One of the two leaders: everything they may read.
    PAIR = "pair"
    #: The municipality's archive: without Ledelsesutvikling unless both leaders agreed to share it.
    ARCHIVE = "archive"
    #: An access request (innsyn) under offentleglova: personal matters withheld.
    INNSYN = "innsyn"


class DocumentCopy(Base):
    """One copy of an agreement made as a document: who got it, when, why. Never the content."""

    __tablename__ = "document_copies"

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"), index=True)
    variant: Mapped[DocumentVariant] = mapped_column(Enum(DocumentVariant, native_enum=False, length=20))
    #: The leader the pair's copy was made for (None for the archive and access requests).
    recipient_id: Mapped[int | None] = mapped_column(ForeignKey("leaders.id"))
    #: Who handled it: the case handler of an access request, or the command line's user.
    handled_by: Mapped[str | None] = mapped_column(String(200))
    #: Why it was made: an access request's reason (never agreement content).
    reason: Mapped[str | None] = mapped_column(Text)
    #: How it left: "teams", "command line", "archive export".
    channel: Mapped[str] = mapped_column(String(40))
    #: The SHA-256 of the file, so that a copy can be recognised later.
    sha256: Mapped[str] = mapped_column(String(64))
    made_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class ArchiveExport(Base):
    """An agreement's archive copy written for the records office, at one stage of its year."""

    __tablename__ = "archive_exports"
    __table_args__ = (Index("ix_archive_exports_agreement_stage", "agreement_id", "stage"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"))
    #: "signed" or "followed_up": the follow-up done later is a new document of the same case.
    stage: Mapped[str] = mapped_column(String(20))
    #: The folder written, relative to the export's --out.
    folder: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64))
    exported_at: Mapped[datetime] = mapped_column(default=utcnow)
    copy_id: Mapped[int] = mapped_column(ForeignKey("document_copies.id"))


class DocumentOffer(Base):
    """A leader's own copy offered in Teams, until taken once: kept by the SHA-256 of its token, never the token."""

    __tablename__ = "document_offers"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    #: What the token opens: "consent" (the accept of a file consent card) or "link".
    kind: Mapped[str] = mapped_column(String(20))
    #: The leader the copy is offered to: only they may take it.
    leader_id: Mapped[int] = mapped_column(ForeignKey("leaders.id"))
    #: The agreement whose copy is offered (None for an overview).
    agreement_id: Mapped[int | None] = mapped_column(ForeignKey("agreements.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    #: When it was taken; None while it is still to be had.
    used_at: Mapped[datetime | None]
    #: What is offered: "agreement" (a leader's copy) or "overview" (HR's spreadsheet of ``year``).
    subject: Mapped[str] = mapped_column(String(20), default="agreement", server_default="agreement")
    #: The year of an overview (None for an agreement's copy).
    year: Mapped[int | None] = mapped_column(Integer)


class RetentionDeletion(Base):
    """An agreement whose content retention deleted: when, how much of each kind (counts only), forced or not."""

    __tablename__ = "retention_deletions"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Once per agreement: the unique key makes two processes deleting at once record it once.
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"), unique=True)
    deleted_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: How many rows of each kind went ({"answers": 12, ...}); never content.
    counts: Mapped[dict] = mapped_column(JSON, default=dict)
    #: Deleted although signed and never exported to the archive (``--force``), with the reason given.
    forced: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str | None] = mapped_column(Text)
    #: Who ran it: "command line" or the scheduler's process.
    run_by: Mapped[str] = mapped_column(String(200), default="")


class RetentionRun(Base):
    """The nightly retention job's claim: one row per night, so that one process of several runs it."""

    __tablename__ = "retention_runs"

    night: Mapped[date] = mapped_column(Date, primary_key=True)
    claimed_by: Mapped[str] = mapped_column(String(200))
    claimed_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column()
    #: What the night did, as counts (agreements deleted, kept, dialog states cleared).
    summary: Mapped[dict] = mapped_column(JSON, default=dict)


class AccessLogEntry(Base):
    """One read of an agreement's content: who, when, which part, by which path. Never the content.

    Written in the same transaction as the read's turn (or the copy's session), once per part read;
    a refused read writes nothing. See ``agreement/access_log.py``.
    """

    __tablename__ = "access_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("agreements.id"), index=True)
    read_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: The leader who read (a leader of the pair); None for a reader outside the pair.
    reader_id: Mapped[int | None] = mapped_column(ForeignKey("leaders.id"))
    #: Who read when it was no leader: "arkivet", or the case handler of an access request.
    reader_label: Mapped[str | None] = mapped_column(String(200))
    #: "card", "pdf", "export", "innsyn" or "personal-data".
    path: Mapped[str] = mapped_column(String(20))
    #: "preparation", "agreement", "followup" or "reflections" (the phase the content belongs to).
    part: Mapped[str] = mapped_column(String(20))
    #: The template section read within the part (None when the part was read as a whole).
    section_key: Mapped[str | None] = mapped_column(String(100))

    reader: Mapped[Leader | None] = relationship()


class AppInstallation(Base):
    """The bot's attempt to install its Teams app for a leader it could not reach (Microsoft Graph)."""

    __tablename__ = "app_installations"

    leader_id: Mapped[int] = mapped_column(ForeignKey("leaders.id"), primary_key=True)
    #: "installed", "blocked" (a policy or Teams refused it: it stays so until HR acts) or "failed".
    status: Mapped[str] = mapped_column(String(20))
    #: Why it is blocked or failed, in Graph's words (never personal content), for HR.
    reason: Mapped[str | None] = mapped_column(String(300))
    attempted_at: Mapped[datetime] = mapped_column(default=utcnow)
    installed_at: Mapped[datetime | None] = mapped_column()


class LeaderSyncRun(Base):
    """The nightly leader sync's claim: one row per night, so that one process of several runs it."""

    __tablename__ = "leader_sync_runs"

    night: Mapped[date] = mapped_column(Date, primary_key=True)
    claimed_by: Mapped[str] = mapped_column(String(200))
    claimed_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column()
    #: What the night did, as counts (or the refusal's problem count).
    summary: Mapped[dict] = mapped_column(JSON, default=dict)
