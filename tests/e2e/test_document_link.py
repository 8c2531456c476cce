"""A leader's own copy of the signed agreement in the Agents Playground, in headless Chromium.

The Playground shows no file consent card ("File Consent Card is not supported yet"), so the
bot in local mode hands the copy out as a single-use link from its own endpoint; the browser
follows the link and the file it gets is checked to be Megan's.
"""

from __future__ import annotations

from datetime import datetime
from io import BytesIO
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader

from dialogs.texts import document as dtexts
from tests.e2e.conftest import Stack
from tests.e2e.test_playground import agreement_of
from tests.e2e.ui import Chat
from tests.support.complete import complete_agreement

pytestmark = pytest.mark.browser


def test_a_leader_downloads_their_own_copy_through_the_link(stack: Stack, subordinate: Chat) -> None:
    agreement_id, alex, megan = agreement_of(stack, "alexw@example.com", "meganb@example.com")
    written = stack.db(lambda session_factory: complete_agreement(
        session_factory, alex, megan, agreement_id, superior_shares=True, subordinate_shares=True, follow_up=False))
    year = datetime.now(ZoneInfo("Europe/Oslo")).year

    subordinate.say("vis avtalen", f"Lederavtalen {year}", dtexts.BUTTON)
    subordinate.click(dtexts.BUTTON, dtexts.LINK_TITLE.format(year=year))
    subordinate.shot("the link to the copy")

    fetched: list[tuple[int, dict[str, str], bytes]] = []

    def keep(route) -> None:
        response = route.fetch()
        fetched.append((response.status, response.headers, response.body()))
        route.fulfill(response=response)

    page = subordinate.page
    page.context.route("**/api/documents/*", keep)
    with page.context.expect_page() as opened:
        # An Action.OpenUrl is rendered as a link, not a button.
        subordinate.last_card().get_by_text(dtexts.LINK_BUTTON, exact=True).click()
    # The tab opened for the link closes once the browser takes its answer as a download.
    popup = opened.value
    if not popup.is_closed():
        popup.wait_for_event("close")

    [(status, headers, pdf)] = fetched
    assert status == 200 and headers["content-type"] == "application/pdf"
    assert headers["content-disposition"].startswith("attachment;")
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(BytesIO(pdf)).pages).split())
    assert "Kopi til Megan Bowen" in text
    assert " ".join(written.by_section["ledelsesutvikling"][0].split()) in text
