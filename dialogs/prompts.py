"""One prompt for everything a leader can answer with: typed text or an Adaptive Card submit.

In-dialog card buttons carry ``{"reply": <kind>, "question": <what is being asked>}``; card
buttons that start something (``{"action": ...}``, see :mod:`bot.actions`) are routed by
the main dialog before a prompt sees them.
"""

from __future__ import annotations

import re
from typing import Any

from botbuilder.core import MessageFactory, TurnContext
from botbuilder.dialogs.prompts import Prompt, PromptOptions, PromptRecognizerResult, PromptValidatorContext
from botbuilder.schema import Activity, ActivityTypes

REPLY = "reply"
QUESTION = "question"

# Reply kinds sent by in-dialog buttons.
ANSWER = "answer"
KEEP = "keep"
SKIP = "skip"
CHOOSE = "choose"

ERROR_KEY = "error"


def reply_data(kind: str, question: str, **extra: Any) -> dict[str, Any]:
    """The ``data`` of an in-dialog button answering ``question``."""
    return {REPLY: kind, QUESTION: question, **extra}


def normalise(text: str | None) -> str:
    """A typed word as matched against commands: trimmed, lower-case, single spaces."""
    cleaned = re.sub(r"\s+", " ", (text or "").strip().lower())
    return cleaned.rstrip(".!")


def options(prompt: Activity | str, validations: dict[str, Any], retry: Activity | str | None = None) -> PromptOptions:
    """PromptOptions for a ReplyPrompt; ``validations`` tells the validator what is asked."""
    as_activity = MessageFactory.text(prompt) if isinstance(prompt, str) else prompt
    retry_activity = MessageFactory.text(retry) if isinstance(retry, str) else retry
    return PromptOptions(prompt=as_activity, retry_prompt=retry_activity, validations=validations)


class ReplyPrompt(Prompt):
    """Recognises typed text and card submits; the validator decides and may name an error."""

    async def on_prompt(self, turn_context: TurnContext, state: dict, options: PromptOptions, is_retry: bool) -> None:
        """Send the question (on a retry, first the reason it is asked again)."""
        error = state.pop(ERROR_KEY, None)
        if is_retry and error:
            await turn_context.send_activity(error)
        if is_retry and options.retry_prompt is not None:
            await turn_context.send_activity(options.retry_prompt)
        elif options.prompt is not None:
            await turn_context.send_activity(options.prompt)

    async def on_recognize(self, turn_context: TurnContext, state: dict, options: PromptOptions) -> PromptRecognizerResult:
        """Every message is recognised; its text and card data go to the validator."""
        activity = turn_context.activity
        result = PromptRecognizerResult()
        if activity.type == ActivityTypes.message:
            data = activity.value if isinstance(activity.value, dict) else None
            result.succeeded = True
            result.value = {"text": activity.text, "data": data}
        return result


def refuse(prompt_context: PromptValidatorContext, message: str) -> bool:
    """Fail validation with ``message``, which is sent before the question is asked again."""
    prompt_context.state[ERROR_KEY] = message
    return False


def accept(prompt_context: PromptValidatorContext, value: dict[str, Any]) -> bool:
    """Pass validation with ``value`` as the prompt's result."""
    prompt_context.recognized.value = value
    return True
