"""Signing on purpose and agreeing on sharing Ledelsesutvikling, through the chat, for both leaders."""

from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy import select

from agreement.status import AgreementStatus
from agreement.steps import plan_meeting
from bot import actions
from dialogs.texts import common
from dialogs.texts import review as rtexts
from storage.models import Agreement, AgreementEvent
from tests.agreement.helpers import act, status_of
from tests.dialogs.harness import all_cards, buttons, joined
from tests.dialogs.helpers import fill, sign_both
from tests.support.cards import card_nodes, rich_text_lines

#: The heading of the agreement card: the agreement's own year, the form's subtitle and source.
HEADING = ("Lederavtale 2026", "For alle ledere i Lørenskog kommune", "Skjema: Lederavtale 2023")


def field_value(replies) -> str | None:
    """The value in the text field of the last card."""
    [field] = [node for node in card_nodes(all_cards(replies)[-1]) if node.get("type") == "Input.Text"]
    return field.get("value")


def notice(replies) -> str:
    """The reason above a card asked again."""
    first = all_cards(replies)[-1]["body"][0]
    assert first.get("style") == "attention", first
    return first["items"][0]["text"]


async def stored(session_factory, agreement_id: int) -> Agreement:
    async with session_factory() as session:
        return await session.get(Agreement, agreement_id)


async def events(session_factory, agreement_id: int, kind: str) -> list[tuple[int, dict]]:
    async with session_factory() as session:
        rows = await session.scalars(
            select(AgreementEvent).where(AgreementEvent.agreement_id == agreement_id, AgreementEvent.kind == kind)
            .order_by(AgreementEvent.id)
        )
        return [(row.actor_id, row.detail) for row in rows]


async def to_place_and_date(chat, agreement_id: int, action: str = actions.REVIEW):
    """Open the agreement to sign and press «Signer»: the card asking for one's place and date."""
    replies = await chat.submit(actions.submit_data(action, agreement_id))
    return await chat.press(replies, rtexts.SIGN)


async def test_both_sign_each_with_their_own_place_and_date(session_factory, pair, chat_for, deps, clock) -> None:
    await fill(session_factory, pair.superior, pair.agreement)
    subordinate, superior = chat_for(pair.subordinate), chat_for(pair.superior)

    # Megan reads the agreement, headed with its own year, the form's subtitle and the form it was made on.
    replies = await subordinate.submit(actions.submit_data(actions.REVIEW, pair.agreement))
    text = joined(replies)
    assert all(line in text for line in HEADING)
    assert "Lederavtale 2023" not in text.replace("Skjema: Lederavtale 2023", "")
    assert "Megan Bowen (ikke signert)" in text and "Alex Wilber (ikke signert)" in text
    replies = await subordinate.press(replies, rtexts.SIGN)
    # Her own place and date, offered as Lørenskog and today; the button goes on, it does not "Lagre".
    assert "Sted og dato:" in joined(replies) and rtexts.PLACE_HINT in joined(replies)
    assert field_value(replies) == "Lørenskog, 02.02.2026"
    assert rtexts.PLACE_NEXT in joined(replies) and common.BUTTON_SAVE not in joined(replies)
    replies = await subordinate.press(replies, rtexts.PLACE_NEXT, text="Oslo, 01.02.2026")
    # Asked about sharing, with the form's own words on it.
    text = joined(replies)
    assert rtexts.SHARE_QUESTION in text and rtexts.SHARE_RULE in text
    assert "Personlige utviklingsmål er ikke gjenstand for offentlighet" in text
    replies = await subordinate.press(replies, rtexts.SHARE_YES)
    # The confirmation names what is signed, her place and date and her answer.
    text = joined(replies)
    assert ("Du signerer lederavtalen 2026 mellom Alex Wilber og Megan Bowen, som underordnet leder."
            in text)
    assert "Oslo, 01.02.2026" in rich_text_lines(all_cards(replies)[-1])
    assert rtexts.CONFIRM_SHARE_YES.format(name="Alex Wilber") in text and rtexts.CONFIRM_LOCK_FIRST in text
    assert (await stored(session_factory, pair.agreement)).subordinate_signed_at is None  # not before «Signer»
    replies = await subordinate.press(replies, rtexts.SIGN)
    assert rtexts.SIGNED_WAITING.format(name="Alex Wilber") in joined(replies)
    told = deps.notifier.to(pair.superior)[-1:]
    assert rtexts.NOTIFY_SIGNED.format(name="Megan Bowen") in joined(told)
    assert actions.submit_data(actions.SIGN, pair.agreement) in buttons(told)
    agreement = await stored(session_factory, pair.agreement)
    assert (agreement.subordinate_sign_place, agreement.subordinate_sign_date) == ("Oslo", date(2026, 2, 1))
    assert agreement.subordinate_shares_development and agreement.superior_signed_at is None

    # Alex signs the next day, typing his answers.
    clock.now = datetime(2026, 2, 3, 12, 0, tzinfo=timezone.utc)
    replies = await superior.press(told, rtexts.NOTIFY_SIGNED_BUTTON)
    text = joined(replies)
    assert rtexts.CHOOSE_SUPERIOR in text and "Oslo, 01.02.2026" in rich_text_lines(all_cards(replies)[-1])
    assert "Ledelsesutvikling kan deles: ja" in text
    replies = await superior.say("signer")
    assert field_value(replies) == "Lørenskog, 03.02.2026"
    replies = await superior.say("Lørenskog, 03.02.2026")
    replies = await superior.say("nei")
    text = joined(replies)
    assert "Du signerer lederavtalen 2026 mellom Alex Wilber og Megan Bowen, som overordnet leder." in text
    assert rtexts.CONFIRM_SHARE_NO in text and rtexts.CONFIRM_LOCK_LAST.format(name="Megan Bowen") in text
    replies = await superior.say("signer")

    # Both get the signed agreement: both signatures, each with its own place and date.
    for summary in (replies, deps.notifier.to(pair.subordinate)[-1:]):
        text = joined(summary)
        assert rtexts.BOTH_SIGNED in text and all(line in text for line in HEADING)
        assert "Megan Bowen (signert " in text and "Alex Wilber (signert " in text
        lines = rich_text_lines(all_cards(summary)[-1])
        assert "Oslo, 01.02.2026" in lines and "Lørenskog, 03.02.2026" in lines
        assert "Ledelsesutvikling kan deles: ja" in text and "Ledelsesutvikling kan deles: nei" in text
        # Refused by one: not shared.
        assert rtexts.NOT_SHARED in text and rtexts.SHARED not in text
        assert actions.submit_data(actions.SHARING, pair.agreement) in buttons(summary)
    agreement = await stored(session_factory, pair.agreement)
    assert (agreement.superior_sign_place, agreement.superior_sign_date) == ("Lørenskog", date(2026, 2, 3))
    assert (agreement.subordinate_sign_place, agreement.subordinate_sign_date) == ("Oslo", date(2026, 2, 1))
    assert not agreement.superior_shares_development and not agreement.development_shared
    assert await status_of(session_factory, pair.superior, pair.agreement) is AgreementStatus.SIGNERT
    # The history keeps each signature with its place, date and answer.
    assert await events(session_factory, pair.agreement, "signed") == [
        (pair.subordinate, {"place": "Oslo", "date": "2026-02-01", "place_and_date": "Oslo, 01.02.2026",
                            "share_development": True}),
        (pair.superior, {"place": "Lørenskog", "date": "2026-02-03", "place_and_date": "Lørenskog, 03.02.2026",
                         "share_development": False}),
    ]


async def test_a_refused_place_and_date_comes_back_in_the_field(session_factory, pair, chat_for, deps) -> None:
    await fill(session_factory, pair.superior, pair.agreement)
    chat = chat_for(pair.superior)
    replies = await to_place_and_date(chat, pair.agreement, actions.SIGN)
    example = "Lørenskog, 02.02.2026"
    for typed, reason in (
        ("Lørenskog", rtexts.NO_DATE),
        ("Lørenskog, 03.02.2026", rtexts.FUTURE_DATE),
        ("Lørenskog, 30.02.2026", rtexts.INVALID_DATE),
        ("01.02.2026", rtexts.NO_PLACE),
        ("Lørenskog 01.02.2026 eller 02.02.2026", rtexts.SEVERAL_DATES),
    ):
        replies = await chat.press(replies, rtexts.PLACE_NEXT, text=typed)
        assert notice(replies) == reason.format(example=example), typed
        assert field_value(replies) == typed
    # Typed in the chat instead of the field: the same check, and the text is put in the field.
    replies = await chat.say("Lørenskog, i morgen")
    assert notice(replies) == rtexts.NO_DATE.format(example=example)
    assert field_value(replies) == "Lørenskog, i morgen"
    replies = await chat.press(replies, rtexts.PLACE_NEXT, text="  ")
    assert notice(replies) == common.EMPTY
    agreement = await stored(session_factory, pair.agreement)
    assert agreement.superior_signed_at is None and agreement.superior_sign_place is None

    replies = await chat.press(replies, rtexts.PLACE_NEXT, text="Lørenskog 2.2.2026")
    assert rtexts.SHARE_QUESTION in joined(replies)
    replies = await chat.press(replies, rtexts.SHARE_NO)
    assert "Lørenskog, 02.02.2026" in rich_text_lines(all_cards(replies)[-1])  # as it will stand on the agreement
    replies = await chat.press(replies, rtexts.SIGN)
    assert rtexts.SIGNED_WAITING.format(name="Megan Bowen") in joined(replies)
    agreement = await stored(session_factory, pair.agreement)
    assert (agreement.superior_sign_place, agreement.superior_sign_date) == ("Lørenskog", date(2026, 2, 2))


async def test_the_confirmation_can_be_cancelled(session_factory, pair, chat_for, deps) -> None:
    await fill(session_factory, pair.superior, pair.agreement)
    chat = chat_for(pair.subordinate)
    replies = await to_place_and_date(chat, pair.agreement)
    replies = await chat.press(replies, rtexts.PLACE_NEXT, text="Lørenskog, 02.02.2026")
    # «hjelp» on the way is answered, and the question is asked again.
    replies = await chat.say("hjelp")
    assert "postmottak@lorenskog.kommune.no" in joined(replies) and rtexts.SHARE_QUESTION in joined(replies)
    confirmation = await chat.press(replies, rtexts.SHARE_YES)
    replies = await chat.press(confirmation, rtexts.CANCEL)
    assert rtexts.NOT_SIGNED in joined(replies)
    agreement = await stored(session_factory, pair.agreement)
    assert agreement.subordinate_signed_at is None and not agreement.subordinate_shares_development
    assert await events(session_factory, pair.agreement, "signed") == []
    assert deps.notifier.to(pair.superior) == []
    # The confirmation card pressed again later is an old card: nothing is signed.
    replies = await chat.press(confirmation, rtexts.SIGN)
    assert common.STALE_CARD_MENU in joined(replies)
    assert (await stored(session_factory, pair.agreement)).subordinate_signed_at is None


async def test_signing_before_the_meeting_gets_a_gentle_word(session_factory, pair, chat_for, clock) -> None:
    await act(session_factory, pair.superior, pair.agreement,
              lambda s, o: plan_meeting(s, o, datetime(2026, 2, 10, 8, 0, tzinfo=timezone.utc)))
    await fill(session_factory, pair.superior, pair.agreement)
    chat = chat_for(pair.subordinate)
    replies = await to_place_and_date(chat, pair.agreement)
    assert rtexts.EARLY.format(when="tirsdag 10. februar 2026 kl. 09.00") in joined(replies)
    replies = await chat.press(replies, rtexts.WAIT)
    assert rtexts.WAIT_DONE in joined(replies)
    assert (await stored(session_factory, pair.agreement)).subordinate_signed_at is None

    replies = await to_place_and_date(chat, pair.agreement)
    replies = await chat.press(replies, rtexts.SIGN_ANYWAY)
    assert field_value(replies) == "Lørenskog, 02.02.2026"

    # After the meeting, no word about it.
    clock.now = datetime(2026, 2, 10, 9, 0, tzinfo=timezone.utc)
    replies = await to_place_and_date(chat, pair.agreement)
    assert rtexts.EARLY.split(",")[0] not in joined(replies) and field_value(replies) == "Lørenskog, 10.02.2026"


async def sign_in_chat(chat, agreement_id: int, share: str, action: str = actions.REVIEW):
    replies = await to_place_and_date(chat, agreement_id, action)
    replies = await chat.press(replies, rtexts.PLACE_NEXT, text="Lørenskog, 02.02.2026")
    replies = await chat.press(replies, share)
    return await chat.press(replies, rtexts.SIGN)


async def test_sharing_agreed_by_both_then_withdrawn(session_factory, pair, chat_for, deps) -> None:
    await fill(session_factory, pair.superior, pair.agreement)
    subordinate, superior = chat_for(pair.subordinate), chat_for(pair.superior)
    await sign_in_chat(subordinate, pair.agreement, rtexts.SHARE_YES)
    replies = await sign_in_chat(superior, pair.agreement, rtexts.SHARE_YES, actions.SIGN)
    assert rtexts.SHARED in joined(replies) and rtexts.SHARED in joined(deps.notifier.to(pair.subordinate)[-1:])
    assert (await stored(session_factory, pair.agreement)).development_shared

    # Megan withdraws from the signed agreement's card; both are told.
    summary = deps.notifier.to(pair.subordinate)[-1:]
    replies = await subordinate.press(summary, rtexts.SHARING_BUTTON)
    text = joined(replies)
    assert rtexts.SHARING_OWN_YES in text and rtexts.SHARING_OTHER_YES.format(name="Alex Wilber") in text
    assert rtexts.SHARED in text
    replies = await subordinate.press(replies, rtexts.WITHDRAW)
    assert rtexts.WITHDRAWN.format(name="Alex Wilber") in joined(replies)
    told = deps.notifier.to(pair.superior)[-1:]
    assert rtexts.NOTIFY_WITHDRAWN.format(name="Megan Bowen") in joined(told)
    agreement = await stored(session_factory, pair.agreement)
    assert not agreement.development_shared and not agreement.subordinate_shares_development
    assert agreement.superior_shares_development and agreement.subordinate_signed_at is not None  # still signed
    assert await events(session_factory, pair.agreement, "share_development") == [
        (pair.subordinate, {"share": False, "shared": False}),
    ]

    # Alex sees where it stands and keeps his answer.
    replies = await superior.press(told, rtexts.SHARING_BUTTON)
    text = joined(replies)
    assert rtexts.SHARING_OWN_YES in text and rtexts.SHARING_OTHER_NO.format(name="Megan Bowen") in text
    assert rtexts.NOT_SHARED in text
    replies = await superior.press(replies, rtexts.KEEP_ANSWER)
    assert rtexts.KEPT in joined(replies)

    # Megan says yes again (typed): shared again, and Alex is told.
    replies = await subordinate.submit(actions.submit_data(actions.SHARING, pair.agreement))
    assert rtexts.SHARING_OWN_NO in joined(replies) and rtexts.CONSENT in joined(replies)
    replies = await subordinate.say("ja")
    assert rtexts.CONSENTED_SHARED.format(name="Alex Wilber") in joined(replies)
    assert rtexts.NOTIFY_CONSENTED_SHARED.format(name="Megan Bowen") in joined(deps.notifier.to(pair.superior)[-1:])
    assert (await stored(session_factory, pair.agreement)).development_shared
    assert len(await events(session_factory, pair.agreement, "share_development")) == 2


async def test_a_yes_after_a_no_waits_for_the_other(session_factory, pair, chat_for, deps) -> None:
    await fill(session_factory, pair.superior, pair.agreement)
    await sign_both(session_factory, pair, pair.agreement, share=(False, False))
    chat = chat_for(pair.superior)
    replies = await chat.submit(actions.submit_data(actions.SHARING, pair.agreement))
    replies = await chat.press(replies, rtexts.CONSENT)
    assert rtexts.CONSENTED_WAITING.format(name="Megan Bowen") in joined(replies)
    told = deps.notifier.to(pair.subordinate)[-1:]
    assert rtexts.NOTIFY_CONSENTED_WAITING.format(name="Alex Wilber") in joined(told)
    agreement = await stored(session_factory, pair.agreement)
    assert agreement.superior_shares_development and not agreement.development_shared


async def test_sharing_is_answered_at_signing_first(session_factory, pair, chat_for) -> None:
    await fill(session_factory, pair.superior, pair.agreement)
    replies = await chat_for(pair.subordinate).submit(actions.submit_data(actions.SHARING, pair.agreement))
    assert rtexts.SHARING_NOT_SIGNED in joined(replies)
    assert not (await stored(session_factory, pair.agreement)).subordinate_shares_development
