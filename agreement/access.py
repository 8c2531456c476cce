"""Who may read, write or export which part of an agreement: the privacy rules of the design.

Every read and write of agreement content goes through :func:`can`, asked through
``agreement.opening.AgreementAccess.may`` (the one access-checked path).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from storage.models import Phase

#: Sections whose content never leaves the two leaders ("Personlige utviklingsmål er ikke
#: gjenstand for offentlighet ..."). Loaded templates mark these with ``private: true``;
#: the service passes the template's marking in, this default is for the 2023 form.
DEFAULT_PRIVATE_SECTIONS = frozenset({"ledelsesutvikling"})


class Role(str, enum.Enum):
    """The viewer's relation to one agreement."""

    SUPERIOR = "superior"
    SUBORDINATE = "subordinate"
    SUPERIORS_SUPERIOR = "superiors_superior"
    HR = "hr"
    OUTSIDER = "outsider"
    #: The records office, receiving the archive copy of a signed agreement.
    ARCHIVE = "archive"
    #: The public, receiving a copy on an access request (innsyn) under offentleglova.
    PUBLIC = "public"

    @property
    def in_pair(self) -> bool:
        return self in (Role.SUPERIOR, Role.SUBORDINATE)


class Action(str, enum.Enum):
    READ = "read"
    WRITE = "write"
    EXPORT = "export"
    REPORT = "report"


@dataclass(frozen=True)
class ContentContext:
    """What is known about the piece of content being accessed."""

    section_key: str
    phase: Phase
    author_is_viewer: bool
    both_prepared: bool
    followup_recorded: bool
    development_shared: bool
    private_section: bool
    #: Both leaders have marked their autumn reflections done (the autumn's both_prepared).
    both_reflected: bool = False
    #: A field the municipality marks as a personal matter (withheld from the public).
    personal: bool = False


#: What was agreed, as opposed to each leader's own preparation: what a document copy holds.
AGREED_PHASES = frozenset({Phase.AGREEMENT, Phase.FOLLOWUP})


def role_of(
    viewer_id: int,
    viewer_is_hr: bool,
    superior_id: int,
    subordinate_id: int,
    superiors_superior_id: int | None,
) -> Role:
    """The viewer's role for an agreement (a pair member's role wins over HR)."""
    if viewer_id == superior_id:
        return Role.SUPERIOR
    if viewer_id == subordinate_id:
        return Role.SUBORDINATE
    if superiors_superior_id is not None and viewer_id == superiors_superior_id:
        return Role.SUPERIORS_SUPERIOR
    if viewer_is_hr:
        return Role.HR
    return Role.OUTSIDER


def can_see_status(role: Role) -> bool:
    """Status and dates: the pair, the superior's superior and HR."""
    return role is not Role.OUTSIDER


def can(role: Role, action: Action, content: ContentContext) -> bool:
    """Whether ``role`` may perform ``action`` on ``content``."""
    if role in (Role.ARCHIVE, Role.PUBLIC):
        return action is Action.EXPORT and _copied_outside_pair(role, content)
    if not role.in_pair:
        # HR, the superior's superior and everyone else: status and dates only, never content.
        return False
    if action is Action.REPORT:
        # Reports are about status; no content, least of all Ledelsesutvikling, goes into one.
        return False
    if action is Action.EXPORT:
        if content.private_section and not content.development_shared:
            return False
        return _readable_by_pair_member(role, content)
    if action is Action.READ:
        return _readable_by_pair_member(role, content)
    return _writable_by_pair_member(role, content)


def _copied_outside_pair(role: Role, content: ContentContext) -> bool:
    """What a copy for the archive or for the public holds: the agreed text, never a preparation.

    The archive gets Ledelsesutvikling only when both leaders agreed to share it; the public
    never gets it, nor anything marked personal (offentleglova § 13 jf. forvaltningsloven § 13).
    """
    if content.phase not in AGREED_PHASES:
        return False
    if role is Role.PUBLIC:
        return not content.private_section and not content.personal
    return not content.private_section or content.development_shared


def _readable_by_pair_member(role: Role, content: ContentContext) -> bool:
    if content.author_is_viewer:
        return True
    if content.phase is Phase.PREPARATION:
        # Preparation stays with its author until both have marked theirs done.
        return content.both_prepared
    if content.phase is Phase.FOLLOWUP_PREPARATION:
        # Autumn reflections stay with their author until both are done, as in spring (or until
        # the follow-up is recorded: the conversation has taken place).
        return content.both_reflected or content.followup_recorded
    return True


def _writable_by_pair_member(role: Role, content: ContentContext) -> bool:
    if content.phase in (Phase.PREPARATION, Phase.FOLLOWUP_PREPARATION):
        return content.author_is_viewer
    # The agreed text and the follow-up record are written by the superior.
    return role is Role.SUPERIOR and content.author_is_viewer
