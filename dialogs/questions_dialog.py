"""Asks a flow's questions one by one and saves each answer the moment it is given.

Shared by the preparation, the filling in of the agreement and the two follow-up flows. The
position (``index`` into ``keys``) lives in the dialog's options, so after a restart the next
message continues at the same question. A walk that is left before its end (``avbryt``, the
menu, another button) notes where it was, for «Fortsett der du slapp» (see ``dialogs.resume``).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace

from botbuilder.core import TurnContext
from botbuilder.dialogs import DialogInstance, DialogReason, DialogTurnResult, WaterfallDialog, WaterfallStepContext
from sqlalchemy.ext.asyncio import AsyncSession

from agreement.access import Role
from agreement.answers import read_answers, save_answer, save_choice
from agreement.errors import AgreementError, AnswerEmpty, AnswerTooLong, InvalidChoice
from agreement.goals import list_goals
from agreement.opening import AgreementAccess
from agreement.progress import comments_pending, review_comment
from agreement.status import both_prepared
from agreement.template import AnswerSection, FieldKind, Template
from bot.cards import refilled, to_activity
from bot.turn import turn_session
from dialogs import resume
from dialogs.cards.questions import (
    ContextEntry,
    choice_question_card,
    section_card,
    statement_lines,
    text_question_card,
)
from dialogs.flow import AT_HAND, DialogDeps, FlowDialog, current_leader_id, error_message
from dialogs.goals_dialog import GoalsDialog
from dialogs.questions import Question, describe
from dialogs.reply import ANSWER, CHOOSE, ReplyPrompt, check_answer, check_choice, options
from dialogs.texts import common
from dialogs.texts import questions as texts
from storage.models import Answer, Goal, Phase

logger = logging.getLogger(__name__)

LOOP = "questions.loop"
TEXT_PROMPT = "questions.text"
CHOICE_PROMPT = "questions.choice"
GOALS = "questions.goals"
#: Options key: an answer refused after its check (reason and inputs), to be asked again with it.
REFUSED = "refused"
#: In the dialog's own state: the question a resumable walk is at, noted when it is left.
ASKING = "questions.asking"


@dataclass(frozen=True)
class _Asked:
    template: Template
    question: Question
    section: AnswerSection
    new_section: bool
    current: str | None
    context: tuple[ContextEntry, ...]
    whose: str
    comment: ContextEntry | None = None


class QuestionsDialog(FlowDialog):
    """Options: agreement_id, keys (question keys in order), index. Ends with True when all are answered.

    With ``single`` only the question at ``index`` is asked (it ends with True once it is answered,
    kept or skipped); with ``resumable`` a walk left before its end remembers where it was.
    ``lead_for`` gives the line said above a question for this viewer, if any.
    """

    def __init__(self, dialog_id: str, deps: DialogDeps, phase: Phase, context_phase: Phase | None = None, *,
                 lead_for: Callable[[AgreementAccess, Question], str | None] | None = None) -> None:
        super().__init__(dialog_id, deps)
        self.phase = phase
        self.context_phase = context_phase
        self.lead_for = lead_for
        self.add_dialog(WaterfallDialog(LOOP, [self.ask_step, self.save_step]))
        self.add_dialog(ReplyPrompt(TEXT_PROMPT, check_answer))
        self.add_dialog(ReplyPrompt(CHOICE_PROMPT, check_choice))
        self.add_dialog(GoalsDialog(GOALS, deps, phase))
        self.initial_dialog_id = LOOP

    @property
    def context_title(self) -> str:
        return texts.CONTEXT_REFLECTION if self.context_phase is Phase.FOLLOWUP_PREPARATION else texts.CONTEXT_PREPARATION

    async def _spring_goals(self, session: AsyncSession, opened: AgreementAccess) -> dict[int, Goal]:
        return {g.id: g for g in await list_goals(session, opened, phase=Phase.AGREEMENT)}

    def _lines(self, opened: AgreementAccess, question: Question, text: str) -> tuple[str, ...]:
        if question.kind == FieldKind.PLATFORM_CHOICE.value:
            return statement_lines(opened.template, json.loads(text))
        return (text,)

    def _others_open(self, opened: AgreementAccess) -> bool:
        """Whether the other leader's answers of the context phase are open to the viewer yet."""
        if self.context_phase is Phase.FOLLOWUP_PREPARATION:
            return opened.reflections_open
        return both_prepared(opened.agreement)

    async def _context(self, session: AsyncSession, opened: AgreementAccess, question: Question) -> tuple[ContextEntry, ...]:
        if self.context_phase is None or question.kind == FieldKind.GOALS.value:
            return ()
        other = opened.other
        agreement = opened.agreement
        if self.context_phase is self.phase:
            # Going through one's own preparation (or reflections) again: the own answer is in the
            # field; the other leader's is shown once both have marked theirs done.
            if not self._others_open(opened):
                return ()
            answers = await read_answers(session, opened, phase=self.context_phase, keys=[question.key])
            others = next((a for a in answers if a.author_id == other.id), None)
            return (self._entry(opened, question, other.name, others),)
        answers = await read_answers(session, opened, phase=self.context_phase, keys=[question.key])
        by_author = {answer.author_id: answer for answer in answers}
        entries = [self._entry(opened, question, texts.CONTEXT_OWN, by_author.get(opened.viewer.id))]
        if self.context_phase is Phase.PREPARATION and not both_prepared(agreement):
            hidden = texts.CONTEXT_HIDDEN_PREPARATION.format(name=common.possessive(other.name))
            entries.append(ContextEntry(other.name, hidden=hidden))
        elif self.context_phase is Phase.FOLLOWUP_PREPARATION and not self._others_open(opened):
            hidden = texts.CONTEXT_HIDDEN_REFLECTION.format(name=common.possessive(other.name))
            entries.append(ContextEntry(other.name, hidden=hidden))
        else:
            entries.append(self._entry(opened, question, other.name, by_author.get(other.id)))
        return tuple(entries)

    def _entry(self, opened: AgreementAccess, question: Question, who: str, answer: Answer | None) -> ContextEntry:
        """What ``who`` wrote for the question (a long text is shortened on the card, to be read whole)."""
        if answer is None:
            return ContextEntry(who)
        return ContextEntry(who, self._lines(opened, question, answer.text), answer_id=answer.id,
                            agreement_id=opened.agreement.id)

    async def _comment(self, session: AsyncSession, opened: AgreementAccess) -> ContextEntry | None:
        """While the agreement is back with the subordinate's comments, they stand by every question."""
        if self.phase is not Phase.AGREEMENT or not comments_pending(opened.agreement):
            return None
        comment = await review_comment(session, opened)
        if comment is None:
            return None
        return ContextEntry(texts.COMMENTS_TITLE.format(name=opened.other.name), (comment.text,),
                            answer_id=comment.id, agreement_id=opened.agreement.id)

    async def _load(self, session: AsyncSession, opened: AgreementAccess, keys: list[str], index: int) -> _Asked:
        autumn = self.phase in (Phase.FOLLOWUP_PREPARATION, Phase.FOLLOWUP)
        goals = await self._spring_goals(session, opened) if autumn else {}
        question = describe(opened.template, keys[index], goals)
        if self.lead_for is not None:
            question = replace(question, lead=self.lead_for(opened, question))
        section = opened.template.section(question.section_key)
        previous = describe(opened.template, keys[index - 1], goals) if index > 0 else None
        current = None
        if question.kind != FieldKind.GOALS.value:
            for answer in await read_answers(session, opened, phase=self.phase, keys=[question.key]):
                if answer.author_id == opened.viewer.id:
                    current = answer.text
        return _Asked(
            template=opened.template,
            question=question,
            section=section,
            new_section=previous is None or previous.section_key != question.section_key,
            current=current,
            context=await self._context(session, opened, question),
            comment=await self._comment(session, opened),
            whose=(texts.WHOSE_AS_SUPERIOR if opened.role is Role.SUPERIOR else texts.WHOSE_AS_SUBORDINATE).format(
                name=opened.other.name),
        )

    async def ask_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        """Ask the question at ``index`` (introducing its section first), or finish."""
        opts = step.options
        keys, index = opts["keys"], opts["index"]
        refused = opts.pop(REFUSED, None)  # for this asking only, not carried to the next question
        if index >= len(keys):
            if opts.get("resumable"):
                await resume.forget(turn_session(step.context), current_leader_id(step.context),
                                    opts["agreement_id"], self.phase)
            return await step.end_dialog(True)
        if opts.get("resumable"):
            # This dialog's own state (the step runs inside it): kept until the walk ends or is left.
            step.parent.active_dialog.state[ASKING] = keys[index]
        try:
            asked = await self.read(step, lambda s, o: self._load(s, o, keys, index))
        except KeyError:
            # A spring goal asked about in the autumn has gone, or the template has changed.
            logger.info("Question %s of agreement %s cannot be asked", index, opts["agreement_id"])
            await step.context.send_activity(common.INVALID_STATE)
            return await step.end_dialog(False)
        question = asked.question
        if asked.new_section and not opts.get("single"):
            await step.context.send_activity(to_activity(section_card(asked.section)))
        progress = texts.PROGRESS.format(whose=asked.whose, section=asked.section.heading, number=index + 1,
                                         total=len(keys))
        if question.kind == FieldKind.GOALS.value:
            return await step.begin_dialog(
                GOALS,
                {"agreement_id": opts["agreement_id"], "question": question.key, "section_key": question.section_key,
                 "progress": progress, "label": question.label},
            )
        if question.kind == FieldKind.PLATFORM_CHOICE.value:
            template = asked.template
            field = template.field(question.key)
            current = json.loads(asked.current) if asked.current else []
            content = choice_question_card(
                question, progress, template, field.min_choices, field.max_choices, current,
                self.context_title, asked.context, asked.comment,
            )
            if refused:
                content = refilled(content, refused["values"], refused["reason"])
            return await step.prompt(
                CHOICE_PROMPT,
                options(to_activity(content),
                        {"agreement_id": step.options["agreement_id"], "question": question.key, "template_id": template.id, "has_current": bool(current)}),
            )
        content = text_question_card(question, progress, asked.current, self.deps.settings.max_answer_length,
                                     self.context_title, asked.context, asked.comment)
        if refused:
            content = refilled(content, refused["values"], refused["reason"])
        return await step.prompt(
            TEXT_PROMPT,
            options(
                to_activity(content),
                {"agreement_id": step.options["agreement_id"], "question": question.key, "has_current": asked.current is not None,
                 "skippable": question.skippable, "max_length": self.deps.settings.max_answer_length},
            ),
        )

    async def save_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        """Save the answer now, then go on to the next question (or end, when asking one)."""
        opts = step.options
        reply = step.result
        if not reply:
            return await step.end_dialog(False)
        key = opts["keys"][opts["index"]]
        max_length = self.deps.settings.max_answer_length

        async def save(session: AsyncSession, opened: AgreementAccess) -> None:
            if reply["kind"] == CHOOSE:
                await save_choice(session, opened, key, self.phase, reply["keys"])
            else:
                await save_answer(session, opened, key, self.phase, reply["text"], max_length=max_length)

        if reply["kind"] in (ANSWER, CHOOSE):
            try:
                await self.change(step, save)
            except (AnswerEmpty, AnswerTooLong, InvalidChoice) as exc:
                # Nothing was saved: the question again, with the leader's answer in it and the reason above.
                entered = {"choice": ",".join(reply["keys"])} if reply["kind"] == CHOOSE else {"text": reply["text"]}
                refused = {"reason": error_message(exc), "values": entered}
                return await step.replace_dialog(LOOP, {**opts, REFUSED: refused})
            except AgreementError as exc:
                await step.context.send_activity(f"{texts.SAVE_FAILED} {error_message(exc)}")
                return await step.end_dialog(False)
        if opts.get("single"):
            return await step.end_dialog(True)
        return await step.replace_dialog(LOOP, {**opts, "index": opts["index"] + 1})

    async def on_end_dialog(self, context: TurnContext, instance: DialogInstance, reason: DialogReason) -> None:
        """A resumable walk left before its end remembers the question it was at."""
        asking = instance.state.get(ASKING)
        if reason == DialogReason.CancelCalled and asking is not None:
            await resume.remember(turn_session(context), current_leader_id(context), instance.state[AT_HAND],
                                  self.phase, asking)
        await super().on_end_dialog(context, instance, reason)
