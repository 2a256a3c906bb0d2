"""Adapter (feeds): CPython's cyclic garbage collector paused while a feed's items are built.

Reading, mapping and validating a feed of 100 000 records makes millions of
small objects (dicts, lists, records) that all stay alive until the run ends.
CPython 3.11's collector walks *every* live object again at each full
collection, and it starts one each time the heap has grown by a quarter: on a
large feed more than half the time went there (``bench/feeds.py``). These
objects form no reference cycles, so the collector finds nothing to free in
them; reference counting frees them as always. So the collector is paused
for the bulk work and resumed after it, when it collects whatever cycles were
made meanwhile (by any thread) in its usual course.

Pauses nest and may overlap across threads (two feeds read at once): the
collector is resumed when the last one ends, and only if it was running when
the first began. Assumption: nothing else in syncd switches the collector
or freezes objects (``gc.freeze``; see the end of a pause).
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_depth = 0
_resume = False


@contextmanager
def collector_paused() -> Iterator[None]:
    """The cyclic collector is off inside the block (see the module doc)."""
    global _depth, _resume  # noqa: PLW0603 - one collector per process: module state
    with _lock:
        if _depth == 0:
            _resume = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _resume:
                # What was made meanwhile goes straight to the oldest generation
                # (the documented effect of freeze then unfreeze, both O(1)): the
                # young generation is not walked whole at the next allocation, and
                # the items are walked at the next full collection, in its course.
                gc.freeze()
                gc.unfreeze()
                gc.enable()
