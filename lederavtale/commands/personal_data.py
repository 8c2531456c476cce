"""``lederavtale personal-data``: everything the bot holds about one leader, for their own request (GDPR art. 15).

``personal-data --leader EPOST --out MAPPE`` writes, into a new or empty folder, the leader's
record, each of their agreements as their own copy (PDF, recorded in the copy log with the
channel "personal data") or as status and dates where no agreed text exists yet, their answers
with every revision, their goals, their steps in the history, the reminders sent to them, their
Teams conversation's metadata and the copies made of their agreements, with ``index.json`` and
``LESMEG.txt`` listing the files. The folder appears whole or not at all.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
from pathlib import Path

from bot.settings import Settings
from documents.personal_data import PersonalFile, UnknownLeader, gather_personal_data, index
from lederavtale.commands import texts
from lederavtale.commands.common import write_refusal, write_result
from lederavtale.commands.export import localiser
from storage.db import open_database
from storage.models import utcnow

#: Exit codes: the folder cannot take the answer; the answer could not be made.
BAD_INPUT = 2
NOT_MADE = 1

#: The plain-text guide to the folder, for the leader who gets it.
README_NAME = "LESMEG.txt"


def register(subparsers: argparse._SubParsersAction) -> None:
    command = subparsers.add_parser("personal-data", help=texts.PERSONAL_DATA_HELP)
    command.add_argument("--leader", required=True, metavar=texts.EMAIL_METAVAR, help=texts.PERSONAL_DATA_LEADER_HELP)
    command.add_argument("--out", type=Path, required=True, metavar=texts.FOLDER_METAVAR,
                         help=texts.PERSONAL_DATA_OUT_HELP)
    command.set_defaults(handler=_personal_data)


def _out_refusal(out: Path) -> str | None:
    """Why ``out`` cannot take the answer, or None (it must be a new or an empty folder)."""
    if out.exists() and not out.is_dir():
        return texts.PERSONAL_DATA_IS_FILE.format(path=out)
    if out.is_dir() and any(out.iterdir()):
        return texts.PERSONAL_DATA_NOT_EMPTY.format(path=out)
    if not out.parent.is_dir():
        return texts.PERSONAL_DATA_NO_FOLDER.format(folder=out.parent)
    return None


def _readme(files: list[PersonalFile], name: str) -> PersonalFile:
    lines = [texts.PERSONAL_DATA_README_TITLE.format(name=name), "", texts.PERSONAL_DATA_README_INTRO, ""]
    lines += [f"{f.name}  –  {f.what}" for f in files]
    return PersonalFile(README_NAME, ("\n".join(lines) + "\n").encode("utf-8"), "a guide to this folder")


def _write_folder(out: Path, files: list[PersonalFile]) -> None:
    """Write ``files`` into ``out`` whole or not at all: a hidden folder beside it, then renamed."""
    part = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.", suffix=".part"))
    try:
        for item in files:
            path = part / item.name
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "wb") as handle:
                handle.write(item.data)
                handle.flush()
                os.fsync(handle.fileno())
        # Renaming onto an empty folder replaces it; onto a missing one creates it.
        os.replace(part, out)
    except BaseException:
        shutil.rmtree(part, ignore_errors=True)
        raise


def _unwrite(out: Path, existed: bool) -> None:
    """Take back a folder written for an answer whose records were not kept."""
    shutil.rmtree(out, ignore_errors=True)
    if existed:
        out.mkdir(exist_ok=True)


async def _personal_data(args: argparse.Namespace, settings: Settings) -> int:
    out: Path = args.out
    refusal = _out_refusal(out)
    if refusal is not None:
        write_refusal(refusal)
        return BAD_INPUT
    existed = out.is_dir()
    now = utcnow().replace(microsecond=0)
    async with open_database(settings.database_url) as (_engine, session_factory):
        async with session_factory() as session:
            try:
                gathered = await gather_personal_data(session, args.leader, localiser(settings), now)
            except UnknownLeader:
                write_refusal(texts.PERSONAL_DATA_UNKNOWN.format(email=args.leader.strip()))
                return NOT_MADE
            files = [*gathered.files, index(gathered, now)]
            files.append(_readme(files, gathered.leader.name))
            try:
                _write_folder(out, files)
            except OSError as exc:
                # The session is rolled back on leaving it: no copy is recorded for files not written.
                write_refusal(texts.PERSONAL_DATA_UNWRITABLE.format(path=out, reason=exc.strerror or exc))
                return NOT_MADE
            try:
                await session.commit()
            except BaseException:
                # Copies without their records must not be handed out.
                _unwrite(out, existed)
                raise
    write_result(texts.PERSONAL_DATA_WRITTEN.format(name=gathered.leader.name, email=gathered.leader.email,
                                                    path=out, files=len(files),
                                                    agreements=len(gathered.agreement_ids),
                                                    copies=len(gathered.copies)))
    return 0
