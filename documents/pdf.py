"""The one rendering of an agreement's document copy: a tagged PDF/A-2a (and PDF/UA-1) made with Typst.

The layout is documents/agreement.typ; it gets the copy as JSON data, so nothing a leader typed is
ever read as markup. Fonts come only from the Noto font packages of Debian that scripts/setup installs
(Typst's own and any other system fonts are ignored), so the same data on a machine set up the same
way gives the same file, byte for byte. A character that none of those fonts can show, and one a
PDF/A may not hold, is printed as its code point ("[U+E000]"): the copy is made, and nothing is lost.
"""

from __future__ import annotations

import json
import logging
import threading
import unicodedata
from functools import cache
from pathlib import Path

import typst
from fontTools.ttLib import TTCollection, TTFont

from documents import texts
from documents.content import AgreementDocument

logger = logging.getLogger(__name__)

TEMPLATE = Path(__file__).with_name("agreement.typ")
#: The folders of the Debian packages fonts-noto-core, fonts-noto-color-emoji and fonts-noto-cjk.
FONT_DIRS = (Path("/usr/share/fonts/truetype/noto"), Path("/usr/share/fonts/opentype/noto"))
#: The fonts the text asks for first (emoji in colour before any font's outline of them); Typst falls
#: back to any other font in FONT_DIRS that has the glyph.
FONT_FAMILIES = (
    "Noto Sans", "Noto Color Emoji", "Noto Sans Math", "Noto Sans Symbols", "Noto Sans Symbols2",
    "Noto Sans Arabic", "Noto Sans CJK SC",
)
#: The files looked at first for a character's glyph (most text is found in these).
FIRST_FONT_FILES = ("NotoSans-Regular.ttf", "NotoSans-Bold.ttf", "NotoColorEmoji.ttf")
PDF_STANDARDS = ["a-2a", "ua-1"]

#: Characters a PDF/A may not hold in its text even where a font maps them.
_DISALLOWED = {"\u0000", "\ufeff", "\ufffe"}
#: Control characters that are layout: kept (a line break, a tab).
_LAYOUT = {"\n", "\t"}
#: Unicode's default-ignorable code points (DerivedCoreProperties.txt): joiners, direction marks,
#: variation selectors, tags. They need no glyph; every other character does.
_IGNORABLE = (
    (0x00AD, 0x00AD), (0x034F, 0x034F), (0x061C, 0x061C), (0x115F, 0x1160), (0x17B4, 0x17B5),
    (0x180B, 0x180F), (0x200B, 0x200F), (0x202A, 0x202E), (0x2060, 0x206F), (0x3164, 0x3164),
    (0xFE00, 0xFE0F), (0xFFA0, 0xFFA0), (0xFFF0, 0xFFF8), (0x1BCA0, 0x1BCA3), (0x1D173, 0x1D17A),
    (0xE0000, 0xE0FFF),
)


class FontsMissing(RuntimeError):
    """The document's fonts are not installed (run scripts/setup)."""


class _Coverage:
    """Which characters the document's fonts have a glyph for, reading the fonts' character maps only as needed."""

    def __init__(self, files: list[Path]) -> None:
        #: What the text font itself has: Typst sets a space only in the text font, never in a fallback.
        self.text_font = frozenset(_codepoints(files[0]))
        self._pending = files[1:]
        self._covered = set(self.text_font)
        self._lock = threading.Lock()

    def covers(self, codepoint: int) -> bool:
        with self._lock:
            # Most text is covered by the first fonts: the others are read only for a character they lack.
            while codepoint not in self._covered and self._pending:
                self._covered.update(_codepoints(self._pending.pop(0)))
            return codepoint in self._covered


def _codepoints(path: Path) -> set[int]:
    if path.suffix == ".ttc":
        with TTCollection(path, lazy=True) as collection:
            return {codepoint for face in collection.fonts for codepoint in face.getBestCmap() or {}}
    with TTFont(path, lazy=True) as face:
        return set(face.getBestCmap() or {})


def _font_files() -> list[Path]:
    files = sorted(p for folder in FONT_DIRS if folder.is_dir() for p in folder.rglob("*")
                   if p.suffix in (".ttf", ".otf", ".ttc"))
    first = [p for name in FIRST_FONT_FILES for p in files if p.name == name]
    if len(first) < len(FIRST_FONT_FILES):
        raise FontsMissing(f"the document's fonts are missing from {', '.join(map(str, FONT_DIRS))}")
    return first + [p for p in files if p not in first]


@cache
def _fonts() -> tuple[typst.Fonts, _Coverage]:
    files = _font_files()
    fonts = typst.Fonts(include_system_fonts=False, include_embedded_fonts=False,
                        font_paths=[str(folder) for folder in FONT_DIRS if folder.is_dir()])
    logger.info("Loaded %d font files for documents", len(files))
    return fonts, _Coverage(files)


def _ignorable(codepoint: int) -> bool:
    return any(low <= codepoint <= high for low, high in _IGNORABLE)


def showable(value: str) -> str:
    """``value`` with each character the document cannot show as its code point, and line ends as line breaks."""
    return _showable(value, _fonts()[1])


def _showable(value: str, coverage: _Coverage) -> str:
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    out = []
    for char in value:
        codepoint, category = ord(char), unicodedata.category(char)
        if char in _LAYOUT:
            shown = True
        elif char in _DISALLOWED or category in ("Cc", "Cs", "Co", "Cn"):
            shown = False
        elif category == "Zs":
            shown = codepoint in coverage.text_font
        else:
            shown = _ignorable(codepoint) or coverage.covers(codepoint)
        out.append(char if shown else texts.UNSHOWABLE.format(codepoint=codepoint))
    return "".join(out)


def _showable_data(value, coverage: _Coverage):
    if isinstance(value, str):
        return _showable(value, coverage)
    if isinstance(value, list | tuple):
        return [_showable_data(item, coverage) for item in value]
    if isinstance(value, dict):
        return {key: _showable_data(item, coverage) for key, item in value.items()}
    return value


def _labels() -> dict[str, str]:
    return {
        "page": texts.PAGE, "role": texts.ROLE, "name": texts.NAME, "unit": texts.UNIT, "status": texts.STATUS,
        "signatures": texts.SIGNATURES, "goal": texts.GOAL, "actions": texts.ACTIONS, "withheld": texts.WITHHELD,
        "no_answer": texts.NO_ANSWER, "no_goals": texts.NO_GOALS, "goal_section": texts.GOAL_SECTION,
    }


def render_pdf(document: AgreementDocument) -> bytes:
    """The copy as a tagged PDF/A-2a (PDF/UA-1) in bokmål; the same document gives the same bytes."""
    fonts, coverage = _fonts()
    data = document.as_data()
    data.pop("typed")  # the checks' list, not laid out
    data = _showable_data(data, coverage)
    data["labels"] = _labels()
    data["fonts"] = list(FONT_FAMILIES)
    compiler = typst.Compiler(TEMPLATE, font_paths=fonts, ignore_system_fonts=True)
    # The moment the copy was made is its creation date: the same copy is the same file.
    return compiler.compile(sys_inputs={"data": json.dumps(data, ensure_ascii=False)},
                            pdf_standards=PDF_STANDARDS, timestamp=document.made_at_moment.replace(microsecond=0))
