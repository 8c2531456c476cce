"""The privacy rules as a matrix: role × section × phase × action."""

import itertools

import pytest

from agreement.access import Action, ContentContext, Role, can, can_see_status, role_of
from agreement.opening import RECORD_ROLES, open_agreement_status, open_record
from agreement.steps import mark_filled, reopen, set_share_development
from storage.models import Phase
from tests.agreement.helpers import act, fill_all_required, signs
from tests.support.factories import make_pair

SECTIONS = {"styringsbrev": False, "ledelsesutvikling": True, "personell": False, "oppfolging": False}


def context(section: str, phase: Phase, *, own: bool, prepared: bool = False,
            recorded: bool = False, shared: bool = False, personal: bool = False) -> ContentContext:
    return ContentContext(
        section_key=section, phase=phase, author_is_viewer=own, both_prepared=prepared,
        followup_recorded=recorded, development_shared=shared, private_section=SECTIONS[section],
        personal=personal,
    )


def expected(role: Role, action: Action, section: str, phase: Phase, own: bool,
             prepared: bool, recorded: bool, shared: bool, personal: bool = False) -> bool:
    """The rules of the design, written out independently of the implementation."""
    if role in (Role.ARCHIVE, Role.PUBLIC):
        # A copy outside the pair: the agreed text only, exported, never read or written.
        if action is not Action.EXPORT or phase not in (Phase.AGREEMENT, Phase.FOLLOWUP):
            return False
        if role is Role.PUBLIC:
            return not SECTIONS[section] and not personal
        return shared or not SECTIONS[section]
    if role not in (Role.SUPERIOR, Role.SUBORDINATE) or action is Action.REPORT:
        return False
    if action is Action.WRITE:
        if phase in (Phase.PREPARATION, Phase.FOLLOWUP_PREPARATION):
            return own
        return own and role is Role.SUPERIOR
    if action is Action.EXPORT and SECTIONS[section] and not shared:
        return False
    if own:
        return True
    if phase is Phase.PREPARATION:
        return prepared
    if phase is Phase.FOLLOWUP_PREPARATION:
        return recorded
    return True


MATRIX = list(itertools.product(Role, Action, SECTIONS, Phase, [True, False], [True, False], [True, False], [True, False]))


@pytest.mark.parametrize("role,action,section,phase,own,prepared,recorded,shared", MATRIX)
def test_access_matrix(role, action, section, phase, own, prepared, recorded, shared) -> None:
    ctx = context(section, phase, own=own, prepared=prepared, recorded=recorded, shared=shared)
    assert can(role, action, ctx) is expected(role, action, section, phase, own, prepared, recorded, shared)


@pytest.mark.parametrize("role,action,section,phase,shared",
                         list(itertools.product(Role, Action, SECTIONS, Phase, [True, False])))
def test_personal_fields_are_withheld_from_the_public_only(role, action, section, phase, shared) -> None:
    """A field the municipality marks personal: withheld from an access request, nothing else changes."""
    ctx = context(section, phase, own=False, prepared=True, recorded=True, shared=shared, personal=True)
    assert can(role, action, ctx) is expected(role, action, section, phase, False, True, True, shared, True)
    if role is Role.PUBLIC:
        assert not can(role, action, ctx)


@pytest.mark.parametrize("role", [Role.HR, Role.SUPERIORS_SUPERIOR, Role.OUTSIDER])
@pytest.mark.parametrize("shared", [True, False])
def test_nobody_outside_the_pair_ever_sees_ledelsesutvikling(role: Role, shared: bool) -> None:
    for phase, action in itertools.product(Phase, Action):
        assert not can(role, action, context("ledelsesutvikling", phase, own=False, prepared=True, recorded=True, shared=shared))


def test_ledelsesutvikling_leaves_export_unless_both_agreed() -> None:
    agreed = context("ledelsesutvikling", Phase.AGREEMENT, own=True, shared=True)
    not_agreed = context("ledelsesutvikling", Phase.AGREEMENT, own=True, shared=False)
    assert can(Role.SUPERIOR, Action.EXPORT, agreed)
    assert not can(Role.SUPERIOR, Action.EXPORT, not_agreed)
    assert can(Role.SUPERIOR, Action.READ, not_agreed)


def test_roles() -> None:
    assert role_of(1, False, 1, 2, 3) is Role.SUPERIOR
    assert role_of(2, True, 1, 2, 3) is Role.SUBORDINATE  # pair role wins over the HR flag
    assert role_of(3, False, 1, 2, 3) is Role.SUPERIORS_SUPERIOR
    assert role_of(4, True, 1, 2, 3) is Role.HR
    assert role_of(4, False, 1, 2, None) is Role.OUTSIDER
    assert not can_see_status(Role.OUTSIDER)
    assert all(can_see_status(r) for r in Role if r is not Role.OUTSIDER)


async def _matrix_of_the_agreement(session_factory, p, shared: bool) -> None:
    """Every role that may see the agreement, every action, every section: as the matrix says with ``shared``."""
    viewers = {p.superior: Role.SUPERIOR, p.subordinate: Role.SUBORDINATE, p.top: Role.SUPERIORS_SUPERIOR,
               p.hr: Role.HR}
    async with session_factory() as session:
        for leader, role in viewers.items():
            opened = await open_agreement_status(session, leader, p.agreement)
            assert opened.role is role and opened.agreement.development_shared is shared
            for action, section in itertools.product(Action, SECTIONS):
                # The agreed text is written by the superior.
                allowed = opened.may(action, section, Phase.AGREEMENT, p.superior)
                own = leader == p.superior
                assert allowed is expected(role, action, section, Phase.AGREEMENT, own, False, False, shared), (
                    role, action, section)
        for role in RECORD_ROLES:  # the archive and an access request read it as a record
            record = await open_record(session, p.agreement, role)
            for action, section in itertools.product(Action, SECTIONS):
                allowed = record.may(action, section, Phase.AGREEMENT, p.superior)
                assert allowed is expected(role, action, section, Phase.AGREEMENT, False, False, False, shared), (
                    role, action, section)


async def test_the_matrix_follows_the_answers_given_at_signing_and_withdrawn(session_factory) -> None:
    """Sharing is asked of each leader at signing; Ledelsesutvikling is exported only while both say yes."""
    p = await make_pair(session_factory)
    await fill_all_required(session_factory, p.superior, p.agreement)
    await act(session_factory, p.superior, p.agreement, mark_filled)

    def withdraw(session, opened):
        return set_share_development(session, opened, False)

    def consent(session, opened):
        return set_share_development(session, opened, True)

    steps = [
        ("the subordinate signs, yes", p.subordinate, signs(share=True), False),
        ("the superior signs, no: refused by one", p.superior, signs(share=False), False),
        ("the superior says yes after all: agreed by both", p.superior, consent, True),
        ("the subordinate withdraws", p.subordinate, withdraw, False),
        ("reopened: every answer cleared", p.superior, reopen, False),
        ("the subordinate signs again, no", p.subordinate, signs(share=False), False),
        ("the superior signs again, yes", p.superior, signs(share=True), False),
        ("the subordinate says yes after all", p.subordinate, consent, True),
        ("the superior withdraws", p.superior, withdraw, False),
    ]
    await _matrix_of_the_agreement(session_factory, p, shared=False)
    for _what, leader, work, shared in steps:
        await act(session_factory, leader, p.agreement, work)
        await _matrix_of_the_agreement(session_factory, p, shared=shared)


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("action", list(Action))
@pytest.mark.parametrize("reflected,recorded", list(itertools.product([True, False], repeat=2)))
def test_autumn_reflections_open_to_the_other_when_both_are_done(role, action, reflected, recorded) -> None:
    """As in spring: the other's reflections once both are done (or once the follow-up is recorded)."""
    for section, own in itertools.product(SECTIONS, [True, False]):
        ctx = ContentContext(
            section_key=section, phase=Phase.FOLLOWUP_PREPARATION, author_is_viewer=own, both_prepared=False,
            followup_recorded=recorded, development_shared=False, private_section=SECTIONS[section],
            both_reflected=reflected,
        )
        if not role.in_pair or action is Action.REPORT:
            allowed = False
        elif action is Action.WRITE:
            allowed = own
        elif action is Action.EXPORT and SECTIONS[section]:
            allowed = False
        else:
            allowed = own or reflected or recorded
        assert can(role, action, ctx) is allowed, (section, own)
