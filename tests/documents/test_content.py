"""What each copy of an agreement holds, before it is rendered: read through the access-checked path."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from agreement.access import Role
from agreement.errors import AccessDenied
from agreement.opening import open_agreement, open_record
from documents import texts
from documents.content import gather_document
from storage.models import DocumentVariant
from tests.support.complete import complete_agreement
from tests.support.factories import make_pair

OSLO = ZoneInfo("Europe/Oslo")
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)


def local(moment: datetime) -> datetime:
    return moment.astimezone(OSLO)


async def _copy(session_factory, *, leader: int | None = None, role: Role | None = None, agreement: int):
    async with session_factory() as session:
        reader = await open_agreement(session, leader, agreement) if leader else await open_record(session, agreement, role)
        return await gather_document(session, reader, local, NOW, handled_by="Saksbehandler Sara")


@pytest.mark.parametrize("shared", [True, False])
async def test_each_copy_holds_what_its_reader_may_have(session_factory, shared: bool) -> None:
    p = await make_pair(session_factory)
    written = await complete_agreement(session_factory, p.superior, p.subordinate, p.agreement,
                                       superior_shares=True, subordinate_shares=shared)
    private = set(written.by_section["ledelsesutvikling"])
    public = set(written.all()) - private
    for leader in (p.superior, p.subordinate):
        pair = await _copy(session_factory, leader=leader, agreement=p.agreement)
        assert pair.variant is DocumentVariant.PAIR
        assert set(written.all()) <= set(pair.typed) | _chosen(written)
    archive = await _copy(session_factory, role=Role.ARCHIVE, agreement=p.agreement)
    assert archive.variant is DocumentVariant.ARCHIVE
    assert public - _chosen(written) <= set(archive.typed)
    assert (private & set(archive.typed) != set()) is shared
    assert archive.development_included is shared
    section = next(s for s in archive.sections if s.key == "ledelsesutvikling")
    assert (section.withheld == texts.NOT_SHARED) is (not shared)
    innsyn = await _copy(session_factory, role=Role.PUBLIC, agreement=p.agreement)
    assert innsyn.variant is DocumentVariant.INNSYN
    assert not private & set(innsyn.typed)
    assert not set(written.personal) & set(innsyn.typed)
    assert public - set(written.personal) - _chosen(written) <= set(innsyn.typed)
    # The follow-up of the withheld goals is one marked place: neither their titles nor their number.
    marked = [f.label for f in innsyn.followup.goals if f.withheld]
    assert marked == [texts.GOAL_WITHHELD.format(section="Ledelsesutvikling")]
    assert [f.label for f in archive.followup.goals if f.withheld] == ([] if shared else marked)
    withheld = [f for f in innsyn.followup.fields + innsyn.followup.goals if f.withheld]
    assert withheld and all(f.withheld == texts.SCREENED for f in withheld)
    # The titles of the withheld goals are not in their follow-up's place either.
    assert not any(title in f.label for f in innsyn.followup.goals for title in written.goal_titles["ledelsesutvikling"])


def _chosen(written) -> set[str]:
    """The platform statements chosen: form text, not typed."""
    return {t for t in written.all() if t.isupper()}


async def test_nobody_outside_the_pair_gets_a_pair_copy(session_factory) -> None:
    p = await make_pair(session_factory)
    for leader in (p.hr, p.top, p.outsider):
        with pytest.raises(AccessDenied):
            await _copy(session_factory, leader=leader, agreement=p.agreement)
    for role in (Role.HR, Role.SUPERIOR):
        with pytest.raises(AccessDenied):
            await _copy(session_factory, role=role, agreement=p.agreement)
