"""The roster's plain rows, the problems found in them, and the refusal that lists them."""

from __future__ import annotations

from dataclasses import dataclass

from agreement.texts import roster as texts


@dataclass(frozen=True)
class LeaderRow:
    """One leader as HR gave it, e-mails normalised (stripped, lower-case).

    ``line`` orders the rows and their problems (the file's line, or the person's place in the
    directory); ``source`` names where the row came from in problems ("Linje 7", or the person).
    """

    line: int
    source: str
    name: str
    email: str
    aad_object_id: str | None
    unit: str
    superior_email: str | None
    is_hr_admin: bool


@dataclass(frozen=True)
class CheckedRoster:
    """Rows that passed every check: one per leader, superiors all present, no cycles."""

    rows: tuple[LeaderRow, ...]

    def by_email(self) -> dict[str, LeaderRow]:
        """The rows keyed by normalised e-mail."""
        return {row.email: row for row in self.rows}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a roster; ``line`` is None for the file as a whole."""

    line: int | None
    message: str

    def __str__(self) -> str:
        return self.message


def problem(line: int | None, template: str, **values: object) -> Problem:
    """The problem on ``line``, its message filled in from a text template."""
    return Problem(line, template.format(line=line, **values))


class RosterRefused(ValueError):
    """The roster was refused whole; ``problems`` lists every problem found, in the source's order."""

    def __init__(self, problems: list[Problem], heading: str = texts.REFUSED) -> None:
        self.problems = sorted(problems, key=lambda found: found.line or 0)
        lines = [heading.format(count=len(self.problems))]
        lines.extend(f"- {found.message}" for found in self.problems)
        super().__init__("\n".join(lines))
