"""The generic Teams file pieces: the upload to an upload session, file names."""

from __future__ import annotations

import asyncio
import socket

import aiohttp
import pytest
from aiohttp import web

from bot.files import UploadFailed, attachment_disposition, read_consent, safe_file_name, upload
from bot.settings import FILE_CONSENT, LINK, Settings, SettingsError

pytestmark = pytest.mark.usefixtures("no_internet")


def test_file_names_keep_letters_and_lose_what_onedrive_refuses() -> None:
    assert safe_file_name('Lederavtale 2026 Ærlig: "Øystein"/Å?.pdf') == "Lederavtale 2026 Ærlig Øystein Å .pdf"
    assert attachment_disposition("Lederavtale 2026 Bø.pdf") == (
        "attachment; filename=\"Lederavtale 2026 B_.pdf\"; filename*=UTF-8''Lederavtale%202026%20B%C3%B8.pdf")


def test_an_accept_must_bring_a_complete_upload_session() -> None:
    info = {"uploadUrl": "https://upload.example/1", "contentUrl": "https://c.example/1", "name": "a.pdf",
            "uniqueId": "u1", "fileType": "pdf"}
    reply = read_consent({"action": "accept", "context": {"token": "t"}, "uploadInfo": info})
    assert reply.upload.upload_url == "https://upload.example/1" and reply.context == {"token": "t"}
    assert read_consent({"action": "decline", "context": {"token": "t"}}).upload is None


async def _server(handler) -> tuple[web.AppRunner, str]:
    app = web.Application()
    app.router.add_put("/upload", handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    return runner, f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}/upload"  # type: ignore[union-attr]


async def test_an_upload_that_never_finishes_may_have_arrived() -> None:
    never = asyncio.Event()

    async def hang(request: web.Request) -> web.Response:
        await request.read()
        await never.wait()
        return web.Response()

    runner, url = await _server(hang)
    try:
        async with aiohttp.ClientSession() as http:
            with pytest.raises(UploadFailed) as failed:
                await upload(http, url, b"%PDF-1.7", timeout=0.2)
        assert failed.value.refused is False
    finally:
        never.set()
        await runner.cleanup()


async def test_an_upload_target_that_cannot_be_reached_refuses() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    async with aiohttp.ClientSession() as http:
        with pytest.raises(UploadFailed) as failed:
            await upload(http, f"http://127.0.0.1:{port}/upload", b"%PDF-1.7", timeout=5)
    assert failed.value.refused is True


def test_copies_go_by_file_consent_with_an_app_id_and_by_link_in_local_mode() -> None:
    teams = {"MicrosoftAppId": "app", "MicrosoftAppPassword": "secret", "MicrosoftAppTenantId": "tenant"}
    assert Settings.from_env(teams).delivery == FILE_CONSENT
    assert Settings.from_env({}).delivery == LINK
    assert Settings.from_env({"LEDERAVTALE_DOCUMENT_DELIVERY": " File-Consent "}).delivery == FILE_CONSENT
    assert Settings.from_env({**teams, "LEDERAVTALE_DOCUMENT_DELIVERY": "link"}).delivery == LINK
    with pytest.raises(SettingsError, match="LEDERAVTALE_DOCUMENT_DELIVERY must be file-consent or link"):
        Settings.from_env({"LEDERAVTALE_DOCUMENT_DELIVERY": "mail"})
    with pytest.raises(SettingsError, match="LEDERAVTALE_DOCUMENT_OFFER_MINUTES"):
        Settings.from_env({"LEDERAVTALE_DOCUMENT_OFFER_MINUTES": "0"})
    assert Settings.from_env({"LEDERAVTALE_PORT": "4000"}).link_base_url == "http://127.0.0.1:4000"
    assert Settings.from_env({"LEDERAVTALE_PUBLIC_URL": "https://bot.example/"}).link_base_url == "https://bot.example"
