"""The cyclic collector is paused while a feed's items are built, and resumed after."""

from __future__ import annotations

import gc
import threading

import pytest

from syncd.feeds.gc_pause import collector_paused


def test_the_collector_is_off_inside_and_on_again_after():
    """A pause turns the collector off; its end turns it back on."""
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_nested_and_overlapping_pauses_resume_at_the_last_end():
    """A pause inside a pause, or one in another thread, does not resume it early."""
    inside, release = threading.Event(), threading.Event()

    def other_feed() -> None:
        with collector_paused():
            inside.set()
            assert release.wait(60)

    with collector_paused():
        thread = threading.Thread(target=other_feed)
        thread.start()
        assert inside.wait(60)
        with collector_paused():
            pass
        assert not gc.isenabled()
    assert not gc.isenabled()  # the other thread's pause is still on
    release.set()
    thread.join(60)
    assert gc.isenabled()


def test_an_error_inside_still_resumes_it():
    """The collector comes back however the block ends."""
    with pytest.raises(ValueError, match="boom"), collector_paused():
        raise ValueError("boom")
    assert gc.isenabled()


def test_a_collector_switched_off_before_stays_off():
    """Only a collector that was running is resumed."""
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
