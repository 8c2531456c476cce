"""Prompt validators: small static functions reading what is asked from the prompt's validations."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from botbuilder.dialogs.prompts import PromptValidatorContext

from agreement import service
from agreement.errors import AnswerEmpty, AnswerTooLong, InvalidChoice
from agreement.template import load_template
from dialogs.prompts import ANSWER, CHOOSE, KEEP, QUESTION, REPLY, SKIP, accept, normalise, refuse
from dialogs.texts import common
from dialogs.texts import questions as qtexts
from dialogs.texts import goals as gtexts
from dialogs.texts import plan as ptexts


def _parts(prompt_context: PromptValidatorContext) -> tuple[str | None, dict | None]:
    value = prompt_context.recognized.value or {}
    text = value.get("text")
    return (text if isinstance(text, str) else None), value.get("data")


def _field(data: dict | None, key: str) -> str | None:
    """A card input's value; anything but a string (a forged or broken submit) counts as missing."""
    if data is None:
        return None
    value = data.get(key)
    return value if isinstance(value, str) else None


def _is_stale(prompt_context: PromptValidatorContext, data: dict | None) -> bool:
    """A card submit that does not answer the question being asked now."""
    if data is None:
        return False
    return data.get(REPLY) is None or data.get(QUESTION) != prompt_context.options.validations[QUESTION]


def _wants(data: dict | None, text: str | None, kind: str, words: tuple[str, ...]) -> bool:
    if data is not None:
        return data.get(REPLY) == kind
    return normalise(text) in words


def _stale_or_keep(
    prompt_context: PromptValidatorContext, asked: dict, text: str | None, data: dict | None
) -> bool | None:
    """Settle a stale card submit or a 'behold' (keep the current answer); None for anything else."""
    if _is_stale(prompt_context, data):
        return refuse(prompt_context, common.STALE_CARD)
    if _wants(data, text, KEEP, common.KEEP_WORDS):
        if not asked.get("has_current"):
            return refuse(prompt_context, common.NOTHING_TO_KEEP)
        return accept(prompt_context, {"kind": KEEP})
    return None


def check_text(raw: str | None, max_length: int) -> tuple[str | None, str | None]:
    """The cleaned answer, or the message saying why it is refused."""
    try:
        return service.validate_text(raw, max_length), None
    except AnswerEmpty:
        return None, common.EMPTY
    except AnswerTooLong as exc:
        return None, common.TOO_LONG.format(length=exc.length, limit=exc.limit)


async def answer_validator(prompt_context: PromptValidatorContext) -> bool:
    """A text answer: new text, or 'behold' (keep the current one), or 'hopp over' where allowed."""
    asked = prompt_context.options.validations
    text, data = _parts(prompt_context)
    handled = _stale_or_keep(prompt_context, asked, text, data)
    if handled is not None:
        return handled
    if _wants(data, text, SKIP, common.SKIP_WORDS):
        if not asked.get("skippable"):
            return refuse(prompt_context, common.CANNOT_SKIP)
        return accept(prompt_context, {"kind": SKIP})
    cleaned, error = check_text(_field(data, "text") if data is not None else text, asked["max_length"])
    if error:
        return refuse(prompt_context, error)
    return accept(prompt_context, {"kind": ANSWER, "text": cleaned})


def parse_statements(raw: str | None, statement_keys: list[str]) -> list[str]:
    """Statement keys from a card's comma-separated value or typed numbers ('1, 4')."""
    keys = []
    for token in re.split(r"[,;\s]+", (raw or "").strip()):
        if not token:
            continue
        if token.isdigit() and 1 <= int(token) <= len(statement_keys):
            keys.append(statement_keys[int(token) - 1])
        else:
            keys.append(token)
    return keys


async def choice_validator(prompt_context: PromptValidatorContext) -> bool:
    """A Lederplattformen choice: between the template's min and max statements, or 'behold'."""
    asked = prompt_context.options.validations
    text, data = _parts(prompt_context)
    handled = _stale_or_keep(prompt_context, asked, text, data)
    if handled is not None:
        return handled
    template = load_template(asked["template_id"])
    statement_keys = [s.key for s in template.platform_statements]
    raw = _field(data, "choice") if data is not None else text
    try:
        keys = service.validate_choice(template, asked[QUESTION], parse_statements(raw, statement_keys))
    except InvalidChoice as exc:
        if exc.unknown:
            return refuse(prompt_context, qtexts.CHOICE_UNKNOWN.format(count=len(statement_keys)))
        return refuse(
            prompt_context,
            qtexts.CHOICE_COUNT.format(
                given=common.number_word(exc.given),
                minimum=common.number_word(exc.minimum),
                maximum=common.number_word(exc.maximum),
            ),
        )
    return accept(prompt_context, {"kind": CHOOSE, "keys": keys})


async def option_validator(prompt_context: PromptValidatorContext) -> bool:
    """One of a few buttons (e.g. sign / send comments); typed button words work too."""
    asked = prompt_context.options.validations
    text, data = _parts(prompt_context)
    if _is_stale(prompt_context, data):
        return refuse(prompt_context, common.STALE_CARD)
    choices: dict[str, list[str]] = asked["options"]
    if data is not None:
        chosen = _field(data, "option")
        if chosen is not None and chosen in choices:
            return accept(prompt_context, {"kind": CHOOSE, "option": chosen})
    else:
        word = normalise(text)
        for option, words in choices.items():
            if word in words:
                return accept(prompt_context, {"kind": CHOOSE, "option": option})
    return refuse(prompt_context, asked["hint"])


_TYPED_WHEN = re.compile(
    r"(?P<day>\d{1,2})\.(?P<month>\d{1,2})\.(?P<year>\d{4})\s*(?:kl\.?)?\s*(?P<hour>\d{1,2})[.:](?P<minute>\d{2})"
    r"|(?P<iso_date>\d{4}-\d{2}-\d{2})[ T](?P<iso_time>\d{1,2}:\d{2})"
)


def parse_when(date_text: str | None, time_text: str | None, typed: str | None) -> tuple[date, time] | None:
    """The date and time from card inputs ('2026-02-10', '09:00') or typed text ('10.02.2026 09:00')."""
    try:
        if typed is not None:
            match = _TYPED_WHEN.fullmatch(typed.strip())
            if match is None:
                return None
            if match.group("iso_date"):
                date_text, time_text = match.group("iso_date"), match.group("iso_time")
            else:
                day = date(int(match.group("year")), int(match.group("month")), int(match.group("day")))
                return day, time(int(match.group("hour")), int(match.group("minute")))
        day = date.fromisoformat((date_text or "").strip())
        hour, minute = (int(part) for part in (time_text or "").strip().split(":")[:2])
        return day, time(hour, minute)
    except ValueError:
        return None


async def meeting_validator(prompt_context: PromptValidatorContext) -> bool:
    """A meeting date and time, not before today (in the service's time zone)."""
    asked = prompt_context.options.validations
    text, data = _parts(prompt_context)
    if _is_stale(prompt_context, data):
        return refuse(prompt_context, common.STALE_CARD)
    if data is not None and not (_field(data, "time") or "").strip() and (_field(data, "date") or "").strip():
        return refuse(prompt_context, ptexts.MISSING_TIME)
    parsed = parse_when(_field(data, "date"), _field(data, "time"), None if data is not None else text)
    if parsed is None:
        return refuse(prompt_context, ptexts.INVALID_WHEN)
    day, clock = parsed
    when = datetime.combine(day, clock, tzinfo=ZoneInfo(asked["timezone"]))
    if day < date.fromisoformat(asked["today"]):
        return refuse(prompt_context, ptexts.IN_THE_PAST.format(when=common.format_when(when)))
    return accept(prompt_context, {"kind": ANSWER, "when": when.isoformat()})


async def goals_menu_validator(prompt_context: PromptValidatorContext) -> bool:
    """A button of the goals card: add, done, edit/remove <goal> or use <suggested goal>."""
    asked = prompt_context.options.validations
    text, data = _parts(prompt_context)
    if _is_stale(prompt_context, data):
        return refuse(prompt_context, common.STALE_CARD)
    if data is None:
        word = normalise(text)
        if word in gtexts.ADD_WORDS:
            return accept(prompt_context, {"kind": CHOOSE, "option": "add"})
        if word in gtexts.DONE_WORDS:
            return accept(prompt_context, {"kind": CHOOSE, "option": "done"})
        return refuse(prompt_context, gtexts.MENU_HINT)
    option = _field(data, "option")
    if option in ("add", "done"):
        return accept(prompt_context, {"kind": CHOOSE, "option": option})
    allowed = (
        asked["goal_ids"] if option in ("edit", "remove") else asked["suggestion_ids"] if option == "use" else []
    )
    goal_id = data.get("goal_id")
    if isinstance(goal_id, int) and not isinstance(goal_id, bool) and goal_id in allowed:
        return accept(prompt_context, {"kind": CHOOSE, "option": option, "goal_id": goal_id})
    return refuse(prompt_context, common.STALE_CARD)


async def actions_validator(prompt_context: PromptValidatorContext) -> bool:
    """The actions of a goal, one per line: at least one, at most the service's limit."""
    asked = prompt_context.options.validations
    text, data = _parts(prompt_context)
    if _is_stale(prompt_context, data):
        return refuse(prompt_context, common.STALE_CARD)
    if asked.get("has_current") and _wants(data, text, KEEP, common.KEEP_WORDS):
        return accept(prompt_context, {"kind": KEEP})
    raw = _field(data, "text") if data is not None else text
    lines = [line.strip() for line in (raw or "").splitlines() if line.strip()]
    if not lines:
        return refuse(prompt_context, common.EMPTY)
    if len(lines) > asked["max_actions"]:
        return refuse(prompt_context, gtexts.TOO_MANY_ACTIONS.format(limit=asked["max_actions"]))
    for line in lines:
        _, error = check_text(line, asked["max_length"])
        if error:
            return refuse(prompt_context, error)
    return accept(prompt_context, {"kind": ANSWER, "lines": lines})
