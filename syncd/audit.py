"""Use case: audit: find the ads whose state changed behind syncd's back, and record it.

An ad deleted through the API by another client (a ``curl -X DELETE``) while the
feed is unchanged stayed live in the mirror: a run with nothing to send sends no
request, so nothing noticed. ``audit`` lists every ad of the dealer in both states
(the same ``Catalog`` reads as ``syncd adopt``, through the client's throttle),
compares the listing with the mirror (``core/drift.py``) and records each drift so
that ``syncd status`` and the daemon's status page say what is live:

* ``deleted_outside``: recorded deleted (stage done) with :data:`DELETED_OUTSIDE` as
  its message and the ad's log entries. Assumption: the feed is the dealer's whole
  stock (as the FTP import it replaces was), so the next run's plan revives an ad
  the feed still lists, as it revives any deleted ad;
* ``not_listed``: recorded as not held by the API (as ``adopt`` records it), with
  :data:`NOT_LISTED`: the next run creates it again from the feed (a 409 there is
  compared with the feed, as after any lost answer);
* ``live_outside``: recorded live with the API's fields and log (``adopt``'s
  ``not_in_feed``): the next run PATCHes the fields that differ from the feed, or
  deletes it (behind the guards) when the feed no longer lists it;
* ``unknown_to_mirror``: reported only (``syncd adopt`` takes them over).

A feed naming no dealer whose listing holds several dealers' ads (a dealer group's
token) is a ConfigError before anything is recorded (:func:`_one_dealer`).

``dry_run`` writes nothing and reports the same. The recording has no await in it:
a stop (SIGTERM) cancels the listing (a read: nothing lost), never a half-recorded
audit. The caller holds the dealer's run lock.

Limitation (seed 000): changes made in Blocket Admin are not reflected in the API,
so an ad deleted there is still listed live and no audit can see it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import structlog

from syncd.core import drift as core
from syncd.core.adopt import adoption_of
from syncd.core.drift import Drift, Findings
from syncd.core.models import Outcome, RemoteAd, RemoteState, Stage
from syncd.errors import ConfigError
from syncd.ports import Catalog, Clock, Mirror
from syncd.settling import record_adoption
from syncd.terminal import printable

log = structlog.get_logger("syncd.audit")

DELETED_OUTSIDE = (
    "deleted outside syncd (found by syncd audit); the next run puts it back if the feed "
    "still lists it (the feed is taken as the dealer's whole stock)"
)
NOT_LISTED = (
    "the API no longer lists this ad (found by syncd audit); the next run creates it "
    "again if the feed still lists it"
)
BLOCKET_ADMIN = (
    "the API does not reflect changes made in Blocket Admin: an ad deleted there is "
    "still listed live, so no audit can find it"
)


@dataclass(frozen=True, slots=True)
class AuditReport:
    """What ``audit`` found for one dealer, and whether it wrote it."""

    dealer_code: str
    dry_run: bool
    findings: Findings

    @property
    def counts(self) -> dict[str, int]:
        """How many drifts of each kind."""
        return self.findings.counts

    @property
    def recorded(self) -> int:
        """How many drifts were (or, in a dry run, would be) written to the mirror."""
        return sum(1 for d in self.findings.drifts if d.recorded)


async def audit(
    mirror: Mirror, catalog: Catalog, clock: Clock, dealer_code: str, *, dry_run: bool
) -> AuditReport:
    """List the dealer's ads in both states, decide the drifts, and (unless ``dry_run``)
    record them."""
    remote = []
    for state in (RemoteState.CREATED, RemoteState.DELETED):
        remote += await catalog.list_ads(dealer_code, state)
    if not dealer_code:
        _one_dealer(remote)
    # Read after the listing, under the run lock: no run changes these rows meanwhile.
    findings = core.audit(mirror.load_states(dealer_code), remote)
    report = AuditReport(dealer_code, dry_run, findings)
    for found in findings.drifts:
        _log_drift(dealer_code, found, dry_run=dry_run)
        if found.recorded and not dry_run:
            _record(mirror, clock, dealer_code, found)
    if findings.listed == 0 and findings.counts["not_listed"]:
        log.warning("audit_listing_empty", dealer_code=dealer_code, live_rows_kept=True)
    log.info(
        "audit_finished",
        dealer_code=dealer_code,
        dry_run=dry_run,
        listed=findings.listed,
        unsettled=findings.unsettled,
        **report.counts,
    )
    return report


def _one_dealer(remote: list[RemoteAd]) -> None:
    """Raise ConfigError when the listing of a feed naming no dealer holds several
    dealers' ads: the token is a dealer group's, which lists every dealer of the group.

    Assumption: the audit cannot tell the feed's ads from the other dealers' (the same
    source_id may be live for one, deleted for another), and recording one as the feed's
    would have the next run update or delete another dealer's ad; a run of such a feed
    already stops at its first create (CallRefusedByConfig), so nothing is recorded and
    the fix is named as there."""
    dealers = sorted({ad.dealer_code for ad in remote if ad.dealer_code})
    if len(dealers) > 1:
        raise ConfigError(
            f"audit: the API listed the ads of several dealers ({', '.join(dealers)}) for a "
            "feed that names no dealer: the token is a dealer group's; set the feed's "
            "dealer_code (one dealer) or dealer_codes (a dealer-group file) in the config; "
            "nothing was recorded",
            ids=tuple(dealers),
        )


def _record(mirror: Mirror, clock: Clock, dealer: str, found: Drift) -> None:
    """Write one drift into the mirror (see the module docstring)."""
    remote = found.remote
    if found.kind == "live_outside" and remote is not None:
        record_adoption(mirror, dealer, adoption_of(remote, None), clock)
        return
    if found.kind == "deleted_outside" and remote is not None:
        outcome = Outcome(
            dealer,
            found.source_id,
            Stage.DONE,
            RemoteState.DELETED,
            DELETED_OUTSIDE,
            remote.remote_id,
            remote.blocket_ad_id,
            remote.blocket_store_id,
            remote.offer_id,
            remote.logs,
        )
    else:  # not_listed
        outcome = Outcome(
            dealer, found.source_id, Stage.DONE, None, NOT_LISTED, remote_unknown=True
        )
    mirror.record_outcome(outcome, clock.now())


_EVENTS = {
    "deleted_outside": "ad_deleted_outside",
    "not_listed": "ad_not_listed",
    "live_outside": "ad_live_outside",
    "unknown_to_mirror": "ad_unknown_to_mirror",
}
_NEXT = {
    "deleted_outside": "the next run revives it if the feed still lists it (feed = whole stock)",
    "not_listed": "the next run creates it again if the feed still lists it",
    "live_outside": "the next run updates it to the feed, or deletes it if the feed lacks it",
    "unknown_to_mirror": "not recorded: syncd adopt takes it over",
}


def _next(found: Drift) -> str:
    """What becomes of a drifted ad (the log's ``next_run``, the printed line)."""
    if found.recorded or found.kind == "unknown_to_mirror":
        return _NEXT[found.kind]
    return "not recorded: the API listed no ad at all for this dealer"


def _log_drift(dealer: str, found: Drift, *, dry_run: bool) -> None:
    log.warning(
        _EVENTS[found.kind],
        dealer_code=dealer,
        source_id=found.source_id,
        recorded=found.recorded and not dry_run,
        next_run=_next(found),
    )


def audit_json(report: AuditReport) -> dict[str, Any]:
    """One dealer's audit as ``audit --json`` prints it."""
    return {
        "dealer_code": report.dealer_code,
        "dry_run": report.dry_run,
        "listed": report.findings.listed,
        "unsettled": report.findings.unsettled,
        "counts": report.counts,
        "ads": [
            {
                "source_id": d.source_id,
                "kind": d.kind,
                "recorded": d.recorded and not report.dry_run,
            }
            for d in report.findings.drifts
        ],
        "note": BLOCKET_ADMIN,
    }


_SAYS = {
    "deleted_outside": "live in the mirror, deleted in the API",
    "not_listed": "live in the mirror, not listed by the API",
    "live_outside": "deleted in the mirror, live in the API",
    "unknown_to_mirror": "listed by the API, unknown to the mirror",
}


def audit_lines(report: AuditReport) -> list[str]:
    """The lines ``audit`` prints for one dealer: counts, each drifted ad, the note."""
    dealer = printable(report.dealer_code or "(token dealer)")
    shown = ", ".join(f"{k} {v}" for k, v in report.counts.items() if v) or "no drift"
    verb = "would record" if report.dry_run else "recorded"
    lines = [
        f"dealer {dealer}: {report.findings.listed} ads listed, {shown}; "
        f"{verb} {report.recorded}, {report.findings.unsettled} with a call in flight left alone"
    ]
    for d in report.findings.drifts:
        lines.append(f"  {printable(d.source_id)}: {_SAYS[d.kind]}; {_next(d)}")
    if report.dry_run:
        lines.append("  dry run: nothing was written")
    lines.append(f"note: {BLOCKET_ADMIN}")
    return lines
