"""Reading HR's leader file (CSV in UTF-8, comma or semicolon, Norwegian or English headers)."""

from __future__ import annotations

import codecs
import csv
import functools
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email

from agreement.texts import roster as texts
from agreement.roster.hierarchy import check_roster
from agreement.roster.rows import CheckedRoster, LeaderRow, Problem, RosterRefused, problem
from storage.models import Leader

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 50_000

# Header aliases as HR would write them; matching ignores case, spaces, '-', '_' and '.'.
_COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "name": ("name", "navn"),
    "email": ("email", "e-post", "epost", "upn"),
    "aad_object_id": ("aad_object_id", "entra_object_id", "objectid"),
    "unit": ("unit", "enhet"),
    "superior_email": ("superior_email", "leder_epost", "overordnet_epost"),
    "hr_admin": ("hr_admin", "hr"),
}
_REQUIRED_COLUMNS = ("name", "email", "unit", "superior_email")
# Longer values would fail in the database.
_MAX_LENGTHS = {
    "name": Leader.__table__.c.name.type.length,
    "email": Leader.__table__.c.email.type.length,
    "aad_object_id": Leader.__table__.c.aad_object_id.type.length,
    "unit": Leader.__table__.c.unit.type.length,
    "superior_email": Leader.__table__.c.email.type.length,
}
_TRUE = frozenset({"ja", "j", "true", "1", "yes", "y", "x"})
_FALSE = frozenset({"nei", "n", "false", "0", "no", ""})
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_EMAIL_LIKE = re.compile(r"[^\s@,;\"']+@[^\s@,;\"']+")


def _normalise_header(name: str) -> str:
    return re.sub(r"[\s_\-.]", "", name.replace("\ufeff", "").strip().lower())


_HEADER_LOOKUP = {
    _normalise_header(alias): column for column, aliases in _COLUMN_ALIASES.items() for alias in aliases
}


@dataclass(frozen=True)
class ParsedLeaders(CheckedRoster):
    """A leader file that passed every check, and the delimiter it was written with."""

    delimiter: str


def parse_leaders_csv(data: bytes) -> ParsedLeaders:
    """Read and check HR's leader file; raise RosterRefused listing every problem."""
    text = _decode(data)
    delimiter, body = _sniff_delimiter(text)
    first_line = 2 if body is not text else 1
    records = _records(body, delimiter, first_line)

    header: list[str] | None = None
    header_line = first_line
    for record in records:
        if record.fields is None:
            raise RosterRefused([problem(record.line, texts.UNREADABLE)])
        if any(value.strip() for value in record.fields):
            header, header_line = record.fields, record.line
            break
    if header is None:
        raise RosterRefused([Problem(None, texts.EMPTY)])
    columns, problems = _map_header(header, header_line)
    if problems:
        raise RosterRefused(problems)

    rows: list[LeaderRow] = []
    # E-mails of every line, even those with other problems, so that one bad line does not make
    # every line under that leader report an unknown superior as well.
    line_emails: set[str] = set()
    email_index = columns["email"]
    count = 0
    for record in records:
        line, fields = record.line, record.fields
        if fields is None:
            problems.append(problem(line, texts.UNREADABLE))
            line_emails |= _emails_in_unreadable(body, record, first_line)
            count += 1
            continue
        if not any(value.strip() for value in fields):
            continue
        count += 1
        if count > MAX_ROWS:
            limit = f"{MAX_ROWS:,}".replace(",", "\u00a0")
            raise RosterRefused([problem(None, texts.TOO_MANY_ROWS, limit=limit)])
        if email_index < len(fields):
            line_emails.add(fields[email_index].strip().lower())
        if len(fields) != len(header):
            problems.append(problem(line, texts.FIELD_COUNT, found=len(fields), expected=len(header)))
            continue
        row, row_problems = _parse_row(line, fields, columns)
        problems.extend(row_problems)
        if row is not None:
            rows.append(row)

    if count == 0:
        problems.append(Problem(None, texts.NO_ROWS))
    roster = check_roster(rows, problems=problems, known_emails=line_emails)
    return ParsedLeaders(rows=roster.rows, delimiter=delimiter)


def _decode(data: bytes) -> str:
    if len(data) > MAX_BYTES:
        raise RosterRefused([Problem(None, texts.TOO_LARGE.format(size=len(data) / 1024 / 1024))])
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise RosterRefused([Problem(None, texts.UTF16)])
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise RosterRefused([problem(line, texts.NOT_UTF8)]) from None
    if not text.strip():
        raise RosterRefused([Problem(None, texts.EMPTY)])
    return text


def _sniff_delimiter(text: str) -> tuple[str, str]:
    """The delimiter, and the text without Excel's optional ``sep=`` first line."""
    first_line, _, rest = text.partition("\n")
    first = first_line.strip()
    if first.lower().startswith("sep=") and len(first) == 5 and first[4] in ",;":
        return first[4], rest
    header = next((line for line in text.splitlines() if line.strip()), "")
    return (";" if header.count(";") > header.count(",") else ","), text


@dataclass(frozen=True)
class _Record:
    line: int
    last_line: int
    fields: list[str] | None  # None when csv cannot read the record


def _records(text: str, delimiter: str, first_line: int) -> Iterator[_Record]:
    """Every record with the lines it spans; reading goes on after an unreadable one."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    while True:
        start = reader.line_num + first_line
        try:
            fields: list[str] | None = next(reader)
        except StopIteration:
            return
        except csv.Error:
            fields = None
        yield _Record(start, reader.line_num + first_line - 1, fields)


def _emails_in_unreadable(text: str, record: _Record, first_line: int) -> set[str]:
    """Anything that looks like an e-mail address on the lines an unreadable record spans."""
    physical = _LINE_BREAK.split(text)[record.line - first_line : record.last_line - first_line + 1]
    return {match.lower() for line in physical for match in _EMAIL_LIKE.findall(line)}


def _map_header(fields: list[str], line: int) -> tuple[dict[str, int], list[Problem]]:
    indexes: dict[str, list[int]] = {}
    for index, name in enumerate(fields):
        column = _HEADER_LOOKUP.get(_normalise_header(name))
        if column is not None:
            indexes.setdefault(column, []).append(index)
    problems = []
    for column, found in indexes.items():
        if len(found) > 1:
            headers = ", ".join(fields[index].strip() for index in found)
            label = texts.COLUMN_LABELS[column]
            problems.append(problem(line, texts.DUPLICATE_COLUMN, column=label, headers=headers))
    for column in _REQUIRED_COLUMNS:
        if column not in indexes:
            aliases = ", ".join(_COLUMN_ALIASES[column])
            label = texts.COLUMN_LABELS[column]
            problems.append(problem(line, texts.MISSING_COLUMN, column=label, aliases=aliases))
    return {column: found[0] for column, found in indexes.items()}, problems


@functools.lru_cache(maxsize=4096)  # a superior's address recurs on every subordinate's line
def _is_email(value: str) -> bool:
    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


def _parse_row(
    line: int, fields: list[str], columns: dict[str, int]
) -> tuple[LeaderRow | None, list[Problem]]:
    """The row (None when its e-mail is unusable) and the problems on its line."""
    values = {column: fields[index].strip() for column, index in columns.items()}
    problems: list[Problem] = []
    unusable: set[str] = set()
    for column, value in values.items():
        label = texts.COLUMN_LABELS[column]
        if _CONTROL.search(value):
            problems.append(problem(line, texts.CONTROL_CHARACTER, column=label))
            unusable.add(column)
        elif column in _MAX_LENGTHS and len(value) > _MAX_LENGTHS[column]:
            problems.append(problem(line, texts.TOO_LONG, column=label, limit=_MAX_LENGTHS[column]))
            unusable.add(column)

    email = values["email"].lower()
    superior = values["superior_email"].lower()
    hr_value = values.get("hr_admin", "").lower()
    if "name" not in unusable and not values["name"]:
        problems.append(problem(line, texts.EMPTY_NAME))
    if "email" not in unusable and not email:
        problems.append(problem(line, texts.EMPTY_EMAIL))
        unusable.add("email")
    elif "email" not in unusable and not _is_email(email):
        problems.append(problem(line, texts.BAD_EMAIL, value=values["email"]))
        unusable.add("email")
    if "superior_email" not in unusable and superior and not _is_email(superior):
        problems.append(problem(line, texts.BAD_SUPERIOR_EMAIL, value=values["superior_email"]))
        unusable.add("superior_email")
    if "hr_admin" not in unusable and hr_value not in _TRUE and hr_value not in _FALSE:
        problems.append(problem(line, texts.BAD_HR, value=values["hr_admin"]))
    if "email" in unusable:
        return None, problems
    # A row with problems is still returned so that the hierarchy checks can look at it.
    row = LeaderRow(
        line=line,
        source=texts.FILE_LINE.format(line=line),
        name=values["name"],
        email=email,
        aad_object_id=values.get("aad_object_id") or None,
        unit=values["unit"],
        superior_email=None if "superior_email" in unusable else superior or None,
        is_hr_admin=hr_value in _TRUE,
    )
    return row, problems
