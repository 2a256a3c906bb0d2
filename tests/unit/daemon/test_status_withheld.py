"""The status page's withheld deletes: computed on a worker thread, once, never holding the page."""

from __future__ import annotations

import asyncio
import secrets
import threading
from datetime import UTC, datetime

from syncd.core.models import FeedMeta, Origin, RawFeed, RawRecord
from syncd.daemon.status import HeldBackCache
from syncd.errors import FeedError
from syncd.logs import REDACTOR
from syncd.runs import FeedJob, RunOptions
from tests.fakes import FakeMirror

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
SOFA = {
    "source_id": "sofa-1",
    "category_id": 2048,
    "title": "Soffa",
    "body": "Hel och ren.",
    "price": [{"type": "list", "amount": 1000}],
    "location": {"zipcode": "11122"},
}


class GatedReader:
    """A feed reader that answers only once the test opens its gate; counts its reads."""

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.reads = 0

    async def read(self, path: str) -> RawFeed:
        self.reads += 1
        assert await asyncio.to_thread(self.gate.wait, 60), "the test never opened the gate"
        meta = FeedMeta(path, "c", 1, NOW)
        return RawFeed(meta, (RawRecord(Origin(path, index=0), SOFA),))

    def changed(self, meta: FeedMeta) -> str | None:
        return None


def test_a_slow_feed_says_still_being_computed_then_its_result_is_kept() -> None:
    """The page does not wait past the timeout; a later page gets the set, read once."""
    reader = GatedReader()
    job = FeedJob("/nonexistent/feed.json", "D1", reader)
    cache = HeldBackCache(timeout=0.01)
    mirror = FakeMirror()
    pending = cache.get(job, mirror, RunOptions(), NOW)
    assert pending.error is not None
    assert pending.error.startswith("still being computed")
    reader.gate.set()
    cache.timeout = 60  # the same computation, waited for this time
    done = cache.get(job, mirror, RunOptions(), NOW)
    assert (done.dealer_code, done.guard, done.source_ids, done.error) == ("D1", None, (), None)
    assert cache.get(job, mirror, RunOptions(), NOW) is done
    assert reader.reads == 1


class FailingReader:
    """A feed reader whose error quotes a secret (a path holding the token, say)."""

    def __init__(self, message: str) -> None:
        self.message = message

    async def read(self, path: str) -> RawFeed:
        raise FeedError(self.message)

    def changed(self, meta: FeedMeta) -> str | None:
        return None


def test_an_unreadable_feed_is_shown_without_the_secrets_the_redactor_knows() -> None:
    """The page's reason for a feed it cannot read is redacted as the error line is."""
    secret = "tok-" + secrets.token_urlsafe(24)
    REDACTOR.add(secret)
    job = FeedJob("/f.json", "D1", FailingReader(f"/srv/{secret}/f.json: feed file not found"))
    held = HeldBackCache(timeout=60).get(job, FakeMirror(), RunOptions(), NOW)
    assert held.error is not None
    assert held.error.startswith("feed unreadable: /srv/[REDACTED]/f.json")
    assert secret not in held.error
