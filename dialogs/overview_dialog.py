"""The overview of one agreement's answers in a spring phase: open any question, or go on where you left off.

The preparation and the filling in of the agreement both go through it. Each question can be
opened alone, changed and saved, and the overview comes back; «Fortsett der du slapp» walks on
from where the leader left the questions (or from the first one not answered). While the
agreement is back with the subordinate's comments, they stand at the top and what has changed
since is marked.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from botbuilder.dialogs import DialogTurnResult, WaterfallDialog, WaterfallStepContext
from sqlalchemy.ext.asyncio import AsyncSession

from agreement.access import Role
from agreement.opening import AgreementAccess
from agreement.progress import (
    FieldProgress,
    Progress,
    comments_pending,
    own_preparation_done,
    progress_of,
    review_comment,
)
from agreement.template import FieldKind
from bot.cards import to_activity
from bot.turn import turn_session
from dialogs import resume
from dialogs.cards.overview import OverviewRow, overview_card
from dialogs.cards.questions import ContextEntry, statement_lines
from dialogs.cards.whole_text import excerpt
from dialogs.flow import DialogDeps, FlowDialog, current_leader_id
from dialogs.questions import question_keys
from dialogs.questions_dialog import QuestionsDialog
from dialogs.reply import CHOOSE, Reply, ReplyPrompt, Verdict, accept, normalise, options, refuse
from dialogs.texts import common
from dialogs.texts import overview as texts
from dialogs.texts import questions as qtexts
from storage.models import Phase

LOOP = "overview.loop"
PROMPT = "overview.choice"
QUESTIONS = "overview.questions"
#: How much of an answer the overview shows beside its question.
GLIMPSE_LENGTH = 100


def check_overview(reply: Reply) -> Verdict:
    """A button of the overview (open a question, continue, go through all, finish), or a question's number typed."""
    asked = reply.asked
    count, allowed = asked["count"], {"continue": asked["resume"], "go": True, "finish": asked["finish"]}
    if reply.data is not None:
        option = reply.card_input("option")
        index = reply.data.get("index")
        if option == "open" and isinstance(index, int) and not isinstance(index, bool) and 0 <= index < count:
            return accept({"kind": CHOOSE, "option": "open", "index": index})
        if allowed.get(option):
            return accept({"kind": CHOOSE, "option": option})
        return refuse(common.STALE_CARD)
    word = normalise(reply.text)
    if word.isdigit() and 1 <= int(word) <= count:
        return accept({"kind": CHOOSE, "option": "open", "index": int(word) - 1})
    if word in texts.CONTINUE_WORDS and allowed["continue"]:
        return accept({"kind": CHOOSE, "option": "continue"})
    if word in texts.GO_THROUGH_WORDS:
        return accept({"kind": CHOOSE, "option": "go"})
    if word in texts.FINISH_WORDS and allowed["finish"]:
        return accept({"kind": CHOOSE, "option": "finish"})
    return refuse(texts.HINT.format(count=count))


@dataclass(frozen=True)
class _Overview:
    opened: AgreementAccess
    progress: Progress
    comment: ContextEntry | None
    resume_at: int | None


def _mark(item: FieldProgress) -> str:
    if item.field.kind is FieldKind.GOALS and item.goals:
        mark = texts.GOALS_COUNT.format(count=len(item.goals))
    elif item.answered:
        mark = texts.ANSWERED
    else:
        mark = texts.MISSING if item.required else texts.EMPTY
    return f"{mark} · {texts.CHANGED}" if item.changed else mark


def _glimpse(opened: AgreementAccess, item: FieldProgress) -> str | None:
    """A short piece of the answer, so that the leader recognises it."""
    if item.answer is None:
        return None
    if item.field.kind is FieldKind.PLATFORM_CHOICE:
        typed = "; ".join(statement_lines(opened.template, json.loads(item.answer.text)))
    else:
        typed = item.answer.text
    return excerpt(" ".join(typed.split()), GLIMPSE_LENGTH)[0]


class OverviewDialog(FlowDialog):
    """Options: agreement_id; ``walk_from`` to go through the questions from there at once; ``notice``.

    Ends with True when the leader finishes the phase (or walks through to the end with nothing
    missing), with False when a question could not be asked or saved.
    """

    def __init__(self, dialog_id: str, deps: DialogDeps, phase: Phase, context_phase: Phase | None = None) -> None:
        super().__init__(dialog_id, deps)
        self.phase = phase
        self.add_dialog(WaterfallDialog(LOOP, [self.show_step, self.open_step, self.back_step]))
        self.add_dialog(ReplyPrompt(PROMPT, check_overview))
        self.add_dialog(QuestionsDialog(QUESTIONS, deps, phase, context_phase=context_phase))
        self.initial_dialog_id = LOOP

    async def _load(self, session: AsyncSession, opened: AgreementAccess, leader_id: int) -> _Overview:
        comment = None
        since = None
        if self.phase is Phase.AGREEMENT and comments_pending(opened.agreement):
            answer = await review_comment(session, opened)
            if answer is not None:
                since = answer.updated_at
                comment = ContextEntry(qtexts.COMMENTS_TITLE.format(name=opened.agreement.subordinate.name),
                                       (answer.text,), answer_id=answer.id, agreement_id=opened.agreement.id)
        progress = await progress_of(session, opened, self.phase, changed_since=since)
        keys = [item.key for item in progress.fields]
        remembered = await resume.recall(session, leader_id, opened.agreement.id, self.phase)
        resume_at = remembered if remembered in keys else (progress.missing[0] if progress.missing else None)
        return _Overview(opened, progress, comment, keys.index(resume_at) if resume_at else None)

    def _finish(self, overview: _Overview) -> str | None:
        """The title of the button that ends the phase, when it can be ended now."""
        agreement = overview.opened.agreement
        if overview.progress.missing:
            return None
        if self.phase is Phase.PREPARATION:
            return None if own_preparation_done(overview.opened) else texts.FINISH_PREPARATION
        return None if agreement.filled_at else texts.FINISH_AGREEMENT.format(name=overview.opened.other.name)

    def _summary(self, overview: _Overview) -> list[str]:
        progress, agreement = overview.progress, overview.opened.agreement
        lines = [texts.COUNT.format(answered=progress.answered, total=progress.total)]
        if progress.missing:
            lines.append(texts.MISSING_COUNT.format(count=len(progress.missing)))
        if self.phase is Phase.PREPARATION and own_preparation_done(overview.opened):
            lines.append(texts.PREPARED)
        if self.phase is Phase.AGREEMENT and agreement.filled_at:
            lines.append(texts.SENT)
        if progress.changed:
            lines.append(texts.CHANGED_INTRO.format(changed=texts.CHANGED))
        return lines

    async def show_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        """Show the overview and wait for a question to open, «Fortsett der du slapp» or the end of the phase."""
        opts = step.options
        if opts.get("walk_from") is not None:
            return await step.next({"option": "walk", "index": opts["walk_from"]})
        leader = current_leader_id(step.context)
        overview = await self.read(step, lambda s, o: self._load(s, o, leader))
        opened, progress = overview.opened, overview.progress
        total = progress.total
        rows = [
            OverviewRow(index, opened.template.section(item.section_key).heading, item.field.label,
                        texts.MARKS.format(number=texts.NUMBER.format(number=index + 1, total=total), mark=_mark(item)),
                        item.answered, _glimpse(opened, item))
            for index, item in enumerate(progress.fields)
        ]
        whose = (qtexts.WHOSE_AS_SUPERIOR if opened.role is Role.SUPERIOR else qtexts.WHOSE_AS_SUBORDINATE).format(
            name=opened.other.name)
        title = texts.TITLE_PREPARATION if self.phase is Phase.PREPARATION else texts.TITLE_AGREEMENT
        finish = self._finish(overview)
        step.values["resume_at"] = overview.resume_at
        content = overview_card(title, whose, self._summary(overview), rows, PROMPT, notice=opts.get("notice"),
                                comment=overview.comment, resume=overview.resume_at is not None, finish=finish)
        return await step.prompt(
            PROMPT,
            options(to_activity(content, summary=title),
                    {"agreement_id": opts["agreement_id"], "question": PROMPT, "count": total,
                     "resume": overview.resume_at is not None, "finish": finish is not None}),
        )

    async def open_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        """Open one question alone, walk on from where the leader was (or from the first), or end the phase."""
        choice = step.result
        option = choice["option"]
        agreement_id = step.options["agreement_id"]
        if option == "finish":
            # Nothing is left to continue once the phase is done.
            await resume.forget(turn_session(step.context), current_leader_id(step.context), agreement_id, self.phase)
            return await step.end_dialog(True)
        keys = question_keys((await self.open(step)).template, self.phase)
        step.values["single"] = option == "open"
        if option == "open":
            return await step.begin_dialog(QUESTIONS, {"agreement_id": agreement_id, "keys": keys,
                                                       "index": choice["index"], "single": True})
        starts = {"go": 0, "walk": choice.get("index"), "continue": step.values.get("resume_at")}
        return await step.begin_dialog(QUESTIONS, {"agreement_id": agreement_id, "keys": keys,
                                                   "index": starts[option], "resumable": True})

    async def back_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        """Back to the overview after one question; after a walk, the end of the phase unless something is missing."""
        if step.result is not True:
            return await step.end_dialog(False)
        agreement_id = step.options["agreement_id"]
        if step.values["single"]:
            return await step.replace_dialog(LOOP, {"agreement_id": agreement_id})
        progress = await self.read(step, lambda session, opened: progress_of(session, opened, self.phase))
        if progress.missing:
            return await step.replace_dialog(LOOP, {"agreement_id": agreement_id, "notice": texts.STILL_MISSING})
        return await step.end_dialog(True)
