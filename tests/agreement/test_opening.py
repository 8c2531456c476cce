"""Opening an agreement: only the pair sees content, HR and the superior's superior see status, roles required."""

from __future__ import annotations

import pytest

from agreement.access import Role
from agreement.answers import read_answers, save_answer
from agreement.errors import AccessDenied
from agreement.goals import list_goals
from agreement.opening import open_agreement, open_agreement_status
from agreement.status import AgreementStatus
from storage.models import Phase
from tests.agreement.helpers import MAX_LENGTH, act
from tests.support.factories import make_pair


@pytest.mark.parametrize("who", ["outsider", "colleague", "hr", "top"])
async def test_nobody_outside_the_pair_reads_content(session_factory, who: str) -> None:
    p = await make_pair(session_factory)
    await act(session_factory, p.superior, p.agreement,
              lambda s, o: save_answer(s, o, "ledelsesutvikling.god_til", Phase.AGREEMENT, "Privat",
                                       max_length=MAX_LENGTH))
    async with session_factory() as session:
        with pytest.raises(AccessDenied):
            await open_agreement(session, getattr(p, who), p.agreement)
    if who in ("hr", "top"):
        async with session_factory() as session:
            opened = await open_agreement_status(session, getattr(p, who), p.agreement)
            assert opened.status is AgreementStatus.IKKE_STARTET
            assert await read_answers(session, opened) == []
            assert await list_goals(session, opened) == []
    else:
        async with session_factory() as session:
            with pytest.raises(AccessDenied):
                await open_agreement_status(session, getattr(p, who), p.agreement)


async def test_opening_can_require_a_role(session_factory) -> None:
    p = await make_pair(session_factory)
    async with session_factory() as session:
        opened = await open_agreement(session, p.superior, p.agreement, require=Role.SUPERIOR)
        assert opened.role is Role.SUPERIOR
        with pytest.raises(AccessDenied):
            await open_agreement(session, p.subordinate, p.agreement, require=Role.SUPERIOR)
        assert (await open_agreement(session, p.subordinate, p.agreement, require=Role.SUBORDINATE)).other.id == p.superior
