"""The agreement form as versioned data: one YAML file per year's template, validated on load."""

from __future__ import annotations

import enum
import functools
import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import yaml

logger = logging.getLogger(__name__)

TEMPLATES_DIR = Path(__file__).parent / "templates"
_TEMPLATE_ID = re.compile(r"[a-z0-9][a-z0-9-]*")


class TemplateError(ValueError):
    """A template that cannot be used; the message names the file and the problem."""


class FieldKind(str, enum.Enum):
    """How a field is answered."""

    TEXT = "text"
    NOTE = "note"
    PLATFORM_CHOICE = "platform_choice"
    GOALS = "goals"


@dataclass(frozen=True)
class PlatformStatement:
    """One of the Lederplattformen statements, with a key that stays stable across years."""

    key: str
    text: str


@dataclass(frozen=True)
class ReadingSection:
    """A section shown as reading material; only the platform section has ``statements``."""

    key: str
    heading: str
    paragraphs: tuple[str, ...] = ()
    intro: str | None = None
    items: tuple[str, ...] = ()
    statements: tuple[PlatformStatement, ...] = ()


@dataclass(frozen=True)
class Field:
    """One thing a leader answers; ``heading`` is shown above it when the form has one."""

    key: str
    kind: FieldKind
    label: str
    help: str | None = None
    heading: str | None = None
    min_choices: int | None = None
    max_choices: int | None = None
    #: Marked by the municipality as a personal matter: withheld from a copy for an access
    #: request (offentleglova § 13), like the private sections.
    personal: bool = False


@dataclass(frozen=True)
class AnswerSection:
    """A section of the form that the leaders answer."""

    key: str
    heading: str
    paragraphs: tuple[str, ...]
    private: bool
    privacy_notice: str | None
    fields: tuple[Field, ...]
    intro: str | None = None


@dataclass(frozen=True)
class Followup(AnswerSection):
    """The autumn follow-up: shaped like an answered section, answered after signing."""


@dataclass(frozen=True)
class Signing:
    """The labels of the signature block."""

    place_and_date: str
    subordinate: str
    superior: str


@dataclass(frozen=True)
class Contact:
    """The municipality's footer, for the help card."""

    name: str
    address: str
    phone_label: str
    phone: str
    email: str
    web: str

    @property
    def web_url(self) -> str:
        """The web address as a link."""
        return f"https://{self.web}"

    def lines(self) -> tuple[str, ...]:
        """The footer as the form prints it, one line each."""
        return (self.name, self.address, f"{self.phone_label}: {self.phone}", self.email, self.web)


@dataclass(frozen=True)
class Template:
    """One year's agreement form."""

    id: str
    version: int
    year: int
    title: str
    subtitle: str
    reading: tuple[ReadingSection, ...]
    sections: tuple[AnswerSection, ...]
    signing: Signing
    followup: Followup
    contact: Contact

    def section(self, key: str) -> AnswerSection:
        """The answered section (or the follow-up) with this key."""
        for section in (*self.sections, self.followup):
            if section.key == key:
                return section
        raise KeyError(f"template {self.id} v{self.version} has no section {key!r}")

    def section_of(self, field_key: str) -> AnswerSection:
        """The section (or the follow-up) that holds this field."""
        for section in (*self.sections, self.followup):
            if any(f.key == field_key for f in section.fields):
                return section
        raise KeyError(f"template {self.id} v{self.version} has no field {field_key!r}")

    def field(self, key: str) -> Field:
        """The field with this key, from any section or the follow-up."""
        for f in self.all_fields():
            if f.key == key:
                return f
        raise KeyError(f"template {self.id} v{self.version} has no field {key!r}")

    def all_fields(self) -> tuple[Field, ...]:
        """Every field in form order: the answered sections, then the follow-up."""
        return tuple(f for section in (*self.sections, self.followup) for f in section.fields)

    def followup_fields(self) -> tuple[Field, ...]:
        """The fields of the autumn follow-up."""
        return self.followup.fields

    @property
    def platform_statements(self) -> tuple[PlatformStatement, ...]:
        """The Lederplattformen statements, in form order."""
        return next((r.statements for r in self.reading if r.statements), ())

    def statement(self, key: str) -> PlatformStatement:
        """The platform statement with this key."""
        for statement in self.platform_statements:
            if statement.key == key:
                return statement
        raise KeyError(f"template {self.id} v{self.version} has no platform statement {key!r}")

    @property
    def private_section_keys(self) -> frozenset[str]:
        """Keys of the sections that never leave the two leaders."""
        return frozenset(s.key for s in (*self.sections, self.followup) if s.private)

    @property
    def personal_field_keys(self) -> frozenset[str]:
        """Keys of the fields the municipality marks as personal (withheld from the public)."""
        return frozenset(f.key for f in self.all_fields() if f.personal)

    def texts(self) -> tuple[str, ...]:
        """Every text a leader can read in this template, for completeness checks."""
        out = [self.title, self.subtitle]
        for r in self.reading:
            out += [r.heading, *r.paragraphs, *([r.intro] if r.intro else []), *r.items]
        for s in (*self.sections, self.followup):
            out += [s.heading, *s.paragraphs]
            out += [t for t in (s.privacy_notice, s.intro) if t]
            for f in s.fields:
                out += [t for t in (f.heading, f.label, f.help) if t]
        out += [self.signing.place_and_date, self.signing.subordinate, self.signing.superior]
        return (*out, *self.contact.lines())


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key given twice in one mapping (PyYAML keeps the last silently)."""


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        if not isinstance(key_node, yaml.ScalarNode):
            continue  # construct_mapping refuses unhashable keys itself
        key = loader.construct_object(key_node)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"key {key!r} given twice", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


_TOP_KEYS = (
    "id", "version", "year", "title", "subtitle", "reading", "sections", "signing", "followup", "contact"
)
_SIGNING_KEYS = ("sted_og_dato", "underordnet", "overordnet")
_CONTACT_KEYS = ("name", "address", "phone_label", "phone", "email", "web")
_KEY = re.compile(r"[a-z0-9_]+(\.[a-z0-9_]+)*")


class _Parser:
    """Turns the YAML data of one file into a Template, failing with the file and the place."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, where: str, problem: str) -> NoReturn:
        raise TemplateError(f"{self.source}: {where}: {problem}")

    def mapping(self, value: Any, where: str, required: Iterable[str], optional: Iterable[str] = ()) -> dict:
        if not isinstance(value, dict):
            self.fail(where, "must be a mapping")
        missing = sorted(set(required) - value.keys())
        if missing:
            self.fail(where, f"missing required key {', '.join(map(repr, missing))}")
        unknown = sorted(map(str, value.keys() - set(required) - set(optional)))
        if unknown:
            self.fail(where, f"unknown key {', '.join(map(repr, unknown))}")
        return value

    def each(self, data: dict, name: str, where: str) -> Iterator[tuple[Any, str]]:
        """The items of an optional list, each with its place for messages."""
        value = data.get(name, [])
        if not isinstance(value, list):
            self.fail(f"{where}.{name}", "must be a list")
        return ((item, f"{where}.{name}[{i}]") for i, item in enumerate(value))

    def text(self, value: Any, where: str) -> str:
        if not isinstance(value, str):
            self.fail(where, f"must be text, not {type(value).__name__}")
        if not value.strip():
            self.fail(where, "empty text")
        return value

    def optional_text(self, data: dict, name: str, where: str) -> str | None:
        return self.text(data[name], f"{where}.{name}") if name in data else None

    def texts(self, data: dict, name: str, where: str) -> tuple[str, ...]:
        return tuple(self.text(value, at) for value, at in self.each(data, name, where))

    def integer(self, value: Any, where: str, minimum: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            self.fail(where, f"must be a whole number of at least {minimum}")
        return value

    def boolean(self, value: Any, where: str) -> bool:
        if not isinstance(value, bool):
            self.fail(where, "must be true or false")
        return value

    def key(self, value: Any, where: str) -> str:
        if not isinstance(value, str) or not _KEY.fullmatch(value):
            self.fail(where, f"{value!r} is not a key (lower-case letters, digits, _ and dots)")
        return value

    def template(self, raw: Any) -> Template:
        data = self.mapping(raw, "template", _TOP_KEYS)
        signing = self.mapping(data["signing"], "signing", _SIGNING_KEYS)
        contact = self.mapping(data["contact"], "contact", _CONTACT_KEYS)
        template = Template(
            id=self.text(data["id"], "id"),
            version=self.integer(data["version"], "version", 1),
            year=self.integer(data["year"], "year", 2000),
            title=self.text(data["title"], "title"),
            subtitle=self.text(data["subtitle"], "subtitle"),
            reading=tuple(self.reading(r, at) for r, at in self.each(data, "reading", "template")),
            sections=tuple(
                self.section(s, at, AnswerSection) for s, at in self.each(data, "sections", "template")
            ),
            signing=Signing(*(self.text(signing[k], f"signing.{k}") for k in _SIGNING_KEYS)),
            followup=self.section(data["followup"], "followup", Followup),
            contact=Contact(*(self.text(contact[k], f"contact.{k}") for k in _CONTACT_KEYS)),
        )
        self.check(template)
        return template

    def reading(self, raw: Any, where: str) -> ReadingSection:
        data = self.mapping(raw, where, {"key", "heading"}, {"paragraphs", "intro", "items"})
        keys, items = [], []
        for item, at in self.each(data, "items", where):
            if isinstance(item, dict):
                item = self.mapping(item, at, {"key", "text"})
                keys.append(self.key(item["key"], f"{at}.key"))
                at, item = f"{at}.text", item["text"]
            items.append(self.text(item, at))
        if keys and len(keys) != len(items):
            self.fail(f"{where}.items", "either every item has a key (platform statements) or none has")
        section = ReadingSection(
            key=self.key(data["key"], f"{where}.key"),
            heading=self.text(data["heading"], f"{where}.heading"),
            paragraphs=self.texts(data, "paragraphs", where),
            intro=self.optional_text(data, "intro", where),
            items=tuple(items),
            statements=tuple(PlatformStatement(k, text) for k, text in zip(keys, items)),
        )
        if not section.paragraphs and not section.items:
            self.fail(where, "has neither paragraphs nor items")
        return section

    def section(self, raw: Any, where: str, cls: type[AnswerSection]) -> AnswerSection:
        optional = {"paragraphs", "privacy_notice", "intro"}
        data = self.mapping(raw, where, {"key", "heading", "private", "fields"}, optional)
        key = self.key(data["key"], f"{where}.key")
        if not isinstance(data["private"], bool):
            self.fail(f"{where}.private", "must be true or false")
        if data["private"] and "privacy_notice" not in data:
            self.fail(where, f"private section {key!r} needs a privacy_notice")
        fields = tuple(self.field(f, at, key) for f, at in self.each(data, "fields", where))
        if not fields:
            self.fail(f"{where}.fields", "a section needs at least one field")
        return cls(
            key=key,
            heading=self.text(data["heading"], f"{where}.heading"),
            paragraphs=self.texts(data, "paragraphs", where),
            private=data["private"],
            privacy_notice=self.optional_text(data, "privacy_notice", where),
            fields=fields,
            intro=self.optional_text(data, "intro", where),
        )

    def field(self, raw: Any, where: str, section_key: str) -> Field:
        data = self.mapping(raw, where, {"key", "kind", "label"}, {"help", "heading", "min", "max", "personal"})
        key = self.key(data["key"], f"{where}.key")
        if not key.startswith(f"{section_key}."):
            self.fail(f"{where}.key", f"{key!r} must start with its section's key: '{section_key}.<name>'")
        try:
            kind = FieldKind(data["kind"])
        except ValueError:
            known = ", ".join(k.value for k in FieldKind)
            self.fail(f"{where}.kind", f"unknown field kind {data['kind']!r} (known: {known})")
        is_choice = kind is FieldKind.PLATFORM_CHOICE
        if is_choice and not {"min", "max"} <= data.keys():
            self.fail(where, "platform_choice needs both min and max")
        if not is_choice and {"min", "max"} & data.keys():
            self.fail(where, "min and max are allowed on platform_choice fields only")
        return Field(
            key=key,
            kind=kind,
            label=self.text(data["label"], f"{where}.label"),
            help=self.optional_text(data, "help", where),
            heading=self.optional_text(data, "heading", where),
            min_choices=self.integer(data["min"], f"{where}.min", 1) if is_choice else None,
            max_choices=self.integer(data["max"], f"{where}.max", 1) if is_choice else None,
            personal=self.boolean(data.get("personal", False), f"{where}.personal"),
        )

    def check(self, template: Template) -> None:
        """Rules that span the whole template."""
        self.unique("reading section key", (r.key for r in template.reading))
        self.unique("section key", (s.key for s in (*template.sections, template.followup)))
        self.unique("field key", (f.key for f in template.all_fields()))
        self.unique("platform statement key", (s.key for s in template.platform_statements))
        if sum(1 for r in template.reading if r.statements) > 1:
            self.fail("reading", "platform statements (items with keys) belong in one reading section only")
        if not template.private_section_keys:
            self.fail("sections", "no section is marked private: true")
        count = len(template.platform_statements)
        for f in template.all_fields():
            if f.kind is FieldKind.PLATFORM_CHOICE and not 1 <= f.min_choices <= f.max_choices <= count:
                self.fail(
                    f.key,
                    f"platform_choice min {f.min_choices} and max {f.max_choices} are out of range: "
                    f"need 1 <= min <= max <= {count}, the number of platform statements",
                )

    def unique(self, what: str, keys: Iterable[str]) -> None:
        seen: set[str] = set()
        for key in keys:
            if key in seen:
                self.fail("template", f"duplicate {what} {key!r}")
            seen.add(key)


def load_template_file(path: str | Path) -> Template:
    """Load and validate one template file."""
    path = Path(path)
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_UniqueKeyLoader)
    except OSError as exc:
        raise TemplateError(f"{path}: cannot read the file: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise TemplateError(f"{path}: not UTF-8 text: {exc.reason}") from exc
    except yaml.YAMLError as exc:
        raise TemplateError(f"{path}: invalid YAML: {exc}") from exc
    return _Parser(str(path)).template(raw)


def available_templates() -> list[str]:
    """The ids of the shipped templates, sorted."""
    return sorted(p.stem for p in TEMPLATES_DIR.glob("*.yaml"))


@functools.cache
def load_template(template_id: str) -> Template:
    """The shipped template with this id (loaded once)."""
    if not isinstance(template_id, str) or not _TEMPLATE_ID.fullmatch(template_id):
        raise TemplateError(f"{template_id!r} is not a template id")
    path = TEMPLATES_DIR / f"{template_id}.yaml"
    if not path.is_file():
        available = ", ".join(available_templates()) or "none"
        raise TemplateError(f"no template {template_id!r} (available: {available})")
    template = load_template_file(path)
    if template.id != template_id:
        raise TemplateError(f"{path}: id: {template.id!r} does not match the file name {template_id!r}")
    return template


def default_template_id_for_year(year: int) -> str:
    """The id of the newest template made for this year or an earlier one."""
    candidates = [t for t in map(load_template, available_templates()) if t.year <= year]
    if not candidates:
        raise TemplateError(f"no agreement template for {year} or earlier")
    return max(candidates, key=lambda t: t.year).id


def validate_all_templates() -> list[Template]:
    """Load every shipped template at service start; fails on the first bad one."""
    templates = [load_template(template_id) for template_id in available_templates()]
    if not templates:
        raise TemplateError(f"{TEMPLATES_DIR}: no template files (*.yaml)")
    years: dict[int, str] = {}
    for template in templates:
        if template.year in years:
            other = years[template.year]
            raise TemplateError(f"templates {other!r} and {template.id!r} are both for {template.year}")
        years[template.year] = template.id
    logger.info("Loaded %d agreement template(s): %s", len(templates), ", ".join(t.id for t in templates))
    return templates
