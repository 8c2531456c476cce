"""Garbage collector settings for the long-running processes (the bot service, the scheduler).

A turn allocates many short-lived objects (request and activity models, ORM rows, dialog state)
and almost none that form reference cycles. With CPython's default thresholds the cyclic
collector runs every 700 net allocations and, every so often, walks every object the process
holds, including the tens of thousands that imports and start-up created and that live as long as
the process: measured here, that was a fifth of a dialog turn's CPU. Once the service is up, those
objects are moved out of the collector's sight (``gc.freeze``) and the youngest generation is
collected less often. Memory is still freed at once by reference counting; only cycles wait a
little longer.
"""

from __future__ import annotations

import gc
import logging

logger = logging.getLogger(__name__)

#: Allocations (net) between collections of the youngest generation; CPython's default is 700.
YOUNG_THRESHOLD = 20_000
#: Collections of one generation before the next one is collected (CPython's default: 10, 10).
OLDER_THRESHOLDS = (20, 20)


def tune_for_service() -> None:
    """Call once the process has started up: freeze what exists, collect the young less often."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, *OLDER_THRESHOLDS)
    logger.info("Garbage collector tuned for a long-running process: %d objects frozen, thresholds %s",
                gc.get_freeze_count(), gc.get_threshold())
