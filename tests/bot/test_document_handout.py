"""A leader's own copy of the agreement through Teams, over HTTP: the file consent card and the single-use link.

The bot runs as the real aiohttp app with the real dialogs; Teams is the fake Bot Connector, and
the leader's OneDrive upload session a fake upload target, both on 127.0.0.1.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from io import BytesIO
from zoneinfo import ZoneInfo

import pytest
from aiohttp import web
from pypdf import PdfReader
from sqlalchemy import select

from bot import actions
from bot import texts as bot_texts
from bot.files import CONSENT_CARD, FILE_CONSENT_INVOKE, FILE_INFO_CARD
from dialogs.texts import common
from dialogs.texts import document as dtexts
from lederavtale.app import main_dialog
from storage.models import DocumentCopy, DocumentVariant, Leader
from tests.bot.conftest import message, make_settings
from tests.bot.test_teams_bot import alex, button, everything, megan, turn
from tests.support.complete import complete_agreement
from tests.support.factories import make_pair
from tests.support.fake_connector import Recorded

pytestmark = pytest.mark.usefixtures("no_internet")

YEAR = datetime.now(ZoneInfo("Europe/Oslo")).year
_uploads = itertools.count(1)


@dataclass
class UploadTarget:
    """A fake OneDrive upload session: keeps what is PUT to it, or answers with ``status``."""

    url: str = ""
    status: int = 201
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)

    async def put(self, request: web.Request) -> web.Response:
        body = await request.read()
        if self.status >= 400:
            return web.json_response({"error": {"code": "scripted"}}, status=self.status)
        self.received.append((dict(request.headers), body))
        return web.json_response({"id": request.match_info["item"], "name": "kopi.pdf"}, status=self.status)


@pytest.fixture
async def target():
    upload_target = UploadTarget()
    app = web.Application(client_max_size=20 * 1024 * 1024)
    app.router.add_put("/upload/{item}", upload_target.put)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    upload_target.url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]
    yield upload_target
    await runner.cleanup()


async def start(client_for, database_url: str, delivery: str = "file-consent"):
    return await client_for(make_settings(database_url, document_delivery=delivery), dialog_factory=main_dialog)


async def signed_pair(session_factory, *, follow_up: bool = False):
    pair = await make_pair(session_factory, year=YEAR)
    written = await complete_agreement(session_factory, pair.superior, pair.subordinate, pair.agreement,
                                       superior_shares=True, subordinate_shares=False, follow_up=follow_up)
    return pair, written


def attachments(items: list[Recorded], content_type: str) -> list[dict]:
    return [attachment for item in items for attachment in item.activity.get("attachments") or []
            if attachment.get("contentType") == content_type]


async def view(client, connector, who, agreement_id: int) -> list[Recorded]:
    return await turn(client, connector, who(connector, None,
                                             value=actions.submit_data(actions.VIEW_AGREEMENT, agreement_id)))


async def offer(client, connector, who, agreement_id: int) -> dict:
    """The leader opens "Se avtalen" and presses the button: the consent card they get."""
    shown = await view(client, connector, who, agreement_id)
    replies = await turn(client, connector, who(connector, None, value=button(shown, dtexts.BUTTON)))
    [consent] = attachments(replies, CONSENT_CARD)
    return consent


def consent_answer(connector, who, consent: dict, target: UploadTarget, action: str = "accept", **extra) -> dict:
    """The invoke Teams sends when the leader answers the consent card."""
    item = next(_uploads)
    value = {"type": "fileUpload", "action": action, "context": consent["content"]["acceptContext"]}
    if action == "accept":
        value["uploadInfo"] = {
            "name": consent["name"], "uploadUrl": f"{target.url}/upload/{item}",
            "contentUrl": f"https://onedrive.example/personal/{item}", "uniqueId": f"unique-{item}",
            "fileType": "pdf",
        }
    value.update(extra)
    return who(connector, None, activity_type="invoke", name=FILE_CONSENT_INVOKE, value=value)


async def answer(client, connector, body: dict) -> tuple[int, list[Recorded]]:
    connector.clear()
    response = await client.post("/api/messages", json=body)
    return response.status, list(connector.activities)


async def copies(session_factory) -> list[DocumentCopy]:
    async with session_factory() as session:
        return list((await session.scalars(select(DocumentCopy).order_by(DocumentCopy.id))).all())


def pdf_text(pdf: bytes) -> str:
    reader = PdfReader(BytesIO(pdf))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def holds(text: str, typed: str) -> bool:
    return " ".join(typed.split()) in text


@pytest.mark.parametrize("follow_up", [False, True], ids=["signed", "followed-up"])
async def test_a_leader_gets_their_own_copy_through_the_file_consent_card(
    session_factory, database_url, connector, client_for, target, follow_up: bool
) -> None:
    pair, written = await signed_pair(session_factory, follow_up=follow_up)
    client = await start(client_for, database_url)

    consent = await offer(client, connector, megan, pair.agreement)
    assert consent["name"] == f"Lederavtale {YEAR} Megan Bowen.pdf"
    assert consent["content"]["sizeInBytes"] > 1000
    assert consent["content"]["acceptContext"] == consent["content"]["declineContext"]
    assert consent["content"]["acceptContext"]["agreement_id"] == pair.agreement
    assert await copies(session_factory) == []  # offering makes no copy

    status, replies = await answer(client, connector, consent_answer(connector, megan, consent, target))

    assert status == 200
    [(headers, pdf)] = target.received
    assert pdf.startswith(b"%PDF-")
    assert headers["Content-Range"] == f"bytes 0-{len(pdf) - 1}/{len(pdf)}"
    assert headers["Content-Length"] == str(len(pdf))
    text = pdf_text(pdf)
    assert "Kopi til Megan Bowen" in text
    followup = set(written.by_section.get("oppfolging", []))
    spring = [typed for typed in written.all() if typed not in followup and not typed.isupper()]
    assert spring and all(holds(text, typed) for typed in spring)
    assert any(holds(text, typed) for typed in followup) is follow_up
    [record] = await copies(session_factory)
    assert (record.agreement_id, record.variant, record.recipient_id, record.channel) == (
        pair.agreement, DocumentVariant.PAIR, pair.subordinate, "teams")
    [info] = attachments(replies, FILE_INFO_CARD)
    assert info["contentUrl"].startswith("https://onedrive.example/personal/")
    assert info["content"]["uniqueId"].startswith("unique-") and info["content"]["fileType"] == "pdf"
    assert dtexts.HANDED_OUT in everything(replies)
    assert [item.conversation_id for item in replies] == ["a:conversation-megan"]


async def test_the_superiors_copy_carries_his_own_name(
    session_factory, database_url, connector, client_for, target
) -> None:
    pair, _ = await signed_pair(session_factory)
    client = await start(client_for, database_url)
    consent = await offer(client, connector, alex, pair.agreement)
    status, _ = await answer(client, connector, consent_answer(connector, alex, consent, target))
    assert status == 200
    [(_, pdf)] = target.received
    assert "Kopi til Alex Wilber" in pdf_text(pdf)
    [record] = await copies(session_factory)
    assert record.recipient_id == pair.superior


async def test_a_second_accept_of_the_same_card_uploads_nothing_more(
    session_factory, database_url, connector, client_for, target
) -> None:
    pair, _ = await signed_pair(session_factory)
    client = await start(client_for, database_url)
    consent = await offer(client, connector, megan, pair.agreement)
    await answer(client, connector, consent_answer(connector, megan, consent, target))

    status, replies = await answer(client, connector, consent_answer(connector, megan, consent, target))

    assert status == 200
    assert len(target.received) == 1
    assert len(await copies(session_factory)) == 1
    assert dtexts.ALREADY_HANDED_OUT.format(button=dtexts.BUTTON) in everything(replies)
    assert attachments(replies, FILE_INFO_CARD) == []


async def test_declining_records_nothing(session_factory, database_url, connector, client_for, target) -> None:
    pair, _ = await signed_pair(session_factory)
    client = await start(client_for, database_url)
    consent = await offer(client, connector, megan, pair.agreement)

    status, replies = await answer(client, connector, consent_answer(connector, megan, consent, target, "decline"))

    assert status == 200
    assert dtexts.DECLINED in everything(replies)
    assert target.received == [] and await copies(session_factory) == []


async def test_another_leaders_accept_is_refused_and_the_card_stays_the_owners(
    session_factory, database_url, connector, client_for, target
) -> None:
    pair, _ = await signed_pair(session_factory)
    client = await start(client_for, database_url)
    consent = await offer(client, connector, megan, pair.agreement)

    # Alex is the other leader of the same agreement: Megan's card is still not his.
    status, replies = await answer(client, connector, consent_answer(connector, alex, consent, target))
    assert status == 200
    assert dtexts.NOT_YOURS in everything(replies)
    assert target.received == [] and await copies(session_factory) == []

    await answer(client, connector, consent_answer(connector, megan, consent, target))
    assert len(target.received) == 1


async def test_hr_and_outsiders_get_no_copy(session_factory, database_url, connector, client_for, target) -> None:
    pair, _ = await signed_pair(session_factory)
    client = await start(client_for, database_url)
    consent = await offer(client, connector, megan, pair.agreement)
    async with session_factory() as session:
        hr = await session.get(Leader, pair.hr)
        hr.aad_object_id = "aad-lynne"
        await session.commit()

    def lynne(c, t=None, **kw):
        return message(c, t, user_id="29:user-lynne", aad_object_id="aad-lynne",
                       conversation_id="a:conversation-lynne", **kw)

    def stranger(c, t=None, **kw):
        return message(c, t, user_id="29:stranger", aad_object_id="aad-stranger",
                       conversation_id="a:conversation-stranger", **kw)

    # HR presses the button of an agreement that is not hers: refused before any offer.
    replies = await turn(client, connector, lynne(connector, value=actions.submit_data(actions.DOCUMENT,
                                                                                        pair.agreement)))
    assert common.NO_ACCESS in everything(replies)
    assert attachments(replies, CONSENT_CARD) == []

    # HR, and a Teams user who is no leader at all, accept Megan's card: refused.
    for who, refusal in ((lynne, dtexts.NOT_YOURS), (stranger, bot_texts.UNKNOWN_USER)):
        status, replies = await answer(client, connector, consent_answer(connector, who, consent, target))
        assert status == 200
        assert refusal in everything(replies)
    assert target.received == [] and await copies(session_factory) == []


async def test_an_unsigned_agreement_has_no_button(session_factory, database_url, connector, client_for) -> None:
    pair = await make_pair(session_factory, year=YEAR)
    client = await start(client_for, database_url)
    shown = await view(client, connector, megan, pair.agreement)
    assert dtexts.BUTTON not in everything(shown)

    # A hand-made press of the button is refused too.
    replies = await turn(client, connector, megan(connector, None,
                                                  value=actions.submit_data(actions.DOCUMENT, pair.agreement)))
    assert dtexts.NOT_SIGNED in everything(replies)
    assert attachments(replies, CONSENT_CARD) == []


async def test_a_failed_upload_is_told_politely_and_records_nothing(
    session_factory, database_url, connector, client_for, target
) -> None:
    pair, _ = await signed_pair(session_factory)
    client = await start(client_for, database_url)
    consent = await offer(client, connector, megan, pair.agreement)
    target.status = 500

    status, replies = await answer(client, connector, consent_answer(connector, megan, consent, target))

    assert status == 200
    assert dtexts.UPLOAD_FAILED.format(button=dtexts.BUTTON) in everything(replies)
    assert bot_texts.TURN_ERROR not in everything(replies)
    assert attachments(replies, FILE_INFO_CARD) == []
    assert await copies(session_factory) == []

    # Nothing was handed out, so the card is still good.
    target.status = 201
    status, replies = await answer(client, connector, consent_answer(connector, megan, consent, target))
    assert status == 200
    assert len(target.received) == 1 and len(await copies(session_factory)) == 1
    assert dtexts.HANDED_OUT in everything(replies)


async def test_an_offer_made_by_one_bot_process_is_taken_through_another(
    session_factory, database_url, connector, client_for, target
) -> None:
    pair, _ = await signed_pair(session_factory)
    offering = await start(client_for, database_url)
    taking = await start(client_for, database_url)
    consent = await offer(offering, connector, megan, pair.agreement)

    status, replies = await answer(taking, connector, consent_answer(connector, megan, consent, target))

    assert status == 200
    assert len(target.received) == 1
    [record] = await copies(session_factory)
    assert record.recipient_id == pair.subordinate
    assert dtexts.HANDED_OUT in everything(replies)
    # ... and the first process knows it is taken.
    status, replies = await answer(offering, connector, consent_answer(connector, megan, consent, target))
    assert dtexts.ALREADY_HANDED_OUT.format(button=dtexts.BUTTON) in everything(replies)
    assert len(target.received) == 1


@pytest.mark.parametrize("value", [
    "not an object",
    {"action": "accept", "context": {"token": "x"}},
    {"action": "accept", "context": "x", "uploadInfo": {}},
    {"action": "upload", "context": {}},
    {"action": "accept", "context": {}, "uploadInfo": {"uploadUrl": "file:///etc/passwd", "contentUrl": "x",
                                                       "name": "x", "uniqueId": "x"}},
], ids=["string", "no-upload", "context-not-object", "unknown-action", "not-a-web-address"])
async def test_a_malformed_consent_gets_a_clear_answer(
    session_factory, database_url, connector, client_for, value
) -> None:
    await make_pair(session_factory, year=YEAR)
    client = await start(client_for, database_url)
    response = await client.post("/api/messages", json=megan(connector, None, activity_type="invoke",
                                                               name=FILE_CONSENT_INVOKE, value=value))
    assert response.status == 400
    assert "must be an object" in await response.text() or "malformed file consent" in await response.text()
    assert await copies(session_factory) == []


async def test_an_unknown_token_is_told_as_too_old(session_factory, database_url, connector, client_for, target) -> None:
    pair, _ = await signed_pair(session_factory)
    client = await start(client_for, database_url)
    consent = await offer(client, connector, megan, pair.agreement)
    forged = {**consent, "content": {**consent["content"], "acceptContext": {"agreement_id": pair.agreement,
                                                                            "token": "guessed"}}}
    status, replies = await answer(client, connector, consent_answer(connector, megan, forged, target))
    assert status == 200
    assert dtexts.OFFER_EXPIRED.format(button=dtexts.BUTTON) in everything(replies)
    assert target.received == []


# --- the single-use link (local mode: the Agents Playground has no file consent card) -----------


def link_of(replies: list[Recorded]) -> str:
    urls = [action["url"] for item in replies for content in item.cards for action in content.get("actions", [])
            if action.get("type") == "Action.OpenUrl"]
    assert len(urls) == 1, everything(replies)
    return urls[0]


async def link(client, connector, who, agreement_id: int) -> str:
    shown = await view(client, connector, who, agreement_id)
    return link_of(await turn(client, connector, who(connector, None, value=button(shown, dtexts.BUTTON))))


async def test_the_link_gives_the_leaders_copy_once(session_factory, database_url, connector, client_for) -> None:
    pair, written = await signed_pair(session_factory)
    client = await start(client_for, database_url, "link")
    url = await link(client, connector, megan, pair.agreement)
    path = url[url.index("/api/documents/"):]
    assert await copies(session_factory) == []

    response = await client.get(path)
    assert response.status == 200
    assert response.content_type == "application/pdf"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert f"Lederavtale%20{YEAR}%20Megan%20Bowen.pdf" in response.headers["Content-Disposition"]
    text = pdf_text(await response.read())
    assert "Kopi til Megan Bowen" in text
    assert holds(text, written.by_section["ledelsesutvikling"][0])
    [record] = await copies(session_factory)
    assert (record.recipient_id, record.variant) == (pair.subordinate, DocumentVariant.PAIR)

    again = await client.get(path)
    assert again.status == 410
    assert await again.text() == dtexts.LINK_USED
    assert len(await copies(session_factory)) == 1


async def test_a_wrong_or_expired_link_serves_nothing(session_factory, database_url, connector, client_for) -> None:
    pair, _ = await signed_pair(session_factory)
    moments = [datetime.now(ZoneInfo("Europe/Oslo"))]

    def wiring(session_factory, settings, notifier):
        wired = main_dialog(session_factory, settings, notifier)
        wired.dialog.deps.clock = lambda: moments[-1]
        return wired

    client = await client_for(make_settings(database_url, document_delivery="link"), dialog_factory=wiring)
    url = await link(client, connector, megan, pair.agreement)
    path = url[url.index("/api/documents/"):]

    wrong = await client.get("/api/documents/" + "x" * 43)
    assert wrong.status == 404 and await wrong.text() == bot_texts.LINK_UNKNOWN
    moments.append(moments[-1] + timedelta(minutes=11))
    expired = await client.get(path)
    assert expired.status == 410 and await expired.text() == dtexts.LINK_EXPIRED
    assert "Traceback" not in await expired.text()
    assert await copies(session_factory) == []


async def test_a_consent_token_opens_no_link(session_factory, database_url, connector, client_for, target) -> None:
    pair, _ = await signed_pair(session_factory)
    client = await start(client_for, database_url)
    consent = await offer(client, connector, megan, pair.agreement)
    response = await client.get("/api/documents/" + consent["content"]["acceptContext"]["token"])
    assert response.status == 404
    assert await copies(session_factory) == []


async def test_a_link_made_before_a_restart_works_after_it(session_factory, database_url, connector,
                                                           client_for) -> None:
    pair, _ = await signed_pair(session_factory)
    before = await start(client_for, database_url, "link")
    url = await link(before, connector, megan, pair.agreement)
    await before.close()

    after = await start(client_for, database_url, "link")
    response = await after.get(url[url.index("/api/documents/"):])

    assert response.status == 200
    assert "Kopi til Megan Bowen" in pdf_text(await response.read())
    assert len(await copies(session_factory)) == 1


async def test_hr_gets_the_overview_spreadsheet_through_the_file_consent_card(
    session_factory, database_url, connector, client_for, target
) -> None:
    """The same offer flow as a leader's copy, for a subject that is not an agreement: the year's overview."""
    from openpyxl import load_workbook

    from dialogs.texts import hr_overview as otexts
    from documents.overview_xlsx import HEADERS, SHEET

    pair, written = await signed_pair(session_factory)
    async with session_factory() as session:
        (await session.get(Leader, pair.superior)).is_hr_admin = True
        await session.commit()
    client = await start(client_for, database_url)
    shown = await turn(client, connector, alex(connector, "Oversikt"))
    replies = await turn(client, connector, alex(connector, None, value=button(shown, otexts.DOWNLOAD)))
    [consent] = attachments(replies, CONSENT_CARD)
    assert consent["name"] == f"Lederavtaler {YEAR} - status.xlsx"
    assert consent["content"]["acceptContext"]["overview_year"] == YEAR

    # Megan may not take Alex's card; it stays his.
    status, refused = await answer(client, connector, consent_answer(connector, megan, consent, target))
    assert status == 200 and dtexts.NOT_YOURS in everything(refused) and target.received == []

    status, replies = await answer(client, connector, consent_answer(connector, alex, consent, target))
    assert status == 200
    [(headers, body)] = target.received
    rows = list(load_workbook(BytesIO(body))[SHEET].iter_rows(values_only=True))
    assert rows[0] == HEADERS and len(rows) == 4  # the pair's three agreements
    assert otexts.HANDED_OUT in everything(replies)
    assert await copies(session_factory) == []  # no agreement's copy was made
    import zipfile

    archive = zipfile.ZipFile(BytesIO(body))
    inside = "".join(archive.read(name).decode("utf-8") for name in archive.namelist())
    assert all(typed not in inside for typed in written.all() if len(typed) > 12)

    status, again = await answer(client, connector, consent_answer(connector, alex, consent, target))
    assert otexts.OFFER_GONE in everything(again) and len(target.received) == 1
