"""The privacy rules as a matrix: role × section × phase × action."""

import itertools

import pytest

from agreement.access import Action, ContentContext, Role, can, can_see_status, role_of
from storage.models import Phase

SECTIONS = {"styringsbrev": False, "ledelsesutvikling": True, "personell": False, "oppfolging": False}


def context(section: str, phase: Phase, *, own: bool, prepared: bool = False,
            recorded: bool = False, shared: bool = False) -> ContentContext:
    return ContentContext(
        section_key=section, phase=phase, author_is_viewer=own, both_prepared=prepared,
        followup_recorded=recorded, development_shared=shared, private_section=SECTIONS[section],
    )


def expected(role: Role, action: Action, section: str, phase: Phase, own: bool,
             prepared: bool, recorded: bool, shared: bool) -> bool:
    """The rules of the design, written out independently of the implementation."""
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
