import dataclasses
import re
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from agreement import template as template_module
from agreement.template import (
    FieldKind,
    Template,
    TemplateError,
    available_templates,
    default_template_id_for_year,
    load_template,
    load_template_file,
    validate_all_templates,
)
from tests.support.paths import SHARED

TEMPLATE_FILE = template_module.TEMPLATES_DIR / "lederavtale-2023.yaml"
# A byte-identical copy of the seed form, so the suite does not depend on a folder outside the repo.
FORM_COPY = Path(__file__).with_name("lederavtale-2023-form.md")
SEED = SHARED / "seed" / "000_e4df156270ae0cb9.txt"


# --- the 2023 form, word for word -------------------------------------------------------------


def form_lines(markdown: str) -> list[str]:
    """The form's content lines without markdown, signature lines and blank lines."""
    markdown = markdown.replace("Lørenskog  \nkommune", "Lørenskog kommune")  # the logo, on two lines
    lines = []
    for line in markdown.splitlines():
        line = re.sub(r"\\(.)", r"\1", line)
        line = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", line)
        line = re.sub(r"^(#+|-|•)\s+", "", line.strip()).replace("**", "").strip()
        if line and set(line) != {"_"}:
            lines.append(line)
    return lines


def sentences(lines: list[str] | tuple[str, ...]) -> set[str]:
    return {s for line in lines for s in re.split(r"(?<=[.?!])\s+", line)}


@pytest.fixture(scope="module")
def template() -> Template:
    return load_template("lederavtale-2023")


def test_the_form_copy_is_the_seed() -> None:
    assert FORM_COPY.read_bytes() == SEED.read_bytes()


def test_normalising_the_form_keeps_its_content() -> None:
    lines = form_lines(FORM_COPY.read_text(encoding="utf-8"))
    assert lines[:2] == ["Lederavtale 2023", "For alle ledere i Lørenskog kommune"]
    assert "VISER RETNING FOR Å NÅ KOMMUNENS MÅL" in lines
    assert "postmottak@lorenskog.kommune.no" in lines
    assert not any(mark in line for line in lines for mark in ("**", "\\", "](", "___"))
    assert len(lines) > 70


def test_every_sentence_of_the_form_is_in_the_template(template: Template) -> None:
    form = sentences(form_lines(FORM_COPY.read_text(encoding="utf-8")))
    assert sorted(form - sentences(template.texts())) == []


def test_the_template_has_no_text_that_is_not_in_the_form(template: Template) -> None:
    form = sentences(form_lines(FORM_COPY.read_text(encoding="utf-8")))
    assert sorted(sentences(template.texts()) - form) == []


def test_headings_follow_the_form_order(template: Template) -> None:
    lines = form_lines(FORM_COPY.read_text(encoding="utf-8"))
    headings = [r.heading for r in template.reading] + [s.heading for s in template.sections]
    headings.append(template.followup.heading)
    positions = [lines.index(h) for h in headings]
    assert positions == sorted(positions)


# --- structure of the 2023 template -----------------------------------------------------------


def test_identity(template: Template) -> None:
    assert (template.id, template.version, template.year) == ("lederavtale-2023", 1, 2023)
    assert template.title == "Lederavtale 2023"
    assert template.subtitle == "For alle ledere i Lørenskog kommune"


def test_reading_sections_and_counts(template: Template) -> None:
    reading = {r.key: r for r in template.reading}
    assert list(reading) == ["lederavtale", "lederplattformen", "struktur", "myndighet", "lederstotte"]
    assert reading["lederplattformen"].intro == "Vi ledere i Lørenskog:"
    assert len(reading["struktur"].paragraphs) == 5
    assert len(reading["myndighet"].items) == 11
    assert len(reading["lederstotte"].items) == 5
    assert len(template.platform_statements) == 7
    assert len(template.followup.fields) == 9


def test_platform_statements(template: Template) -> None:
    keys = [s.key for s in template.platform_statements]
    assert keys == ["apen", "retning", "trygg", "rollemodell", "relasjoner", "tillit", "endring"]
    assert template.statement("rollemodell").text == "ER GODE ROLLEMODELLER"
    assert all(s.text == s.text.upper() for s in template.platform_statements)
    with pytest.raises(KeyError, match="no platform statement 'modig'"):
        template.statement("modig")


def test_answered_sections(template: Template) -> None:
    assert [s.key for s in template.sections] == ["styringsbrev", "ledelsesutvikling", "personell"]
    kinds = {s.key: [f.kind for f in s.fields] for s in template.sections}
    assert kinds == {
        "styringsbrev": [FieldKind.TEXT, FieldKind.NOTE],
        "ledelsesutvikling": [
            FieldKind.PLATFORM_CHOICE, FieldKind.TEXT, FieldKind.TEXT, FieldKind.GOALS, FieldKind.NOTE,
        ],
        "personell": [FieldKind.TEXT, FieldKind.TEXT, FieldKind.GOALS, FieldKind.NOTE],
    }
    assert all(f.label == "Notatfelt" for f in template.all_fields() if f.kind is FieldKind.NOTE)


def test_privacy(template: Template) -> None:
    assert template.private_section_keys == frozenset({"ledelsesutvikling"})
    development = template.section("ledelsesutvikling")
    assert development.privacy_notice == (
        "Personlige utviklingsmål er ikke gjenstand for offentlighet eller tilgjengelig for andre, "
        "med mindre det er spesielt avtalt."
    )
    assert template.section("personell").privacy_notice is None


def test_platform_choice_field(template: Template) -> None:
    choice = template.field("ledelsesutvikling.tema")
    assert choice.kind is FieldKind.PLATFORM_CHOICE
    assert (choice.min_choices, choice.max_choices) == (2, 3)
    assert choice.label == "Med utgangspunkt i lederplattformen, velg ut to-tre tema/forventninger."
    assert choice.help is not None and choice.help.startswith("Velg gjerne noe underordnet leder er god på")


def test_goals_fields(template: Template) -> None:
    goals = [f for f in template.all_fields() if f.kind is FieldKind.GOALS]
    assert [f.key for f in goals] == ["ledelsesutvikling.mal", "personell.mal"]
    assert {f.label for f in goals} == {"Sett utviklingsmål og tiltak for kommende periode."}
    assert template.field("ledelsesutvikling.utfordrende").label == (
        "Hva er utfordrende, og hvorfor? Sett utviklingsmål og tiltak for kommende periode."
    )


def test_followup(template: Template) -> None:
    fields = template.followup_fields()
    assert template.followup.key == "oppfolging"
    assert template.followup.intro == "Her er noen punkter til hjelp i oppfølgingssamtalen:"
    assert [f.kind for f in fields] == [FieldKind.TEXT] * 8 + [FieldKind.NOTE]
    assert fields[0].label == "Hva er status på prioriterte områder fra styringsbrevet?"
    note = template.field("oppfolging.nye_forhold")
    assert (note.heading, note.label) == ("Nye forhold i oppfølgingssamtalen", "Notatfelt")
    assert not template.followup.private


def test_signing_and_contact(template: Template) -> None:
    signing = template.signing
    assert (signing.place_and_date, signing.subordinate, signing.superior) == (
        "Sted og dato:", "Underordnet leder", "Overordnet leder",
    )
    assert template.contact.phone == "67 93 40 00"
    assert template.contact.email == "postmottak@lorenskog.kommune.no"
    assert template.contact.web_url == "https://www.lorenskog.kommune.no"


def test_field_keys_are_unique_and_dotted(template: Template) -> None:
    keys = [f.key for f in template.all_fields()]
    assert len(keys) == len(set(keys)) == 20
    assert all(template.section_of(key).key == key.split(".")[0] for key in keys)


def test_lookups(template: Template) -> None:
    assert template.field("personell.notat").kind is FieldKind.NOTE
    assert template.section_of("oppfolging.fokus") is template.followup
    assert template.section("oppfolging") is template.followup
    with pytest.raises(KeyError, match="lederavtale-2023 v1 has no field 'personell.budsjett'"):
        template.field("personell.budsjett")
    with pytest.raises(KeyError, match="no field 'x.y'"):
        template.section_of("x.y")
    with pytest.raises(KeyError, match="no section 'signering'"):
        template.section("signering")


def test_template_is_immutable(template: Template) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        template.field("personell.notat").label = "Endret"  # type: ignore[misc]


# --- loading by id and by year ----------------------------------------------------------------


def test_load_template_is_cached() -> None:
    assert load_template("lederavtale-2023") is load_template("lederavtale-2023")


def test_shipped_templates_are_valid() -> None:
    assert "lederavtale-2023" in available_templates()
    assert [t.id for t in validate_all_templates()] == available_templates()


def test_default_template_for_a_year() -> None:
    assert default_template_id_for_year(2023) == "lederavtale-2023"
    newest = max((load_template(i) for i in available_templates()), key=lambda t: t.year)
    assert default_template_id_for_year(newest.year + 10) == newest.id
    with pytest.raises(TemplateError, match="no agreement template for 2022 or earlier"):
        default_template_id_for_year(2022)


def test_unknown_or_malformed_template_id() -> None:
    with pytest.raises(TemplateError, match="no template 'lederavtale-1999'.*lederavtale-2023"):
        load_template("lederavtale-1999")
    with pytest.raises(TemplateError, match="is not a template id"):
        load_template("../templates/lederavtale-2023")


@pytest.fixture
def templates_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """An empty template folder in place of the shipped one, with a clean cache around the test."""
    load_template.cache_clear()
    monkeypatch.setattr(template_module, "TEMPLATES_DIR", tmp_path)
    yield tmp_path
    load_template.cache_clear()


def write_copy(folder: Path, template_id: str, year: int) -> None:
    data = yaml.safe_load(TEMPLATE_FILE.read_text(encoding="utf-8"))
    data.update(id=template_id, year=year)
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    (folder / f"{template_id}.yaml").write_text(text, encoding="utf-8")


def test_a_new_year_is_a_new_file(templates_dir: Path) -> None:
    write_copy(templates_dir, "lederavtale-2023", 2023)
    write_copy(templates_dir, "lederavtale-2025", 2025)
    assert available_templates() == ["lederavtale-2023", "lederavtale-2025"]
    assert default_template_id_for_year(2024) == "lederavtale-2023"
    assert default_template_id_for_year(2025) == "lederavtale-2025"
    assert default_template_id_for_year(2030) == "lederavtale-2025"


def test_file_id_must_match_file_name(templates_dir: Path) -> None:
    write_copy(templates_dir, "lederavtale-2023", 2023)
    (templates_dir / "lederavtale-2023.yaml").rename(templates_dir / "lederavtale-2024.yaml")
    with pytest.raises(TemplateError, match="'lederavtale-2023' does not match the file name"):
        load_template("lederavtale-2024")


def test_two_templates_for_one_year_are_refused(templates_dir: Path) -> None:
    write_copy(templates_dir, "lederavtale-2023", 2023)
    write_copy(templates_dir, "lederavtale-2023b", 2023)
    with pytest.raises(TemplateError, match="are both for 2023"):
        validate_all_templates()


def test_no_templates_at_all(templates_dir: Path) -> None:
    with pytest.raises(TemplateError, match="no template files"):
        validate_all_templates()


# --- validation: one broken variant per rule --------------------------------------------------


def write_variant(tmp_path: Path, change: Callable[[dict], object]) -> Path:
    data = yaml.safe_load(TEMPLATE_FILE.read_text(encoding="utf-8"))
    change(data)
    path = tmp_path / "variant.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def assert_refused(path: Path, problem: str) -> None:
    with pytest.raises(TemplateError) as caught:
        load_template_file(path)
    assert str(path) in str(caught.value)
    assert problem in str(caught.value)


def sections(data: dict) -> dict[str, dict]:
    return {s["key"]: s for s in data["sections"]}


def fields(data: dict, section_key: str) -> list[dict]:
    return sections(data)[section_key]["fields"]


def test_an_unchanged_variant_loads(tmp_path: Path, template: Template) -> None:
    assert load_template_file(write_variant(tmp_path, lambda data: None)) == template


def test_yaml_syntax_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("id: lederavtale-2023\nsections: [\n", encoding="utf-8")
    assert_refused(path, "invalid YAML")


def test_a_key_given_twice_in_one_mapping(tmp_path: Path) -> None:
    path = tmp_path / "twice.yaml"
    text = TEMPLATE_FILE.read_text(encoding="utf-8")
    path.write_text(text.replace('title: "Lederavtale 2023"\n', 'title: "A"\ntitle: "B"\n'), encoding="utf-8")
    assert_refused(path, "key 'title' given twice")


def test_a_list_as_a_mapping_key(tmp_path: Path) -> None:
    path = tmp_path / "odd.yaml"
    path.write_text("? [a, b]\n: c\n", encoding="utf-8")
    assert_refused(path, "invalid YAML")


def test_missing_file(tmp_path: Path) -> None:
    assert_refused(tmp_path / "absent.yaml", "cannot read the file")


def test_not_a_mapping(tmp_path: Path) -> None:
    path = tmp_path / "list.yaml"
    path.write_text("- a\n- b\n", encoding="utf-8")
    assert_refused(path, "template: must be a mapping")


def test_missing_required_key(tmp_path: Path) -> None:
    path = write_variant(tmp_path, lambda d: sections(d)["personell"].pop("heading"))
    assert_refused(path, "sections[2]: missing required key 'heading'")


def test_missing_top_level_key(tmp_path: Path) -> None:
    assert_refused(write_variant(tmp_path, lambda d: d.pop("followup")), "missing required key 'followup'")


def test_unknown_key(tmp_path: Path) -> None:
    path = write_variant(tmp_path, lambda d: sections(d)["personell"].update(privat=True))
    assert_refused(path, "sections[2]: unknown key 'privat'")


def test_unknown_field_kind(tmp_path: Path) -> None:
    path = write_variant(tmp_path, lambda d: fields(d, "styringsbrev")[0].update(kind="checkbox"))
    assert_refused(path, "sections[0].fields[0].kind: unknown field kind 'checkbox'")


def test_duplicate_field_key_in_a_section(tmp_path: Path) -> None:
    path = write_variant(tmp_path, lambda d: fields(d, "personell")[1].update(key="personell.fungerer"))
    assert_refused(path, "duplicate field key 'personell.fungerer'")


def test_duplicate_field_key_in_the_followup(tmp_path: Path) -> None:
    path = write_variant(tmp_path, lambda d: d["followup"]["fields"][-1].update(key="oppfolging.fokus"))
    assert_refused(path, "duplicate field key 'oppfolging.fokus'")


def test_duplicate_section_key(tmp_path: Path) -> None:
    def change(d: dict) -> None:
        d["followup"]["key"] = "personell"
        for i, f in enumerate(d["followup"]["fields"]):
            f["key"] = f"personell.oppfolging_{i}"

    assert_refused(write_variant(tmp_path, change), "duplicate section key 'personell'")


def test_duplicate_platform_statement_key(tmp_path: Path) -> None:
    path = write_variant(tmp_path, lambda d: d["reading"][1]["items"][1].update(key="apen"))
    assert_refused(path, "duplicate platform statement key 'apen'")


def test_field_key_outside_its_section(tmp_path: Path) -> None:
    path = write_variant(tmp_path, lambda d: fields(d, "personell")[0].update(key="personal.fungerer"))
    assert_refused(path, "'personal.fungerer' must start with its section's key")


def test_malformed_key(tmp_path: Path) -> None:
    path = write_variant(tmp_path, lambda d: fields(d, "personell")[0].update(key="personell.Fungerer"))
    assert_refused(path, "'personell.Fungerer' is not a key")


def test_section_without_private(tmp_path: Path) -> None:
    path = write_variant(tmp_path, lambda d: sections(d)["styringsbrev"].pop("private"))
    assert_refused(path, "sections[0]: missing required key 'private'")


def test_private_must_be_a_boolean(tmp_path: Path) -> None:
    path = write_variant(tmp_path, lambda d: sections(d)["styringsbrev"].update(private="nei"))
    assert_refused(path, "sections[0].private: must be true or false")


def test_private_section_without_privacy_notice(tmp_path: Path) -> None:
    path = write_variant(tmp_path, lambda d: sections(d)["ledelsesutvikling"].pop("privacy_notice"))
    assert_refused(path, "private section 'ledelsesutvikling' needs a privacy_notice")


def test_no_section_marked_private(tmp_path: Path) -> None:
    def change(d: dict) -> None:
        section = sections(d)["ledelsesutvikling"]
        section["private"] = False
        del section["privacy_notice"]

    assert_refused(write_variant(tmp_path, change), "no section is marked private")


@pytest.mark.parametrize(("low", "high"), [(4, 3), (2, 8), (8, 9)])
def test_platform_choice_out_of_range(tmp_path: Path, low: int, high: int) -> None:
    path = write_variant(
        tmp_path, lambda d: fields(d, "ledelsesutvikling")[0].update(min=low, max=high)
    )
    assert_refused(path, f"min {low} and max {high} are out of range: need 1 <= min <= max <= 7")


def test_platform_choice_min_below_one(tmp_path: Path) -> None:
    path = write_variant(tmp_path, lambda d: fields(d, "ledelsesutvikling")[0].update(min=0))
    assert_refused(path, "fields[0].min: must be a whole number of at least 1")


def test_platform_choice_without_max(tmp_path: Path) -> None:
    path = write_variant(tmp_path, lambda d: fields(d, "ledelsesutvikling")[0].pop("max"))
    assert_refused(path, "platform_choice needs both min and max")


def test_min_max_on_another_kind(tmp_path: Path) -> None:
    path = write_variant(tmp_path, lambda d: fields(d, "personell")[0].update(min=1, max=2))
    assert_refused(path, "min and max are allowed on platform_choice fields only")


def test_platform_choice_without_statements(tmp_path: Path) -> None:
    def change(d: dict) -> None:
        d["reading"][1]["items"] = [item["text"] for item in d["reading"][1]["items"]]

    assert_refused(write_variant(tmp_path, change), "need 1 <= min <= max <= 0")


def test_mixed_keyed_and_plain_items(tmp_path: Path) -> None:
    path = write_variant(tmp_path, lambda d: d["reading"][1]["items"].append("ER NYE"))
    assert_refused(path, "reading[1].items: either every item has a key")


def test_statements_in_two_reading_sections(tmp_path: Path) -> None:
    def change(d: dict) -> None:
        items = d["reading"][4]["items"]
        d["reading"][4]["items"] = [{"key": f"stotte_{i}", "text": t} for i, t in enumerate(items)]

    assert_refused(write_variant(tmp_path, change), "platform statements (items with keys) belong in one")


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (lambda d: d.update(title=""), "title"),
        (lambda d: d["reading"][2]["paragraphs"].__setitem__(0, "   "), "reading[2].paragraphs[0]"),
        (lambda d: d["reading"][1]["items"][3].update(text=""), "reading[1].items[3].text"),
        (lambda d: d["reading"][3]["items"].__setitem__(10, ""), "reading[3].items[10]"),
        (lambda d: d["sections"][0]["fields"][0].update(label=" "), "sections[0].fields[0].label"),
        (lambda d: d["sections"][1].update(privacy_notice=""), "sections[1].privacy_notice"),
        (lambda d: d["followup"]["fields"][8].update(heading=""), "followup.fields[8].heading"),
        (lambda d: d["signing"].update(overordnet=""), "signing.overordnet"),
        (lambda d: d["contact"].update(email=""), "contact.email"),
    ],
    ids=[
        "title", "paragraph", "statement", "item", "label", "privacy_notice", "heading", "signing", "contact",
    ],
)
def test_empty_text(tmp_path: Path, change: Callable[[dict], object], where: str) -> None:
    assert_refused(write_variant(tmp_path, change), f"{where}: empty text")


def test_text_of_the_wrong_type(tmp_path: Path) -> None:
    path = write_variant(tmp_path, lambda d: d["sections"][0]["fields"][0].update(label=2023))
    assert_refused(path, "sections[0].fields[0].label: must be text, not int")


def test_section_without_fields(tmp_path: Path) -> None:
    path = write_variant(tmp_path, lambda d: d["sections"][0].update(fields=[]))
    assert_refused(path, "sections[0].fields: a section needs at least one field")


def test_reading_section_without_content(tmp_path: Path) -> None:
    path = write_variant(tmp_path, lambda d: d["reading"][0].pop("paragraphs"))
    assert_refused(path, "reading[0]: has neither paragraphs nor items")


def test_version_must_be_a_positive_number(tmp_path: Path) -> None:
    path = write_variant(tmp_path, lambda d: d.update(version="1"))
    assert_refused(path, "version: must be a whole number")
