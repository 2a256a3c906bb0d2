"""The cyclic collector is paused while a feed's items are built, and resumed after."""

from __future__ import annotations

import asyncio
import gc
import threading
from pathlib import Path

import pytest

from bench.feeds import write
from syncd import bootstrap, config, service
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


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "xml", "xlsx"])
def test_reading_a_feed_makes_no_reference_cycle_per_record(fmt: str, tmp_path: Path):
    """The pause is safe only if reading, mapping and validating leave nothing for the
    collector: 300 records read with it off leave a handful of cycles, not one a record."""
    path = tmp_path / f"feed.{fmt}"
    feed = write(fmt, 300, path)
    settings = config.parse(
        {"feeds": [{"path": str(path), "settle_seconds": 0, **feed}]}, source="test"
    )
    (job,) = bootstrap.feed_jobs(settings)
    gc.collect()
    gc.disable()
    try:
        raw, validated = asyncio.run(service.read_feed(job, api_version=4))
        assert len(validated.items) == 300
        del raw, validated
        assert gc.collect() < 100
    finally:
        gc.enable()
