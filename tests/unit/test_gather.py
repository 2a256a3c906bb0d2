"""The collector is off while a run builds, frozen once it has built, and all back after."""

from __future__ import annotations

import gc

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


def test_nested_runs_unfreeze_only_when_the_last_ends() -> None:
    """Two runs at once (the daemon): the first to end leaves the other's heap frozen."""
    with collector_spared() as outer:
        outer()
        with collector_spared() as inner:
            inner()
        assert gc.get_freeze_count() > 0
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0
