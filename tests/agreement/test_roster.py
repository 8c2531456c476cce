import codecs
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from agreement.roster import parse
from agreement.roster.apply import DEMO_CSV, ImportResult, apply_roster, import_leaders, load_demo
from agreement.roster.hierarchy import check_roster
from agreement.roster.parse import parse_leaders_csv
from agreement.roster.rows import LeaderRow, Problem, RosterRefused
from storage.models import Agreement, AgreementEvent, Answer, Leader, Phase
from tests.support.database import dump_tables

YEAR = 2024
TEMPLATE = "lederavtale-2023"


def _csv(*lines: str, delimiter: str = ",") -> bytes:
    return "\n".join(line.replace("|", delimiter) for line in lines).encode() + b"\n"


HEADER = "name|email|unit|superior_email"


def _problems(data: bytes) -> list[Problem]:
    with pytest.raises(RosterRefused) as caught:
        parse_leaders_csv(data)
    return caught.value.problems


def _lines(problems: list[Problem]) -> list[int | None]:
    return [problem.line for problem in problems]


# --------------------------------------------------------------------------- parsing


def test_parses_a_comma_file_with_line_numbers_and_normalised_emails() -> None:
    parsed = parse_leaders_csv(
        _csv(
            "name,email,aad_object_id,unit,superior_email,hr_admin",
            "Kari Sjef, Kari.Sjef@Example.com ,id-1,Kommunedirektøren,,nei",
            "",
            'Per "Pelle" Olsen,per@example.com,,"Teknisk, drift",KARI.SJEF@example.com,ja',
        )
    )
    assert parsed.delimiter == ","
    top, per = parsed.rows
    assert (top.line, top.email, top.aad_object_id, top.superior_email, top.is_hr_admin) == (
        2,
        "kari.sjef@example.com",
        "id-1",
        None,
        False,
    )
    assert (per.line, per.name, per.unit, per.superior_email, per.aad_object_id, per.is_hr_admin) == (
        4,
        'Per "Pelle" Olsen',
        "Teknisk, drift",
        "kari.sjef@example.com",
        None,
        True,
    )


def test_parses_a_semicolon_file_with_bom_crlf_and_norwegian_headers() -> None:
    text = (
        "Navn;E-post;Entra_Object_ID;Enhet;Overordnet_Epost;HR\r\n"
        "Åse Ødegård;ase@example.com;;Helse og omsorg, stab;;Ja\r\n"
        "Bjørn Ås;bjorn@example.com;;Sykehjem Vest;ase@example.com;nei\r\n"
    )
    parsed = parse_leaders_csv(codecs.BOM_UTF8 + text.encode())
    assert parsed.delimiter == ";"
    assert [(row.line, row.name, row.unit) for row in parsed.rows] == [
        (2, "Åse Ødegård", "Helse og omsorg, stab"),
        (3, "Bjørn Ås", "Sykehjem Vest"),
    ]
    assert parsed.rows[0].is_hr_admin is True
    assert parsed.by_email()["bjorn@example.com"].superior_email == "ase@example.com"


@pytest.mark.parametrize(
    "header",
    [
        "navn;epost;enhet;leder_epost",
        "NAME;UPN;UNIT;SUPERIOR_EMAIL",
        "Navn;E-post;Enhet;Overordnet e-post",
    ],
)
def test_accepts_header_aliases_in_any_case(header: str) -> None:
    parsed = parse_leaders_csv(_csv(header, "A|a@example.com|U|", delimiter=";"))
    assert parsed.rows[0].email == "a@example.com"


def test_accepts_excels_sep_line_and_counts_it_as_line_one() -> None:
    parsed = parse_leaders_csv(_csv("sep=;", HEADER, "A|a@example.com|U|", delimiter=";"))
    assert parsed.rows[0].line == 3


def test_object_ids_are_opaque_strings() -> None:
    parsed = parse_leaders_csv(
        _csv("name|email|objectid|unit|superior_email", "A|a@example.com|00000000-0000-0000-0000-0000000000020|U|")
    )
    assert parsed.rows[0].aad_object_id == "00000000-0000-0000-0000-0000000000020"


@pytest.mark.parametrize("data", [b"", codecs.BOM_UTF8, b"\n\n  \r\n"])
def test_refuses_an_empty_file(data: bytes) -> None:
    problems = _problems(data)
    assert [(problem.line, problem.message) for problem in problems] == [(None, "Filen er tom.")]


def test_refuses_a_file_with_only_a_header() -> None:
    problems = _problems(_csv(HEADER))
    assert _lines(problems) == [None]
    assert "ingen ledere" in problems[0].message


def test_refuses_missing_columns_naming_each() -> None:
    problems = _problems(_csv("navn;e-post", "A;a@example.com"))
    assert _lines(problems) == [1, 1]
    assert "«enhet»" in problems[0].message
    assert "«overordnet_epost»" in problems[1].message
    assert "leder_epost" in problems[1].message


def test_refuses_a_column_given_twice() -> None:
    problems = _problems(_csv("name|email|e-post|unit|superior_email", "A|a@example.com|a@example.com|U|"))
    assert _lines(problems) == [1]
    assert "email, e-post" in problems[0].message


def test_refuses_a_file_not_in_utf8_naming_the_line() -> None:
    data = "navn;e-post;enhet;overordnet_epost\nA;a@example.com;Skole;\nBjørn;b@example.com;Skole;a@example.com\n"
    problems = _problems(data.encode("cp1252"))
    assert _lines(problems) == [3]
    assert "ikke lagret som UTF-8" in problems[0].message


def test_refuses_utf16_saying_so() -> None:
    problems = _problems(_csv(HEADER, "A|a@example.com|U|").decode().encode("utf-16"))
    assert _lines(problems) == [None]
    assert "UTF-16" in problems[0].message


def test_refuses_malformed_emails() -> None:
    problems = _problems(
        _csv(
            HEADER,
            "A|a@example.com|U|",
            "B|b.example.com|U|a@example.com",
            "C|c@example|U|a@example.com",
            "D|d@example.com|U|a@@example.com",
            "E||U|a@example.com",
        )
    )
    assert _lines(problems) == [3, 4, 5, 6]
    assert problems[0].message == "Linje 3: «b.example.com» er ikke en gyldig e-postadresse."
    assert "overordnet leder «a@@example.com»" in problems[2].message
    assert problems[3].message == "Linje 6: e-post mangler."


def test_accepts_internationalised_addresses() -> None:
    parsed = parse_leaders_csv(
        _csv(
            HEADER,
            "Åse|Åse@Lørenskog.Kommune.no|U|",
            "Bjørn|bjørn.ås@lørenskog.kommune.no|U|åse@lørenskog.kommune.no",
        )
    )
    assert [(row.email, row.superior_email) for row in parsed.rows] == [
        ("åse@lørenskog.kommune.no", None),
        ("bjørn.ås@lørenskog.kommune.no", "åse@lørenskog.kommune.no"),
    ]


def test_refuses_an_empty_name() -> None:
    problems = _problems(_csv(HEADER, "A|a@example.com|U|", " |b@example.com|U|a@example.com"))
    assert [(problem.line, problem.message) for problem in problems] == [(3, "Linje 3: navn mangler.")]


def test_refuses_a_bad_hr_value() -> None:
    problems = _problems(_csv("name|email|unit|superior_email|hr", "A|a@example.com|U||kanskje"))
    assert _lines(problems) == [2]
    assert "«kanskje»" in problems[0].message


def test_duplicate_email_names_both_lines() -> None:
    problems = _problems(
        _csv(HEADER, "A|a@example.com|U|", "B|b@example.com|U|a@example.com", "B2| B@Example.com |U|a@example.com")
    )
    assert [(problem.line, problem.message) for problem in problems] == [
        (4, "Linje 4: e-postadressen b@example.com står også på linje 3.")
    ]


def test_duplicate_email_with_another_superior_is_also_a_conflict() -> None:
    problems = _problems(
        _csv(
            HEADER,
            "A|a@example.com|U|",
            "C|c@example.com|U|a@example.com",
            "B|b@example.com|U|a@example.com",
            "B|b@example.com|U|c@example.com",
        )
    )
    assert _lines(problems) == [5, 5]
    assert "står også på linje 4" in problems[0].message
    assert "c@example.com her, men a@example.com på linje 4" in problems[1].message


def test_refuses_a_duplicate_object_id() -> None:
    problems = _problems(
        _csv(
            "name|email|objectid|unit|superior_email",
            "A|a@example.com|id-1|U|",
            "B|b@example.com|id-2|U|a@example.com",
            "C|c@example.com|id-1|U|a@example.com",
        )
    )
    assert [(problem.line, problem.message) for problem in problems] == [
        (4, "Linje 4: objekt-ID-en id-1 står også på linje 2.")
    ]


def test_refuses_an_unknown_superior() -> None:
    problems = _problems(_csv(HEADER, "A|a@example.com|U|", "B|b@example.com|U|per@example.com"))
    assert [(problem.line, problem.message) for problem in problems] == [
        (3, "Linje 3: overordnet leder per@example.com finnes ikke i filen.")
    ]


def test_refuses_a_leader_who_is_their_own_superior() -> None:
    problems = _problems(_csv(HEADER, "A|a@example.com|U|", "B|b@example.com|U|B@example.com"))
    assert _lines(problems) == [3]
    assert "sin egen overordnede" in problems[0].message


def test_refuses_a_cycle_naming_every_line_in_it() -> None:
    problems = _problems(
        _csv(
            HEADER,
            "Top|top@example.com|U|",
            "B|b@example.com|U|d@example.com",
            "Under|under@example.com|U|b@example.com",
            "C|c@example.com|U|b@example.com",
            "D|d@example.com|U|c@example.com",
        )
    )
    assert _lines(problems) == [3]
    assert problems[0].message.startswith("Linje 3, 5 og 6: ")
    assert "b@example.com → d@example.com → c@example.com → b@example.com" in problems[0].message
    assert "under@example.com" not in problems[0].message


def test_refuses_a_file_where_everyone_has_a_superior() -> None:
    problems = _problems(_csv(HEADER, "A|a@example.com|U|b@example.com", "B|b@example.com|U|a@example.com"))
    assert _lines(problems) == [2]
    assert problems[0].message.startswith("Linje 2 og 3: ")


def test_refuses_a_line_with_the_wrong_number_of_fields() -> None:
    problems = _problems(
        _csv(HEADER, "A|a@example.com|U|", "B|b@example.com|U", "C|c@example.com|U|b@example.com|extra")
    )
    assert _lines(problems) == [3, 4]
    assert "3 felt, men overskriften har 4" in problems[0].message
    assert "5 felt" in problems[1].message


def test_a_broken_line_does_not_make_its_subordinates_unknown() -> None:
    problems = _problems(_csv(HEADER, "A|a@example.com|U|", "B|b@example.com|U", "C|c@example.com|U|b@example.com"))
    assert _lines(problems) == [3]


def test_refuses_unreadable_quoting_and_goes_on_reading() -> None:
    problems = _problems(
        _csv(
            HEADER,
            "A|a@example.com|U|",
            'B|"b@example.com"x|U|a@example.com',
            "C|c@example.com|U|b@example.com",
            "D|d@example.com|U|nobody@example.com",
        )
    )
    assert _lines(problems) == [3, 5]
    assert "anførselstegn" in problems[0].message
    assert "nobody@example.com" in problems[1].message


def test_refuses_control_characters_and_overlong_values() -> None:
    problems = _problems(
        _csv(HEADER, "A|a@example.com|U|", '"B\nBerg"|b@example.com|U|a@example.com', f"C|c@example.com|{'x' * 201}|")
    )
    assert _lines(problems) == [3, 5]
    assert "«navn» inneholder ugyldige tegn" in problems[0].message
    assert "«enhet» er for langt" in problems[1].message


def test_refuses_a_file_over_five_megabytes() -> None:
    data = _csv(HEADER, "A|a@example.com|U|") + b" " * (5 * 1024 * 1024)
    problems = _problems(data)
    assert _lines(problems) == [None]
    assert "for stor" in problems[0].message


def test_refuses_a_file_with_too_many_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parse, "MAX_ROWS", 3)
    rows = [f"L{n}|l{n}@example.com|U|" for n in range(4)]
    problems = _problems(_csv(HEADER, *rows))
    assert _lines(problems) == [None]
    assert "mer enn 3 ledere" in problems[0].message
    assert len(parse_leaders_csv(_csv(HEADER, *rows[:3])).rows) == 3


def test_collects_every_problem_sorted_by_line_in_a_readable_message() -> None:
    with pytest.raises(RosterRefused) as caught:
        parse_leaders_csv(
            _csv(
                HEADER,
                "A|a@example.com|U|ghost@example.com",
                "|b@example.com|U|a@example.com",
                "C|not-an-email|U|a@example.com",
                "A again|a@example.com|U|a@example.com",
            )
        )
    error = caught.value
    assert isinstance(error, ValueError)
    assert _lines(error.problems) == [2, 3, 4, 5, 5]
    text = str(error)
    assert text.startswith("Rett opp 5 feil i filen")
    for problem in error.problems:
        assert f"- {problem.message}" in text


def test_the_demo_file_is_valid() -> None:
    parsed = parse_leaders_csv(DEMO_CSV.read_bytes())
    rows = parsed.by_email()
    assert len(rows) == 12
    levels = {}
    for email in rows:
        depth, current = 0, rows[email]
        while current.superior_email is not None:
            depth, current = depth + 1, rows[current.superior_email]
        levels[email] = depth
    assert set(levels.values()) == {0, 1, 2}
    playground = {
        "alexw@example.com": "00000000-0000-0000-0000-0000000000020",
        "meganb@example.com": "00000000-0000-0000-0000-0000000000021",
        "adelev@example.com": "00000000-0000-0000-0000-0000000000022",
        "isaiahl@example.com": "00000000-0000-0000-0000-0000000000023",
        "pattif@example.com": "00000000-0000-0000-0000-0000000000024",
        "lynner@example.com": "00000000-0000-0000-0000-0000000000025",
    }
    assert {email: rows[email].aad_object_id for email in playground} == playground
    assert all(rows[email].superior_email == "alexw@example.com" for email in list(playground)[1:4])
    assert all(email.endswith("@example.com") for email in rows)


# --------------------------------------------------------------------------- importing

BASE = [
    "navn;e-post;objectid;enhet;overordnet_epost;hr",
    "Sjef;sjef@example.com;oid-1;Kommunedirektøren;;nei",
    "Anne;a@example.com;oid-2;Oppvekst;sjef@example.com;nei",
    "Bente;b@example.com;;Helse og omsorg;sjef@example.com;ja",
    "Carl;c@example.com;;Lørenskog skole Nord;a@example.com;nei",
    "Dina;d@example.com;;Barnehage Øst;a@example.com;nei",
    "Frode;f@example.com;;Teknisk;sjef@example.com;nei",
]


def _file(lines: list[str]) -> bytes:
    return ("\n".join(lines) + "\n").encode()


async def _leaders(session_factory: async_sessionmaker[AsyncSession]) -> dict[str, Leader]:
    async with session_factory() as session:
        return {leader.email: leader for leader in (await session.scalars(select(Leader))).all()}


async def _agreements(session_factory: async_sessionmaker[AsyncSession], year: int = YEAR) -> dict[int, Agreement]:
    async with session_factory() as session:
        stored = await session.scalars(select(Agreement).where(Agreement.year == year))
        return {agreement.subordinate_id: agreement for agreement in stored.all()}


async def test_import_creates_leaders_and_agreements(session_factory: async_sessionmaker[AsyncSession]) -> None:
    result = await import_leaders(session_factory, _file(BASE), YEAR, TEMPLATE)

    assert (result.leaders_created, result.leaders_updated, result.leaders_unchanged) == (6, 0, 0)
    assert (result.agreements_created, result.agreements_unchanged, result.agreements_moved) == (5, 0, 0)
    leaders = await _leaders(session_factory)
    assert leaders["sjef@example.com"].superior_id is None
    assert leaders["sjef@example.com"].aad_object_id == "oid-1"
    assert leaders["c@example.com"].superior_id == leaders["a@example.com"].id
    assert leaders["b@example.com"].is_hr_admin is True
    assert leaders["c@example.com"].unit == "Lørenskog skole Nord"
    agreements = await _agreements(session_factory)
    pairs = {(a.superior_id, a.subordinate_id) for a in agreements.values()}
    ids = {email: leader.id for email, leader in leaders.items()}
    assert pairs == {
        (ids["sjef@example.com"], ids["a@example.com"]),
        (ids["sjef@example.com"], ids["b@example.com"]),
        (ids["sjef@example.com"], ids["f@example.com"]),
        (ids["a@example.com"], ids["c@example.com"]),
        (ids["a@example.com"], ids["d@example.com"]),
    }
    assert all(a.active and a.template_id == TEMPLATE and a.year == YEAR for a in agreements.values())


async def test_reimporting_the_same_file_changes_nothing(session_factory: async_sessionmaker[AsyncSession]) -> None:
    await import_leaders(session_factory, _file(BASE), YEAR, TEMPLATE)
    before = await dump_tables(session_factory)

    result = await import_leaders(session_factory, _file(BASE), YEAR, TEMPLATE)

    assert await dump_tables(session_factory) == before
    assert result.changed_anything is False
    assert (result.leaders_unchanged, result.agreements_unchanged) == (6, 5)
    assert result.kept_agreements == []


async def test_a_changed_file_updates_without_duplicates(session_factory: async_sessionmaker[AsyncSession]) -> None:
    await import_leaders(session_factory, _file(BASE), YEAR, TEMPLATE)
    leaders = await _leaders(session_factory)
    agreements = await _agreements(session_factory)
    carl, dina = leaders["c@example.com"], leaders["d@example.com"]
    async with session_factory.begin() as session:
        session.add(
            Answer(
                agreement_id=agreements[carl.id].id,
                question_key="sentrale_tema",
                author_id=carl.id,
                phase=Phase.PREPARATION,
                text="notat",
            )
        )
    changed = [
        "navn;e-post;objectid;enhet;overordnet_epost;hr",
        "Sjef;direktor@example.com;oid-1;Kommunedirektøren;;nei",  # new e-mail, same object id
        "Anne Nyttnavn;a@example.com;oid-2;Oppvekst og kultur;direktor@example.com;nei",
        "Bente;b@example.com;;Helse og omsorg;direktor@example.com;ja",
        "Carl;c@example.com;;Lørenskog skole Nord;b@example.com;nei",  # started agreement
        "Dina;d@example.com;;Barnehage Øst;b@example.com;nei",  # untouched agreement
        "Eva;e@example.com;;Hjemmetjenesten;b@example.com;nei",  # new; Frode left
    ]

    result = await import_leaders(session_factory, _file(changed), YEAR, TEMPLATE)

    assert (result.leaders_created, result.leaders_updated, result.leaders_unchanged) == (1, 4, 1)
    assert result.leaders_deactivated == 1
    assert (result.agreements_created, result.agreements_moved, result.agreements_unchanged) == (1, 1, 3)
    assert result.agreements_deactivated == 1
    after = await _leaders(session_factory)
    assert len(after) == 7
    assert after["direktor@example.com"].id == leaders["sjef@example.com"].id
    assert after["a@example.com"].name == "Anne Nyttnavn"
    assert after["a@example.com"].unit == "Oppvekst og kultur"
    assert after["f@example.com"].active is False
    assert after["c@example.com"].superior_id == after["b@example.com"].id
    moved = await _agreements(session_factory)
    assert len(moved) == 6
    assert moved[dina.id].id == agreements[dina.id].id
    assert moved[dina.id].superior_id == after["b@example.com"].id
    assert moved[carl.id].superior_id == after["a@example.com"].id
    assert moved[carl.id].active is True
    assert moved[after["f@example.com"].id].active is False
    assert moved[after["e@example.com"].id].superior_id == after["b@example.com"].id
    [kept] = result.kept_agreements
    assert (kept.agreement_id, kept.subordinate_email, kept.superior_email, kept.new_superior_email) == (
        agreements[carl.id].id,
        "c@example.com",
        "a@example.com",
        "b@example.com",
    )
    summary = result.summary()
    assert summary.startswith("Ledere: 1 nye, 4 endret, 1 uendret, 1 deaktivert.\n")
    assert kept.describe() in summary
    async with session_factory() as session:
        events = (await session.scalars(select(AgreementEvent).order_by(AgreementEvent.id))).all()
    assert [(event.agreement_id, event.kind, event.detail["moved"]) for event in events] == [
        (agreements[carl.id].id, "superior_changed", False),
        (agreements[dina.id].id, "superior_changed", True),
    ]

    before = await dump_tables(session_factory)
    again = await import_leaders(session_factory, _file(changed), YEAR, TEMPLATE)
    assert await dump_tables(session_factory) == before
    assert again.changed_anything is False
    assert [k.agreement_id for k in again.kept_agreements] == [kept.agreement_id]


async def test_a_leader_who_left_keeps_a_started_agreement(session_factory: async_sessionmaker[AsyncSession]) -> None:
    await import_leaders(session_factory, _file(BASE), YEAR, TEMPLATE)
    frode = (await _leaders(session_factory))["f@example.com"]
    async with session_factory.begin() as session:
        agreement = await session.scalar(select(Agreement).where(Agreement.subordinate_id == frode.id))
        agreement.meeting_at = datetime(2024, 2, 1, 9, tzinfo=timezone.utc)

    result = await import_leaders(session_factory, _file(BASE[:-1]), YEAR, TEMPLATE)

    assert result.leaders_deactivated == 1
    assert result.agreements_deactivated == 0
    assert [(k.subordinate_email, k.new_superior_email) for k in result.kept_agreements] == [
        ("f@example.com", None)
    ]
    assert (await _agreements(session_factory))[frode.id].active is True
    assert (await _leaders(session_factory))["f@example.com"].active is False
    assert (await _leaders(session_factory))["f@example.com"].left_at is not None


async def test_a_leader_back_in_the_file_is_reactivated(session_factory: async_sessionmaker[AsyncSession]) -> None:
    await import_leaders(session_factory, _file(BASE), YEAR, TEMPLATE)
    await import_leaders(session_factory, _file(BASE[:-1]), YEAR, TEMPLATE)

    result = await import_leaders(session_factory, _file(BASE), YEAR, TEMPLATE)

    assert (result.leaders_updated, result.agreements_reactivated, result.agreements_created) == (1, 1, 0)
    frode = (await _leaders(session_factory))["f@example.com"]
    assert frode.active is True
    assert frode.left_at is None
    assert (await _agreements(session_factory))[frode.id].active is True


async def test_the_file_decides_who_holds_an_object_id(session_factory: async_sessionmaker[AsyncSession]) -> None:
    await import_leaders(session_factory, _file(BASE), YEAR, TEMPLATE)
    swapped = list(BASE)
    swapped[1] = "Sjef;sjef@example.com;oid-2;Kommunedirektøren;;nei"
    swapped[2] = "Anne;a@example.com;oid-1;Oppvekst;sjef@example.com;nei"
    swapped[4] = "Carl;c@example.com;oid-3;Lørenskog skole Nord;a@example.com;nei"

    result = await import_leaders(session_factory, _file(swapped), YEAR, TEMPLATE)

    leaders = await _leaders(session_factory)
    assert [leaders[email].aad_object_id for email in ("sjef@example.com", "a@example.com", "c@example.com")] == [
        "oid-2",
        "oid-1",
        "oid-3",
    ]
    assert (result.leaders_updated, result.leaders_created) == (3, 0)

    emptied = list(swapped)
    emptied[1] = "Sjef;sjef@example.com;;Kommunedirektøren;;nei"  # an empty cell keeps what is known
    emptied[3] = "Bente;b@example.com;oid-3;Helse og omsorg;sjef@example.com;ja"
    emptied[4] = "Carl;c@example.com;;Lørenskog skole Nord;a@example.com;nei"
    await import_leaders(session_factory, _file(emptied), YEAR, TEMPLATE)
    leaders = await _leaders(session_factory)
    assert leaders["sjef@example.com"].aad_object_id == "oid-2"
    assert leaders["b@example.com"].aad_object_id == "oid-3"
    assert leaders["c@example.com"].aad_object_id is None


async def test_a_refused_import_leaves_the_database_unchanged(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    await import_leaders(session_factory, _file(BASE), YEAR, TEMPLATE)
    before = await dump_tables(session_factory)
    bad = [*BASE[:3], "Ny;ny@example.com;;Skole;ukjent@example.com;nei"]

    with pytest.raises(RosterRefused) as caught:
        await import_leaders(session_factory, _file(bad), YEAR, TEMPLATE)

    assert _lines(caught.value.problems) == [4]
    assert await dump_tables(session_factory) == before


async def test_another_year_gets_its_own_agreements(session_factory: async_sessionmaker[AsyncSession]) -> None:
    await import_leaders(session_factory, _file(BASE), YEAR, TEMPLATE)
    before = await _agreements(session_factory)

    result = await import_leaders(session_factory, _file(BASE[:-1]), YEAR + 1, "lederavtale-2025")

    assert (result.agreements_created, result.agreements_deactivated) == (4, 0)
    assert {a.id: a.active for a in (await _agreements(session_factory)).values()} == {
        a.id: a.active for a in before.values()
    }
    assert {a.template_id for a in (await _agreements(session_factory, YEAR + 1)).values()} == {"lederavtale-2025"}


async def test_demo_loads_with_alex_as_megans_superior(session_factory: async_sessionmaker[AsyncSession]) -> None:
    result = await load_demo(session_factory, YEAR, TEMPLATE)

    assert isinstance(result, ImportResult)
    assert (result.leaders_created, result.agreements_created) == (12, 11)
    leaders = await _leaders(session_factory)
    alex, megan = leaders["alexw@example.com"], leaders["meganb@example.com"]
    assert alex.aad_object_id == "00000000-0000-0000-0000-0000000000020"
    assert megan.aad_object_id == "00000000-0000-0000-0000-0000000000021"
    assert megan.superior_id == alex.id
    assert {email for email, leader in leaders.items() if leader.superior_id == alex.id} == {
        "meganb@example.com",
        "adelev@example.com",
        "isaiahl@example.com",
    }
    patti, lynne = leaders["pattif@example.com"], leaders["lynner@example.com"]
    assert (alex.superior_id, lynne.superior_id, patti.superior_id) == (patti.id, patti.id, None)
    assert lynne.is_hr_admin is True
    assert (await _agreements(session_factory))[megan.id].superior_id == alex.id
    async with session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(Agreement)) == 11

    again = await load_demo(session_factory, YEAR, TEMPLATE)
    assert again.changed_anything is False


# --------------------------------------------------------------------------- rows from elsewhere


def _row(line: int, email: str, superior: str | None) -> LeaderRow:
    return LeaderRow(line, f"Linje {line}", email.split("@")[0], email, None, "U", superior, False)


def test_rows_from_elsewhere_are_refused_naming_every_circle() -> None:
    rows = [
        _row(1, "top@example.com", None),
        _row(2, "under@example.com", "b@example.com"),
        _row(3, "b@example.com", "c@example.com"),
        _row(4, "c@example.com", "b@example.com"),
        _row(5, "d@example.com", "f@example.com"),
        _row(6, "e@example.com", "d@example.com"),
        _row(7, "f@example.com", "e@example.com"),
        _row(8, "g@example.com", "gone@example.com"),
        _row(9, "h@example.com", "ghost@example.com"),
    ]
    earlier = Problem(10, "Linje 10: navn mangler.")

    with pytest.raises(RosterRefused) as caught:
        check_roster(rows, problems=[earlier], known_emails={"gone@example.com"})

    assert [(problem.line, problem.message) for problem in caught.value.problems] == [
        (
            3,
            "Linje 3 og 4: lederne er overordnet hverandre i en sirkel "
            "(b@example.com → c@example.com → b@example.com). Øverste leder skal ha tom overordnet.",
        ),
        (
            5,
            "Linje 5, 6 og 7: lederne er overordnet hverandre i en sirkel "
            "(d@example.com → f@example.com → e@example.com → d@example.com). "
            "Øverste leder skal ha tom overordnet.",
        ),
        (9, "Linje 9: overordnet leder ghost@example.com finnes ikke i filen."),
        (10, "Linje 10: navn mangler."),
    ]


async def test_rows_from_elsewhere_are_applied_like_a_file(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    roster = check_roster([_row(1, "sjef@example.com", None), _row(2, "a@example.com", "sjef@example.com")])

    result = await apply_roster(session_factory, roster, YEAR, TEMPLATE)

    assert (result.leaders_created, result.agreements_created) == (2, 1)
    leaders = await _leaders(session_factory)
    sjef, anne = leaders["sjef@example.com"], leaders["a@example.com"]
    assert anne.superior_id == sjef.id
    assert (await _agreements(session_factory))[anne.id].superior_id == sjef.id
    again = await apply_roster(session_factory, roster, YEAR, TEMPLATE)
    assert again.changed_anything is False
