"""The hierarchy checks over plain rows: one row per leader, one superior each, no circles."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from graphlib import CycleError, TopologicalSorter

from agreement.texts import roster as texts
from agreement.roster.rows import CheckedRoster, LeaderRow, Problem, RosterRefused


@dataclass(frozen=True)
class HierarchyWording:
    """The problem texts for one kind of roster source (a file names lines, the directory people)."""

    duplicate_email: str
    #: None where a second row with the e-mail is another person, already named by ``duplicate_email``.
    conflicting_superior: str | None
    duplicate_object_id: str
    unknown_superior: str
    own_superior: str
    cycle: str
    refused: str


FILE_WORDING = HierarchyWording(
    duplicate_email=texts.DUPLICATE_EMAIL,
    conflicting_superior=texts.CONFLICTING_SUPERIOR,
    duplicate_object_id=texts.DUPLICATE_OBJECT_ID,
    unknown_superior=texts.UNKNOWN_SUPERIOR,
    own_superior=texts.OWN_SUPERIOR,
    cycle=texts.CYCLE,
    refused=texts.REFUSED,
)
DIRECTORY_WORDING = HierarchyWording(
    duplicate_email=texts.DIRECTORY_DUPLICATE_EMAIL,
    conflicting_superior=None,
    duplicate_object_id=texts.DIRECTORY_DUPLICATE_OBJECT_ID,
    unknown_superior=texts.DIRECTORY_UNKNOWN_SUPERIOR,
    own_superior=texts.DIRECTORY_OWN_SUPERIOR,
    cycle=texts.DIRECTORY_CYCLE,
    refused=texts.DIRECTORY_REFUSED,
)


def check_roster(
    rows: Sequence[LeaderRow],
    *,
    problems: Iterable[Problem] = (),
    known_emails: Iterable[str] = (),
    wording: HierarchyWording = FILE_WORDING,
) -> CheckedRoster:
    """The rows as a checked roster; refuse them with ``problems`` and every hierarchy problem.

    ``known_emails`` are leaders the source names but could not make rows of: a superior among
    them is not reported as unknown as well.
    """
    found = [*problems, *_Checker(rows, wording).problems(known_emails)]
    if found:
        raise RosterRefused(found, heading=wording.refused)
    return CheckedRoster(rows=tuple(rows))


class _Checker:
    """The hierarchy problems of one set of rows, worded for their source."""

    def __init__(self, rows: Sequence[LeaderRow], wording: HierarchyWording) -> None:
        self.rows = rows
        self.wording = wording
        # The first row per e-mail names a superior in messages.
        self.where_of: dict[str, str] = {}
        for row in rows:
            self.where_of.setdefault(row.email, row.source)

    def problems(self, known_emails: Iterable[str]) -> list[Problem]:
        """Duplicate leaders, unknown superiors, leaders who are their own superior, and circles."""
        unique_rows, problems = self._duplicates()
        known = {row.email for row in self.rows} | set(known_emails)
        for row in unique_rows:
            if row.superior_email is None:
                continue
            if row.superior_email == row.email:
                problems.append(self._problem(row, self.wording.own_superior))
            elif row.superior_email not in known:
                problems.append(self._problem(row, self.wording.unknown_superior))
        problems.extend(self._cycle_problem(cycle) for cycle in _cycles(unique_rows))
        return problems

    def _problem(self, row: LeaderRow, template: str, first: LeaderRow | None = None, **values: object) -> Problem:
        """A problem with ``row``; templates take what they need of these fields."""
        fields: dict[str, object] = {
            "line": row.line,
            "where": row.source,
            "name": row.name,
            "email": row.email,
            "superior": row.superior_email,
            "superior_where": self.where_of.get(row.superior_email or "", row.superior_email),
        }
        if first is not None:
            fields.update(first=first.line, first_where=first.source, first_name=first.name)
        fields.update(values)
        return Problem(row.line, template.format(**fields))

    def _duplicates(self) -> tuple[list[LeaderRow], list[Problem]]:
        """The first row per e-mail, and the problems with the others."""
        first_by_email: dict[str, LeaderRow] = {}
        first_by_object_id: dict[str, LeaderRow] = {}
        problems: list[Problem] = []
        for row in self.rows:
            first = first_by_email.get(row.email)
            if first is not None:
                problems.append(self._problem(row, self.wording.duplicate_email, first))
                conflicting = self.wording.conflicting_superior
                if conflicting is not None and first.superior_email != row.superior_email:
                    problems.append(
                        self._problem(
                            row,
                            conflicting,
                            first,
                            superior=row.superior_email or texts.NO_SUPERIOR,
                            first_superior=first.superior_email or texts.NO_SUPERIOR,
                        )
                    )
                continue
            first_by_email[row.email] = row
            if row.aad_object_id:
                first = first_by_object_id.get(row.aad_object_id)
                if first is not None:
                    problems.append(
                        self._problem(row, self.wording.duplicate_object_id, first, object_id=row.aad_object_id)
                    )
                else:
                    first_by_object_id[row.aad_object_id] = row
        return list(first_by_email.values()), problems

    def _cycle_problem(self, cycle: list[LeaderRow]) -> Problem:
        lines = sorted(row.line for row in cycle)
        chain = " → ".join([*(row.email for row in cycle), cycle[0].email])
        people = " → ".join([*(row.source for row in cycle), cycle[0].source])
        message = self.wording.cycle.format(lines=_join_lines(lines), chain=chain, people=people)
        return Problem(lines[0], message)


def _cycles(rows: Sequence[LeaderRow]) -> list[list[LeaderRow]]:
    """Every circle of superiors, read upwards from where the first line to reach it enters it."""
    by_email = {row.email: row for row in rows}
    sorter: TopologicalSorter[str] = TopologicalSorter()
    for row in rows:
        sorter.add(row.email)
        if row.superior_email in by_email and row.superior_email != row.email:
            # A superior comes after its subordinates: then only leaders in a circle never come.
            sorter.add(row.superior_email, row.email)
    try:
        sorter.prepare()
    except CycleError:
        pass
    else:
        return []
    # After a CycleError the sorter still hands out every leader that no circle holds back.
    order: list[str] = []
    while sorter.is_active():
        ready = sorter.get_ready()
        order.extend(ready)
        sorter.done(*ready)
    in_circle = by_email.keys() - set(order)

    # The first leader in a circle above each leader; superiors come first in reverse order.
    entry = {email: email for email in in_circle}
    for email in reversed(order):
        superior = by_email[email].superior_email
        if superior in entry:
            entry[email] = entry[superior]

    cycles: list[list[LeaderRow]] = []
    placed: set[str] = set()
    for row in rows:
        start = entry.get(row.email)
        if start is None or start in placed:
            continue
        cycle = [by_email[start]]
        while (superior := cycle[-1].superior_email) != start:
            cycle.append(by_email[superior])
        placed.update(member.email for member in cycle)
        cycles.append(cycle)
    return cycles


def _join_lines(lines: list[int]) -> str:
    """'3, 5 og 8' for a list of line numbers."""
    text = [str(line) for line in lines]
    if len(text) == 1:
        return text[0]
    return texts.LIST_SEPARATOR.join(text[:-1]) + texts.LIST_LAST_SEPARATOR + text[-1]
