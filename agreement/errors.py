"""Errors raised by the agreement rules; each maps to a polite message in the dialogs."""

from __future__ import annotations

import enum


class AgreementError(Exception):
    """Base class for refusals by the agreement rules."""


class AccessDenied(AgreementError):
    """The leader may not do this with this agreement or section."""


class NotFound(AgreementError):
    """No such agreement, question or goal (or not visible to this leader)."""


class AgreementLocked(AgreementError):
    """The agreement is signed; it must be reopened (clearing both signatures) first."""


class InvalidState(AgreementError):
    """The step is not possible in the agreement's current state."""


class AnswerEmpty(AgreementError):
    """An empty answer was given where text is required."""


class AnswerTooLong(AgreementError):
    """An answer is longer than the stated limit; it is refused, never truncated."""

    def __init__(self, limit: int, length: int):
        super().__init__(f"answer of {length} characters exceeds the limit of {limit}")
        self.limit = limit
        self.length = length


class InvalidChoice(AgreementError):
    """A Lederplattformen choice with too few or too many (or unknown) statements."""

    def __init__(self, minimum: int, maximum: int, given: int, unknown: tuple[str, ...] = ()):
        super().__init__(f"choose {minimum}-{maximum} statements, got {given}")
        self.minimum = minimum
        self.maximum = maximum
        self.given = given
        self.unknown = unknown


class ConcurrentChange(AgreementError):
    """Someone else changed the agreement at the same moment; try again."""


class PlaceAndDateProblem(str, enum.Enum):
    """Why a signature's "Sted og dato" is refused."""

    NO_DATE = "no_date"
    SEVERAL_DATES = "several_dates"
    INVALID_DATE = "invalid_date"
    FUTURE_DATE = "future_date"
    NO_PLACE = "no_place"


class InvalidPlaceAndDate(AgreementError):
    """A signature needs a place and one valid date (dd.mm.yyyy) that is not in the future."""

    def __init__(self, problem: PlaceAndDateProblem):
        super().__init__(f"place and date refused: {problem.value}")
        self.problem = problem
