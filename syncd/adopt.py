"""Use case: adopt: build or repair the mirror from what the API holds (``syncd adopt``).

The answer to "the mirror was lost": every ad the API lists for the dealer (both
states, with their logs) is compared with the feed (``core/adopt.py``) and
recorded, so that right after it a plan on the unchanged feed shows no change and
a run sends nothing; where the API holds other values than the feed, the next run
PATCHes only those fields. ``dry_run`` writes nothing and reports the same.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import structlog

from syncd.core import adopt as core
from syncd.core.adopt import Adoption
from syncd.core.models import (
    FeedItem,
    RemoteState,
    ValidatedFeed,
)
from syncd.ports import Catalog, Clock, Mirror, Progress, progress_task
from syncd.settling import record_adoption
from syncd.terminal import printable

log = structlog.get_logger("syncd.adopt")

API_ONLY_KNOWS = (
    "the API only knows what was written through the API: ads made in Blocket Admin or "
    "by the old FTP import are not listed, so they are not adopted"
)


RECORD_BATCH = 100
"""Ads recorded between two progress updates."""


@dataclass(slots=True)
class AdoptReport:
    """What ``adopt`` found for one dealer, and whether it wrote it."""

    dealer_code: str
    dry_run: bool
    adoptions: list[Adoption] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        """How many ads of each adoption kind."""
        return core.counts(self.adoptions)


async def adopt(
    mirror: Mirror,
    catalog: Catalog,
    clock: Clock,
    feed: ValidatedFeed,
    *,
    dry_run: bool,
    progress: Progress | None = None,
) -> AdoptReport:
    """List every ad of the feed's dealer, decide, and (unless ``dry_run``) record.

    ``progress`` counts the ads listed (per state) and recorded (per batch)."""
    dealer = feed.dealer_code
    remote = []
    for state in (RemoteState.CREATED, RemoteState.DELETED):
        remote += await catalog.list_ads(dealer, state)
        if progress is not None:
            progress.update(progress_task("ads listed", dealer), len(remote))
    items: dict[str, FeedItem] = {item.source_id: item for item in feed.items}
    report = AdoptReport(dealer, dry_run, core.adoptions(remote, items, mirror.load(dealer)))
    if not dry_run:
        total = len(report.adoptions)
        for n, adoption in enumerate(report.adoptions, 1):
            record_adoption(mirror, dealer, adoption, clock)
            if progress is not None and (n % RECORD_BATCH == 0 or n == total):
                progress.update(progress_task("ads recorded", dealer), n, total)
    log.info("adopt_finished", dealer_code=dealer, dry_run=dry_run, **report.counts)
    return report


def adopt_json(report: AdoptReport) -> dict[str, Any]:
    """One dealer's adoption as ``adopt --json`` prints it (no payloads: contact data)."""
    return {
        "dealer_code": report.dealer_code,
        "dry_run": report.dry_run,
        "counts": report.counts,
        "ads": [
            {
                "source_id": a.source_id,
                "kind": a.kind,
                "state": str(a.remote.state) if a.remote else None,
                "changes": list(a.changes),
            }
            for a in report.adoptions
        ],
        "note": API_ONLY_KNOWS,
    }


_SAYS = {
    "same": "as in the feed",
    "differs": "differs from the feed; the next run PATCHes",
    "not_in_feed": "not in the feed; the next run deletes it (behind the guards)",
    "deleted": "deleted in the API",
    "unknown_to_api": "in the mirror, not in the API; the next run creates it",
}


def adopt_lines(report: AdoptReport) -> list[str]:
    """The lines ``adopt`` prints for one dealer: counts, each ad not as in the feed, the note."""
    verb = "would adopt" if report.dry_run else "adopted"
    dealer = printable(report.dealer_code or "(token dealer)")
    shown = ", ".join(f"{k} {v}" for k, v in report.counts.items() if v) or "nothing"
    lines = [f"dealer {dealer}: {verb} {len(report.adoptions)} ads ({shown})"]
    for a in report.adoptions:
        if a.kind != "same":
            fields = f": {', '.join(a.changes)}" if a.changes else ""
            lines.append(f"  {printable(a.source_id)}: {_SAYS[a.kind]}{printable(fields, 500)}")
    if report.dry_run:
        lines.append("  dry run: nothing was written")
    lines.append(f"note: {API_ONLY_KNOWS}")
    return lines
