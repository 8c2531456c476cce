"""The help card: what the bot does, the commands, and the municipality's contact block."""

from __future__ import annotations

from agreement.template import Contact
from bot import actions
from bot.cards import bullets, card, container, heading, submit, text
from dialogs.texts import common


def help_card(contact: Contact) -> dict:
    """Help with the contact block from the template."""
    return card(
        [
            heading(common.HELP_TITLE),
            text(common.HELP_INTRO),
            text(common.HELP_COMMANDS_TITLE, bold=True),
            bullets(common.HELP_COMMANDS),
            text(common.HELP_PRIVACY),
            container(
                [
                    text(common.HELP_CONTACT_TITLE, bold=True),
                    text(contact.name),
                    text(contact.address),
                    text(f"{contact.phone_label}: {contact.phone}"),
                    text(f"[{contact.email}](mailto:{contact.email})"),
                    text(f"[{contact.web}]({contact.web_url})"),
                ],
                separator=True,
            ),
        ],
        [
            submit(common.BUTTON_MENU, actions.submit_data(actions.OPEN_MENU)),
            submit(common.BUTTON_READING, actions.submit_data(actions.OPEN_READING)),
        ],
        fallback=common.HELP_INTRO,
    )
