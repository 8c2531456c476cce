"""``lederavtale personal-data``: everything about the leader is in the folder, and nothing about anyone else."""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime, timezone
from io import BytesIO
from pathlib import Path

import pytest
from pypdf import PdfReader

from agreement import access_log
from agreement.answers import save_answer
from agreement.opening import open_agreement
from bot.settings import Settings
from documents import copies
from documents.copies import copies_made, make_copy
from lederavtale.cli import build_parser
from storage.db import create_engine, create_session_factory
from storage.models import Agreement, ConversationRef, DocumentVariant, Phase, ReminderLog, ReminderStatus, utcnow
from tests.agreement.helpers import MAX_LENGTH, act
from tests.support.complete import complete_agreement
from tests.support.factories import TEMPLATE_ID, make_pair

PREP_KEY = "ledelsesutvikling.god_til"
MEGAN_FIRST = "MEGAN-FORBEREDELSE-1 første tanke"
MEGAN_NOW = "MEGAN-FORBEREDELSE-2 slik det står nå"
#: Other people's own writing and data: never in Megan's folder.
ALEX_PREP = "ALEX-FORBEREDELSE hemmelig"
ADELE_PREP = "ADELE-FORBEREDELSE hemmelig"
ADELE_CONVERSATION = "ADELE-SAMTALE-ID"
ADELE_REMINDER_ERROR = "ADELE-FEIL"
MEGAN_CONVERSATION = "a:megan-samtale"


async def run(settings: Settings, *argv: str) -> int:
    args = build_parser().parse_args(list(argv))
    return await args.handler(args, settings)


def _flat(text: str) -> str:
    return " ".join(text.split())


def _pdf_text(data: bytes) -> str:
    return _flat("\n".join(page.extract_text() for page in PdfReader(BytesIO(data)).pages))


def _reference(conversation_id: str, user_id: str, name: str) -> dict:
    return {"activityId": "1", "bot": {"id": "28:bot", "name": "Lederavtale"}, "channelId": "msteams",
            "conversation": {"id": conversation_id, "conversationType": "personal", "tenantId": "tenant"},
            "serviceUrl": "https://smba.trafficmanager.net/emea/", "user": {"id": user_id, "name": name,
                                                                            "aadObjectId": f"aad-{name}"}}


@pytest.fixture
async def world(database_url: str):
    """Megan's agreement through its year, her preparation, last year's empty one, and other people's data."""
    engine = create_engine(database_url)
    try:
        factory = create_session_factory(engine)
        p = await make_pair(factory)
        for text in (MEGAN_FIRST, MEGAN_NOW):
            await act(factory, p.subordinate, p.agreement,
                      lambda s, o, text=text: save_answer(s, o, PREP_KEY, Phase.PREPARATION, text,
                                                          max_length=MAX_LENGTH))
        await act(factory, p.superior, p.agreement,
                  lambda s, o: save_answer(s, o, PREP_KEY, Phase.PREPARATION, ALEX_PREP, max_length=MAX_LENGTH))
        await act(factory, p.colleague, p.other_agreement,
                  lambda s, o: save_answer(s, o, PREP_KEY, Phase.PREPARATION, ADELE_PREP, max_length=MAX_LENGTH))
        written = await complete_agreement(factory, p.superior, p.subordinate, p.agreement,
                                           superior_shares=False, subordinate_shares=False)
        async with factory() as session:
            last_year = Agreement(year=2025, template_id=TEMPLATE_ID, superior_id=p.superior,
                                  subordinate_id=p.subordinate)
            session.add(last_year)
            session.add_all([
                ConversationRef(leader_id=p.subordinate, reference=_reference(MEGAN_CONVERSATION, "29:megan", "Megan"),
                                tenant_id="tenant", service_url="https://smba.trafficmanager.net/emea/"),
                ConversationRef(leader_id=p.colleague, reference=_reference(ADELE_CONVERSATION, "29:adele", "Adele"),
                                tenant_id="tenant", service_url="https://smba.trafficmanager.net/emea/"),
                ReminderLog(kind="prepare", recipient_id=p.subordinate, agreement_id=p.agreement,
                            due_date=date(2026, 1, 20), status=ReminderStatus.SENT, sent_at=utcnow()),
                ReminderLog(kind="prepare", recipient_id=p.colleague, agreement_id=p.other_agreement,
                            due_date=date(2026, 1, 20), status=ReminderStatus.FAILED, error=ADELE_REMINDER_ERROR),
            ])
            # Alex takes his own copy of Megan's agreement in Teams: a copy of her agreement, to him.
            reader = await open_agreement(session, p.superior, p.agreement)
            await make_copy(session, reader, lambda moment: moment, datetime(2026, 2, 20, 9, tzinfo=timezone.utc),
                            channel=copies.TEAMS)
            await session.commit()
            last_year_id = last_year.id
        yield Settings(database_url=database_url, timezone="Europe/Oslo"), factory, p, written, last_year_id
    finally:
        await engine.dispose()


def _read(folder: Path) -> dict[str, bytes]:
    return {str(path.relative_to(folder)): path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()}


async def test_everything_about_the_leader_is_there_and_nothing_about_anyone_else(world, tmp_path: Path,
                                                                                 capsys) -> None:
    settings, factory, p, written, last_year = world
    out = tmp_path / "megan"

    assert await run(settings, "personal-data", "--leader", "MeganB@example.com", "--out", str(out)) == 0

    captured = capsys.readouterr()
    assert captured.err == ""
    assert captured.out.startswith(f"Alt boten har lagret om Megan Bowen (meganb@example.com) er skrevet til {out}")
    files = _read(out)
    pdf_name = f"agreements/2026-{p.agreement}-subordinate.pdf"
    json_name = f"agreements/2025-{last_year}-subordinate.json"
    assert sorted(files) == sorted([
        "LESMEG.txt", "index.json", "leader.json", "agreements.json", pdf_name, json_name, "answers.json",
        "goals.json", "history.json", "reminders.json", "teams_conversation.json", "document_copies.json",
        "access_log.json",
    ])

    # The index lists every file but itself and the guide, each with its checksum.
    listed = json.loads(files["index.json"])
    assert {entry["name"] for entry in listed["files"]} == set(files) - {"index.json", "LESMEG.txt"}
    for entry in listed["files"]:
        assert entry["sha256"] == hashlib.sha256(files[entry["name"]]).hexdigest()
    assert all(name in files["LESMEG.txt"].decode() for name in files if name != "LESMEG.txt")

    leader = json.loads(files["leader.json"])
    assert (leader["name"], leader["email"], leader["unit"], leader["superior"]["name"]) == (
        "Megan Bowen", "meganb@example.com", "Lørenskog skole", "Alex Wilber")

    # This year's agreement is her own copy: the agreed text, less nothing she may read.
    text = _pdf_text(files[pdf_name])
    agreed = [t for t in written.all() if not t.isupper()]
    assert [t for t in agreed if _flat(t) not in text] == []
    assert "Megan Bowen" in text
    # Last year's has no agreed text yet: status and dates.
    empty = json.loads(files[json_name])
    assert (empty["year"], empty["your_role"], empty["other_leader"]["name"]) == (2025, "subordinate", "Alex Wilber")
    summaries = {entry["id"]: entry for entry in json.loads(files["agreements.json"])}
    assert set(summaries) == {p.agreement, last_year}
    assert summaries[p.agreement]["file"] == pdf_name and summaries[p.agreement]["superior_signed_at"]

    # Her own answers, each with every revision.
    [prep] = [a for a in json.loads(files["answers.json"]) if a["phase"] == "preparation"]
    assert prep["text"] == MEGAN_NOW
    assert [r["text"] for r in prep["revisions"]] == [MEGAN_FIRST, MEGAN_NOW]

    [reminder] = json.loads(files["reminders.json"])
    assert (reminder["agreement_id"], reminder["status"], reminder["due_date"]) == (p.agreement, "sent", "2026-01-20")

    conversation = json.loads(files["teams_conversation.json"])
    assert conversation["conversation"]["id"] == MEGAN_CONVERSATION
    assert conversation["user"]["id"] == "29:megan" and conversation["reachable"] is True
    assert "bot" not in conversation

    history = json.loads(files["history.json"])
    assert {event["kind"] for event in history} >= {"signed", "followup_confirmed"}
    assert {event["by"] for event in history} == {"you"}

    made = json.loads(files["document_copies.json"])
    assert [(c["channel"], c["recipient"]) for c in made] == [("teams", "Alex Wilber"),
                                                             ("personal data", "you")]

    # Who has read her agreement: Alex's copy in Teams, and this answer itself (never content).
    reads = json.loads(files["access_log.json"])
    assert {(r["reader"], r["path"]) for r in reads} >= {("Alex Wilber", "pdf"), ("you", "personal-data")}
    assert {(r["agreement_id"], r["part"]) for r in reads if r["path"] == "personal-data"} >= {
        (p.agreement, "agreement"), (p.agreement, "preparation")}
    assert not {"text", "content"} & {key for r in reads for key in r}

    # Nothing about another person: the other leader's preparation, the colleague's data.
    everything = "\n".join([data.decode("utf-8") for name, data in files.items() if not name.endswith(".pdf")]
                           + [text])
    for foreign in (ALEX_PREP, ADELE_PREP, ADELE_CONVERSATION, ADELE_REMINDER_ERROR, "Adele Vance", "28:bot",
                    "adelev@example.com", "Isaiah Langer"):
        assert foreign not in everything, foreign

    # The copy handed out is in the log of copies, for her, by this channel.
    async with factory() as session:
        records = await copies_made(session, variant=DocumentVariant.PAIR)
    mine = [r for r in records if r.channel == copies.PERSONAL_DATA]
    assert [(r.agreement_id, r.recipient_id) for r in mine] == [(p.agreement, p.subordinate)]
    assert mine[0].sha256 == hashlib.sha256(files[pdf_name]).hexdigest()
    # And the answer is in the access log, for the privacy officer, as the leader's own read.
    async with factory() as session:
        logged = await access_log.entries_for(session, p.agreement)
    assert {(r.reader_id, r.part) for r in logged if r.path == access_log.PERSONAL_DATA} >= {
        (p.subordinate, "agreement"), (p.subordinate, "preparation")}


async def test_a_leader_with_two_roles_gets_each_agreement_in_their_own_role(world, tmp_path: Path, capsys) -> None:
    settings, factory, p, written, _ = world
    out = tmp_path / "alex"
    out.mkdir()  # an empty folder is taken

    assert await run(settings, "personal-data", "--leader", "alexw@example.com", "--out", str(out)) == 0

    files = _read(out)
    roles = {entry["id"]: entry["your_role"] for entry in json.loads(files["agreements.json"])}
    assert roles[p.agreement] == "superior" and roles[p.top_agreement] == "subordinate"
    assert roles[p.other_agreement] == "superior"
    answers = json.loads(files["answers.json"])
    texts = [a["text"] for a in answers]
    assert ALEX_PREP in texts and MEGAN_NOW not in texts and ADELE_PREP not in texts
    everything = "\n".join(data.decode("utf-8") for name, data in files.items() if not name.endswith(".pdf"))
    for foreign in (MEGAN_FIRST, MEGAN_NOW, ADELE_PREP, MEGAN_CONVERSATION):
        assert foreign not in everything, foreign
    for name, data in files.items():
        if name.endswith(".pdf"):
            pdf = _pdf_text(data)
            assert _flat(MEGAN_NOW) not in pdf and _flat(ADELE_PREP) not in pdf


async def test_an_unknown_leader_or_a_folder_in_use_writes_nothing(world, tmp_path: Path, capsys) -> None:
    settings, factory, p, _, _ = world
    taken = tmp_path / "brukt"
    taken.mkdir()
    (taken / "gammel.txt").write_text("fra før")
    a_file = tmp_path / "fil.txt"
    a_file.write_text("en fil")
    cases = [
        ("ukjent@example.com", tmp_path / "ny", 1,
         "Fant ingen leder med e-postadressen «ukjent@example.com». Ingenting er skrevet.\n"),
        ("meganb@example.com", taken, 2, f"Mappen «{taken}» er ikke tom"),
        ("meganb@example.com", a_file, 2, f"«{a_file}» er en fil, ikke en mappe"),
        ("meganb@example.com", tmp_path / "finnes-ikke" / "ny", 2, "finnes ikke. Ingenting er skrevet."),
    ]
    for email, out, code, message in cases:
        assert await run(settings, "personal-data", "--leader", email, "--out", str(out)) == code
        captured = capsys.readouterr()
        assert captured.out == "" and message in captured.err and "Traceback" not in captured.err
    assert not (tmp_path / "ny").exists()
    assert [path.name for path in taken.iterdir()] == ["gammel.txt"]
    assert a_file.read_text() == "en fil"
    assert not [path for path in tmp_path.iterdir() if path.name.endswith(".part")]
    async with factory() as session:
        assert [r for r in await copies_made(session) if r.channel == copies.PERSONAL_DATA] == []
        logged = await access_log.entries_for(session, p.agreement)
    assert [r for r in logged if r.path == access_log.PERSONAL_DATA] == []


async def test_a_folder_that_cannot_be_written_records_no_copy(world, tmp_path: Path, capsys, monkeypatch) -> None:
    settings, factory, p, _, _ = world

    def full_disk(src, dst) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("lederavtale.commands.personal_data.os.replace", full_disk)
    out = tmp_path / "megan"
    assert await run(settings, "personal-data", "--leader", "meganb@example.com", "--out", str(out)) == 1
    assert "No space left on device. Ingenting er skrevet." in capsys.readouterr().err
    assert not out.exists()
    assert not [path for path in tmp_path.iterdir() if path.name.endswith(".part")]
    async with factory() as session:
        assert [r for r in await copies_made(session) if r.channel == copies.PERSONAL_DATA] == []
        logged = await access_log.entries_for(session, p.agreement)
    assert [r for r in logged if r.path == access_log.PERSONAL_DATA] == []
