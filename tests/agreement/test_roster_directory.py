import pytest

from agreement.roster.directory import roster_from_directory
from agreement.roster.rows import RosterRefused
from graph.directory import DirectoryUser


def _user(id: str, name: str, mail: str | None, manager: DirectoryUser | None = None, *,
          upn: str | None = None, department: str | None = None) -> DirectoryUser:
    return DirectoryUser(
        id=id, display_name=name, mail=mail, user_principal_name=upn or mail or f"{id}@tenant.example",
        department=department,
        manager_id=manager.id if manager else None,
        manager_name=manager.display_name if manager else None,
        manager_mail=manager.mail if manager else None,
    )


def _messages(leaders: list[DirectoryUser], hr: list[DirectoryUser] = ()) -> list[str]:
    with pytest.raises(RosterRefused) as caught:
        roster_from_directory(leaders, hr)
    return [problem.message for problem in caught.value.problems]


def test_directory_people_become_rows_with_their_managers() -> None:
    sjef = _user("oid-1", "Sjef Sjefsen", "Sjef@Example.com", department="Kommunedirektøren")
    anne = _user("oid-2", "Anne", None, sjef, upn="anne@example.com")
    hr = _user("oid-9", "Hilde HR", "hilde@example.com", anne)

    roster = roster_from_directory([anne, sjef], [sjef, hr])

    rows = {row.email: row for row in roster.rows}
    assert set(rows) == {"sjef@example.com", "anne@example.com", "hilde@example.com"}
    assert (rows["sjef@example.com"].superior_email, rows["sjef@example.com"].unit) == (None, "Kommunedirektøren")
    assert rows["anne@example.com"].superior_email == "sjef@example.com"
    assert rows["anne@example.com"].unit == ""
    assert rows["anne@example.com"].aad_object_id == "oid-2"
    assert [rows[email].is_hr_admin for email in ("sjef@example.com", "anne@example.com")] == [True, False]
    # An HR adviser who is not a leader: HR rights, no superior, so no agreement.
    assert (rows["hilde@example.com"].is_hr_admin, rows["hilde@example.com"].superior_email) == (True, None)
    assert rows["anne@example.com"].source == "Anne (anne@example.com)"


def test_a_manager_outside_the_group_names_the_leader_and_the_manager() -> None:
    outside = _user("oid-x", "Ola Utenfor", "ola@example.com")
    kari = _user("oid-2", "Kari Nordmann", "kari@example.com", outside)

    assert _messages([_user("oid-1", "Sjef", "sjef@example.com"), kari]) == [
        "Kari Nordmann (kari@example.com) har Ola Utenfor (ola@example.com) som leder i Entra ID, men "
        "Ola Utenfor (ola@example.com) er ikke med i ledergruppen. Legg lederen til i gruppen, eller rett "
        "opp lederen til Kari Nordmann i Entra ID."
    ]


def test_a_cycle_names_the_people_in_it() -> None:
    a = _user("oid-a", "Anne", "a@example.com")
    b = _user("oid-b", "Bente", "b@example.com", a)
    a = _user("oid-a", "Anne", "a@example.com", b)
    top = _user("oid-t", "Toppen", "t@example.com")

    assert _messages([top, a, b]) == [
        "Lederne er ledere for hverandre i en sirkel i Entra ID (Anne (a@example.com) → Bente (b@example.com) "
        "→ Anne (a@example.com)). Øverste leder skal ikke ha en leder i ledergruppen."
    ]


def test_two_leaders_with_one_email_are_refused() -> None:
    top = _user("oid-t", "Toppen", "t@example.com")
    first = _user("oid-1", "Kari Hansen", "kari@example.com", top)
    second = _user("oid-2", "Kari Nordmann", "KARI@example.com")

    assert _messages([top, first, second]) == [
        "Kari Nordmann (kari@example.com): Kari Hansen i ledergruppen har samme e-postadresse. "
        "To ledere kan ikke ha samme e-postadresse."
    ]


def test_every_problem_is_listed_in_one_refusal() -> None:
    outside = _user("oid-x", "Ola", "ola@example.com")
    nameless = _user("oid-n", "", "n@example.com", outside)
    long_unit = _user("oid-l", "Lang", "l@example.com", department="x" * 500)

    with pytest.raises(RosterRefused) as caught:
        roster_from_directory([nameless, long_unit], [])

    assert str(caught.value).splitlines() == [
        "Rett opp 3 feil i Entra ID og prøv igjen:",
        "- n@example.com: visningsnavnet mangler i Entra ID.",
        "- n@example.com har Ola (ola@example.com) som leder i Entra ID, men Ola (ola@example.com) er ikke "
        "med i ledergruppen. Legg lederen til i gruppen, eller rett opp lederen til n@example.com i Entra ID.",
        "- Lang (l@example.com): feltet «enhet» i Entra ID er for langt (mer enn 200 tegn).",
    ]
