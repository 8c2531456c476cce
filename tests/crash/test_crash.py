"""The crash test's short run (benchmarks/crash_test.py): the real service SIGKILLed 20 times, on both databases.

The long run (``--kills 200``) is the script's; this one keeps the harness working and holds the
service to the same figures.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.crash_test import crash_run

KILLS = 20
FLOWS = 6


async def test_no_word_is_lost_misfiled_or_doubled_when_the_service_is_killed(
    database_url: str, tmp_path: Path
) -> None:
    database = "postgresql" if database_url.startswith("postgresql") else "sqlite"
    report = await crash_run(database_url, database, kills=KILLS, seed=10, flows=FLOWS, time_limit=300,
                             folder=tmp_path)
    figures = "\n".join(report.lines())
    # The harness itself must have done its part.
    if sum(report.kills.values()) != KILLS or not report.acknowledged["text"]:
        pytest.fail(f"the crash test did not run as planned (logs in {tmp_path}):\n{figures}")
    assert report.lost == [], figures
    assert report.misfiled == [], figures
    assert report.duplicated == 0, figures
    assert report.resume_failures == [], figures
    assert report.every_flow_completed, figures
