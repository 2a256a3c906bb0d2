"""The cyclic collector (syncd/collector.py): paused for bulk builds, nested and across
threads; spared for a run (off, then frozen once built, all back after)."""

from __future__ import annotations

import gc
import threading
import weakref

import pytest

from syncd import collector


def test_the_collector_is_off_inside_and_on_again_after():
    """A pause turns the collector off; its end turns it back on."""
    assert gc.isenabled()
    with collector.paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_nested_and_overlapping_pauses_resume_at_the_last_end():
    """A pause inside a pause, or one in another thread, does not resume it early."""
    inside, release = threading.Event(), threading.Event()

    def other_feed() -> None:
        with collector.paused():
            inside.set()
            assert release.wait(60)

    with collector.paused():
        thread = threading.Thread(target=other_feed)
        thread.start()
        assert inside.wait(60)
        with collector.paused():
            pass
        assert not gc.isenabled()
    assert not gc.isenabled()  # the other thread's pause is still on
    release.set()
    thread.join(60)
    assert gc.isenabled()


def test_an_error_inside_still_resumes_it():
    """The collector comes back however the block ends."""
    with pytest.raises(ValueError, match="boom"), collector.paused():
        raise ValueError("boom")
    assert gc.isenabled()


def test_a_collector_switched_off_before_stays_off():
    """Only a collector that was running is resumed."""
    gc.disable()
    try:
        with collector.paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_the_collector_is_off_then_frozen_then_back() -> None:
    """Off inside, on again once settled with what was built frozen; unfrozen at the end."""
    assert gc.isenabled()
    with collector.spared() as settle:
        assert not gc.isenabled()
        built = [{"n": i} for i in range(1000)]
        settle()
        assert gc.isenabled()
        assert gc.get_freeze_count() >= len(built)
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0


def test_a_run_that_fails_before_settling_turns_the_collector_back_on() -> None:
    """An exception while building leaves the collector as it found it."""
    with pytest.raises(RuntimeError), collector.spared():
        raise RuntimeError
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0


def test_nested_runs_leave_nothing_frozen_once_one_ends() -> None:
    """Two runs at once (the daemon): the first to end unfreezes (what it froze may be
    garbage now); the collector stays on and nothing stays frozen after the last."""
    with collector.spared() as outer:
        outer()
        with collector.spared() as inner:
            inner()
        assert gc.isenabled()
        assert gc.get_freeze_count() == 0
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0


class _Node:
    """A cycle (it refers to itself): only the cyclic collector frees it."""

    def __init__(self) -> None:
        self.me = self


def test_staggered_runs_do_not_keep_their_garbage_frozen() -> None:
    """Daemon dealers whose runs overlap without pause (one starts before the other
    ends): a cycle an ended run built is collected, not frozen for as long as they do."""
    current = collector.spared()
    current.__enter__()()
    first: weakref.ref[_Node] | None = None
    for _ in range(3):
        following = collector.spared()
        settle = following.__enter__()
        node = _Node()
        first = first or weakref.ref(node)
        del node  # garbage of the run that is ending, frozen by the next one's settle
        settle()
        current.__exit__(None, None, None)
        current = following
    gc.collect()
    try:
        assert first is not None
        assert first() is None
    finally:
        current.__exit__(None, None, None)


def test_a_pause_beside_a_frozen_run_keeps_that_run_frozen() -> None:
    """A feed read (a pause) that ends while another run's build is frozen does not thaw
    it: what the pause made joins the frozen set; the run's end unfreezes all."""
    with collector.spared() as settle:
        built = [{"n": i} for i in range(1000)]
        settle()
        frozen = gc.get_freeze_count()
        assert frozen >= len(built)
        with collector.paused():
            more = [[i] for i in range(100)]  # lists: always tracked by the collector
        assert gc.isenabled()
        assert gc.get_freeze_count() >= frozen + len(more)
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0
