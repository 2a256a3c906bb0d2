"""A lost mirror is cheap to recover: one POST (answered 409) and one read-back per ad.

The ads are live; the mirror file is deleted; the next run finds each ad by the
409 on its POST, reads it back once, and PATCHes only what differs from the feed.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from tests.integration.harness import Harness, assert_mirror_agrees, goods
from tests.integration.sandbox_server import InProcessSandbox


def test_a_run_after_the_mirror_was_deleted_adopts_every_ad_and_patches_only_changes(
    tmp_path: Path,
) -> None:
    """After the mirror file is lost, each ad costs at most one POST and one GET, only the
    changed ad is PATCHed (with only its changed field), and the counts say adopted."""
    database = tmp_path / "mirror.db"
    h = Harness(tmp_path, f"sqlite:///{database}", InProcessSandbox(0.01))
    feed = [goods(i) for i in range(6)]
    h.write(feed)
    assert h.run().outcome == "success"
    database.unlink()
    feed[0]["title"] = "Soffa, nyklädd"
    h.write(feed)
    h.sandbox.clear_journal()
    report = h.run()
    calls = Counter(
        (e["method"], e["source_id"]) for e in h.sandbox.journal() if e["source_id"] is not None
    )
    for ad in feed:
        sid = ad["source_id"]
        assert calls[("POST", sid)] <= 1, calls
        assert calls[("GET", sid)] <= 1, calls
    assert [k for k in calls if k[0] in ("PATCH", "PUT", "DELETE")] == [("PATCH", "sofa-0")]
    assert h.sandbox.ads()[("D1", "sofa-0")]["title"] == "Soffa, nyklädd"
    assert report.outcome == "success", report.problems
    counts = report.counts
    assert (counts["adopted"], counts["update"], counts["unchanged"], counts["create"]) == (
        6,
        1,
        5,
        0,
    )
    assert counts["sent"] == 1
    assert_mirror_agrees(h, feed)
