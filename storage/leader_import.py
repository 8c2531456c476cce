"""Import of the leader hierarchy from HR's CSV file, and the demo municipality."""

from __future__ import annotations

import codecs
import csv
import io
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import Agreement, AgreementEvent, Answer, Goal, Leader

logger = logging.getLogger(__name__)

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 50_000
DEMO_CSV = Path(__file__).parent / "demo" / "leaders.csv"
SUPERIOR_CHANGED = "superior_changed"


class _Text:
    """Everything an HR adviser reads from the import, in Norwegian bokmål."""

    TOO_LARGE = "Filen er for stor ({size:.1f} MB). Største tillatte størrelse er 5 MB."
    TOO_MANY_ROWS = "Filen har mer enn {limit} ledere. Så mange ledere kan ikke importeres."
    EMPTY = "Filen er tom."
    NO_ROWS = "Filen har ingen ledere, bare en overskriftslinje."
    UTF16 = (
        "Filen er lagret som UTF-16, ikke UTF-8. "
        "Lagre den på nytt som «CSV UTF-8 (kommadelt)» i Excel."
    )
    NOT_UTF8 = (
        "Linje {line}: filen er ikke lagret som UTF-8 (første ugyldige tegn står på denne "
        "linjen). Lagre den på nytt som «CSV UTF-8 (kommadelt)» i Excel."
    )
    MISSING_COLUMN = "Linje {line}: kolonnen «{column}» mangler (godtatte overskrifter: {aliases})."
    DUPLICATE_COLUMN = "Linje {line}: kolonnen «{column}» står flere ganger ({headers})."
    UNREADABLE = "Linje {line}: linjen kan ikke leses som CSV (sjekk anførselstegnene)."
    FIELD_COUNT = (
        "Linje {line}: linjen har {found} felt, men overskriften har {expected}. "
        "Sjekk skilletegn og anførselstegn."
    )
    CONTROL_CHARACTER = (
        "Linje {line}: feltet «{column}» inneholder ugyldige tegn (linjeskift eller kontrolltegn)."
    )
    TOO_LONG = "Linje {line}: feltet «{column}» er for langt (mer enn {limit} tegn)."
    EMPTY_NAME = "Linje {line}: navn mangler."
    EMPTY_EMAIL = "Linje {line}: e-post mangler."
    BAD_EMAIL = "Linje {line}: «{value}» er ikke en gyldig e-postadresse."
    BAD_SUPERIOR_EMAIL = "Linje {line}: overordnet leder «{value}» er ikke en gyldig e-postadresse."
    BAD_HR = "Linje {line}: hr_admin må være ja eller nei, ikke «{value}»."
    DUPLICATE_EMAIL = "Linje {line}: e-postadressen {email} står også på linje {first}."
    CONFLICTING_SUPERIOR = (
        "Linje {line}: {email} har overordnet {superior} her, men {first_superior} på linje "
        "{first}. En leder kan bare ha én overordnet leder."
    )
    DUPLICATE_OBJECT_ID = "Linje {line}: objekt-ID-en {object_id} står også på linje {first}."
    UNKNOWN_SUPERIOR = "Linje {line}: overordnet leder {superior} finnes ikke i filen."
    OWN_SUPERIOR = "Linje {line}: {email} står som sin egen overordnede leder."
    CYCLE = (
        "Linje {lines}: lederne er overordnet hverandre i en sirkel ({chain}). "
        "Øverste leder skal ha tom overordnet."
    )
    NO_SUPERIOR = "(ingen)"
    REFUSED = "Rett opp {count} feil i filen og prøv igjen:"

    SUMMARY_LEADERS = (
        "Ledere: {created} nye, {updated} endret, {unchanged} uendret, {deactivated} deaktivert."
    )
    SUMMARY_AGREEMENTS = (
        "Lederavtaler {year}: {created} nye, {unchanged} uendret, {moved} flyttet til ny "
        "overordnet, {reactivated} aktivert igjen, {deactivated} deaktivert."
    )
    KEPT_WITH_SUPERIOR = (
        "Avtalen til {subordinate} er påbegynt og blir stående hos {superior}, selv om filen "
        "oppgir {new_superior} som overordnet. Avklar med lederne hva som skal skje med den."
    )
    KEPT_WITHOUT_SUPERIOR = (
        "Avtalen til {subordinate} er påbegynt og blir stående hos {superior}, selv om lederen "
        "ikke lenger har en overordnet i filen. Avklar med lederne hva som skal skje med den."
    )

    @staticmethod
    def join_lines(lines: list[int]) -> str:
        """'3, 5 og 8' for a list of line numbers."""
        text = [str(line) for line in lines]
        return text[0] if len(text) == 1 else ", ".join(text[:-1]) + " og " + text[-1]


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
_COLUMN_LABELS = {
    "name": "navn",
    "email": "e-post",
    "aad_object_id": "objectid",
    "unit": "enhet",
    "superior_email": "overordnet_epost",
    "hr_admin": "hr_admin",
}
# Column widths in storage/models.py: longer values would fail in the database.
_MAX_LENGTHS = {"name": 200, "email": 320, "aad_object_id": 100, "unit": 200, "superior_email": 320}
_TRUE = frozenset({"ja", "j", "true", "1", "yes", "y", "x"})
_FALSE = frozenset({"nei", "n", "false", "0", "no", ""})
_EMAIL = re.compile(
    r"^(?!\.)(?!.*\.\.)[^@\s,;:<>()\[\]\"\\]+(?<!\.)"
    r"@(?:[^\W_](?:[\w-]*[^\W_])?\.)+[^\W\d_]{2,}$"
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_EMAIL_LIKE = re.compile(r"[^\s@,;\"']+@[^\s@,;\"']+")


def _normalise_header(name: str) -> str:
    return re.sub(r"[\s_\-.]", "", name.replace("\ufeff", "").strip().lower())


_HEADER_LOOKUP = {
    _normalise_header(alias): column for column, aliases in _COLUMN_ALIASES.items() for alias in aliases
}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an import file; ``line`` is None for the file as a whole."""

    line: int | None
    message: str

    def __str__(self) -> str:
        return self.message


def _problem(line: int | None, template: str, **values: object) -> Problem:
    return Problem(line, template.format(line=line, **values))


class CsvImportError(ValueError):
    """The file was refused whole; ``problems`` lists every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems, key=lambda problem: problem.line or 0)
        lines = [_Text.REFUSED.format(count=len(self.problems))]
        lines.extend(f"- {problem.message}" for problem in self.problems)
        super().__init__("\n".join(lines))


@dataclass(frozen=True)
class LeaderRow:
    """One leader as given in the file, e-mails normalised (stripped, lower-case)."""

    line: int
    name: str
    email: str
    aad_object_id: str | None
    unit: str
    superior_email: str | None
    is_hr_admin: bool


@dataclass(frozen=True)
class ParsedLeaders:
    """A file that passed every check: one row per leader, superiors all present, no cycles."""

    rows: tuple[LeaderRow, ...]
    delimiter: str

    def by_email(self) -> dict[str, LeaderRow]:
        """The rows keyed by normalised e-mail."""
        return {row.email: row for row in self.rows}


@dataclass(frozen=True)
class KeptAgreement:
    """An agreement with content that stays with its superior although the file says otherwise."""

    agreement_id: int
    subordinate_email: str
    superior_email: str
    new_superior_email: str | None

    def describe(self) -> str:
        """The notice for HR, in Norwegian."""
        if self.new_superior_email is None:
            return _Text.KEPT_WITHOUT_SUPERIOR.format(
                subordinate=self.subordinate_email, superior=self.superior_email
            )
        return _Text.KEPT_WITH_SUPERIOR.format(
            subordinate=self.subordinate_email,
            superior=self.superior_email,
            new_superior=self.new_superior_email,
        )


@dataclass
class ImportResult:
    """What an import did, for the operator's report."""

    year: int
    leaders_created: int = 0
    leaders_updated: int = 0
    leaders_unchanged: int = 0
    leaders_deactivated: int = 0
    agreements_created: int = 0
    agreements_unchanged: int = 0
    agreements_moved: int = 0
    agreements_reactivated: int = 0
    agreements_deactivated: int = 0
    kept_agreements: list[KeptAgreement] = field(default_factory=list)

    @property
    def changed_anything(self) -> bool:
        """True unless every leader and agreement was already as the file says."""
        return any(
            (
                self.leaders_created,
                self.leaders_updated,
                self.leaders_deactivated,
                self.agreements_created,
                self.agreements_moved,
                self.agreements_reactivated,
                self.agreements_deactivated,
            )
        )

    def summary(self) -> str:
        """A short Norwegian summary for HR."""
        lines = [
            _Text.SUMMARY_LEADERS.format(
                created=self.leaders_created,
                updated=self.leaders_updated,
                unchanged=self.leaders_unchanged,
                deactivated=self.leaders_deactivated,
            ),
            _Text.SUMMARY_AGREEMENTS.format(
                year=self.year,
                created=self.agreements_created,
                unchanged=self.agreements_unchanged,
                moved=self.agreements_moved,
                reactivated=self.agreements_reactivated,
                deactivated=self.agreements_deactivated,
            ),
        ]
        lines.extend(kept.describe() for kept in self.kept_agreements)
        return "\n".join(lines)


# --------------------------------------------------------------------------- parsing


def _decode(data: bytes) -> str:
    if len(data) > MAX_BYTES:
        raise CsvImportError([Problem(None, _Text.TOO_LARGE.format(size=len(data) / 1024 / 1024))])
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise CsvImportError([Problem(None, _Text.UTF16)])
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise CsvImportError([_problem(line, _Text.NOT_UTF8)]) from None
    if not text.strip():
        raise CsvImportError([Problem(None, _Text.EMPTY)])
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
            label = _COLUMN_LABELS[column]
            problems.append(_problem(line, _Text.DUPLICATE_COLUMN, column=label, headers=headers))
    for column in _REQUIRED_COLUMNS:
        if column not in indexes:
            aliases = ", ".join(_COLUMN_ALIASES[column])
            label = _COLUMN_LABELS[column]
            problems.append(_problem(line, _Text.MISSING_COLUMN, column=label, aliases=aliases))
    return {column: found[0] for column, found in indexes.items()}, problems


def _is_email(value: str) -> bool:
    return bool(_EMAIL.match(value))


def _parse_row(
    line: int, fields: list[str], columns: dict[str, int]
) -> tuple[LeaderRow | None, list[Problem]]:
    """The row (None when its e-mail is unusable) and the problems on its line."""
    values = {column: fields[index].strip() for column, index in columns.items()}
    problems: list[Problem] = []
    unusable: set[str] = set()
    for column, value in values.items():
        label = _COLUMN_LABELS[column]
        if _CONTROL.search(value):
            problems.append(_problem(line, _Text.CONTROL_CHARACTER, column=label))
            unusable.add(column)
        elif column in _MAX_LENGTHS and len(value) > _MAX_LENGTHS[column]:
            problems.append(_problem(line, _Text.TOO_LONG, column=label, limit=_MAX_LENGTHS[column]))
            unusable.add(column)

    email = values["email"].lower()
    superior = values["superior_email"].lower()
    hr_value = values.get("hr_admin", "").lower()
    if "name" not in unusable and not values["name"]:
        problems.append(_problem(line, _Text.EMPTY_NAME))
    if "email" not in unusable and not email:
        problems.append(_problem(line, _Text.EMPTY_EMAIL))
        unusable.add("email")
    elif "email" not in unusable and not _is_email(email):
        problems.append(_problem(line, _Text.BAD_EMAIL, value=values["email"]))
        unusable.add("email")
    if "superior_email" not in unusable and superior and not _is_email(superior):
        problems.append(_problem(line, _Text.BAD_SUPERIOR_EMAIL, value=values["superior_email"]))
        unusable.add("superior_email")
    if "hr_admin" not in unusable and hr_value not in _TRUE and hr_value not in _FALSE:
        problems.append(_problem(line, _Text.BAD_HR, value=values["hr_admin"]))
    if "email" in unusable:
        return None, problems
    # A row with problems is still returned so that the hierarchy checks can look at it.
    row = LeaderRow(
        line=line,
        name=values["name"],
        email=email,
        aad_object_id=values.get("aad_object_id") or None,
        unit=values["unit"],
        superior_email=None if "superior_email" in unusable else superior or None,
        is_hr_admin=hr_value in _TRUE,
    )
    return row, problems


def _check_duplicates(rows: list[LeaderRow]) -> tuple[list[LeaderRow], list[Problem]]:
    """The first row per e-mail, and the problems with the others."""
    first_by_email: dict[str, LeaderRow] = {}
    first_by_object_id: dict[str, LeaderRow] = {}
    problems: list[Problem] = []
    for row in rows:
        first = first_by_email.get(row.email)
        if first is not None:
            problems.append(_problem(row.line, _Text.DUPLICATE_EMAIL, email=row.email, first=first.line))
            if first.superior_email != row.superior_email:
                problems.append(
                    _problem(
                        row.line,
                        _Text.CONFLICTING_SUPERIOR,
                        email=row.email,
                        superior=row.superior_email or _Text.NO_SUPERIOR,
                        first_superior=first.superior_email or _Text.NO_SUPERIOR,
                        first=first.line,
                    )
                )
            continue
        first_by_email[row.email] = row
        if row.aad_object_id:
            first = first_by_object_id.get(row.aad_object_id)
            if first is not None:
                problems.append(
                    _problem(row.line, _Text.DUPLICATE_OBJECT_ID, object_id=row.aad_object_id, first=first.line)
                )
            else:
                first_by_object_id[row.aad_object_id] = row
    return list(first_by_email.values()), problems


def _check_hierarchy(rows: list[LeaderRow], known_emails: set[str]) -> list[Problem]:
    """Unknown superiors, leaders who are their own superior, and cycles."""
    problems: list[Problem] = []
    by_email = {row.email: row for row in rows}
    for row in rows:
        if row.superior_email is None:
            continue
        if row.superior_email == row.email:
            problems.append(_problem(row.line, _Text.OWN_SUPERIOR, email=row.email))
        elif row.superior_email not in known_emails:
            problems.append(_problem(row.line, _Text.UNKNOWN_SUPERIOR, superior=row.superior_email))

    done: set[str] = set()
    for start in by_email:
        path: list[str] = []
        on_path: set[str] = set()
        current: str | None = start
        while current is not None and current not in done and current in by_email:
            if current in on_path:
                cycle = path[path.index(current) :]
                lines = sorted(by_email[email].line for email in cycle)
                chain = " → ".join([*cycle, current])
                message = _Text.CYCLE.format(lines=_Text.join_lines(lines), chain=chain)
                problems.append(Problem(lines[0], message))
                break
            path.append(current)
            on_path.add(current)
            superior = by_email[current].superior_email
            current = None if superior == current else superior
        done.update(path)
    return problems


def parse_leaders_csv(data: bytes) -> ParsedLeaders:
    """Parse and check HR's leader file; raise CsvImportError listing every problem."""
    text = _decode(data)
    delimiter, body = _sniff_delimiter(text)
    first_line = 2 if body is not text else 1
    records = _records(body, delimiter, first_line)

    header: list[str] | None = None
    header_line = first_line
    for record in records:
        if record.fields is None:
            raise CsvImportError([_problem(record.line, _Text.UNREADABLE)])
        if any(value.strip() for value in record.fields):
            header, header_line = record.fields, record.line
            break
    if header is None:
        raise CsvImportError([Problem(None, _Text.EMPTY)])
    columns, problems = _map_header(header, header_line)
    if problems:
        raise CsvImportError(problems)

    rows: list[LeaderRow] = []
    # E-mails of every line, even those with other problems, so that one bad line does not make
    # every line under that leader report an unknown superior as well.
    known_emails: set[str] = set()
    email_index = columns["email"]
    count = 0
    for record in records:
        line, fields = record.line, record.fields
        if fields is None:
            problems.append(_problem(line, _Text.UNREADABLE))
            known_emails |= _emails_in_unreadable(body, record, first_line)
            count += 1
            continue
        if not any(value.strip() for value in fields):
            continue
        count += 1
        if count > MAX_ROWS:
            limit = f"{MAX_ROWS:,}".replace(",", "\u00a0")
            raise CsvImportError([_problem(None, _Text.TOO_MANY_ROWS, limit=limit)])
        if email_index < len(fields):
            known_emails.add(fields[email_index].strip().lower())
        if len(fields) != len(header):
            problems.append(_problem(line, _Text.FIELD_COUNT, found=len(fields), expected=len(header)))
            continue
        row, row_problems = _parse_row(line, fields, columns)
        problems.extend(row_problems)
        if row is not None:
            rows.append(row)

    if count == 0:
        problems.append(Problem(None, _Text.NO_ROWS))
    unique_rows, duplicate_problems = _check_duplicates(rows)
    problems.extend(duplicate_problems)
    problems.extend(_check_hierarchy(unique_rows, known_emails))
    if problems:
        raise CsvImportError(problems)
    return ParsedLeaders(rows=tuple(rows), delimiter=delimiter)


# --------------------------------------------------------------------------- importing

_PROGRESS_COLUMNS = (
    "meeting_at",
    "superior_prepared_at",
    "subordinate_prepared_at",
    "filled_at",
    "review_comment_at",
    "sign_place_date",
    "superior_signed_at",
    "subordinate_signed_at",
    "followup_recorded_at",
    "superior_followup_confirmed_at",
    "subordinate_followup_confirmed_at",
)


def _set(obj: object, attribute: str, value: object) -> bool:
    """Assign only when the value differs (no needless UPDATE or updated_at churn)."""
    if getattr(obj, attribute) == value:
        return False
    setattr(obj, attribute, value)
    return True


class _Importer:
    """One import, applied inside one transaction."""

    def __init__(self, session: AsyncSession, parsed: ParsedLeaders, year: int, template_id: str) -> None:
        self.session = session
        self.rows = parsed.rows
        self.year = year
        self.template_id = template_id
        self.result = ImportResult(year=year)
        self.rows_by_email = {row.email: row for row in parsed.rows}
        self.leader_for_email: dict[str, Leader] = {}
        self.leaders_by_id: dict[int, Leader] = {}

    async def run(self) -> ImportResult:
        await self._apply_leaders()
        await self._apply_agreements()
        return self.result

    async def _apply_leaders(self) -> None:
        existing = list((await self.session.scalars(select(Leader).order_by(Leader.id))).all())
        matched = self._match(existing)
        row_for_leader = {leader.id: self.rows_by_email[email] for email, leader in matched.items()}
        target_object_ids = self._target_object_ids(existing, row_for_leader)

        # Object ids are unique: release every id that moves before assigning any.
        changed: set[int] = set()
        for leader in existing:
            if leader.aad_object_id is not None and target_object_ids[leader.id] != leader.aad_object_id:
                leader.aad_object_id = None
                changed.add(leader.id)
        if changed:
            await self.session.flush()

        for leader in existing:
            row = row_for_leader.get(leader.id)
            if _set(leader, "aad_object_id", target_object_ids[leader.id]):
                changed.add(leader.id)
            if row is None:
                if leader.active:
                    leader.active = False
                    self.result.leaders_deactivated += 1
                continue
            updates = (
                _set(leader, "name", row.name),
                _set(leader, "email", row.email),
                _set(leader, "unit", row.unit),
                _set(leader, "is_hr_admin", row.is_hr_admin),
                _set(leader, "active", True),
            )
            if any(updates):
                changed.add(leader.id)

        for row in self.rows:
            leader = matched.get(row.email)
            if leader is None:
                leader = Leader(
                    name=row.name,
                    email=row.email,
                    aad_object_id=row.aad_object_id,
                    unit=row.unit,
                    is_hr_admin=row.is_hr_admin,
                    active=True,
                )
                self.session.add(leader)
                self.result.leaders_created += 1
            self.leader_for_email[row.email] = leader
        await self.session.flush()

        for row in self.rows:
            leader = self.leader_for_email[row.email]
            superior_id = self.leader_for_email[row.superior_email].id if row.superior_email else None
            if _set(leader, "superior_id", superior_id) and row.email in matched:
                changed.add(leader.id)
        await self.session.flush()

        changed_in_file = {leader.id for leader in matched.values()} & changed
        self.result.leaders_updated = len(changed_in_file)
        self.result.leaders_unchanged = len(matched) - len(changed_in_file)
        self.leaders_by_id = {leader.id: leader for leader in existing}
        self.leaders_by_id.update({leader.id: leader for leader in self.leader_for_email.values()})

    def _match(self, existing: list[Leader]) -> dict[str, Leader]:
        """File e-mail → stored leader: by e-mail first, then by object id."""
        by_email = {leader.email.strip().lower(): leader for leader in existing}
        by_object_id = {leader.aad_object_id: leader for leader in existing if leader.aad_object_id}
        matched: dict[str, Leader] = {}
        taken: set[int] = set()
        for row in self.rows:
            leader = by_email.get(row.email)
            if leader is not None:
                matched[row.email] = leader
                taken.add(leader.id)
        for row in self.rows:
            if row.email in matched or not row.aad_object_id:
                continue
            leader = by_object_id.get(row.aad_object_id)
            if leader is not None and leader.id not in taken:
                matched[row.email] = leader
                taken.add(leader.id)
        return matched

    def _target_object_ids(
        self, existing: list[Leader], row_for_leader: dict[int, LeaderRow]
    ) -> dict[int, str | None]:
        """The object id each stored leader should end with; the file wins every conflict."""
        claimed = {row.aad_object_id: row.email for row in self.rows if row.aad_object_id}
        targets: dict[int, str | None] = {}
        for leader in existing:
            row = row_for_leader.get(leader.id)
            # An empty cell keeps what we know (the bot may have learnt the id from Teams).
            target = row.aad_object_id if row is not None and row.aad_object_id else leader.aad_object_id
            if target is not None and target in claimed and (row is None or claimed[target] != row.email):
                target = None
            targets[leader.id] = target
        return targets

    async def _apply_agreements(self) -> None:
        stored = await self.session.scalars(select(Agreement).where(Agreement.year == self.year))
        agreements = {agreement.subordinate_id: agreement for agreement in stored.all()}
        with_content = await self._agreements_with_written_content()
        last_change = await self._last_superior_change_events()

        def has_content(agreement: Agreement) -> bool:
            return agreement.id in with_content or any(
                getattr(agreement, column) is not None for column in _PROGRESS_COLUMNS
            )

        pairs: dict[int, Leader] = {}
        for row in self.rows:
            if row.superior_email is not None:
                pairs[self.leader_for_email[row.email].id] = self.leader_for_email[row.superior_email]

        for subordinate_id, superior in pairs.items():
            agreement = agreements.get(subordinate_id)
            if agreement is None:
                self.session.add(
                    Agreement(
                        year=self.year,
                        template_id=self.template_id,
                        superior_id=superior.id,
                        subordinate_id=subordinate_id,
                        active=True,
                    )
                )
                self.result.agreements_created += 1
            elif agreement.superior_id == superior.id:
                if _set(agreement, "active", True):
                    self.result.agreements_reactivated += 1
                else:
                    self.result.agreements_unchanged += 1
            elif not has_content(agreement):
                self._record_superior_change(agreement, superior.id, moved=True)
                agreement.superior_id = superior.id
                agreement.active = True
                self.result.agreements_moved += 1
            else:
                self._keep(agreement, superior, last_change)

        for subordinate_id, agreement in agreements.items():
            if subordinate_id in pairs or not agreement.active:
                continue
            if has_content(agreement):
                self._keep(agreement, None, last_change)
            else:
                agreement.active = False
                self.result.agreements_deactivated += 1
        await self.session.flush()

    def _keep(
        self, agreement: Agreement, new_superior: Leader | None, last_change: dict[int, AgreementEvent]
    ) -> None:
        """Leave a started agreement with its superior, and tell HR (the event is recorded once)."""
        new_superior_id = new_superior.id if new_superior is not None else None
        previous = last_change.get(agreement.id)
        if previous is None or previous.detail.get("new_superior_id") != new_superior_id:
            self._record_superior_change(agreement, new_superior_id, moved=False)
            logger.warning(
                "Agreement %s has content and stays with its superior although the file changed it",
                agreement.id,
            )
        self.result.agreements_unchanged += 1
        self.result.kept_agreements.append(
            KeptAgreement(
                agreement_id=agreement.id,
                subordinate_email=self.leaders_by_id[agreement.subordinate_id].email,
                superior_email=self.leaders_by_id[agreement.superior_id].email,
                new_superior_email=new_superior.email if new_superior is not None else None,
            )
        )

    def _record_superior_change(
        self, agreement: Agreement, new_superior_id: int | None, *, moved: bool
    ) -> None:
        self.session.add(
            AgreementEvent(
                agreement_id=agreement.id,
                kind=SUPERIOR_CHANGED,
                actor_id=None,
                detail={
                    "source": "leader_import",
                    "old_superior_id": agreement.superior_id,
                    "new_superior_id": new_superior_id,
                    "moved": moved,
                },
            )
        )

    async def _agreements_with_written_content(self) -> set[int]:
        ids: set[int] = set()
        for model in (Answer, Goal):
            statement = (
                select(model.agreement_id)
                .join(Agreement, Agreement.id == model.agreement_id)
                .where(Agreement.year == self.year)
                .distinct()
            )
            ids.update((await self.session.scalars(statement)).all())
        return ids

    async def _last_superior_change_events(self) -> dict[int, AgreementEvent]:
        statement = (
            select(AgreementEvent)
            .join(Agreement, Agreement.id == AgreementEvent.agreement_id)
            .where(Agreement.year == self.year, AgreementEvent.kind == SUPERIOR_CHANGED)
            .order_by(AgreementEvent.id)
        )
        return {event.agreement_id: event for event in (await self.session.scalars(statement)).all()}


async def import_leaders(
    session_factory: async_sessionmaker[AsyncSession], data: bytes, year: int, template_id: str
) -> ImportResult:
    """Import HR's leader file and the year's agreements in one transaction; refuse a bad file whole."""
    parsed = parse_leaders_csv(data)
    async with session_factory.begin() as session:
        result = await _Importer(session, parsed, year, template_id).run()
    logger.info(
        "Leader import for %s: leaders %d created, %d updated, %d unchanged, %d deactivated; "
        "agreements %d created, %d unchanged, %d moved, %d reactivated, %d deactivated, %d kept",
        year,
        result.leaders_created,
        result.leaders_updated,
        result.leaders_unchanged,
        result.leaders_deactivated,
        result.agreements_created,
        result.agreements_unchanged,
        result.agreements_moved,
        result.agreements_reactivated,
        result.agreements_deactivated,
        len(result.kept_agreements),
    )
    return result


async def load_demo(
    session_factory: async_sessionmaker[AsyncSession], year: int, template_id: str
) -> ImportResult:
    """Import the demo municipality (with the Agents Playground's default users)."""
    return await import_leaders(session_factory, DEMO_CSV.read_bytes(), year, template_id)
