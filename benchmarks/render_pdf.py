#!/usr/bin/env python
"""Rendering time and memory of an agreement's PDF copy: a full agreement and a huge one.

The full agreement is taken through its year by the agreement rules on a temporary SQLite file
(tests/support/complete.py: every question answered, two goals with two actions in each section
with goals, both signatures, the autumn follow-up). The huge one is the same copy with every answer
of its first section at the service's limit (LEDERAVTALE_MAX_ANSWER_LENGTH, 4000 characters, one
word of 700 letters without a space among them), and twelve goals of twenty actions each.

Each copy is rendered in a child process of its own: the first rendering there (which reads the
fonts' character maps too) and the median of ``--runs`` more copies, with the child's peak RSS after them
(Typst's memory is not Python's: tracemalloc would not see it).

Run: ``.venv/bin/python benchmarks/render_pdf.py [--runs 10]``
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import multiprocessing
import resource
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from io import BytesIO
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pypdf import PdfReader  # noqa: E402

from agreement.opening import open_agreement  # noqa: E402
from documents.content import AgreementDocument, FieldEntry, GoalEntry, gather_document  # noqa: E402
from documents.pdf import render_pdf  # noqa: E402
from storage.db import create_engine, create_session_factory  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from tests.support.complete import complete_agreement  # noqa: E402
from tests.support.factories import make_pair  # noqa: E402

OSLO = ZoneInfo("Europe/Oslo")
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)
MAX_ANSWER_LENGTH = 4000


async def full_agreement() -> AgreementDocument:
    with tempfile.TemporaryDirectory() as folder:
        engine = create_engine(f"sqlite+aiosqlite:///{folder}/benchmark.db")
        try:
            await upgrade(engine)
            sessions = create_session_factory(engine)
            pair = await make_pair(sessions)
            await complete_agreement(sessions, pair.superior, pair.subordinate, pair.agreement,
                                     superior_shares=True, subordinate_shares=True)
            async with sessions() as session:
                reader = await open_agreement(session, pair.subordinate, pair.agreement)
                return await gather_document(session, reader, lambda moment: moment.astimezone(OSLO), NOW)
        finally:
            await engine.dispose()


def huge(document: AgreementDocument) -> AgreementDocument:
    prose = "Et langt svar med æøå, «sitater» og linjeskift – som en leder kan skrive det.\n" * 60
    answer = ("Ø" + "x" * 700 + "Å " + prose)[:MAX_ANSWER_LENGTH]
    goals = tuple(GoalEntry(f"Mål {n}: " + prose[:300], tuple(f"Tiltak {n}.{m}: " + prose[:200] for m in range(20)))
                  for n in range(12))
    fields = (*(FieldEntry(f"Spørsmål {n}", "text", text=answer) for n in range(6)),
              FieldEntry("Utviklingsmål", "goals", goals=goals))
    first = dataclasses.replace(document.sections[0], fields=fields)
    return dataclasses.replace(document, sections=(first, *document.sections[1:]))


def measure(document: AgreementDocument, runs: int, results) -> None:
    started = time.perf_counter()
    pdf = render_pdf(document)
    first = time.perf_counter() - started
    times = []
    for run in range(runs):
        # Another copy each time (Typst would otherwise give back the layout it remembers).
        again = dataclasses.replace(document, made_at=f"{document.made_at} ({run})")
        started = time.perf_counter()
        render_pdf(again)
        times.append(time.perf_counter() - started)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    results.put((first, statistics.median(times), peak_mib, len(pdf), len(PdfReader(BytesIO(pdf)).pages)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10, help="renderings after the first (default 10)")
    args = parser.parse_args()
    document = asyncio.run(full_agreement())
    context = multiprocessing.get_context("spawn")
    for name, copy in (("full agreement", document), ("huge agreement", huge(document))):
        results = context.Queue()
        child = context.Process(target=measure, args=(copy, args.runs, results))
        child.start()
        first, median, peak, size, pages = results.get()
        child.join()
        print(f"{name}: {pages} pages, {size / 1024:.0f} KiB; first rendering {first:.2f} s, "
              f"then median {median:.3f} s over {args.runs}; peak RSS {peak:.0f} MiB")


if __name__ == "__main__":
    main()
