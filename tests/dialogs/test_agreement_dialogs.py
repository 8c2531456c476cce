"""Planning, filling in, review, signing and reopening, through the main dialog."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from agreement.errors import ConcurrentChange
from agreement.status import AgreementStatus
from bot import actions
from bot import texts as bot_texts
from dialogs import flow
from dialogs.texts import fill as ftexts
from dialogs.texts import menu as mtexts
from dialogs.texts import overview as otexts
from dialogs.texts import plan as ptexts
from dialogs.texts import review as rtexts
from storage.models import Agreement, Phase
from tests.agreement.helpers import status_of
from tests.dialogs.harness import answers, buttons, goals, joined
from tests.dialogs.helpers import fill, prepare, sign_both


async def test_superior_plans_the_conversation(session_factory, pair, chat_for, deps) -> None:
    chat = chat_for(pair.superior)
    replies = await chat.submit(actions.submit_data(actions.PLAN, pair.agreement))
    assert ptexts.ASK.format(name="Megan Bowen") in joined(replies)
    replies = await chat.press(replies, ptexts.SAVE, date="2026-01-05", time="09:00")
    assert "mandag 5. januar 2026 kl. 09.00 har allerede vært." in joined(replies)
    replies = await chat.press(replies, ptexts.SAVE, date="2026-02-10", time="")
    assert ptexts.MISSING_TIME in joined(replies)
    replies = await chat.say("neste tirsdag")
    assert ptexts.INVALID_WHEN.format(example="03.02.2026 09:00") in joined(replies)
    replies = await chat.press(replies, ptexts.SAVE, date="2026-02-10", time="09:30")
    assert ptexts.DONE.format(name="Megan Bowen", when="tirsdag 10. februar 2026 kl. 09.30") in joined(replies)

    async with session_factory() as session:
        meeting = (await session.get(Agreement, pair.agreement)).meeting_at
    assert meeting.replace(tzinfo=meeting.tzinfo or timezone.utc) == datetime(2026, 2, 10, 8, 30, tzinfo=timezone.utc)
    assert await status_of(session_factory, pair.subordinate, pair.agreement) is AgreementStatus.PLANLAGT
    told = deps.notifier.to(pair.subordinate)
    assert ptexts.NOTIFY.format(name="Alex Wilber", when="tirsdag 10. februar 2026 kl. 09.30") in joined(told)
    assert actions.submit_data(actions.PREPARE, pair.agreement) in buttons(told)

    # Moving the meeting shows the current time; a typed time works too.
    replies = await chat.submit(actions.submit_data(actions.PLAN, pair.agreement))
    assert ptexts.CURRENT.format(when="tirsdag 10. februar 2026 kl. 09.30") in joined(replies)
    replies = await chat.say("11.02.2026 kl. 13.15")
    assert "onsdag 11. februar 2026 kl. 13.15" in joined(replies)


async def test_superior_fills_in_with_both_preparations_shown(session_factory, pair, chat_for, deps) -> None:
    await prepare(session_factory, pair.subordinate, pair.agreement, "fra Megan")
    await prepare(session_factory, pair.superior, pair.agreement, "fra Alex")
    chat = chat_for(pair.superior)
    replies = await chat.submit(actions.submit_data(actions.FILL, pair.agreement))
    text = joined(replies)
    assert ftexts.INTRO.format(name="Megan Bowen") in text
    assert "Fra forberedelsen" in text and "bidrag fra Megan" in text and "bidrag fra Alex" in text
    replies = await chat.say("Avtalt bidrag")
    replies = await chat.say("hopp over")
    assert "ER ÅPNE, TROVERDIGE OG ENGASJERTE" in joined(replies)  # both chose it in preparation
    replies = await chat.say("1")
    assert "Du valgte ett utsagn." in joined(replies)
    replies = await chat.say("1, 2, 3, 4")
    assert "Du valgte fire utsagn." in joined(replies)
    replies = await chat.say("1 2")
    replies = await chat.say("Avtalt god til")
    replies = await chat.say("Avtalt utfordrende")
    text = joined(replies)
    assert "Mål fra forberedelsen" in text and "mål fra Megan" in text and "tiltak fra Megan" in text
    replies = await chat.press(replies, "Bruk dette målet")
    assert "Målet «mål fra Megan» er lagret." in joined(replies)
    replies = await chat.press(replies, "Ferdig med målene")
    replies = await chat.say("Avtalt notat")
    replies = await chat.say("Avtalt fungerer")
    replies = await chat.say("Avtalt utfordringer")
    replies = await chat.press(replies, "Legg til mål")
    replies = await chat.say("Lavere sykefravær")
    replies = await chat.say("Tett oppfølging")
    replies = await chat.press(replies, "Ferdig med målene")
    replies = await chat.say("hopp over")
    # The whole agreement once, as Megan will see it, before it is sent.
    text = joined(replies)
    assert ftexts.PREVIEW_ASK.format(name="Megan Bowen") in text and "Avtalt god til" in text
    assert deps.notifier.to(pair.subordinate) == []
    replies = await chat.press(replies, ftexts.SEND.format(name="Megan Bowen"))
    assert ftexts.SENT.format(name="Megan Bowen") in joined(replies)

    saved = await answers(session_factory, pair.agreement, Phase.AGREEMENT, pair.superior)
    assert saved["ledelsesutvikling.tema"] == json.dumps(["apen", "retning"])
    assert saved["styringsbrev.bidrag"] == "Avtalt bidrag" and "styringsbrev.notat" not in saved
    assert await goals(session_factory, pair.agreement, Phase.AGREEMENT, pair.superior) == [
        ("ledelsesutvikling", "mål fra Megan", ["tiltak fra Megan"]),
        ("personell", "Lavere sykefravær", ["Tett oppfølging"]),
    ]
    assert await status_of(session_factory, pair.subordinate, pair.agreement) is AgreementStatus.UTFYLT
    told = deps.notifier.to(pair.subordinate)
    assert ftexts.NOTIFY_REVIEW.format(name="Alex Wilber") in joined(told)
    assert "Avtalt god til" in joined(told) and "Lavere sykefravær" in joined(told)
    assert actions.submit_data(actions.REVIEW, pair.agreement) in buttons(told)


async def test_review_comments_then_both_sign(session_factory, pair, chat_for, deps) -> None:
    await fill(session_factory, pair.superior, pair.agreement)
    subordinate = chat_for(pair.subordinate)
    replies = await subordinate.submit(actions.submit_data(actions.REVIEW, pair.agreement))
    text = joined(replies)
    assert "Lederavtale 2026" in text and "Avtalt styringsbrev.bidrag" in text
    assert rtexts.CHOOSE_SUBORDINATE.format(name="Alex Wilber") in text
    replies = await subordinate.press(replies, rtexts.COMMENT)
    assert rtexts.ASK_COMMENT.format(name="Alex Wilber") in joined(replies)
    replies = await subordinate.say("Målet bør være mer konkret.")
    assert rtexts.COMMENT_SENT.format(name="Alex Wilber") in joined(replies)
    told = deps.notifier.to(pair.superior)
    assert "Målet bør være mer konkret." in joined(told)
    assert actions.submit_data(actions.FILL, pair.agreement) in buttons(told)
    assert await status_of(session_factory, pair.superior, pair.agreement) is AgreementStatus.IKKE_STARTET

    # The superior opens the agreement in its overview, with the comments at the top, and sends it again.
    superior = chat_for(pair.superior)
    replies = await superior.submit(actions.submit_data(actions.FILL, pair.agreement))
    assert "Målet bør være mer konkret." in joined(replies)
    replies = await superior.press(replies, otexts.FINISH_AGREEMENT.format(name="Megan Bowen"))
    replies = await superior.press(replies, ftexts.SEND.format(name="Megan Bowen"))
    assert ftexts.SENT.format(name="Megan Bowen") in joined(replies)

    replies = await subordinate.submit(actions.submit_data(actions.REVIEW, pair.agreement))
    replies = await subordinate.press(replies, rtexts.SIGN)
    assert "Sted og dato:" in joined(replies)
    replies = await subordinate.say("   ")
    assert "Svaret kan ikke være tomt." in joined(replies)
    replies = await subordinate.say("Lørenskog, 01.02.2026")
    replies = await subordinate.say("nei")
    replies = await subordinate.press(replies, rtexts.SIGN)
    assert rtexts.SIGNED_WAITING.format(name="Alex Wilber") in joined(replies)
    assert rtexts.NOTIFY_SIGNED.format(name="Megan Bowen") in joined(deps.notifier.to(pair.superior))
    assert await status_of(session_factory, pair.superior, pair.agreement) is AgreementStatus.UTFYLT
    replies = await subordinate.submit(actions.submit_data(actions.SIGN, pair.agreement))
    assert "Du har allerede signert avtalen." in joined(replies)

    replies = await superior.submit(actions.submit_data(actions.SIGN, pair.agreement))
    assert rtexts.CHOOSE_SUPERIOR in joined(replies)
    replies = await superior.say("signer")
    for answer in ("Lørenskog, 02.02.2026", "nei", "signer"):
        replies = await superior.say(answer)
    assert rtexts.BOTH_SIGNED in joined(replies) and "Lørenskog, 02.02.2026" in joined(replies)
    assert "Lørenskog, 01.02.2026" in joined(replies)
    assert rtexts.BOTH_SIGNED in joined(deps.notifier.to(pair.subordinate)[-1:])
    assert await status_of(session_factory, pair.superior, pair.agreement) is AgreementStatus.SIGNERT


async def send_from_the_overview(chat, replies):
    """Back in the overview: look the agreement over and send it."""
    replies = await chat.press(replies, otexts.FINISH_AGREEMENT.format(name="Megan Bowen"))
    return await chat.press(replies, ftexts.SEND.format(name="Megan Bowen"))


async def test_editing_after_signing_asks_then_reopens(session_factory, pair, chat_for, deps) -> None:
    await fill(session_factory, pair.superior, pair.agreement)
    await sign_both(session_factory, pair, pair.agreement)
    chat = chat_for(pair.superior)
    replies = await chat.submit(actions.submit_data(actions.FILL, pair.agreement))
    assert ftexts.SIGNED_CONFIRM in joined(replies)
    replies = await chat.press(replies, ftexts.NO_KEEP)
    assert ftexts.NOT_REOPENED in joined(replies)
    assert await status_of(session_factory, pair.superior, pair.agreement) is AgreementStatus.SIGNERT

    replies = await chat.submit(actions.submit_data(actions.FILL, pair.agreement))
    replies = await chat.press(replies, ftexts.YES_EDIT)
    assert ftexts.REOPENED in joined(replies)
    replies = await chat.press(replies, otexts.OPEN_ANSWERED)
    overview = await chat.say("Endret bidrag")
    async with session_factory() as session:
        agreement = await session.get(Agreement, pair.agreement)
        assert agreement.superior_signed_at is None and agreement.subordinate_signed_at is None
    saved = await answers(session_factory, pair.agreement, Phase.AGREEMENT, pair.superior)
    assert saved["styringsbrev.bidrag"] == "Endret bidrag"
    # The changed text must be sent for review again before anyone can sign it.
    assert await status_of(session_factory, pair.superior, pair.agreement) is AgreementStatus.IKKE_STARTET
    replies = await chat_for(pair.subordinate).submit(actions.submit_data(actions.REVIEW, pair.agreement))
    assert mtexts.REFUSE_NOT_FILLED in joined(replies) and "Endret bidrag" not in joined(replies)
    replies = await send_from_the_overview(chat, overview)
    assert ftexts.SENT.format(name="Megan Bowen") in joined(replies)
    assert await status_of(session_factory, pair.superior, pair.agreement) is AgreementStatus.UTFYLT
    told = deps.notifier.to(pair.subordinate)
    assert "Endret bidrag" in joined(told[-1:])


async def test_subordinate_cannot_fill_or_sign_before_review(session_factory, pair, chat_for) -> None:
    chat = chat_for(pair.subordinate)
    replies = await chat.submit(actions.submit_data(actions.FILL, pair.agreement))
    assert "Det steget er for den andre lederen i avtalen." in joined(replies)
    replies = await chat.submit(actions.submit_data(actions.SIGN, pair.agreement))
    assert "Avtalen er ikke fylt ut og sendt til gjennomgang ennå." in joined(replies)


async def test_comments_that_cannot_be_saved_are_given_back(session_factory, pair, chat_for, deps, monkeypatch) -> None:
    await fill(session_factory, pair.superior, pair.agreement)
    subordinate = chat_for(pair.subordinate)
    replies = await subordinate.submit(actions.submit_data(actions.REVIEW, pair.agreement))
    replies = await subordinate.press(replies, rtexts.COMMENT)

    async def always_colliding(session):
        raise ConcurrentChange()

    monkeypatch.setattr(flow, "flush", always_colliding)
    replies = await subordinate.say("Målet bør være mer konkret.")
    text = joined(replies)
    assert bot_texts.NOT_STORED in text and "Målet bør være mer konkret." in text
    assert deps.notifier.to(pair.superior) == []
