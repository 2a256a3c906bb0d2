"""The collector is off while a run builds, frozen once it has built, and all back after."""

from __future__ import annotations

import gc
import weakref

import pytest

from syncd.gather import collector_spared


def test_the_collector_is_off_then_frozen_then_back() -> None:
    """Off inside, on again once settled with what was built frozen; unfrozen at the end."""
    assert gc.isenabled()
    with collector_spared() as settle:
        assert not gc.isenabled()
        built = [{"n": i} for i in range(1000)]
        settle()
        assert gc.isenabled()
        assert gc.get_freeze_count() >= len(built)
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0


def test_a_run_that_fails_before_settling_turns_the_collector_back_on() -> None:
    """An exception while building leaves the collector as it found it."""
    with pytest.raises(RuntimeError), collector_spared():
        raise RuntimeError
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0


def test_nested_runs_leave_nothing_frozen_once_one_ends() -> None:
    """Two runs at once (the daemon): the first to end unfreezes (what it froze may be
    garbage now); the collector stays on and nothing stays frozen after the last."""
    with collector_spared() as outer:
        outer()
        with collector_spared() as inner:
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
    current = collector_spared()
    current.__enter__()()
    first: weakref.ref[_Node] | None = None
    for _ in range(3):
        following = collector_spared()
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
