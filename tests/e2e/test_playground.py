"""A leader's year in the Agents Playground, in headless Chromium, clicking and typing.

The superior (Alex Wilber) and the subordinate (Megan Bowen) each have their own Playground
against the same bot. Every step waits for the bot's answer in the page; the outcome is
also checked in the database through the agreement rules.
"""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from agreement.answers import read_answers
from agreement.goals import list_goals
from agreement.opening import open_agreement, open_agreement_status
from agreement.status import AgreementStatus
from storage.models import Phase
from tests.e2e.conftest import Stack
from tests.e2e.ui import BOT_MESSAGE, Chat

pytestmark = pytest.mark.browser

ZONE = ZoneInfo("Europe/Oslo")


def today() -> date:
    return datetime.now(ZONE).date()


def meeting_day() -> date:
    """A day a week ahead, within this year (the agreements are this year's)."""
    return min(today() + timedelta(days=7), date(today().year, 12, 31))


def leader_id(stack: Stack, email: str) -> int:
    from sqlalchemy import select

    from storage.models import Leader

    async def work(session_factory):
        async with session_factory() as session:
            return (await session.execute(select(Leader.id).where(Leader.email == email))).scalar_one()

    return stack.db(work)


def agreement_of(stack: Stack, superior_email: str, subordinate_email: str) -> tuple[int, int, int]:
    """(agreement id, superior id, subordinate id) of this year's agreement of the pair."""
    from sqlalchemy import select

    from storage.models import Agreement

    superior_id = leader_id(stack, superior_email)
    subordinate_id = leader_id(stack, subordinate_email)

    async def work(session_factory):
        async with session_factory() as session:
            return (
                await session.execute(
                    select(Agreement.id).where(
                        Agreement.superior_id == superior_id,
                        Agreement.subordinate_id == subordinate_id,
                        Agreement.year == today().year,
                    )
                )
            ).scalar_one()

    return stack.db(work), superior_id, subordinate_id


def status(stack: Stack, viewer_id: int, agreement_id: int) -> AgreementStatus:
    async def work(session_factory):
        async with session_factory() as session:
            return (await open_agreement_status(session, viewer_id, agreement_id)).status

    return stack.db(work)


def recorded(stack: Stack, viewer_id: int, agreement_id: int, phase, author_id: int) -> tuple[dict, list]:
    """What ``author_id`` recorded in ``phase``, read as ``viewer_id`` through the agreement service."""

    async def work(session_factory):
        async with session_factory() as session:
            opened = await open_agreement(session, viewer_id, agreement_id)
            answers = await read_answers(session, opened, phase=phase)
            goals = await list_goals(session, opened, phase=phase)
            return (
                {a.question_key: a.text for a in answers if a.author_id == author_id},
                [(g.section_key, g.title, [x.text for x in g.current_actions]) for g in goals if g.author_id == author_id],
            )

    return stack.db(work)


def signatures(stack: Stack, agreement_id: int) -> tuple:
    from storage.models import Agreement

    async def work(session_factory):
        async with session_factory() as session:
            agreement = await session.get(Agreement, agreement_id)
            return (
                agreement.subordinate_signed_at, agreement.superior_signed_at,
                (agreement.subordinate_sign_place, agreement.subordinate_sign_date),
                (agreement.superior_sign_place, agreement.superior_sign_date),
                agreement.development_shared,
            )

    return stack.db(work)


def prepare(chat: Chat, word: str) -> None:
    """Answer every question of the preparation through its card, one goal per goals section."""
    chat.click("Gå til spørsmålene", "Sentrale tema og oppdrag fra styringsbrevet", "1 av 11")
    chat.answer(f"Bidrag fra {word}", "2 av 11", "Notatfelt")
    chat.answer(f"Notat om styringsbrevet fra {word}", "3 av 11", "Ledelsesutvikling")
    chat.shot("ledelsesutvikling")
    chat.choose(["1.", "4."], "4 av 11", "Hva er leder god til, og hvorfor?")
    chat.answer(f"God til fra {word}", "5 av 11")
    chat.answer(f"Utfordrende fra {word}", "6 av 11", "Ingen utviklingsmål ennå.")
    chat.click("Legg til mål", "Skriv utviklingsmålet, kort.")
    chat.answer(f"Mål fra {word}", f"Skriv tiltakene for «Mål fra {word}»")
    chat.answer(f"Tiltak A fra {word}\nTiltak B fra {word}", f"Målet «Mål fra {word}» er lagret.")
    chat.shot("goal saved")
    chat.click("Ferdig med målene", "7 av 11")
    chat.answer(f"Notat om ledelsesutvikling fra {word}", "8 av 11", "Personell, økonomi og fag")
    chat.answer(f"Fungerer fra {word}", "9 av 11")
    chat.answer(f"Utfordringer fra {word}", "10 av 11")
    chat.click("Legg til mål", "Skriv utviklingsmålet, kort.")
    chat.answer(f"Personellmål fra {word}", "Skriv tiltakene for")
    chat.answer(f"Personelltiltak fra {word}", f"Målet «Personellmål fra {word}» er lagret.")
    chat.click("Ferdig med målene", "11 av 11")
    chat.answer(f"Notat om personell fra {word}", "Takk! Forberedelsen din er lagret og merket som ferdig.")
    chat.shot("preparation done")


def fill_in(chat: Chat) -> None:
    """The superior records every answer of the agreement through the cards."""
    chat.answer("Avtalt bidrag", "2 av 11")
    chat.answer("Avtalt notat om styringsbrevet", "3 av 11", "Ledelsesutvikling")
    chat.choose(["1.", "2."], "4 av 11")
    chat.answer("Avtalt: god til", "5 av 11")
    chat.answer("Avtalt: utfordrende", "6 av 11", "Mål fra forberedelsen", "Mål fra Megan")
    chat.shot("goals with both preparations")
    chat.click_in("Mål fra Megan", "Bruk dette målet", "Målet «Mål fra Megan» er lagret.")
    chat.click("Legg til mål", "Skriv utviklingsmålet, kort.")
    chat.answer("Delegere mer", "Skriv tiltakene for «Delegere mer»")
    chat.answer("Ukentlig fordeling av oppgaver\nOppfølging hver fredag", "Målet «Delegere mer» er lagret.")
    chat.click("Ferdig med målene", "7 av 11")
    chat.answer("Avtalt notat om ledelsesutvikling", "8 av 11", "Personell, økonomi og fag")
    chat.answer("Avtalt: fungerer", "9 av 11")
    chat.answer("Avtalt: utfordringer", "10 av 11")
    chat.click("Legg til mål", "Skriv utviklingsmålet, kort.")
    chat.answer("Lavere sykefravær", "Skriv tiltakene for «Lavere sykefravær»")
    chat.answer("Tett oppfølging", "Målet «Lavere sykefravær» er lagret.")
    chat.click("Ferdig med målene", "11 av 11")
    # Before it is sent, the whole agreement once, as Megan will see it.
    chat.answer("Avtalt notat om personell", "Slik ser avtalen ut for Megan Bowen", "Avtalt: utfordringer")
    chat.shot("the agreement before it is sent")
    chat.click("Send til Megan Bowen", "Avtalen er sendt til Megan Bowen for gjennomgang og signering.")
    chat.shot("agreement sent for review")


def test_superior_and_subordinate_from_kickoff_to_signed(stack: Stack, superior: Chat, subordinate: Chat) -> None:
    agreement_id, alex, megan = agreement_of(stack, "alexw@example.com", "meganb@example.com")

    # Both open the bot: a greeting and the menu, with a button per step.
    superior.wait_for(0, "Hei, Alex!", "Lederavtalene dine", "Lederavtale med Megan Bowen", "Planlegg samtalen")
    superior.shot("greeting and menu")
    subordinate.wait_for(0, "Hei, Megan!", "Din lederavtale med Alex Wilber")
    subordinate.shot("greeting and menu")

    # The superior plans the conversation with Megan; Megan is told in her own Playground.
    superior.click_in("Lederavtale med Megan Bowen", "Planlegg samtalen", "Når skal ledersamtalen med Megan Bowen være?")
    superior.shot("plan card")
    told = subordinate.count()
    day = meeting_day()
    # Without Microsoft Graph (as here) the meeting is offered as a calendar file beside the confirmation.
    superior.plan(day, "10:00", "Ledersamtalen med Megan Bowen er satt til", "Legg ledersamtalen i kalenderen")
    superior.shot("planned")
    subordinate.wait_for(told, "Alex Wilber har satt opp ledersamtalen deres til")
    subordinate.shot("told about the meeting")
    assert status(stack, alex, agreement_id) is AgreementStatus.PLANLAGT

    # Both prepare, each in their own Playground, through the cards.
    confirmation = superior.page.locator(f"{BOT_MESSAGE} .ac-adaptiveCard").filter(
        has_text="Ledersamtalen med Megan Bowen er satt til").last
    superior.click("Forbered deg", "Forberedelse til ledersamtalen med Megan Bowen", "Gå til spørsmålene",
                   card=confirmation)
    superior.shot("preparation starts")
    prepare(superior, "Alex")

    told = superior.count()
    started = subordinate.count()
    subordinate.click("Forbered deg", "Forberedelse til ledersamtalen med Alex Wilber", "Gå til spørsmålene")
    prepare(subordinate, "Megan")
    subordinate.wait_for(started, "Dere har begge forberedt dere")
    superior.wait_for(told, "Megan Bowen har også forberedt seg til ledersamtalen.")
    superior.shot("told both have prepared")
    assert status(stack, megan, agreement_id) is AgreementStatus.FORBEREDT
    for author, word in ((alex, "Alex"), (megan, "Megan")):
        answers, goals = recorded(stack, author, agreement_id, Phase.PREPARATION, author)
        assert answers == {
            "styringsbrev.bidrag": f"Bidrag fra {word}",
            "styringsbrev.notat": f"Notat om styringsbrevet fra {word}",
            "ledelsesutvikling.tema": json.dumps(["apen", "rollemodell"]),
            "ledelsesutvikling.god_til": f"God til fra {word}",
            "ledelsesutvikling.utfordrende": f"Utfordrende fra {word}",
            "ledelsesutvikling.notat": f"Notat om ledelsesutvikling fra {word}",
            "personell.fungerer": f"Fungerer fra {word}",
            "personell.utfordringer": f"Utfordringer fra {word}",
            "personell.notat": f"Notat om personell fra {word}",
        }
        assert goals == [
            ("ledelsesutvikling", f"Mål fra {word}", [f"Tiltak A fra {word}", f"Tiltak B fra {word}"]),
            ("personell", f"Personellmål fra {word}", [f"Personelltiltak fra {word}"]),
        ]

    # After the conversation the superior fills in every section from the menu.
    superior.say("meny", "Lederavtalene dine")
    filled = ("Fyll ut lederavtalen med Megan Bowen", "1 av 11", "Fra forberedelsen", "Bidrag fra Megan",
              "Bidrag fra Alex")
    if datetime.combine(day, time(10), ZONE) > datetime.now(ZONE):
        # The conversation is still ahead: filling in now is asked about first.
        superior.click_in("Lederavtale med Megan Bowen", "Fyll ut avtalen", "Avtalen fylles vanligvis ut etter samtalen")
        superior.click("Fyll ut nå", *filled)
    else:
        superior.click_in("Lederavtale med Megan Bowen", "Fyll ut avtalen", *filled)
    superior.shot("filling in with both preparations")
    told = subordinate.count()
    fill_in(superior)
    assert status(stack, alex, agreement_id) is AgreementStatus.UTFYLT
    answers, goals = recorded(stack, megan, agreement_id, Phase.AGREEMENT, alex)
    assert answers == {
        "styringsbrev.bidrag": "Avtalt bidrag",
        "styringsbrev.notat": "Avtalt notat om styringsbrevet",
        "ledelsesutvikling.tema": json.dumps(["apen", "retning"]),
        "ledelsesutvikling.god_til": "Avtalt: god til",
        "ledelsesutvikling.utfordrende": "Avtalt: utfordrende",
        "ledelsesutvikling.notat": "Avtalt notat om ledelsesutvikling",
        "personell.fungerer": "Avtalt: fungerer",
        "personell.utfordringer": "Avtalt: utfordringer",
        "personell.notat": "Avtalt notat om personell",
    }
    assert goals == [
        ("ledelsesutvikling", "Mål fra Megan", ["Tiltak A fra Megan", "Tiltak B fra Megan"]),
        ("ledelsesutvikling", "Delegere mer", ["Ukentlig fordeling av oppgaver", "Oppfølging hver fredag"]),
        ("personell", "Lavere sykefravær", ["Tett oppfølging"]),
    ]

    # Megan reads the agreement and signs; then Alex signs. Each is told the meeting is still to come
    # and signs anyway, gives their own place and date, answers on sharing and confirms.
    subordinate.wait_for(told, "Alex Wilber har fylt ut lederavtalen deres.", "Avtalt: god til", "Lavere sykefravær")
    subordinate.shot("agreement to review")
    subordinate.click("Les og signer", "Vil du signere avtalen, eller sende kommentarer til Alex Wilber?")
    before_meeting = datetime.combine(day, time(10), ZONE) > datetime.now(ZONE)
    if before_meeting:
        subordinate.click("Signer", "Samtalen deres er satt til", "Signer nå likevel")
        subordinate.click("Signer nå likevel", "Sted og dato")
    else:
        subordinate.click("Signer", "Sted og dato")
    subordinate.shot("signing")
    offered = subordinate.last_card().locator("input[type=text]").first.input_value()
    assert offered in {f"Lørenskog, {d:%d.%m.%Y}" for d in (today() - timedelta(days=1), today())}
    subordinate.click("Neste", "Kan det som står under Ledelsesutvikling deles")
    subordinate.click("Ja, det kan deles", "Du signerer lederavtalen")
    subordinate.shot("confirm signing")
    told = superior.count()
    subordinate.click("Signer", "Du har signert. Nå venter avtalen på at Alex Wilber signerer.")
    subordinate_signed, superior_signed, subordinate_place, _, _ = signatures(stack, agreement_id)
    assert subordinate_signed is not None and superior_signed is None
    assert subordinate_place == ("Lørenskog", datetime.strptime(offered, "Lørenskog, %d.%m.%Y").date())
    superior.wait_for(told, "Megan Bowen har signert lederavtalen deres.")
    superior.click("Les og signer", "Vil du signere avtalen?")
    told = subordinate.count()
    if before_meeting:
        superior.click("Signer", "Signer nå likevel")
        superior.click("Signer nå likevel", "Sted og dato")
    else:
        superior.click("Signer", "Sted og dato")
    yesterday = today() - timedelta(days=1)
    superior.answer(f"Oslo, {yesterday:%d.%m.%Y}", "Kan det som står under Ledelsesutvikling deles", button="Neste")
    superior.click("Nei", "Du signerer lederavtalen", "Megan Bowen har signert. Når du signerer, er avtalen låst.")
    superior.click("Signer", "Lederavtalen er signert av dere begge og er nå låst.", f"Oslo, {yesterday:%d.%m.%Y}")
    superior.shot("signed")
    subordinate.wait_for(told, "Lederavtalen er signert av dere begge og er nå låst.")
    subordinate.shot("signed")
    assert status(stack, alex, agreement_id) is AgreementStatus.SIGNERT
    subordinate_signed, superior_signed, subordinate_place, superior_place, shared = signatures(stack, agreement_id)
    assert subordinate_signed is not None and superior_signed is not None
    assert subordinate_place[0] == "Lørenskog" and superior_place == ("Oslo", yesterday)
    assert not shared

    superior.say("status", "Lederavtale med Megan Bowen: signert")
    subordinate.say("status", "Din lederavtale med Alex Wilber: signert")
    superior.shot("status")
    subordinate.shot("status")

    # The signed agreement stays at hand: «Se avtalen» in the menu.
    subordinate.say("meny", "Lederavtalene dine")
    subordinate.click_in("Din lederavtale med Alex Wilber", "Se avtalen", f"Lederavtalen {today().year}",
                         "Bidrag fra Megan", "Avtalt: god til", f"Oslo, {yesterday:%d.%m.%Y}")
    subordinate.shot("the signed agreement")


def test_a_reminder_arrives_as_a_card_and_its_button_opens_the_flow(stack: Stack, superior: Chat) -> None:
    """``lederavtale reminders send --date`` for the kick-off day: a proactive card in Alex's chat."""
    from sqlalchemy import select

    from agreement.calendar import build_calendar
    from storage.models import ReminderLog, ReminderStatus

    agreement_id, alex, _adele = agreement_of(stack, "alexw@example.com", "adelev@example.com")
    kickoff = build_calendar(today().year).kickoff
    mark = superior.count()
    output = stack.cli("reminders", "send", "--date", kickoff.isoformat())
    assert "Alex Wilber" in output
    text = superior.wait_for(mark, "Tid for ledersamtaler", "Adele Vance", "Isaiah Langer")
    assert "Planlegg samtalen" in text
    superior.shot("kick-off reminder")

    async def sent(session_factory):
        async with session_factory() as session:
            rows = await session.scalars(select(ReminderLog).where(ReminderLog.recipient_id == alex))
            return {(row.kind, row.agreement_id, row.status) for row in rows}

    assert ("kickoff", agreement_id, ReminderStatus.SENT) in stack.db(sent)

    # The card's button for Adele opens the planning of the conversation with Adele.
    superior.click_in("Adele Vance", "Planlegg samtalen", "Når skal ledersamtalen med Adele Vance være?")
    superior.shot("reminder button opened planning")
    superior.plan(meeting_day(), "13:30", "Ledersamtalen med Adele Vance er satt til")
    assert status(stack, alex, agreement_id) is AgreementStatus.PLANLAGT


def test_the_conversation_continues_where_it_was_after_a_restart(stack: Stack, superior: Chat) -> None:
    agreement_id, alex, _isaiah = agreement_of(stack, "alexw@example.com", "isaiahl@example.com")
    superior.say("meny", "Lederavtalene dine", "Lederavtale med Isaiah Langer")
    superior.click_in("Lederavtale med Isaiah Langer", "Forbered deg", "Forberedelse til ledersamtalen med Isaiah Langer")
    superior.click("Gå til spørsmålene", "1 av 11")
    superior.answer("Bidrag før omstart", "2 av 11", "Notatfelt")
    superior.shot("before the restart")

    stack.restart_bot()

    # The card from before the restart still answers the question it asked.
    superior.answer("Notat etter omstart", "3 av 11", "Ledelsesutvikling")
    superior.shot("after the restart")
    answers, _goals = recorded(stack, alex, agreement_id, Phase.PREPARATION, alex)
    assert answers == {"styringsbrev.bidrag": "Bidrag før omstart", "styringsbrev.notat": "Notat etter omstart"}

    # «avbryt», then back: the preparation opens in its overview and goes on where it was left.
    superior.say("avbryt", "Avbrutt.")
    superior.say("meny", "Lederavtalene dine")
    superior.click_in("Lederavtale med Isaiah Langer", "Forbered deg", "Oversikt over forberedelsen din",
                      "2 av 11 besvart.", "Fortsett der du slapp")
    superior.shot("overview after avbryt")
    superior.click("Fortsett der du slapp", "3 av 11", "Med utgangspunkt i lederplattformen")
