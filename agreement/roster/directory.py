"""The roster from a directory (Entra ID): the leader group's people and their managers as checked rows.

The leaders are the leader group's members; each one's superior is their manager, who must be in
the group as well. HR admins are the HR group's members: one who is also a leader is that leader
with HR rights; one who is not becomes a row of their own without a superior (as an HR adviser's
line in the file with an empty superior), so that HR keeps its access and gets no agreement.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from agreement.roster.hierarchy import DIRECTORY_WORDING, check_roster
from agreement.roster.rows import CheckedRoster, LeaderRow, Problem
from agreement.texts import roster as texts
from storage.models import Leader

# Longer values would fail in the database.
_MAX_LENGTHS = {
    "name": Leader.__table__.c.name.type.length,
    "email": Leader.__table__.c.email.type.length,
    "aad_object_id": Leader.__table__.c.aad_object_id.type.length,
    "unit": Leader.__table__.c.unit.type.length,
}


class DirectoryPerson(Protocol):
    """What the roster reads of a directory user (``graph.directory.DirectoryUser`` has it)."""

    @property
    def id(self) -> str: ...
    @property
    def display_name(self) -> str: ...
    @property
    def mail(self) -> str | None: ...
    @property
    def user_principal_name(self) -> str: ...
    @property
    def department(self) -> str | None: ...
    @property
    def manager_id(self) -> str | None: ...
    @property
    def manager_name(self) -> str | None: ...
    @property
    def manager_mail(self) -> str | None: ...


def email_of(person: DirectoryPerson) -> str:
    """The person's e-mail: ``mail``, else the user principal name, normalised."""
    return (person.mail or person.user_principal_name or "").strip().lower()


def _where(name: str, email: str) -> str:
    return texts.PERSON.format(name=name, email=email) if name else email


def roster_from_directory(
    leaders: Iterable[DirectoryPerson], hr_admins: Iterable[DirectoryPerson]
) -> CheckedRoster:
    """The leader group's and HR group's people as a checked roster; raise RosterRefused naming people."""
    leader_by_id = {person.id: person for person in leaders}
    hr_by_id = {person.id: person for person in hr_admins}
    people = [*leader_by_id.values(), *(person for key, person in hr_by_id.items() if key not in leader_by_id)]
    # A stable order by name, so that problems and rows read alike on every run.
    people.sort(key=lambda person: ((person.display_name or "").strip().casefold(), email_of(person), person.id))

    rows: list[LeaderRow] = []
    problems: list[Problem] = []
    for line, person in enumerate(people, start=1):
        name = (person.display_name or "").strip()
        email = email_of(person)
        where = _where(name, email)
        values = {
            "name": name,
            "email": email,
            "aad_object_id": person.id,
            "unit": (person.department or "").strip(),
        }
        if not name:
            problems.append(Problem(line, texts.DIRECTORY_EMPTY_NAME.format(where=where)))
        for column, value in values.items():
            if len(value) > _MAX_LENGTHS[column]:
                message = texts.DIRECTORY_TOO_LONG.format(
                    where=where, column=texts.COLUMN_LABELS[column], limit=_MAX_LENGTHS[column]
                )
                problems.append(Problem(line, message))

        superior_email = None
        if person.id in leader_by_id and person.manager_id is not None:
            manager = leader_by_id.get(person.manager_id)
            if manager is not None:
                superior_email = email_of(manager)
            else:
                manager_email = (person.manager_mail or "").strip().lower()
                manager_where = _where((person.manager_name or "").strip(), manager_email) or person.manager_id
                problems.append(
                    Problem(
                        line,
                        texts.DIRECTORY_OUTSIDE_MANAGER.format(where=where, manager=manager_where, name=name or email),
                    )
                )
        rows.append(
            LeaderRow(
                line=line,
                source=where,
                name=name,
                email=email,
                aad_object_id=person.id,
                unit=values["unit"],
                superior_email=superior_email,
                is_hr_admin=person.id in hr_by_id,
            )
        )
    return check_roster(rows, problems=problems, wording=DIRECTORY_WORDING)
