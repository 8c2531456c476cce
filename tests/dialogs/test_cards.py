"""Every card the dialogs can send, rendered and validated against the Adaptive Cards 1.5 schema."""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import pkgutil
import sys
from dataclasses import dataclass, field
from datetime import date, datetime, timezone

import pytest

import dialogs.cards
from agreement.overview import Scope, ScopeKind
from dialogs.cards.hr_overview import overview_card as hr_overview_card
from tests.dialogs.test_hr_overview import known_overview

from agreement.signatures import Signature
from agreement.template import load_template
from bot import actions
from dialogs.agreement_view import AgreementView, PreparationView
from dialogs.cards.agreement import agreement_card, followup_card, preparations_card, spring_goals_card
from dialogs.cards.followup import ReflectionsView, comment_block, reflections_card
from dialogs.cards.goals import GoalView, goals_card, remove_card
from dialogs.cards.help import help_card
from dialogs.cards.menu import MenuEntry, menu_card
from dialogs.cards.message import given_back_card, message_card
from dialogs.cards.options import free_text_card, options_card
from dialogs.cards.overview import OverviewRow, overview_card
from dialogs.cards.plan import plan_card
from dialogs.cards.seen_by import seen_card
from dialogs.cards.questions import ContextEntry, choice_question_card, section_card, text_question_card
from dialogs.cards.reading import reading_card, reading_overview_card
from dialogs.cards.view import Listed, Written, choose_card, view_card, written_card, written_part
from dialogs.cards.whole_text import whole_text_card
from dialogs.cards.signing import confirm_card, place_card
from dialogs.questions import describe, goal_key, question_keys
from storage.models import Phase
from tests.dialogs.harness import check_card

TEMPLATE = load_template("lederavtale-2023")


@dataclass
class _Action:
    text: str
    removed_at: None = None


@dataclass
class _Goal:
    id: int
    title: str
    section_key: str
    actions: list = field(default_factory=list)

    @property
    def current_actions(self):
        return self.actions


GOALS = [
    _Goal(11, "Delegere mer", "ledelsesutvikling", [_Action("Ukentlig fordeling"), _Action("Fredagsmøte")]),
    _Goal(12, "Lavere sykefravær", "personell", []),
]
SIGNED_AT = datetime(2026, 2, 10, 9, tzinfo=timezone.utc)


def _view(filled: bool, signatures: int = 1) -> AgreementView:
    view = AgreementView(1, 2026, TEMPLATE, "Megan Bowen", "Alex Wilber")
    if filled:
        view.answers = {f.key: f"Svar på {f.key}" for f in TEMPLATE.all_fields()}
        view.answers["ledelsesutvikling.tema"] = '["apen", "tillit"]'
        view.answers[goal_key(11)] = "Godt på vei"
        view.goals = {"ledelsesutvikling": [GOALS[0]], "personell": [GOALS[1]]}
        view.spring_goals = list(GOALS)
        if signatures:
            view.subordinate_signature = Signature(SIGNED_AT, "Lørenskog", date(2026, 2, 10), True)
        if signatures > 1:
            view.superior_signature = Signature(SIGNED_AT, "Oslo", None, False)
    return view


def _preparations(filled: bool) -> PreparationView:
    return PreparationView(1, TEMPLATE, "Alex Wilber", "Megan Bowen", _view(filled, 0), _view(False))


def _every_card() -> list[dict]:
    cards = [help_card(TEMPLATE.contact), reading_overview_card(TEMPLATE)]
    for section in TEMPLATE.reading:
        cards += [reading_card(TEMPLATE, section), reading_card(TEMPLATE, section, navigation=False)]
    for section in (*TEMPLATE.sections, TEMPLATE.followup):
        cards.append(section_card(section))
    every_action = tuple(sorted(actions.FLOW_ACTIONS))
    cards.append(menu_card(2026, []))
    cards.append(menu_card(2026, [
        MenuEntry(1, False, "Alex Wilber", "ikke startet", None, "Forbered deg.", every_action),
        MenuEntry(2, True, "Megan Bowen", "planlagt", "tirsdag 10. februar 2026 kl. 09.00", "Ferdig.", ()),
        MenuEntry(3, True, "Adele Vance", "ikke startet", None, "Forbered deg.", (), "7 av 11 besvart"),
    ], earlier_years=True))
    context = (ContextEntry("Du", ("Mitt svar",)), ContextEntry("Megan Bowen", hidden="Vises senere."),
               ContextEntry("Adele", ("a", "b")), ContextEntry("Ingen"),
               ContextEntry("Lang", ("ord " * 300,), answer_id=7, agreement_id=1))
    comment = ContextEntry("Kommentarer fra Megan Bowen", ("Mer konkret. " * 50,), answer_id=8, agreement_id=1)
    goals = {g.id: g for g in GOALS}
    for phase in Phase:
        for key in question_keys(TEMPLATE, phase, [11, 12]):
            question = describe(TEMPLATE, key, goals)
            if question.kind == "platform_choice":
                cards.append(choice_question_card(question, "1 av 2", TEMPLATE, 2, 3))
                cards.append(choice_question_card(question, "1 av 2", TEMPLATE, 2, 3, ["apen", "tillit"],
                                                  context=context, comment=comment))
            elif question.kind != "goals":
                cards.append(text_question_card(question, "1 av 2", None, 4000))
                cards.append(text_question_card(question, "1 av 2", "Nåværende svar", 4000, context=context,
                                                comment=comment))
    views = [GoalView(1, "Delegere mer", ("Ukentlig fordeling",)), GoalView(2, "Uten tiltak", ())]
    cards.append(goals_card("Sett utviklingsmål og tiltak for kommende periode.", "6 av 11", "k", []))
    cards.append(goals_card("Sett utviklingsmål og tiltak for kommende periode.", "6 av 11", "k", views,
                            [GoalView(3, "Forslag", ("Tiltak",), "Megan Bowen")]))
    cards += [remove_card("6 av 11", "k:remove", view) for view in views]
    cards.append(plan_card("Megan Bowen", "plan.when", None, date(2026, 2, 2), None))
    cards.append(plan_card("Megan Bowen", "plan.when", datetime(2026, 2, 10, 9, 30), date(2026, 2, 2),
                           "tirsdag 10. februar 2026 kl. 09.30"))
    cards.append(options_card("Vil du?", "q", [("yes", "Ja"), ("no", "Nei")]))
    cards.append(free_text_card("Sted og dato:", "q", max_length=200, hint="For eksempel", multiline=False))
    cards.append(place_card("Sted og dato:", "q", "Lørenskog, 02.02.2026", max_length=200))
    cards.append(confirm_card("Du signerer.", "Sted og dato:", "Lørenskog, 02.02.2026", ["Deles ikke."], "q"))
    cards.append(free_text_card("Endre utviklingsmålet.", "q", max_length=4000, value="Delegere mer", multiline=False,
                                keep=True))
    button = [{"type": "Action.Submit", "title": "Se", "data": actions.submit_data(actions.OPEN_MENU)}]
    cards.append(message_card("Beskjed"))
    cards.append(message_card("Kommentarer fra Megan Bowen:", button, quoted="Målet bør være mer konkret."))
    cards.append(given_back_card("Ikke lagret.", "Første linje\nAndre linje", "Hva er du god til?"))
    cards.append(given_back_card("Ikke lagret.", "Uten spørsmål"))
    cards.append(whole_text_card("Megan Bowen", "Hva er du god til?", "Første linje\n\nAndre linje"))
    rows = [OverviewRow(0, "Styringsbrev", "Bidrag?", "1 av 2 · Besvart", True, "Et svar"),
            OverviewRow(1, "Styringsbrev", "Notatfelt", "2 av 2 · Ikke fylt ut", False)]
    cards.append(overview_card("Oversikt", "Din lederavtale med Alex Wilber", ["1 av 2 besvart."], rows, "q"))
    cards.append(overview_card("Oversikt", "Lederavtale med Megan Bowen", ["1 av 2 besvart."], rows, "q",
                               notice="Mangler svar.", comment=comment, resume=True, finish="Send"))
    overview = known_overview()
    cards.append(hr_overview_card(overview, chart_uri="data:image/png;base64,iVBORw0KGgo=", chart_alt="Diagram"))
    cards.append(hr_overview_card(dataclasses.replace(overview, scope=Scope(ScopeKind.LINE, 1)), chart_uri=None,
                                  chart_alt=None))
    cards.append(hr_overview_card(dataclasses.replace(overview, rows=[]), chart_uri=None, chart_alt=None))
    cards.append(menu_card(2026, [], overview="Oversikt"))
    spring = [describe(TEMPLATE, key, {}) for key in question_keys(TEMPLATE, Phase.PREPARATION)]
    written = [Written("Du", _view(True, 0)), Written("Megan Bowen", hidden="Vises senere."), Written("Adele")]
    cards.append(view_card(2026, "Din lederavtale med Alex Wilber", "planlagt", None,
                           [written_part("Forberedelsen", spring, written)], ["Ikke fylt ut."], button))
    cards.append(view_card(2025, "Lederavtale med Megan Bowen", "signert", "tirsdag 10. februar 2025 kl. 09.00", []))
    cards.append(written_card("Refleksjonene", [describe(TEMPLATE, "oppfolging.refleksjoner", {})], written, button))
    cards.append(choose_card("Hvilken?", [Listed(1, "Din lederavtale med Alex Wilber", "planlagt")], "Ingen.", button))
    cards.append(choose_card("Tidligere år", [], "Ingen."))
    cards.append(seen_card([("Din lederavtale med Alex Wilber (2026)",
                             ["Alex Wilber: forberedelsen (i Teams), sist tirsdag 10. februar 2026 kl. 09.00"]),
                            ("Lederavtale med Megan Bowen (2026)", [])]))
    for filled in (False, True):
        for signatures in (0, 1, 2):
            cards.append(agreement_card(_view(filled, signatures), lambda moment: moment))
        cards.append(agreement_card(_view(filled), lambda moment: moment, button, lead="Sendt", question="Signer?"))
        cards.append(followup_card(_view(filled)))
        cards.append(followup_card(_view(filled), button, lead="Registrert", question="Bekrefter du?"))
        cards.append(spring_goals_card(_view(filled), "Intro", "Ingen mål"))
        cards.append(preparations_card(_preparations(filled)))
        cards.append(preparations_card(_preparations(filled), button))
        reflected = _view(filled).answers
        cards.append(reflections_card(ReflectionsView(TEMPLATE, "Megan Bowen", tuple(GOALS) if filled else (),
                                                      reflected, {}), button))
        cards.append(followup_card(_view(filled), button, lead="Registrert", question="Bekrefter du?",
                                   after=[comment_block("Kommentar fra Megan Bowen, 12. september 2026:", "Enig")]))
    return cards


def card_builders() -> dict[str, object]:
    """Every public function in dialogs.cards.* whose name ends with ``_card``."""
    found = {}
    for info in pkgutil.iter_modules(dialogs.cards.__path__):
        module = importlib.import_module(f"dialogs.cards.{info.name}")
        for name, function in inspect.getmembers(module, inspect.isfunction):
            if name.endswith("_card") and function.__module__ == module.__name__:
                found[f"{module.__name__}.{name}"] = function
    return found


def test_every_card_builder_is_rendered() -> None:
    """A new card builder cannot be added without being rendered and validated here."""
    builders = card_builders()
    assert len(builders) >= 13
    codes = {function.__code__: name for name, function in builders.items()}
    called: set[str] = set()

    def profile(frame, event, arg):
        if event == "call" and frame.f_code in codes:
            called.add(codes[frame.f_code])

    sys.setprofile(profile)
    try:
        _every_card()
    finally:
        sys.setprofile(None)
    assert set(builders) - called == set()


@pytest.mark.parametrize("index", range(len(_every_card())))
def test_every_card_is_valid_adaptive_card_1_5(index: int) -> None:
    content = _every_card()[index]
    assert content["version"] == "1.5"
    check_card(content)


def test_a_broken_card_is_caught() -> None:
    broken = help_card(TEMPLATE.contact)
    broken["body"].append({"type": "Input.ChoiceSet", "id": "x", "choices": "not a list"})
    with pytest.raises(AssertionError):
        check_card(broken)
    no_reply = options_card("Vil du?", "q", [("yes", "Ja")])
    no_reply["actions"][0]["data"] = {"option": "yes"}
    with pytest.raises(AssertionError):
        check_card(no_reply)
