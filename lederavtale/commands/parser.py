"""The command line's argument parser, with argparse's usage, headings and errors in bokmål.

argparse marks its messages for gettext, but gettext takes the language from the locale
(LANGUAGE, LC_ALL, LANG) and its catalogues from compiled files on disk, while the command line
must answer in bokmål whatever the machine's locale is (the container runs with LANG=C.UTF-8).
So the messages are translated at argparse's public hooks instead: the help formatter's usage
prefix and section headings, and ``ArgumentParser.error``, which gets argparse's message
formatted and matches it against argparse's own msgids (``texts.ARGPARSE``).
"""

from __future__ import annotations

import argparse
import re
import sys
from typing import NoReturn

from lederavtale.commands import texts

#: A field of an argparse message: ``%s``, ``%r``, ``%(name)s`` or ``%(name)r``.
_FIELD = re.compile(r"%(?:\((\w+)\))?[sr]")
#: The field argparse fills with another of its messages.
_NESTED = "message"


def _catalog() -> list[tuple[re.Pattern[str], list[str], str]]:
    entries = []
    for msgid, msgstr in texts.ARGPARSE.items():
        literals = _FIELD.split(msgid)[::2]
        pattern = re.compile("(.+?)".join(re.escape(literal) for literal in literals), re.DOTALL)
        entries.append((pattern, _FIELD.findall(msgid), msgstr))
    return entries


_CATALOG = _catalog()


def translate(message: str) -> str:
    """argparse's ``message`` in bokmål, its fields kept as argparse wrote them."""
    for pattern, names, msgstr in _CATALOG:
        match = pattern.fullmatch(message)
        if match is None:
            continue
        values = [
            translate(value) if name == _NESTED else value for name, value in zip(names, match.groups())
        ]
        by_name = dict(zip(names, values))
        in_order = iter(values)
        return _FIELD.sub(lambda field: by_name[field[1]] if field[1] else next(in_order), msgstr)
    return message


class BokmalHelpFormatter(argparse.HelpFormatter):
    """argparse's help with its usage prefix and section headings in bokmål."""

    def add_usage(self, usage, actions, groups, prefix=None) -> None:
        super().add_usage(usage, actions, groups, translate("usage: ") if prefix is None else prefix)

    def start_section(self, heading: str | None) -> None:
        super().start_section(translate(heading) if heading else heading)


class BokmalArgumentParser(argparse.ArgumentParser):
    """An ArgumentParser that answers in bokmål; the parsers of its sub-commands are of its kind."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("formatter_class", BokmalHelpFormatter)
        # Abbreviated options are refused: a script's «--d» must not change meaning when an
        # option is added.
        super().__init__(*args, add_help=False, allow_abbrev=False, **kwargs)
        self.add_argument("-h", "--help", action="help", help=texts.HELP)

    def add_subparsers(self, **kwargs):
        """Sub-commands, listed under a bokmål heading and named KOMMANDO in usage and errors."""
        kwargs.setdefault("title", texts.COMMANDS)
        kwargs.setdefault("metavar", texts.COMMAND_METAVAR)
        return super().add_subparsers(**kwargs)

    def error(self, message: str) -> NoReturn:
        """Usage and the error in bokmål on stderr, and exit code 2 (as argparse does)."""
        self.print_usage(sys.stderr)
        error = texts.ERROR.format(prog=self.prog, message=translate(message))
        self.exit(2, error + texts.ERROR_HINT.format(prog=self.prog))
