"""Signing on purpose: a word if the meeting is still to come, one's own place and date, sharing, a confirmation."""

from __future__ import annotations

from botbuilder.dialogs import DialogTurnResult, WaterfallDialog, WaterfallStepContext
from sqlalchemy.ext.asyncio import AsyncSession

from agreement.access import Role
from agreement.errors import AnswerEmpty, AnswerTooLong, InvalidPlaceAndDate, PlaceAndDateProblem
from agreement.opening import AgreementAccess
from agreement.signatures import PlaceAndDate, signature_of
from agreement.steps import PLACE_AND_DATE_MAX_LENGTH, check_place_and_date, sign
from bot import actions
from bot.cards import heading, submit, text, to_activity
from bot.turn import turn_session
from dialogs.agreement_view import gather
from dialogs.cards.agreement import agreement_card
from dialogs.cards.message import message_card
from dialogs.cards.signing import confirm_card, place_card
from dialogs.flow import DialogDeps, FlowDialog, read
from dialogs.reply import ANSWER, Reply, ReplyPrompt, Verdict, accept, answer_refusal, check_option, options, refuse
from dialogs.texts import common
from dialogs.texts import review as texts

STEPS = "signing.steps"
CHOICE_PROMPT = "signing.choice"
PLACE_PROMPT = "signing.place"
EARLY_KEY = "signing.early"
PLACE_KEY = "signing.place"
SHARE_KEY = "signing.share"
CONFIRM_KEY = "signing.confirm"

_PROBLEMS = {
    PlaceAndDateProblem.NO_DATE: texts.NO_DATE,
    PlaceAndDateProblem.SEVERAL_DATES: texts.SEVERAL_DATES,
    PlaceAndDateProblem.INVALID_DATE: texts.INVALID_DATE,
    PlaceAndDateProblem.FUTURE_DATE: texts.FUTURE_DATE,
    PlaceAndDateProblem.NO_PLACE: texts.NO_PLACE,
}


class SigningDialog(FlowDialog):
    """Options: agreement_id. The leader of the turn signs the agreement (begun by the review flow)."""

    def __init__(self, deps: DialogDeps) -> None:
        super().__init__("SigningDialog", deps)
        self.add_dialog(WaterfallDialog(
            STEPS, [self.early_step, self.place_step, self.share_step, self.confirm_step, self.sign_step]
        ))
        self.add_dialog(ReplyPrompt(CHOICE_PROMPT, check_option))
        self.add_dialog(ReplyPrompt(PLACE_PROMPT, self.check_place))
        self.initial_dialog_id = STEPS

    def suggestion(self) -> str:
        """The place and date offered in the field: the usual place, today."""
        return str(PlaceAndDate(texts.DEFAULT_PLACE, self.deps.today()))

    def check_place(self, reply: Reply) -> Verdict:
        """A place and a valid date not after today, checked by the agreement rules; refused text stays in the field."""
        try:
            signed = check_place_and_date(reply.entered("text"), self.deps.today())
        except (AnswerEmpty, AnswerTooLong) as exc:
            return refuse(answer_refusal(exc))
        except InvalidPlaceAndDate as exc:
            return refuse(_PROBLEMS[exc.problem].format(example=self.suggestion()))
        return accept({"kind": ANSWER, "text": str(signed)})

    def _validations(self, step: WaterfallStepContext, question: str, **extra: object) -> dict:
        return {"agreement_id": step.options["agreement_id"], "question": question, **extra}

    async def early_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        """Before the planned meeting, a gentle word: sign anyway, or wait."""
        meeting = (await self.open(step)).agreement.meeting_at
        if meeting is None or self.deps.local(meeting) <= self.deps.now():
            return await step.next(None)
        message = texts.EARLY.format(when=common.format_when(self.deps.local(meeting)))
        return await self.ask_option(
            step, CHOICE_PROMPT, EARLY_KEY, texts.EARLY_QUESTION,
            [("sign", texts.SIGN_ANYWAY, texts.SIGN_ANYWAY_WORDS), ("wait", texts.WAIT, texts.WAIT_WORDS)],
            texts.EARLY_HINT, body_before=[text(message)], summary=message,
        )

    async def place_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        """Ask for the signer's own place and date, offered as the usual place and today."""
        if step.result is not None and step.result["option"] == "wait":
            await step.context.send_activity(texts.WAIT_DONE)
            return await step.end_dialog(False)
        label = (await self.open(step)).template.signing.place_and_date
        content = place_card(label, PLACE_KEY, self.suggestion(), max_length=PLACE_AND_DATE_MAX_LENGTH)
        return await step.prompt(PLACE_PROMPT, options(
            to_activity(content, summary=label),
            self._validations(step, PLACE_KEY, max_length=PLACE_AND_DATE_MAX_LENGTH),
        ))

    async def share_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        """Ask whether Ledelsesutvikling may leave the pair (it does only when both say yes)."""
        step.values["place_and_date"] = step.result["text"]
        template = (await self.open(step)).template
        notices = [text(s.privacy_notice, subtle=True) for s in template.sections if s.private and s.privacy_notice]
        return await self.ask_option(
            step, CHOICE_PROMPT, SHARE_KEY, texts.SHARE_QUESTION,
            [("yes", texts.SHARE_YES, texts.SHARE_YES_WORDS), ("no", texts.SHARE_NO, texts.SHARE_NO_WORDS)],
            texts.SHARE_HINT,
            body_before=[heading(texts.SHARE_TITLE, size="Medium"), *notices, text(texts.SHARE_RULE)],
            summary=texts.SHARE_TITLE,
        )

    async def confirm_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        """Name what is being signed, with the place and date and the answer on sharing: «Signer» or «Avbryt»."""
        share = step.result["option"] == "yes"
        step.values["share"] = share
        opened = await self.open(step)
        agreement, other = opened.agreement, opened.other.name
        superior = opened.role is Role.SUPERIOR
        what = texts.CONFIRM.format(
            year=agreement.year, superior=agreement.superior.name, subordinate=agreement.subordinate.name,
            role=texts.ROLE_SUPERIOR if superior else texts.ROLE_SUBORDINATE,
        )
        other_signed = signature_of(agreement, Role.SUBORDINATE if superior else Role.SUPERIOR) is not None
        notes = [
            (texts.CONFIRM_SHARE_YES if share else texts.CONFIRM_SHARE_NO).format(name=other),
            texts.CONFIRM_LOCK_LAST.format(name=other) if other_signed else texts.CONFIRM_LOCK_FIRST,
        ]
        content = confirm_card(what, opened.template.signing.place_and_date, step.values["place_and_date"], notes,
                               CONFIRM_KEY)
        choices = {"sign": list(texts.SIGN_WORDS), "cancel": list(texts.CANCEL_WORDS)}
        return await step.prompt(CHOICE_PROMPT, options(
            to_activity(content, summary=what),
            self._validations(step, CONFIRM_KEY, options=choices, hint=texts.CONFIRM_HINT),
        ))

    async def sign_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        """Sign; the other leader is told, and when both have signed both get the signed agreement."""
        if step.result["option"] == "cancel":
            await step.context.send_activity(texts.NOT_SIGNED)
            return await step.end_dialog(False)
        place_and_date, share, today = step.values["place_and_date"], step.values["share"], self.deps.today()

        async def act(session: AsyncSession, opened: AgreementAccess) -> bool:
            return await sign(session, opened, place_and_date, today=today, share_development=share)

        both, opened = await self.change(step, act)
        agreement_id, other = opened.agreement.id, opened.other
        if both:
            session = turn_session(step.context)
            await step.context.send_activity(await summary_activity(self.deps, session, opened.viewer.id, agreement_id))
            await self.notify(step, other, await summary_activity(self.deps, session, other.id, agreement_id))
            return await step.end_dialog(True)
        await step.context.send_activity(texts.SIGNED_WAITING.format(name=other.name))
        message = texts.NOTIFY_SIGNED.format(name=opened.viewer.name)
        button_action = actions.SIGN if opened.role is Role.SUBORDINATE else actions.REVIEW
        await self.notify(
            step, other,
            to_activity(message_card(message, [submit(texts.NOTIFY_SIGNED_BUTTON,
                                                      actions.submit_data(button_action, agreement_id))]),
                        summary=message),
        )
        return await step.end_dialog(True)


async def summary_activity(deps: DialogDeps, session: AsyncSession, recipient_id: int, agreement_id: int):
    """The signed agreement as its recipient may see it (with the button for changing one's answer on sharing)."""
    view = await read(session, recipient_id, agreement_id, gather)
    content = agreement_card(view, deps.local, lead=texts.BOTH_SIGNED)
    return to_activity(content, summary=texts.BOTH_SIGNED)
