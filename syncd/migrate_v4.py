"""Use case: migrate-v4: v3 ads that v4 cannot update, converted in place (``syncd migrate-v4``).

For each dealer: the feed is read and validated as v4, every live ad the API lists
is checked for ``api_version`` v3 in a blocked category (``core/v4_migration.py``),
and each one the feed has a valid item for is sent, whole, to
``POST /v4/ad/{source_id}/migrate``; the others are reported (not in the feed, or
invalid with the feed's reasons) and left as they are. Each call is recorded as
intended before it is sent and reconciled from the action log afterwards, like a
run's (under the dealer's run lock). ``dry_run`` lists the same, sends nothing.

Assumption: the mirror records a migration as an update (``last_op`` update)
carrying the whole v4 payload: it is what the API then holds, so the next run diffs
the feed against it, and its action chain (update, handle_media, publish) is an
update's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import structlog

from syncd.core.contacts import mask, masked
from syncd.core.models import (
    Accepted,
    RemoteState,
    Stage,
    Update,
    ValidatedFeed,
)
from syncd.core.v4_migration import Migration, migrations
from syncd.execute import item_failure, stops_the_run
from syncd.ports import Catalog, Clock, Marketplace, Migrator, Mirror
from syncd.runs import Deps, RunOptions
from syncd.settling import reconcile
from syncd.terminal import printable

log = structlog.get_logger("syncd.migrate_v4")


@dataclass(frozen=True, slots=True)
class MigrateDeps:
    """The ports ``migrate-v4`` needs (``catalog``, ``marketplace`` and ``migrator`` are
    one client in production)."""

    mirror: Mirror
    catalog: Catalog
    marketplace: Marketplace
    migrator: Migrator
    clock: Clock


@dataclass(slots=True)
class MigratedAd:
    """What became of one ad: ``would_migrate``, ``migrated`` (the log says done),
    ``processing``, ``error``/``rejected`` (with the API's message), ``not_in_feed``,
    ``invalid``."""

    source_id: str
    category_id: int | None
    result: str
    message: str | None = None


@dataclass(slots=True)
class MigrateReport:
    """What ``migrate-v4`` found and did for one dealer."""

    dealer_code: str
    dry_run: bool
    ads: list[MigratedAd] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        """How many ads ended each way."""
        counts: dict[str, int] = {}
        for ad in self.ads:
            counts[ad.result] = counts.get(ad.result, 0) + 1
        return counts

    @property
    def failed(self) -> bool:
        """Some ad was not migrated (the exit code says so)."""
        return any(a.result not in ("migrated", "would_migrate", "processing") for a in self.ads)


async def migrate(
    deps: MigrateDeps, feed: ValidatedFeed, options: RunOptions, *, dry_run: bool
) -> MigrateReport:
    """Find the dealer's blocked v3 ads and (unless ``dry_run``) migrate those the feed has."""
    dealer = feed.dealer_code
    remotes = await deps.catalog.list_ads(dealer, RemoteState.CREATED)
    found = migrations(remotes, feed.items, feed.invalid)
    report = MigrateReport(dealer, dry_run)
    sent: list[Migration] = []
    for m in found:
        if m.kind == "migrate" and dry_run:
            report.ads.append(MigratedAd(m.source_id, m.category_id, "would_migrate"))
        elif m.kind == "migrate":
            sent.append(m)
        else:
            why = "; ".join(str(i) for i in m.issues) if m.issues else "not in the feed"
            report.ads.append(MigratedAd(m.source_id, m.category_id, m.kind, why))
    failed: dict[str, str] = {}
    for m in sent:
        try:
            await _send(deps, dealer, m)
        except Exception as exc:
            # One ad's unexpected failure is that ad's (its intent stays: the next run
            # reads the ad back); the API or the mirror down, or the token refused,
            # would fail every other call alike: that stops the command.
            if stops_the_run(exc):
                raise
            failed[m.source_id] = item_failure(exc)
            log.error("ad_migrate_failed", source_id=m.source_id, message=failed[m.source_id])
    answered = [m for m in sent if m.source_id not in failed]
    if answered:
        await reconcile(Deps(deps.mirror, deps.marketplace, deps.clock), dealer, options)
        report.ads.extend(_settled(deps.mirror, dealer, m) for m in answered)
    report.ads.extend(
        MigratedAd(m.source_id, m.category_id, "error", failed[m.source_id])
        for m in sent
        if m.source_id in failed
    )
    report.ads.sort(key=lambda a: a.source_id)
    log.info("migrate_v4_finished", dealer_code=dealer, dry_run=dry_run, **report.counts)
    return report


def _as_update(dealer: str, m: Migration) -> Update:
    assert m.item is not None  # a "migrate" migration carries its feed item
    item = m.item
    return Update(
        dealer,
        item.source_id,
        item.category_id,
        changes=item.payload,
        payload=item.payload,
        payload_hash=item.payload_hash,
        origin=item.origin,
    )


async def _send(deps: MigrateDeps, dealer: str, m: Migration) -> None:
    """Intent, the call, then what the API answered, as the executor records a write."""
    update = _as_update(dealer, m)
    deps.mirror.record_intent(update, deps.clock.now())
    result = await deps.migrator.migrate(dealer, update.source_id, update.payload)
    if isinstance(result, Accepted):
        deps.mirror.record_accepted(update, result, deps.clock.now())
        log.info("ad_migrate_sent", source_id=update.source_id, request_id=result.request_id)
        return
    # The refusal is recorded as it comes, before the read-back below: a stop cancelling
    # that read (or a crash) keeps the API's words on the row, for `status` and the next
    # run, instead of an INTENT whose message is lost. Assumption: REJECTED rather than
    # INTENT is safe here: a migration is no create (never duplicated by a re-send), and
    # the row's payload is untouched, so the next run plans its change again.
    deps.mirror.record_rejected(update, result, deps.clock.now())
    # A refusal after a lost answer may mean the migration went through: read it back.
    remote = await deps.catalog.get(dealer, update.source_id)
    if remote is not None and (remote.api_version or "").lower() == "v4":
        deps.mirror.record_accepted(update, Accepted(200, None, remote), deps.clock.now())
        log.info("ad_found_migrated", source_id=update.source_id)
        return
    log.warning("ad_migrate_rejected", source_id=update.source_id, message=result.message)


_RESULTS = {
    Stage.DONE: "migrated",
    Stage.SENT: "processing",
    Stage.ERROR: "error",
    Stage.REJECTED: "rejected",
}


def _settled(mirror: Mirror, dealer: str, m: Migration) -> MigratedAd:
    row = mirror.get(dealer, m.source_id)
    stage = row.stage if row is not None else None
    result = _RESULTS.get(stage, "error") if stage is not None else "error"
    message = row.message if row is not None else None
    return MigratedAd(m.source_id, m.category_id, result, message)


def migrate_json(report: MigrateReport) -> dict[str, Any]:
    """One dealer's migration as ``migrate-v4 --json`` prints it (no payloads; contact data
    in the API's messages and the feed's reasons masked, as ``syncd status`` masks them)."""
    return {
        "dealer_code": report.dealer_code,
        "dry_run": report.dry_run,
        "counts": report.counts,
        "ads": [
            {
                "source_id": a.source_id,
                "category_id": a.category_id,
                "result": a.result,
                "message": masked(a.message),
            }
            for a in report.ads
        ],
    }


_SAYS = {
    "would_migrate": "would be migrated with the feed's v4 payload",
    "migrated": "migrated to v4",
    "processing": "migration sent; still processing (`syncd status` follows it)",
    "error": "migration failed",
    "rejected": "migration refused by the API",
    "not_in_feed": "not migrated: not in the feed (a complete v4 payload is required)",
    "invalid": "not migrated: the feed's item is invalid",
}


def migrate_lines(report: MigrateReport) -> list[str]:
    """The lines ``migrate-v4`` prints for one dealer (messages masked, ids whole)."""
    dealer = printable(report.dealer_code or "(token dealer)")
    shown = ", ".join(f"{k} {v}" for k, v in sorted(report.counts.items())) or "none found"
    lines = [f"dealer {dealer}: v3 ads v4 cannot update: {len(report.ads)} ({shown})"]
    for a in report.ads:
        why = f": {printable(mask(a.message), 500)}" if a.message else ""
        lines.append(f"  {printable(a.source_id)}: {_SAYS[a.result]}{why}")
    if report.dry_run:
        lines.append("  dry run: nothing was sent")
    return lines
