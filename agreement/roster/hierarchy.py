"""The hierarchy checks over plain rows: one line per leader, one superior each, no circles."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from graphlib import CycleError, TopologicalSorter

from agreement.texts import roster as texts
from agreement.roster.rows import CheckedRoster, LeaderRow, Problem, RosterRefused, problem


def check_roster(
    rows: Sequence[LeaderRow], *, problems: Iterable[Problem] = (), known_emails: Iterable[str] = ()
) -> CheckedRoster:
    """The rows as a checked roster; refuse them with ``problems`` and every hierarchy problem.

    ``known_emails`` are leaders the source names on lines that could not become rows: a
    superior among them is not reported as unknown as well.
    """
    found = [*problems, *_hierarchy_problems(rows, known_emails)]
    if found:
        raise RosterRefused(found)
    return CheckedRoster(rows=tuple(rows))


def _hierarchy_problems(rows: Sequence[LeaderRow], known_emails: Iterable[str] = ()) -> list[Problem]:
    """Duplicate leaders, unknown superiors, leaders who are their own superior, and circles."""
    unique_rows, problems = _duplicates(rows)
    known = {row.email for row in rows} | set(known_emails)
    for row in unique_rows:
        if row.superior_email is None:
            continue
        if row.superior_email == row.email:
            problems.append(problem(row.line, texts.OWN_SUPERIOR, email=row.email))
        elif row.superior_email not in known:
            problems.append(problem(row.line, texts.UNKNOWN_SUPERIOR, superior=row.superior_email))
    problems.extend(_cycle_problem(cycle) for cycle in _cycles(unique_rows))
    return problems


def _duplicates(rows: Sequence[LeaderRow]) -> tuple[list[LeaderRow], list[Problem]]:
    """The first row per e-mail, and the problems with the others."""
    first_by_email: dict[str, LeaderRow] = {}
    first_by_object_id: dict[str, LeaderRow] = {}
    problems: list[Problem] = []
    for row in rows:
        first = first_by_email.get(row.email)
        if first is not None:
            problems.append(problem(row.line, texts.DUPLICATE_EMAIL, email=row.email, first=first.line))
            if first.superior_email != row.superior_email:
                problems.append(
                    problem(
                        row.line,
                        texts.CONFLICTING_SUPERIOR,
                        email=row.email,
                        superior=row.superior_email or texts.NO_SUPERIOR,
                        first_superior=first.superior_email or texts.NO_SUPERIOR,
                        first=first.line,
                    )
                )
            continue
        first_by_email[row.email] = row
        if row.aad_object_id:
            first = first_by_object_id.get(row.aad_object_id)
            if first is not None:
                duplicate = problem(
                    row.line, texts.DUPLICATE_OBJECT_ID, object_id=row.aad_object_id, first=first.line
                )
                problems.append(duplicate)
            else:
                first_by_object_id[row.aad_object_id] = row
    return list(first_by_email.values()), problems


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


def _cycle_problem(cycle: list[LeaderRow]) -> Problem:
    lines = sorted(row.line for row in cycle)
    chain = " → ".join([*(row.email for row in cycle), cycle[0].email])
    return Problem(lines[0], texts.CYCLE.format(lines=_join_lines(lines), chain=chain))


def _join_lines(lines: list[int]) -> str:
    """'3, 5 og 8' for a list of line numbers."""
    text = [str(line) for line in lines]
    if len(text) == 1:
        return text[0]
    return texts.LIST_SEPARATOR.join(text[:-1]) + texts.LIST_LAST_SEPARATOR + text[-1]
