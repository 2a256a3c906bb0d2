"""Reading a feed makes no reference cycle per record (the collector is paused meanwhile)."""

from __future__ import annotations

import asyncio
import gc
from pathlib import Path

import pytest

from bench.feeds import write
from syncd import bootstrap, config, service


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
