"""A leader's text is shown exactly as typed, and typed text is never thrown away (issue 10, parts 7 and 8)."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from agreement.errors import ConcurrentChange
from agreement.goals import MAX_ACTIONS_PER_GOAL
from agreement.signatures import Signature
from agreement.steps import mark_prepared
from agreement.template import load_template
from bot import actions
from bot.cards import as_typed, card, refilled, text_input
from dialogs import flow
from dialogs.agreement_view import AgreementView, PreparationView
from dialogs.cards.agreement import agreement_card, followup_card, preparations_card, spring_goals_card
from dialogs.cards.followup import ReflectionsView, comment_block, reflections_card
from dialogs.cards.goals import GoalView, goals_card, remove_card
from dialogs.cards.message import given_back_card, message_card
from dialogs.cards.options import free_text_card
from dialogs.cards.overview import OverviewRow, overview_card
from dialogs.cards.questions import ContextEntry, choice_question_card, text_question_card
from dialogs.cards.signing import confirm_card
from dialogs.cards.view import Written, view_card, written_card, written_part
from dialogs.cards.whole_text import whole_text_card
from dialogs.main_dialog import MainDialog
from dialogs.questions import describe, goal_key
from dialogs.texts import common
from dialogs.texts import goals as gtexts
from dialogs.texts import preparation as ptexts
from dialogs.texts import questions as qtexts
from storage.models import Goal, GoalAction, Phase
from tests.agreement.helpers import act
from tests.dialogs.harness import Chat, all_cards, answers, check_card, goals, joined, make_deps
from tests.dialogs.helpers import prepare
from tests.dialogs.test_cards import card_builders
from tests.support.cards import assert_shown_as_typed, card_nodes, markdown_texts, rich_text_lines

TEMPLATE = load_template("lederavtale-2023")
#: What a leader may well type: a link, emphasis, a line read as a numbered list, a heading, a bullet.
TYPED = "Se [lenke](http://example.com) og *x* og _y_\n26) tjueseks\n# ikke overskrift\n- ikke punkt"
#: An action is one line.
ACTION = "26) *x* _y_ [lenke](http://example.com)"
MARKERS = ("lenke", "*x*", "_y_", "26) *", "tjueseks", "ikke overskrift", "ikke punkt")
FIRST_QUESTION = "Hva er leders viktigste bidrag inn i arbeidet med de sentrale tema og oppdrag fra styringsbrevet?"


def _goal(goal_id: int, section_key: str) -> Goal:
    return Goal(id=goal_id, title=TYPED, section_key=section_key,
                actions=[GoalAction(text=ACTION, position=0), GoalAction(text=TYPED, position=1)])


def _view() -> AgreementView:
    """An agreement where every text a leader can write is TYPED (and every action ACTION or TYPED)."""
    view = AgreementView(1, 2026, TEMPLATE, "Megan Bowen", "Alex Wilber")
    view.answers = {field.key: TYPED for field in TEMPLATE.all_fields()}
    view.answers["ledelsesutvikling.tema"] = json.dumps(["apen", "tillit"])
    view.answers[goal_key(11)] = TYPED
    view.goals = {"ledelsesutvikling": [_goal(11, "ledelsesutvikling")], "personell": [_goal(12, "personell")]}
    view.spring_goals = [goal for section in view.goals.values() for goal in section]
    view.subordinate_signature = Signature(datetime(2026, 2, 10, 9, tzinfo=timezone.utc), TYPED, None, True)
    return view


def _goal_question():
    """The autumn question about a spring goal: its label names the goal, and its actions are listed."""
    return describe(TEMPLATE, goal_key(11), {11: _goal(11, "ledelsesutvikling")})


def _question(key: str):
    return describe(TEMPLATE, key, {})


CONTEXT = (ContextEntry("Du", (TYPED,)), ContextEntry("Megan Bowen", (TYPED, ACTION)),
           ContextEntry("Adele Vance", (TYPED,), answer_id=3, agreement_id=1))
COMMENT = ContextEntry("Kommentarer fra Megan Bowen", (TYPED,), answer_id=4, agreement_id=1)
TYPED_GOAL = GoalView(1, TYPED, (ACTION, TYPED))

#: Every card that shows something a leader wrote, with TYPED wherever a leader's text goes.
CARDS_WITH_LEADER_TEXT = {
    "dialogs.cards.questions.text_question_card": lambda: [
        text_question_card(_goal_question(), "1 av 2", None, 4000, context=CONTEXT),
        text_question_card(_question("styringsbrev.bidrag"), "1 av 2", TYPED, 4000, context=CONTEXT),
        text_question_card(_question("styringsbrev.bidrag"), "1 av 2", None, 4000, comment=COMMENT),
    ],
    "dialogs.cards.questions.choice_question_card": lambda: [
        choice_question_card(_question("ledelsesutvikling.tema"), "3 av 11", TEMPLATE, 2, 3, context=CONTEXT),
    ],
    "dialogs.cards.goals.goals_card": lambda: [
        goals_card("Utviklingsmål", "6 av 11", "k", [TYPED_GOAL], [GoalView(2, TYPED, (ACTION,), "Megan Bowen")]),
    ],
    "dialogs.cards.goals.remove_card": lambda: [remove_card("6 av 11", "k", TYPED_GOAL)],
    "dialogs.cards.options.free_text_card": lambda: [
        free_text_card(gtexts.ASK_ACTIONS.format(title=TYPED), "k", max_length=4000, value=TYPED),
    ],
    "dialogs.cards.message.message_card": lambda: [
        message_card("Kommentarer fra Megan Bowen:", quoted=TYPED),
    ],
    "dialogs.cards.message.given_back_card": lambda: [
        given_back_card(common.GIVEN_BACK_STALE, TYPED, qtexts.GOAL_QUESTION.format(title=TYPED)),
    ],
    "dialogs.cards.agreement.agreement_card": lambda: [agreement_card(_view(), lambda moment: moment)],
    "dialogs.cards.signing.confirm_card": lambda: [
        confirm_card("Du signerer.", "Sted og dato:", TYPED, ["Deles ikke."], "k"),
    ],
    "dialogs.cards.agreement.followup_card": lambda: [
        followup_card(_view()), followup_card(_view(), after=[comment_block("Kommentar fra Megan Bowen:", TYPED)]),
    ],
    "dialogs.cards.followup.reflections_card": lambda: [
        reflections_card(ReflectionsView(TEMPLATE, "Megan Bowen", tuple(_view().spring_goals), _view().answers,
                                         _view().answers)),
    ],
    "dialogs.cards.agreement.spring_goals_card": lambda: [spring_goals_card(_view(), "Intro", "Ingen mål")],
    "dialogs.cards.whole_text.whole_text_card": lambda: [whole_text_card("Megan Bowen", FIRST_QUESTION, TYPED)],
    "dialogs.cards.overview.overview_card": lambda: [
        overview_card("Oversikt over avtalen", "Lederavtale med Megan Bowen", ["1 av 11 besvart."],
                      [OverviewRow(0, "Styringsbrev", FIRST_QUESTION, "1 av 11 · Besvart", True, TYPED)], "k"),
        overview_card("Oversikt over avtalen", "Lederavtale med Megan Bowen", [], [], "k", comment=COMMENT),
    ],
    "dialogs.cards.view.view_card": lambda: [
        view_card(2026, "Din lederavtale med Alex Wilber", "utfylt", None, [
            written_part("Forberedelsen", [_question(field.key) for field in TEMPLATE.sections[1].fields],
                         [Written("Du", _view())])]),
    ],
    "dialogs.cards.view.written_card": lambda: [
        written_card("Refleksjonene", [_goal_question(), _question("oppfolging.refleksjoner")],
                     [Written("Megan Bowen", _view())]),
    ],
    "dialogs.cards.agreement.preparations_card": lambda: [
        preparations_card(PreparationView(1, TEMPLATE, "Alex Wilber", "Megan Bowen", _view(), _view())),
    ],
}
#: Cards with nothing a leader wrote in them: the bot's and the template's own text, names and dates.
CARDS_WITHOUT_LEADER_TEXT = {
    "dialogs.cards.help.help_card", "dialogs.cards.menu.menu_card", "dialogs.cards.options.options_card",
    "dialogs.cards.plan.plan_card", "dialogs.cards.questions.section_card", "dialogs.cards.reading.reading_card",
    "dialogs.cards.reading.reading_overview_card", "dialogs.cards.signing.place_card",
    "dialogs.cards.view.choose_card",
    # HR's overview: names, units, counts and dates; never what a leader typed.
    "dialogs.cards.hr_overview.overview_card",
    # Who has seen an agreement: names, parts and dates from the access log; never what a leader typed.
    "dialogs.cards.seen_by.seen_card",
}


def _input(content: dict, input_id: str) -> dict:
    [field] = [node for node in card_nodes(content) if node.get("type", "").startswith("Input.")
               and node.get("id") == input_id]
    return field


def _notice(content: dict) -> str:
    """The text of the retry notice, the first element of a card asked again."""
    first = content["body"][0]
    assert first["type"] == "Container" and first["style"] == "attention", first
    return first["items"][0]["text"]


# --- shown as typed ---------------------------------------------------------------------


def test_as_typed_keeps_every_line_as_plain_text() -> None:
    shown = as_typed("Første linje *x*\n\n\n26) etter to tomme\n  innrykk", bold=True, spacing="Small")
    assert shown["type"] == "Container" and shown["spacing"] == "Small"
    blocks = shown["items"]
    assert rich_text_lines(shown) == ["Første linje *x*", "26) etter to tomme", "  innrykk"]
    assert [block.get("spacing") for block in blocks] == [None, "Medium", "None"]  # a blank line is spacing
    assert all(run == {"type": "TextRun", "text": run["text"], "weight": "Bolder"}
               for block in blocks for run in block["inlines"])
    one = as_typed("# ikke overskrift", bullet=True, subtle=True)
    assert one == {"type": "RichTextBlock", "inlines": [{"type": "TextRun", "text": "• ", "isSubtle": True},
                                                        {"type": "TextRun", "text": "# ikke overskrift",
                                                         "isSubtle": True}]}
    check_card(card([shown, one, as_typed("")]))


def test_every_card_builder_is_sorted_into_with_or_without_leader_text() -> None:
    public = {name for name in card_builders() if not name.rsplit(".", 1)[1].startswith("_")}
    assert set(CARDS_WITH_LEADER_TEXT) | CARDS_WITHOUT_LEADER_TEXT == public
    assert not set(CARDS_WITH_LEADER_TEXT) & CARDS_WITHOUT_LEADER_TEXT


@pytest.mark.parametrize("builder", sorted(CARDS_WITH_LEADER_TEXT))
def test_every_card_with_a_leaders_text_shows_it_as_typed(builder: str) -> None:
    for content in CARDS_WITH_LEADER_TEXT[builder]():
        check_card(content)
        assert_shown_as_typed(content, TYPED, markers=MARKERS)


def test_goal_titles_and_actions_are_shown_as_typed_wherever_they_appear() -> None:
    goal_question = text_question_card(_goal_question(), "1 av 2", None, 4000)
    assert_shown_as_typed(goal_question, qtexts.GOAL_QUESTION.format(title=TYPED), markers=MARKERS)
    for content in (goal_question, goals_card("Mål", "6 av 11", "k", [TYPED_GOAL]),
                    agreement_card(_view(), lambda moment: moment), spring_goals_card(_view(), "Intro", "Ingen")):
        assert_shown_as_typed(content, ACTION, markers=MARKERS)
        assert "• " + ACTION in rich_text_lines(content)


def test_the_current_answer_and_a_refused_one_are_in_the_field_not_in_markdown() -> None:
    content = text_question_card(_question("styringsbrev.bidrag"), "1 av 2", TYPED, 4000)
    assert _input(content, "text")["value"] == TYPED
    again = refilled(content, {"text": TYPED + "\n" + TYPED}, common.TOO_LONG.format(length=9, limit=4))
    check_card(again)
    assert _input(again, "text")["value"] == TYPED + "\n" + TYPED
    assert _notice(again).startswith("Svaret er for langt")
    assert not any(marker in text for text in markdown_texts(again) for marker in MARKERS)


# --- maxLength on every text field ------------------------------------------------------


def test_a_field_given_back_longer_than_its_limit_is_not_cut() -> None:
    assert text_input("text", max_length=40)["maxLength"] == 40
    assert text_input("text", max_length=40, value="x" * 50) == {
        "type": "Input.Text", "id": "text", "isMultiline": True, "maxLength": 50, "value": "x" * 50,
    }


async def start(chat: Chat, agreement_id: int) -> list:
    replies = await chat.submit(actions.submit_data(actions.PREPARE, agreement_id))
    return await chat.press(replies, ptexts.GO_TO_QUESTIONS)


async def test_text_fields_carry_the_services_answer_limit(session_factory, pair) -> None:
    chat = Chat(MainDialog(make_deps(max_answer_length=250)), pair.subordinate, session_factory)
    replies = await start(chat, pair.agreement)
    assert _input(all_cards(replies)[-1], "text")["maxLength"] == 250
    for answer in ("bidrag", "hopp over", "1, 2", "god", "utfordrende"):
        replies = await chat.say(answer)
    replies = await chat.press(replies, gtexts.ADD)
    assert _input(all_cards(replies)[-1], "text")["maxLength"] == 250  # the goal's title
    replies = await chat.say("Delegere")
    assert _input(all_cards(replies)[-1], "text")["maxLength"] == MAX_ACTIONS_PER_GOAL * 251  # one action a line


# --- a refused answer comes back in its field, with the reason --------------------------


async def test_a_too_long_answer_comes_back_in_the_field_word_for_word(session_factory, pair, chat_for) -> None:
    chat = chat_for(pair.subordinate)
    await start(chat, pair.agreement)
    typed = (TYPED + "\n\n") * 60 + "slutt"
    assert len(typed) > 5000
    typed_reply = await chat.say(typed)
    for replies in (typed_reply, await chat.press(typed_reply, common.BUTTON_SAVE, text=typed)):
        [again] = all_cards(replies)
        assert _notice(again) == common.TOO_LONG.format(length=len(typed), limit=4000)
        assert _input(again, "text")["value"] == typed
        assert _input(again, "text")["maxLength"] == len(typed)
        assert FIRST_QUESTION in joined(replies) and "1 av 11" in joined(replies)
    assert await answers(session_factory, pair.agreement, Phase.PREPARATION, pair.subordinate) == {}
    replies = await chat.press(replies, common.BUTTON_SAVE, text=TYPED)
    assert "2 av 11" in joined(replies)
    assert await answers(session_factory, pair.agreement, Phase.PREPARATION, pair.subordinate) == {
        "styringsbrev.bidrag": TYPED,
    }


async def test_a_command_word_is_not_put_in_the_field(session_factory, pair, chat_for) -> None:
    chat = chat_for(pair.subordinate)
    await start(chat, pair.agreement)
    replies = await chat.say("Behold")
    [again] = all_cards(replies)
    assert _notice(again) == common.NOTHING_TO_KEEP
    assert "value" not in _input(again, "text")
    # From the card, what is in the field comes back with it.
    replies = await chat.press(replies, common.BUTTON_SAVE, text="   ")
    assert _notice(all_cards(replies)[-1]) == common.EMPTY and _input(all_cards(replies)[-1], "text")["value"] == "   "
    assert await answers(session_factory, pair.agreement, Phase.PREPARATION, pair.subordinate) == {}


async def test_an_answer_that_collides_is_saved_once_when_the_turn_runs_again(
    session_factory, pair, chat_for, monkeypatch
) -> None:
    chat = chat_for(pair.subordinate)
    await start(chat, pair.agreement)
    real, collisions = flow.flush, []

    async def colliding_once(session):
        if not collisions:
            collisions.append(1)
            raise ConcurrentChange()
        await real(session)

    monkeypatch.setattr(flow, "flush", colliding_once)
    replies = await chat.say(TYPED)
    assert collisions == [1]
    [asked] = all_cards(replies)  # the next question, once, and no notice of anything refused
    assert "2 av 11" in joined(replies) and asked["body"][0].get("style") != "attention"
    assert await answers(session_factory, pair.agreement, Phase.PREPARATION, pair.subordinate) == {
        "styringsbrev.bidrag": TYPED,
    }


async def test_a_refused_choice_comes_back_with_the_boxes_ticked(session_factory, pair, chat_for) -> None:
    chat = chat_for(pair.subordinate)
    await start(chat, pair.agreement)
    replies = await chat.say("bidrag")
    replies = await chat.say("hopp over")
    replies = await chat.press(replies, common.BUTTON_SAVE, choice="apen")
    [again] = all_cards(replies)
    assert _notice(again) == "Du valgte ett utsagn. Velg to–tre utsagn fra Lederplattformen og send igjen."
    assert _input(again, "choice")["value"] == "apen"
    replies = await chat.press(replies, common.BUTTON_SAVE, choice="apen,retning,trygg,tillit")
    assert _input(all_cards(replies)[-1], "choice")["value"] == "apen,retning,trygg,tillit"
    # Typed numbers tick their boxes; an unknown one is named and left out.
    replies = await chat.say("3, 99")
    assert _notice(all_cards(replies)[-1]) == qtexts.CHOICE_UNKNOWN.format(count=7)
    assert _input(all_cards(replies)[-1], "choice")["value"] == "trygg"
    assert "ledelsesutvikling.tema" not in await answers(session_factory, pair.agreement, Phase.PREPARATION,
                                                        pair.subordinate)
    replies = await chat.press(replies, common.BUTTON_SAVE, choice="trygg,tillit")
    assert "4 av 11" in joined(replies)
    saved = await answers(session_factory, pair.agreement, Phase.PREPARATION, pair.subordinate)
    assert saved["ledelsesutvikling.tema"] == json.dumps(["trygg", "tillit"])


async def test_refused_goal_actions_come_back_in_the_field(session_factory, pair, chat_for) -> None:
    chat = chat_for(pair.subordinate)
    await start(chat, pair.agreement)
    for answer in ("bidrag", "hopp over", "1, 2", "god", "utfordrende"):
        replies = await chat.say(answer)
    replies = await chat.press(replies, gtexts.ADD)
    replies = await chat.say(TYPED)
    assert_shown_as_typed(all_cards(replies)[-1], gtexts.ASK_ACTIONS.format(title=TYPED), markers=MARKERS)
    too_many = "\n".join(f"{number}) tiltak *{number}*" for number in range(1, MAX_ACTIONS_PER_GOAL + 2))
    replies = await chat.press(replies, common.BUTTON_SAVE, text=too_many)
    [again] = all_cards(replies)
    assert _notice(again) == gtexts.TOO_MANY_ACTIONS.format(limit=MAX_ACTIONS_PER_GOAL)
    assert _input(again, "text")["value"] == too_many
    assert await goals(session_factory, pair.agreement, Phase.PREPARATION, pair.subordinate) == []
    replies = await chat.press(replies, common.BUTTON_SAVE, text=ACTION)
    assert gtexts.SAVED.format(title=TYPED) in joined(replies)
    assert await goals(session_factory, pair.agreement, Phase.PREPARATION, pair.subordinate) == [
        ("ledelsesutvikling", TYPED, [ACTION]),
    ]


# --- text from an old card is given back with its question ------------------------------


async def test_text_from_an_old_card_is_given_back_with_its_question(session_factory, pair, chat_for) -> None:
    chat = chat_for(pair.subordinate)
    first_card = await start(chat, pair.agreement)
    await chat.say("Første svar")
    replies = await chat.press(first_card, common.BUTTON_SAVE, text=TYPED)
    returned, current = all_cards(replies)
    assert returned["body"][0]["text"] == common.GIVEN_BACK_STALE
    assert_shown_as_typed(returned, FIRST_QUESTION, markers=MARKERS)
    assert_shown_as_typed(returned, TYPED, markers=MARKERS)
    assert common.GIVEN_BACK_COPY in joined(replies)
    # The question the leader is at is asked again as it was: nothing of the old card's text in it.
    assert "2 av 11" in joined([replies[-1]]) and "value" not in _input(current, "text")
    assert current["body"][0].get("style") != "attention"
    assert await answers(session_factory, pair.agreement, Phase.PREPARATION, pair.subordinate) == {
        "styringsbrev.bidrag": "Første svar",
    }
    # A press on an old card with nothing in its field just says it is old.
    replies = await chat.press(first_card, common.BUTTON_SAVE, text="")
    assert _notice(all_cards(replies)[-1]) == common.STALE_CARD


# --- what the other leader sees ---------------------------------------------------------


async def test_a_leaders_text_reaches_the_other_leader_as_typed(session_factory, pair, chat_for) -> None:
    subordinate = chat_for(pair.subordinate)
    await start(subordinate, pair.agreement)
    await subordinate.say(TYPED)
    for answer in ("hopp over", "1, 2", "god", "utfordrende"):
        replies = await subordinate.say(answer)
    replies = await subordinate.press(replies, gtexts.ADD)
    replies = await subordinate.say(TYPED)
    await subordinate.say(f"{ACTION}\n- andre tiltak")
    await subordinate.say("avbryt")
    assert (await answers(session_factory, pair.agreement, Phase.PREPARATION, pair.subordinate))[
        "styringsbrev.bidrag"] == TYPED
    await act(session_factory, pair.subordinate, pair.agreement, mark_prepared)
    await prepare(session_factory, pair.superior, pair.agreement, "Alex")

    replies = await chat_for(pair.superior).submit(actions.submit_data(actions.VIEW_PREPARATION, pair.agreement))
    [shown] = all_cards(replies)
    assert_shown_as_typed(shown, TYPED, markers=MARKERS)
    assert_shown_as_typed(shown, ACTION, markers=MARKERS)
    assert "• - andre tiltak" in rich_text_lines(shown)
