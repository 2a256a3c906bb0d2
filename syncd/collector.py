"""Shared: CPython's cyclic garbage collector kept off syncd's large, long-lived builds.

Reading, mapping and validating 100 000 records, loading 100 000 mirror rows or
importing a command's modules make millions of objects that all stay alive for a
while. CPython 3.11's collector walks *every* live object again at each full
collection, and starts one each time the heap has grown by a quarter: on a large
feed more than half the time went there. These objects form no reference cycles,
so the collector finds nothing in them; reference counting frees them as always.
The one place that switches the collector, two ways:

* :func:`paused`: off for a bulk build (a feed read, a mirror load, imports);
  pauses nest and overlap across threads, and the collector is resumed when the
  last ends, only if it was running when the first began. What was made meanwhile
  then goes straight to the oldest generation (``gc.freeze`` then ``gc.unfreeze``,
  both O(1)), so the young generation is not walked whole at the next allocation.
* :func:`spared`: off for a whole sync run while it builds its feed, mirror and
  plan; then (``settle()``) what was built is frozen (``gc.freeze``: never walked
  again) and the collector back on until the run ends (``gc.unfreeze``).

Assumptions: what is built under either is freed by reference counting; a cycle
among it is collected after the pause (or the unfreeze), not leaked. A run that
froze unfreezes when it ends, even while another runs: the daemon's dealers may
overlap without a pause, and waiting for the last would keep every cycle frozen
meanwhile (the other run's structures are walked again until it ends: time, not
memory). Nothing else in syncd calls ``gc.disable``, ``gc.enable`` or ``gc.freeze``.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_state = {"depth": 0, "resume": False, "frozen": 0}
# depth: pauses and unsettled runs now; resume: whether the collector ran when the
# first of them began; frozen: settled runs not ended yet.


def _begin() -> None:
    with _lock:
        if _state["depth"] == 0:
            _state["resume"] = gc.isenabled()
            gc.disable()
        _state["depth"] += 1


def _end(*, froze: bool = False) -> None:
    """One pause ends (``froze``: a run settled, and froze what it built)."""
    with _lock:
        if froze:
            gc.freeze()
            _state["frozen"] += 1
        _state["depth"] -= 1
        if _state["depth"] == 0 and _state["resume"]:
            if not froze:
                # To the oldest generation; with a run's build frozen, frozen with it
                # (unfreezing here would thaw that run's build too).
                gc.freeze()
                if not _state["frozen"]:
                    gc.unfreeze()
            gc.enable()


@contextmanager
def paused() -> Iterator[None]:
    """The cyclic collector is off inside the block (see the module doc)."""
    _begin()
    try:
        yield
    finally:
        _end()


@contextmanager
def spared() -> Iterator[Callable[[], None]]:
    """The collector off while a run builds; ``settle()`` freezes what it built and
    resumes the collector; the run's end unfreezes (see the module doc)."""
    _begin()
    settled = False

    def settle() -> None:
        nonlocal settled
        if not settled:
            settled = True
            _end(froze=True)

    try:
        yield settle
    finally:
        if settled:
            with _lock:
                _state["frozen"] -= 1
                gc.unfreeze()
        else:
            _end()
