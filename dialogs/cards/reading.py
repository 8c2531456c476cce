"""The reading sections of the form, one card each, word for word from the template."""

from __future__ import annotations

from agreement.template import ReadingSection, Template
from bot import actions
from bot.cards import bullets, card, heading, submit, text
from dialogs.texts import common
from dialogs.texts import reading as texts


def reading_card(template: Template, section: ReadingSection, *, navigation: bool = True) -> dict:
    """One reading section; with ``navigation`` it has buttons to the next section and the menu."""
    body = [heading(section.heading)]
    body += [text(paragraph) for paragraph in section.paragraphs]
    if section.intro:
        body.append(text(section.intro, bold=True))
    if section.items:
        body.append(bullets(section.items))
    buttons = []
    if navigation:
        keys = [r.key for r in template.reading]
        position = keys.index(section.key)
        if position + 1 < len(keys):
            following = template.reading[position + 1]
            buttons.append(
                submit(
                    texts.NEXT.format(heading=following.heading),
                    actions.submit_data(actions.OPEN_READING, section=following.key),
                )
            )
        buttons.append(submit(common.BUTTON_MENU, actions.submit_data(actions.OPEN_MENU)))
    return card(body, buttons, fallback=section.heading)


def reading_overview_card(template: Template) -> dict:
    """A list of the reading sections, one button each."""
    return card(
        [heading(texts.OVERVIEW), text(template.title, bold=True), text(texts.OVERVIEW_INTRO)],
        [
            *(
                submit(r.heading, actions.submit_data(actions.OPEN_READING, section=r.key))
                for r in template.reading
            ),
            submit(common.BUTTON_MENU, actions.submit_data(actions.OPEN_MENU)),
        ],
        fallback=texts.OVERVIEW,
    )
