"""A leader's reply to a question: typed text or an Adaptive Card submit, recognised and checked.

In-dialog card buttons carry ``{"reply": <kind>, "question": <what is being asked>}`` (answer
buttons also the question's ``label``); card buttons that start something (``{"action": ...}``,
see :mod:`bot.actions`) are routed by the flows before a prompt sees them. Each prompt has a
check: a function from the :class:`Reply` to a :class:`Verdict`, run after the prompt has
refused a card that answers another question. Nothing typed is thrown away: a refused answer
comes back in the question's card, and text from an old card is given back with its question.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from botbuilder.core import MessageFactory, TurnContext
from botbuilder.dialogs.prompts import Prompt, PromptOptions, PromptRecognizerResult, PromptValidatorContext
from botbuilder.schema import Activity, ActivityTypes

from agreement.answers import validate_choice, validate_text
from agreement.errors import AnswerEmpty, AnswerTooLong, InvalidChoice
from agreement.template import PlatformStatement, load_template
from bot.cards import MAX_CARD_BYTES, card_size, cards_in, refilled, stamp, to_activity
from bot.turn import STEP, ask, reached_leader, refused
from dialogs.cards.message import given_back_card
from dialogs.texts import common
from dialogs.texts import goals as gtexts
from dialogs.texts import plan as ptexts
from dialogs.texts import questions as qtexts

REPLY = "reply"
QUESTION = "question"
LABEL = "label"
#: The agreement a question card's buttons answer for (beside the step token, see bot.turn).
AGREEMENT = "agreement"

# Reply kinds sent by in-dialog buttons.
ANSWER = "answer"
KEEP = "keep"
SKIP = "skip"
CHOOSE = "choose"

ERROR_KEY = "error"
REFILL_KEY = "refill"
GIVEN_BACK_KEY = "given_back"


def reply_data(kind: str, question: str, **extra: Any) -> dict[str, Any]:
    """The ``data`` of an in-dialog button answering ``question``."""
    return {REPLY: kind, QUESTION: question, **extra}


def normalise(text: str | None) -> str:
    """A typed word as matched against commands: trimmed, lower-case, single spaces."""
    cleaned = re.sub(r"\s+", " ", (text or "").strip().lower())
    return cleaned.rstrip(".!")


def options(prompt: Activity | str, validations: dict[str, Any]) -> PromptOptions:
    """PromptOptions for a ReplyPrompt; ``validations`` tells the check what is asked."""
    as_activity = MessageFactory.text(prompt) if isinstance(prompt, str) else prompt
    return PromptOptions(prompt=as_activity, validations=validations)


# --- recognising ----------------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    """One message answering a prompt: what was asked, the typed text, and the card's data."""

    asked: dict[str, Any]
    text: str | None
    data: dict | None
    step: str | None = None

    @property
    def stale(self) -> bool:
        """A card submit that does not answer the question being asked now, from the card that asked it."""
        if self.data is None:
            return False
        return (
            self.data.get(REPLY) is None
            or self.data.get(QUESTION) != self.asked[QUESTION]
            or self.data.get(STEP) != self.step
        )

    def inputs(self) -> dict[str, str]:
        """What the leader entered, by card input id (typed text counts as the text field)."""
        if self.data is None:
            return {"text": self.text} if self.text is not None else {}
        return {key: value for key, value in self.data.items() if isinstance(value, str)}

    def card_input(self, key: str) -> str | None:
        """A card input's value; anything but a string (a forged or broken submit) counts as missing."""
        if self.data is None:
            return None
        value = self.data.get(key)
        return value if isinstance(value, str) else None

    def entered(self, key: str) -> str | None:
        """What was entered: the card input ``key``, or the typed text."""
        return self.card_input(key) if self.data is not None else self.text

    def wants(self, kind: str, words: tuple[str, ...]) -> bool:
        """A button of ``kind`` was pressed, or one of its ``words`` typed."""
        if self.data is not None:
            return self.data.get(REPLY) == kind
        return normalise(self.text) in words


@dataclass(frozen=True)
class Verdict:
    """A check's decision: the prompt's result, or why it is asked again and what goes back in its inputs."""

    value: dict[str, Any] | None = None
    error: str | None = None
    refill: dict[str, str] | None = None


def accept(value: dict[str, Any]) -> Verdict:
    """Pass with ``value`` as the prompt's result."""
    return Verdict(value=value)


def refuse(message: str, refill: dict[str, str] | None = None) -> Verdict:
    """Fail with ``message``; the question is asked again with ``refill`` (default: what was entered) in its inputs."""
    return Verdict(error=message, refill=refill)


def given_back(data: dict, reason: str = common.GIVEN_BACK_STALE) -> Activity | None:
    """The text in an old card's field given back with the question it was written for; None if it had none."""
    typed, label = data.get("text"), data.get(LABEL)
    if not isinstance(typed, str) or not typed.strip():
        return None
    content = given_back_card(reason, typed, label if isinstance(label, str) else None)
    return to_activity(content, summary=reason)


def retry_activity(prompt: Activity | None, reason: str, values: dict[str, str]) -> Activity | None:
    """A question card asked again: ``values`` in its inputs and ``reason`` above.

    None if the prompt is not one card, or if the card would grow too large for Teams to take it
    (then a typed text is still in the chat above, and a card's in its field).
    """
    contents = cards_in(prompt) if prompt is not None else []
    if len(contents) != 1:
        return None
    content = refilled(contents[0], values, reason)
    if card_size(content) > MAX_CARD_BYTES:
        return None
    return to_activity(content, summary=prompt.summary)


Check = Callable[[Reply], Verdict]


class ReplyPrompt(Prompt):
    """Recognises typed text and card submits, refuses stale cards, and lets its check decide the rest.

    Its card carries the agreement, the question and the step token of the turn that sent it; a
    submit from any other card (another question, another agreement, an older sending) is stale.
    ``stale_message`` is said for a stale card; with None the check sees those too, and typed text
    is taken even when the question may not have reached the leader (the menu, which saves nothing).
    Otherwise typed text is saved only once the question it answers is known to have reached the
    leader; before that it is given back with the question. Text in a stale card's field is given
    back with its question (and never saved); a refused reply is asked again with what was entered
    in the card's inputs and the reason above them.
    """

    def __init__(self, dialog_id: str, check: Check, *, stale_message: str | None = common.STALE_CARD) -> None:
        super().__init__(dialog_id, self._validate)
        self._check = check
        self._stale_message = stale_message

    async def _validate(self, prompt_context: PromptValidatorContext) -> bool:
        value = prompt_context.recognized.value or {}
        text = value.get("text")
        step = prompt_context.state.get(STEP)
        reply = Reply(prompt_context.options.validations, text if isinstance(text, str) else None, value.get("data"),
                      step)
        guarded = self._stale_message is not None
        unseen = guarded and reply.data is None and not reached_leader(prompt_context.context, step)
        if guarded and reply.stale:
            verdict = refuse(self._stale_message, {})  # an old card's inputs answer another question
        elif unseen:
            verdict = refuse(common.GIVEN_BACK_UNSEEN, {})
        else:
            verdict = self._check(reply)
        if verdict.error is not None:
            prompt_context.state[ERROR_KEY] = verdict.error
            prompt_context.state[REFILL_KEY] = verdict.refill if verdict.refill is not None else reply.inputs()
            if reply.stale:
                prompt_context.state[GIVEN_BACK_KEY] = {key: reply.data.get(key) for key in ("text", LABEL)}
            elif unseen:
                prompt_context.state[GIVEN_BACK_KEY] = {"text": reply.text, "reason": common.GIVEN_BACK_UNSEEN}
            refused(prompt_context.context)
            return False
        prompt_context.recognized.value = {**verdict.value, STEP: step}  # the sending it answers
        return True

    async def on_prompt(self, turn_context: TurnContext, state: dict, options: PromptOptions, is_retry: bool) -> None:
        """Send the question; on a retry the card again with what was entered and the reason it is asked again.

        After text from an old card, that text is given back first and the question is asked as it was.
        """
        error = state.pop(ERROR_KEY, None)
        refill = state.pop(REFILL_KEY, None) or {}
        stale = state.pop(GIVEN_BACK_KEY, None)
        returned = given_back(stale, stale.get("reason") or common.GIVEN_BACK_STALE) if is_retry and stale else None
        prompt = options.prompt
        if returned is not None:
            await turn_context.send_activity(returned)
        elif is_retry and error:
            retry = retry_activity(prompt, error, refill)
            if retry is None:
                await turn_context.send_activity(error)
            else:
                prompt = retry
        if prompt is not None:
            state[STEP] = ask(turn_context)
            agreement_id = (options.validations or {}).get("agreement_id")
            if agreement_id is not None:
                prompt = copy.deepcopy(prompt)
                stamp(prompt, {AGREEMENT: agreement_id})
            await turn_context.send_activity(prompt)

    async def on_recognize(self, turn_context: TurnContext, state: dict, options: PromptOptions) -> PromptRecognizerResult:
        """Every message is recognised; its text and card data go to the check."""
        activity = turn_context.activity
        result = PromptRecognizerResult()
        if activity.type == ActivityTypes.message:
            data = activity.value if isinstance(activity.value, dict) else None
            result.succeeded = True
            result.value = {"text": activity.text, "data": data}
        return result


# --- checks ---------------------------------------------------------------------------


def answer_refusal(exc: AnswerEmpty | AnswerTooLong | InvalidChoice) -> str:
    """Why an answer is refused, said to the leader."""
    if isinstance(exc, AnswerTooLong):
        return common.TOO_LONG.format(length=exc.length, limit=exc.limit)
    if isinstance(exc, InvalidChoice):
        return qtexts.CHOICE_COUNT.format(
            given=common.number_word(exc.given),
            minimum=common.number_word(exc.minimum),
            maximum=common.number_word(exc.maximum),
        )
    return common.EMPTY


def check_text(raw: str | None, max_length: int) -> tuple[str | None, str | None]:
    """The cleaned answer, or the message saying why it is refused."""
    try:
        return validate_text(raw, max_length=max_length), None
    except (AnswerEmpty, AnswerTooLong) as exc:
        return None, answer_refusal(exc)


def _command_refused(reply: Reply, message: str) -> Verdict:
    """Refuse a keep or skip: a card's inputs come back, a typed command word is not put in the field."""
    return refuse(message, None if reply.data is not None else {})


def _keep(reply: Reply) -> Verdict | None:
    """Settle a 'behold' (keep the current answer); None for anything else."""
    if not reply.wants(KEEP, common.KEEP_WORDS):
        return None
    if not reply.asked.get("has_current"):
        return _command_refused(reply, common.NOTHING_TO_KEEP)
    return accept({"kind": KEEP})


def check_answer(reply: Reply) -> Verdict:
    """A text answer: new text, or 'behold' (keep the current one), or 'hopp over' where allowed."""
    kept = _keep(reply)
    if kept is not None:
        return kept
    skippable = bool(reply.asked.get("skippable"))
    if reply.wants(SKIP, common.SKIP_WORDS):
        if not skippable:
            return _command_refused(reply, common.CANNOT_SKIP)
        return accept({"kind": SKIP})
    try:
        cleaned = validate_text(reply.entered("text"), max_length=reply.asked["max_length"])
    except AnswerEmpty:
        # An optional field left empty: the leader may mean to skip it, so say how.
        return refuse(common.EMPTY_SKIPPABLE if skippable else common.EMPTY)
    except AnswerTooLong as exc:
        return refuse(answer_refusal(exc))
    return accept({"kind": ANSWER, "text": cleaned})


# Between the parts of a typed choice: '1, 3 og 4', '1;3', '1 & 3', one per line.
_CHOICE_PARTS = re.compile(r"[,;&+\n]|\bog\b")
_SPACES = re.compile(r"[^\S\n]+")
_NUMBER = re.compile(r"(\d+)[.)]?")
# A typed word shorter than this names a statement only when it is one of the statement's words.
_MIN_PREFIX = 3
_FOLD = str.maketrans({"æ": "ae", "ø": "o", "å": "a"})


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.casefold())


def _statement_named(phrase: str, statements: Sequence[PlatformStatement]) -> str | None:
    """The one statement ``phrase`` names: its number, its key, a prefix of its text or some of its words."""
    number = _NUMBER.fullmatch(phrase)
    if number:
        index = int(number.group(1))
        return statements[index - 1].key if 1 <= index <= len(statements) else None
    words = _words(phrase)
    if not words:
        return None
    typed = " ".join(words)
    for statement in statements:
        # Keys are written without æ, ø and å ('apen'), as leaders may type them too ('åpen').
        if typed.translate(_FOLD) == statement.key.casefold():
            return statement.key
    prefixed = [s.key for s in statements if len(typed) >= _MIN_PREFIX and " ".join(_words(s.text)).startswith(typed)]
    if len(prefixed) == 1:
        return prefixed[0]
    named = [s.key for s in statements if all(_has_word(_words(s.text), word) for word in words)]
    return named[0] if len(named) == 1 else None


def _has_word(statement_words: list[str], typed: str) -> bool:
    """Whether a typed word is one of a statement's words, or the start of one."""
    return any(word == typed or (len(typed) >= _MIN_PREFIX and word.startswith(typed)) for word in statement_words)


def parse_statements(raw: str | None, statements: Sequence[PlatformStatement]) -> list[str]:
    """Statement keys from a card's comma-separated value or as typed: '1 og 3', '1,3', '1 3', 'tillit, trygge'.

    A part is a number, a key, a unique prefix of a statement or key words of one, and a part of
    several words may name one statement each ('1 3', 'tillit innovasjon'). A part that names no
    one statement is kept as written, for the choice to be refused as unknown.
    """
    text = _SPACES.sub(" ", raw or "").casefold()
    # A statement written out whole (or pasted) has commas and 'og' of its own: taken first, longest first.
    for statement in sorted(statements, key=lambda s: len(s.text), reverse=True):
        text = text.replace(" ".join(statement.text.split()).casefold(), f",{statement.key},")
    keys: list[str] = []
    for part in _CHOICE_PARTS.split(text):
        part = part.strip()
        if not part:
            continue
        whole = _statement_named(part, statements)
        if whole is not None:
            keys.append(whole)
            continue
        each = [_statement_named(word, statements) for word in part.split()]
        if len(each) > 1 and None not in each:
            keys.extend(each)
        else:
            keys.append(part)
    return keys


def check_choice(reply: Reply) -> Verdict:
    """A Lederplattformen choice: between the template's min and max statements, or 'behold'."""
    kept = _keep(reply)
    if kept is not None:
        return kept
    template = load_template(reply.asked["template_id"])
    statements = template.platform_statements
    chosen = parse_statements(reply.entered("choice"), statements)
    try:
        keys = validate_choice(template, reply.asked[QUESTION], chosen)
    except InvalidChoice as exc:
        ticked = {"choice": ",".join(chosen)}  # what was understood ticks its boxes (unknown parts are left out)
        if exc.unknown:
            return refuse(qtexts.CHOICE_UNKNOWN.format(count=len(statements)), ticked)
        return refuse(answer_refusal(exc), ticked)
    return accept({"kind": CHOOSE, "keys": keys})


def check_option(reply: Reply) -> Verdict:
    """One of a few buttons (e.g. sign / send comments); typed button words work too."""
    choices: dict[str, list[str]] = reply.asked["options"]
    if reply.data is not None:
        chosen = reply.card_input("option")
        if chosen is not None and chosen in choices:
            return accept({"kind": CHOOSE, "option": chosen})
    else:
        word = normalise(reply.text)
        for option, words in choices.items():
            if word in words:
                return accept({"kind": CHOOSE, "option": option})
    return refuse(reply.asked["hint"])


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


def example_when(today: date) -> str:
    """A meeting time to show as an example of typing one: the next weekday after ``today`` at 09:00."""
    day = today + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return ptexts.EXAMPLE_WHEN.format(day=day)


def check_meeting(reply: Reply) -> Verdict:
    """A meeting date and time, not before today (in the service's time zone)."""
    date_input, time_input = reply.card_input("date"), reply.card_input("time")
    if reply.data is not None and not (time_input or "").strip() and (date_input or "").strip():
        return refuse(ptexts.MISSING_TIME)
    parsed = parse_when(date_input, time_input, None if reply.data is not None else reply.text)
    today = date.fromisoformat(reply.asked["today"])
    if parsed is None:
        return refuse(ptexts.INVALID_WHEN.format(example=example_when(today)))
    day, clock = parsed
    when = datetime.combine(day, clock, tzinfo=ZoneInfo(reply.asked["timezone"]))
    if day < today:
        return refuse(ptexts.IN_THE_PAST.format(when=common.format_when(when)))
    return accept({"kind": ANSWER, "when": when.isoformat()})


def check_goals_menu(reply: Reply) -> Verdict:
    """A button of the goals card: add, done, edit/remove <goal> or use <suggested goal>."""
    if reply.data is None:
        word = normalise(reply.text)
        if word in gtexts.ADD_WORDS:
            return accept({"kind": CHOOSE, "option": "add"})
        if word in gtexts.DONE_WORDS:
            return accept({"kind": CHOOSE, "option": "done"})
        return refuse(gtexts.MENU_HINT)
    option = reply.card_input("option")
    if option in ("add", "done"):
        return accept({"kind": CHOOSE, "option": option})
    asked = reply.asked
    allowed = (
        asked["goal_ids"] if option in ("edit", "remove") else asked["suggestion_ids"] if option == "use" else []
    )
    goal_id = reply.data.get("goal_id")
    if isinstance(goal_id, int) and not isinstance(goal_id, bool) and goal_id in allowed:
        return accept({"kind": CHOOSE, "option": option, "goal_id": goal_id})
    return refuse(common.STALE_CARD)


def check_actions(reply: Reply) -> Verdict:
    """The actions of a goal, one per line: at least one, at most the service's limit."""
    if reply.asked.get("has_current") and reply.wants(KEEP, common.KEEP_WORDS):
        return accept({"kind": KEEP})
    lines = [line.strip() for line in (reply.entered("text") or "").splitlines() if line.strip()]
    if not lines:
        return refuse(common.EMPTY)
    if len(lines) > reply.asked["max_actions"]:
        return refuse(gtexts.TOO_MANY_ACTIONS.format(limit=reply.asked["max_actions"]))
    for line in lines:
        _, error = check_text(line, reply.asked["max_length"])
        if error:
            return refuse(error)
    return accept({"kind": ANSWER, "lines": lines})
