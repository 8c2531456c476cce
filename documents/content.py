"""What a document copy of an agreement holds, read through the one access-checked path.

One rendering serves the three copies: the pair's copy (a leader of the pair reads everything
they may read), the archive copy (the archive reads the agreed text, Ledelsesutvikling only when
both leaders agreed to share it) and the access request's copy (the public reads the agreed text
less Ledelsesutvikling and what the municipality marks as personal). What a reader may not have
is left out by :func:`gather_document` and marked in its place with why; the rendering never
decides what to show.

Everything a leader typed is carried as typed, to be set as plain text.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from agreement import access_log
from agreement.access import Action, Role
from agreement.errors import AccessDenied
from agreement.answers import GOAL_FOLLOWUP_PREFIX, read_answers
from agreement.goals import list_goals
from agreement.opening import Reader
from agreement.signatures import Signature, signature_of
from agreement.status import followup_done, is_signed
from agreement.template import AnswerSection, Field, FieldKind, Template
from documents import texts
from storage.models import Answer, DocumentVariant, Goal, Phase

#: Turns a stored UTC moment into the municipality's local time.
Localise = Callable[[datetime], datetime]


@dataclass(frozen=True)
class GoalEntry:
    """One development goal with its actions, as typed."""

    title: str
    actions: tuple[str, ...]


@dataclass(frozen=True)
class FieldEntry:
    """One question of the form with its answer, or the reason it is left out (``withheld``)."""

    label: str
    #: "text", "note", "platform_choice", "goals" or "goal_followup".
    kind: str
    heading: str | None = None
    text: str | None = None
    choices: tuple[str, ...] = ()
    goals: tuple[GoalEntry, ...] = ()
    withheld: str | None = None
    #: The label is a leader's text (it names a goal), to be set as typed.
    label_typed: bool = False


@dataclass(frozen=True)
class SectionEntry:
    """An answered section of the form; ``withheld`` says why its answers are left out."""

    key: str
    heading: str
    paragraphs: tuple[str, ...]
    intro: str | None
    privacy_notice: str | None
    fields: tuple[FieldEntry, ...]
    withheld: str | None = None
    #: A note under the heading (e.g. that both leaders agreed to share it).
    note: str | None = None


@dataclass(frozen=True)
class ReadingEntry:
    """A reading section of the form, as the form prints it."""

    heading: str
    paragraphs: tuple[str, ...]
    intro: str | None
    items: tuple[str, ...]


@dataclass(frozen=True)
class SignatureEntry:
    """One signer: the form's label, the name, and (once signed) when, where and their answer on sharing."""

    label: str
    name: str
    signed: str
    place_and_date_label: str
    place_and_date: str | None
    shares: str | None


@dataclass(frozen=True)
class FollowupEntry:
    """The recorded autumn follow-up."""

    heading: str
    paragraphs: tuple[str, ...]
    intro: str | None
    fields: tuple[FieldEntry, ...]
    goals: tuple[FieldEntry, ...]
    notes: tuple[FieldEntry, ...]
    state: tuple[str, ...]


@dataclass(frozen=True)
class Party:
    label: str
    name: str
    unit: str


@dataclass(frozen=True)
class AgreementDocument:
    """Everything one copy of one agreement shows, in reading order."""

    variant: DocumentVariant
    agreement_id: int
    year: int
    municipality: str
    title: str
    form_title: str
    subtitle: str
    variant_label: str
    notes: tuple[str, ...]
    parties: tuple[Party, ...]
    status: str
    reading: tuple[ReadingEntry, ...]
    sections: tuple[SectionEntry, ...]
    place_and_date_label: str
    signatures: tuple[SignatureEntry, ...]
    sharing: str | None
    followup: FollowupEntry | None
    template: str
    made_at: str
    contact: tuple[str, ...]
    #: The screening printed on the copy: access code and legal basis.
    screening: str
    #: When the copy was made (UTC).
    made_at_moment: datetime
    #: The subordinate's and superior's names (for file names and the archive).
    subordinate_name: str = ""
    superior_name: str = ""
    unit: str = ""
    #: Whether the private sections are in this copy.
    development_included: bool = False
    #: The answers and goals that are in this copy, as typed (for checks; never logged).
    typed: tuple[str, ...] = ()

    def as_data(self) -> dict:
        """The document as plain data for the rendering (JSON-serialisable)."""
        data = asdict(self)
        data.pop("made_at_moment")
        data["variant"] = self.variant.value
        return data


def variant_for(role: Role) -> DocumentVariant:
    """The copy a reader gets: chosen by who asks, never by the caller."""
    if role.in_pair:
        return DocumentVariant.PAIR
    if role is Role.ARCHIVE:
        return DocumentVariant.ARCHIVE
    if role is Role.PUBLIC:
        return DocumentVariant.INNSYN
    raise AccessDenied(f"a {role.value} gets no copy of an agreement")


def _moment(localise: Localise, moment: datetime) -> str:
    return texts.MOMENT.format(day=localise(moment))


class _Builder:
    """Reads one agreement for one reader and lays it out as the form does."""

    def __init__(self, reader: Reader, answers: list[Answer], goals: list[Goal], localise: Localise,
                 variant: DocumentVariant) -> None:
        self.reader = reader
        self.agreement = reader.agreement
        self.template: Template = reader.template
        self.localise = localise
        self.variant = variant
        self.action = Action.READ if variant is DocumentVariant.PAIR else Action.EXPORT
        superior = self.agreement.superior_id
        # The agreed text is the superior's record, in spring and in autumn.
        self.answers = {(a.phase, a.question_key): a.text for a in answers if a.author_id == superior}
        self.goals: dict[str, list[Goal]] = {}
        for goal in goals:
            if goal.author_id == superior and goal.phase is Phase.AGREEMENT:
                self.goals.setdefault(goal.section_key, []).append(goal)
        self.typed: list[str] = []

    def allowed(self, section_key: str, phase: Phase, question_key: str | None = None) -> bool:
        return self.reader.may(self.action, section_key, phase, self.agreement.superior_id, question_key)

    def withheld_reason(self, section_key: str) -> str:
        """Why content of ``section_key`` is not in this copy."""
        if self.variant is DocumentVariant.ARCHIVE and section_key in self.template.private_section_keys:
            return texts.NOT_SHARED
        return texts.SCREENED

    # --- the spring agreement ---------------------------------------------------------

    def field(self, section: AnswerSection, spec: Field, phase: Phase) -> FieldEntry:
        kind = spec.kind.value
        if not self.allowed(section.key, phase, spec.key):
            return FieldEntry(spec.label, kind, spec.heading, withheld=self.withheld_reason(section.key))
        if spec.kind is FieldKind.GOALS:
            goals = tuple(self.goal(goal) for goal in self.goals.get(section.key, []))
            return FieldEntry(spec.label, kind, spec.heading, goals=goals)
        raw = self.answers.get((phase, spec.key))
        if spec.kind is FieldKind.PLATFORM_CHOICE:
            chosen = json.loads(raw) if raw else []
            known = {s.key: s.text for s in self.template.platform_statements}
            return FieldEntry(spec.label, kind, spec.heading, choices=tuple(known[k] for k in chosen if k in known))
        if raw:
            self.typed.append(raw)
        return FieldEntry(spec.label, kind, spec.heading, text=raw)

    def goal(self, goal: Goal) -> GoalEntry:
        actions = tuple(action.text for action in goal.current_actions)
        self.typed += [goal.title, *actions]
        return GoalEntry(goal.title, actions)

    def section(self, section: AnswerSection) -> SectionEntry:
        private = section.key in self.template.private_section_keys
        fields = tuple(self.field(section, spec, Phase.AGREEMENT) for spec in section.fields)
        whole = not self.allowed(section.key, Phase.AGREEMENT)
        note = texts.SHARED_NOTE if private and self.variant is DocumentVariant.ARCHIVE and not whole else None
        return SectionEntry(
            key=section.key,
            heading=section.heading,
            paragraphs=section.paragraphs,
            intro=section.intro,
            privacy_notice=section.privacy_notice,
            # A section withheld as a whole is marked once, not question by question.
            fields=() if whole else fields,
            withheld=self.withheld_reason(section.key) if whole else None,
            note=note,
        )

    # --- signatures -------------------------------------------------------------------

    def signature(self, label: str, name: str, signed: Signature | None) -> SignatureEntry:
        place_label = self.template.signing.place_and_date
        if signed is None:
            return SignatureEntry(label, name, texts.UNSIGNED, place_label, None, None)
        shares = texts.SHARES_YES if signed.shares_development else texts.SHARES_NO
        self.typed.append(signed.place)
        return SignatureEntry(label, name, texts.SIGNED.format(moment=_moment(self.localise, signed.signed_at)),
                              place_label, signed.place_and_date, shares)

    # --- the autumn follow-up ---------------------------------------------------------

    def followup(self) -> FollowupEntry | None:
        agreement, followup = self.agreement, self.template.followup
        if agreement.followup_recorded_at is None:
            return None
        text_fields, notes = [], []
        for spec in followup.fields:
            entry = self.field(followup, spec, Phase.FOLLOWUP)
            (text_fields if spec.kind is FieldKind.TEXT else notes).append(entry)
        goals = []
        for section in self.template.sections:
            if not any(spec.kind is FieldKind.GOALS for spec in section.fields):
                continue
            if self.goal_followups_allowed(section):
                goals += [self.goal_followup(goal) for goal in self.goals.get(section.key, [])]
            else:
                # The goals of a withheld section are not read: one mark stands for their follow-up,
                # saying neither their titles nor how many there are.
                goals.append(FieldEntry(texts.GOAL_WITHHELD.format(section=section.heading), "goal_followup",
                                        withheld=self.withheld_reason(section.key)))
        state = [texts.FOLLOWUP_RECORDED.format(moment=_moment(self.localise, agreement.followup_recorded_at))]
        for name, confirmed in ((agreement.subordinate.name, agreement.subordinate_followup_confirmed_at),
                                (agreement.superior.name, agreement.superior_followup_confirmed_at)):
            if confirmed is None:
                state.append(texts.FOLLOWUP_UNCONFIRMED.format(name=name))
            else:
                state.append(texts.FOLLOWUP_CONFIRMED.format(name=name, moment=_moment(self.localise, confirmed)))
        return FollowupEntry(followup.heading, followup.paragraphs, followup.intro, tuple(text_fields),
                             tuple(goals), tuple(notes), tuple(state))

    def goal_followups_allowed(self, section: AnswerSection) -> bool:
        """A goal followed up belongs to its section: withheld with it, its title too."""
        return self.allowed(section.key, Phase.AGREEMENT) and self.allowed(section.key, Phase.FOLLOWUP)

    def goal_followup(self, goal: Goal) -> FieldEntry:
        raw = self.answers.get((Phase.FOLLOWUP, f"{GOAL_FOLLOWUP_PREFIX}{goal.id}"))
        if raw:
            self.typed.append(raw)
        return FieldEntry(texts.GOAL_FOLLOWUP.format(title=goal.title), "goal_followup", text=raw, label_typed=True)


def purpose_for(variant: DocumentVariant, handled_by: str | None = None) -> access_log.Purpose:
    """The access log's path of a copy: the pair's PDF, the archive export, or an access request's copy."""
    if variant is DocumentVariant.PAIR:
        return access_log.PAIR_COPY
    if variant is DocumentVariant.INNSYN:
        return access_log.innsyn(handled_by)
    return access_log.ARCHIVE


async def gather_document(session: AsyncSession, reader: Reader, localise: Localise, now: datetime, *,
                          handled_by: str | None = None,
                          purpose: access_log.Purpose | None = None) -> AgreementDocument:
    """The copy of an agreement that ``reader`` gets, at any stage, read through the access-checked path.

    The read is recorded in the access log in ``session`` as ``purpose`` says (by default the
    copy's own path, :func:`purpose_for`).
    """
    variant = variant_for(reader.role)
    action = Action.READ if variant is DocumentVariant.PAIR else Action.EXPORT
    purpose = purpose or purpose_for(variant, handled_by)
    # Only what the copy holds is read, so that only that is recorded.
    agreed = [answer for phase in (Phase.AGREEMENT, Phase.FOLLOWUP)
              for answer in await read_answers(session, reader, phase=phase, action=action, purpose=purpose)]
    goals = await list_goals(session, reader, phase=Phase.AGREEMENT, action=action, purpose=purpose)
    builder = _Builder(reader, agreed, goals, localise, variant)
    agreement, template = reader.agreement, reader.template
    subordinate, superior = agreement.subordinate, agreement.superior

    sections = tuple(builder.section(section) for section in template.sections)
    signatures = (
        builder.signature(template.signing.subordinate, subordinate.name, signature_of(agreement, Role.SUBORDINATE)),
        builder.signature(template.signing.superior, superior.name, signature_of(agreement, Role.SUPERIOR)),
    )
    sharing = None
    if is_signed(agreement):
        sharing = texts.SHARING_BOTH if agreement.development_shared else texts.SHARING_NOT_BOTH
    followup = builder.followup() if is_signed(agreement) else None

    if variant is DocumentVariant.PAIR:
        recipient = reader.viewer.name  # type: ignore[union-attr]
        label = texts.VARIANT_LABELS[variant].format(recipient=recipient)
    else:
        label = texts.VARIANT_LABELS[variant]
    notes = [texts.VARIANT_NOTES[variant]]
    if variant is DocumentVariant.INNSYN and handled_by:
        notes.append(texts.HANDLED_BY.format(name=handled_by))
    private = template.private_section_keys
    development_included = all(entry.withheld is None for entry in sections if entry.key in private)
    return AgreementDocument(
        variant=variant,
        agreement_id=agreement.id,
        year=agreement.year,
        municipality=template.contact.name,
        title=texts.TITLE.format(year=agreement.year, subordinate=subordinate.name),
        form_title=template.title,
        subtitle=template.subtitle,
        variant_label=label,
        notes=tuple(notes),
        parties=(Party(texts.SUBORDINATE, subordinate.name, subordinate.unit),
                 Party(texts.SUPERIOR, superior.name, superior.unit)),
        status=reader.status.label,
        reading=tuple(ReadingEntry(r.heading, r.paragraphs, r.intro,
                                   r.items or tuple(s.text for s in r.statements)) for r in template.reading),
        sections=sections,
        place_and_date_label=template.signing.place_and_date,
        signatures=signatures,
        sharing=sharing,
        followup=followup,
        template=texts.TEMPLATE_VERSION.format(title=template.title, template_id=template.id,
                                               version=agreement.template_version),
        made_at=texts.MADE_AT.format(moment=_moment(localise, now)),
        contact=template.contact.lines(),
        screening=texts.SCREENING_NOTE,
        made_at_moment=now,
        subordinate_name=subordinate.name,
        superior_name=superior.name,
        unit=subordinate.unit,
        development_included=development_included,
        typed=tuple(builder.typed),
    )


def archive_stage(reader: Reader) -> str | None:
    """The stage of ``reader``'s agreement for the archive: "signed", "followed_up", or None before signing."""
    agreement = reader.agreement
    if not is_signed(agreement):
        return None
    return "followed_up" if followup_done(agreement) else "signed"

