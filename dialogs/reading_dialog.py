"""The reading sections of the form (Lederavtale, Lederplattformen, ...), one card at a time."""

from __future__ import annotations

from botbuilder.dialogs import DialogTurnResult, WaterfallDialog, WaterfallStepContext

from agreement.template import Template
from bot.cards import to_activity
from dialogs.cards.reading import reading_card, reading_overview_card
from dialogs.flow import DialogDeps, FlowDialog, template_for_help

SHOW = "reading.show"


async def send_all_reading(turn_context, template: Template) -> None:
    """Every reading section in order, without navigation buttons (used inside a flow)."""
    for section in template.reading:
        await turn_context.send_activity(to_activity(reading_card(template, section, navigation=False)))


class ReadingDialog(FlowDialog):
    """Options: section (a reading section key) or nothing for the list of sections."""

    def __init__(self, deps: DialogDeps) -> None:
        super().__init__("ReadingDialog", deps)
        self.add_dialog(WaterfallDialog(SHOW, [self.show_step]))
        self.initial_dialog_id = SHOW

    async def show_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        """Show the asked section with a button to the next one, or the list of sections."""
        template = template_for_help(self.deps)
        wanted = (step.options or {}).get("section")
        section = next((r for r in template.reading if r.key == wanted), None)
        content = reading_overview_card(template) if section is None else reading_card(template, section)
        await step.context.send_activity(to_activity(content))
        return await step.end_dialog()
