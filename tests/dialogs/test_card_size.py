"""The agreement and the preparations fit in one card however long the answers: shortened only when they must be."""

from __future__ import annotations

from agreement.template import FieldKind, available_templates, load_template
from bot import actions
from bot.cards import MAX_CARD_BYTES, card_size
from dialogs.agreement_view import AgreementView, PreparationView
from dialogs.cards.agreement import agreement_card, preparations_card
from tests.dialogs.harness import check_card
from tests.support.cards import rich_text_lines, submit_data

TEMPLATE = load_template(available_templates()[0])
TEXT_KEYS = [f.key for s in TEMPLATE.sections for f in s.fields if f.kind in (FieldKind.TEXT, FieldKind.NOTE)]


def view(length: int, first_id: int = 1) -> AgreementView:
    answers = {key: f"{key} " + "ord " * (length // 4) for key in TEXT_KEYS}
    return AgreementView(1, 2026, TEMPLATE, "Megan Bowen", "Alex Wilber", answers=answers,
                         answer_ids={key: first_id + i for i, key in enumerate(TEXT_KEYS)})


def _lines(content: dict) -> list[str]:
    found: list[str] = []

    def walk(node):
        if isinstance(node, dict):
            if node.get("type") == "RichTextBlock":
                found.extend(rich_text_lines(node))
            else:
                for value in node.values():
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(content)
    return found


def read_whole(content: dict) -> list[dict]:
    return [data for data in submit_data([content]) if data.get("action") == actions.SHOW_TEXT]


def test_short_answers_stand_whole() -> None:
    content = agreement_card(view(200), lambda moment: moment)
    check_card(content)
    assert read_whole(content) == []
    assert any(line.startswith(TEXT_KEYS[0]) and not line.endswith("…") for line in _lines(content))


def test_long_answers_are_shortened_with_a_way_to_read_them_whole() -> None:
    assert card_size(agreement_card(view(200), lambda moment: moment)) < MAX_CARD_BYTES
    content = agreement_card(view(4000), lambda moment: moment)
    check_card(content)
    assert card_size(content) <= MAX_CARD_BYTES
    assert {data["answer_id"] for data in read_whole(content)} == set(range(1, len(TEXT_KEYS) + 1))


def test_both_preparations_fit_in_one_card() -> None:
    both = PreparationView(1, TEMPLATE, "Megan Bowen", "Alex Wilber", own=view(4000), other=view(4000, 100))
    content = preparations_card(both)
    check_card(content)
    assert card_size(content) <= MAX_CARD_BYTES
    assert len(read_whole(content)) == 2 * len(TEXT_KEYS)
