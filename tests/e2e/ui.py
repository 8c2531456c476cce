"""The Agents Playground's chat as a leader sees it: type, click, read, take screenshots.

Every step waits for the bot's *new* messages (those after the step began) to contain an
expected text, so an old card with the same words can never satisfy a step. A step that the
bot does not answer as expected fails with the messages it did get.
"""

from __future__ import annotations

import itertools
import re
from datetime import date
from pathlib import Path
from urllib.parse import urlparse

from playwright.sync_api import BrowserContext, Locator, Page, Route
from playwright.sync_api import TimeoutError as PlaywrightTimeout

#: Arguments for the system Chromium: no sandbox (root in CI), nothing phoning home.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    # Name resolution for anything but localhost fails at once: nothing leaves this machine.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
]

BOT_MESSAGE = ".fai-OutputCard"
EDITOR = "[data-lexical-editor=true]"
STEP_TIMEOUT_MS = 20_000

_LOOPBACK = {"127.0.0.1", "localhost", "[::1]", "::1"}
_shot_numbers = itertools.count(1)
#: The Playground's date picker names months in English.
_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)


def loopback_only(context: BrowserContext) -> None:
    """Abort every request of the context to a host that is not loopback.

    The Playground's page asks for its web fonts from a Microsoft CDN; it falls back to the
    system's fonts.
    """

    def handle(route: Route) -> None:
        url = route.request.url
        host = urlparse(url).hostname or ""
        if url.startswith(("data:", "blob:")) or host in _LOOPBACK:
            route.continue_()
        else:
            route.abort()

    context.route("**/*", handle)


class StepFailed(AssertionError):
    """The bot did not answer a step as expected."""


class Chat:
    """One leader's Playground page."""

    def __init__(self, page: Page, who: str, url: str, shots: Path) -> None:
        self.page = page
        self.who = who
        self.url = url
        self.shots = shots

    # -- reading ---------------------------------------------------------------------------

    def bot_messages(self) -> Locator:
        return self.page.locator(BOT_MESSAGE)

    def count(self) -> int:
        return self.bot_messages().count()

    def texts_since(self, mark: int) -> list[str]:
        return self.page.eval_on_selector_all(
            BOT_MESSAGE, "(nodes, mark) => nodes.slice(mark).map(n => n.innerText)", mark
        )

    def wait_for(self, mark: int, *expected: str, timeout_ms: int = STEP_TIMEOUT_MS) -> str:
        """Wait until the bot's messages after ``mark`` contain every expected text; return them."""
        try:
            self.page.wait_for_function(
                """([selector, mark, expected]) => {
                    const text = Array.from(document.querySelectorAll(selector)).slice(mark)
                        .map(n => n.innerText).join("\\n");
                    return expected.every(e => text.includes(e));
                }""",
                arg=[BOT_MESSAGE, mark, list(expected)],
                timeout=timeout_ms,
                polling=100,
            )
        except PlaywrightTimeout:
            got = "\n---\n".join(self.texts_since(mark)) or "(nothing)"
            self.shot("FAILED")
            raise StepFailed(f"{self.who}: expected {expected!r} from the bot; it sent:\n{got}") from None
        return "\n".join(self.texts_since(mark))

    def last_card(self) -> Locator:
        """The newest Adaptive Card in the chat."""
        return self.page.locator(f"{BOT_MESSAGE} .ac-adaptiveCard").last

    # -- acting ----------------------------------------------------------------------------

    def open(self) -> None:
        self.page.set_default_timeout(STEP_TIMEOUT_MS)
        self.page.goto(self.url)
        self.page.locator(EDITOR).wait_for(timeout=STEP_TIMEOUT_MS)

    def say(self, text: str, *expected: str) -> str:
        """Type a message in the compose box, send it with Enter, wait for the answer."""
        mark = self.count()
        editor = self.page.locator(EDITOR)
        editor.click()
        self.page.keyboard.type(text)
        self.page.keyboard.press("Enter")
        return self.wait_for(mark, *expected)

    def click(self, button: str, *expected: str, card: Locator | None = None) -> str:
        """Click a button of the newest card (or of ``card``) and wait for the answer."""
        card = card if card is not None else self.last_card()
        mark = self.count()
        card.get_by_role("button", name=button, exact=True).last.click()
        return self.wait_for(mark, *expected)

    def click_in(self, section: str, button: str, *expected: str) -> str:
        """Click ``button`` in the part of the newest card that is headed ``section``."""
        part = self.last_card().locator(".ac-container").filter(has_text=section).last
        mark = self.count()
        part.get_by_role("button", name=button, exact=True).first.click()
        return self.wait_for(mark, *expected)

    def answer(self, text: str, *expected: str, button: str = "Lagre") -> str:
        """Write ``text`` into the newest card's text field and submit it with ``button``."""
        card = self.last_card()
        field = card.locator("textarea, input[type=text]").first
        field.fill(text)
        return self.click(button, *expected, card=card)

    def choose(self, labels: list[str], *expected: str, button: str = "Lagre") -> str:
        """Tick the options of the newest card's multi-select whose labels start as given."""
        card = self.last_card()
        for label in labels:
            card.get_by_role("checkbox", name=re.compile("^" + re.escape(label))).check()
        return self.click(button, *expected, card=card)

    def plan(self, day: date, clock: str, *expected: str, button: str = "Lagre tidspunktet") -> str:
        """Pick ``day`` in the newest card's date picker and ``clock`` (HH:MM) in its time list."""
        card = self.last_card()
        pickers = card.get_by_role("combobox")
        pickers.nth(0).click()
        calendar = self.page.get_by_role("dialog").last
        month = f"{_MONTHS[day.month - 1]} {day.year}"
        for _ in range(24):
            if calendar.get_by_role("button", name=month, exact=True).count():
                break
            calendar.locator("button[title^='Next month']").click()
        calendar.get_by_role("button", name=f"{day.day}, {_MONTHS[day.month - 1]}, {day.year}", exact=True).click()
        pickers.nth(1).click()
        self.page.get_by_role("listbox").last.get_by_role("option", name=clock.lstrip("0") or "0", exact=True).click()
        return self.click(button, *expected, card=card)

    def shot(self, step: str) -> Path:
        """A screenshot of what the leader sees now, numbered in the order taken."""
        self.shots.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^a-z0-9]+", "-", f"{self.who} {step}".lower()).strip("-")
        path = self.shots / f"{next(_shot_numbers):02d}-{name}.png"
        self.page.screenshot(path=str(path))
        return path
