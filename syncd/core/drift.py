"""Core: drift: where the mirror and the API's listing of a dealer disagree on an ad's state.

Pure: no I/O here. ``syncd audit`` (and the daemon's audit job) lists every ad of
a dealer in both states and compares the listing with the mirror's rows. One
:class:`Drift` per ad that disagrees, of one of these kinds:

* ``deleted_outside``: live in the mirror, deleted in the API (another client, a
  ``curl -X DELETE``): recorded deleted, so status says so, and the next run's
  plan revives it if the feed still lists it;
* ``not_listed``: live in the mirror, absent from the API's listing in both
  states: recorded as not held by the API (as ``syncd adopt`` records it), so the
  next run creates it again if the feed still lists it;
* ``live_outside``: deleted in the mirror, live in the API (revived or posted
  again by another client): recorded live with the API's fields, so the next run
  PATCHes it to the feed's item or deletes it (behind the guards) when the feed no
  longer lists it;
* ``unknown_to_mirror``: listed by the API, not known to the mirror (no row, or a
  row that never reached the API): reported only. Assumption: without the feed
  the audit cannot tell the dealer's ad from another integration's, and recording
  it would have the next run delete it when the feed lacks it: ``syncd adopt``
  (which reads the feed) is the way to take it over.

Rows with a call in flight (SENT) or an intent (INTENT) are left alone: their
outcome is still being reconciled (or read back), and the listing may show the
state from before the call.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from syncd.core.models import MirrorAd, RemoteAd, RemoteState, Stage

DRIFT_KINDS = ("deleted_outside", "not_listed", "live_outside", "unknown_to_mirror")
RECORDED_KINDS = frozenset({"deleted_outside", "not_listed", "live_outside"})
"""The kinds the audit writes into the mirror (``unknown_to_mirror`` is reported only)."""

_UNSETTLED = (Stage.INTENT, Stage.SENT)


@dataclass(frozen=True, slots=True)
class Drift:
    """One ad whose state the mirror and the API disagree on; ``remote``: the API's ad
    (None when the API does not list it); ``recorded``: the audit writes it."""

    source_id: str
    kind: str
    remote: RemoteAd | None = None
    recorded: bool = False


@dataclass(frozen=True, slots=True)
class Findings:
    """What one audit of a dealer found: the drifts (by source_id), how many rows were
    left alone for their call in flight or intent, how many ads the API listed."""

    drifts: tuple[Drift, ...]
    unsettled: int
    listed: int

    @property
    def counts(self) -> dict[str, int]:
        """How many drifts of each kind (every kind present)."""
        tally = dict.fromkeys(DRIFT_KINDS, 0)
        for drift in self.drifts:
            tally[drift.kind] += 1
        return tally


def listed_by_id(remote: Sequence[RemoteAd]) -> dict[str, RemoteAd]:
    """The API's ads by source_id; a live ad wins over a deleted one of the same
    source_id (a deleted ad is not moved: its source_id may be POSTed again)."""
    found: dict[str, RemoteAd] = {}
    for ad in remote:
        known = found.get(ad.source_id)
        if known is None or (known.state is RemoteState.DELETED and ad.state is _LIVE):
            found[ad.source_id] = ad
    return found


_LIVE = RemoteState.CREATED


def audit(mirror: Mapping[str, MirrorAd], remote: Sequence[RemoteAd]) -> Findings:
    """The drifts between the mirror's rows and the API's listing of one dealer.

    Assumption: an empty listing (no ad in either state) while the mirror holds live
    ads is more likely a wrong scope or a fault of the API than every ad gone at once:
    its ``not_listed`` drifts are reported, not recorded (recording them would have
    the next run POST the dealer's whole stock again)."""
    listed = listed_by_id(remote)
    drifts: list[Drift] = []
    unsettled = 0
    for source_id in sorted(mirror):
        row = mirror[source_id]
        if row.stage in _UNSETTLED:
            unsettled += 1
            continue
        drift = _of_row(row, listed.get(source_id), trust_absence=bool(listed))
        if drift is not None:
            drifts.append(drift)
    for source_id in sorted(listed.keys() - mirror.keys()):
        drifts.append(Drift(source_id, "unknown_to_mirror", listed[source_id]))
    drifts.sort(key=lambda d: d.source_id)
    return Findings(tuple(drifts), unsettled, len(listed))


def _of_row(row: MirrorAd, ad: RemoteAd | None, *, trust_absence: bool) -> Drift | None:
    """The drift of one settled mirror row from the API's ad (None: they agree)."""
    sid = row.source_id
    if row.remote_state is _LIVE:
        if ad is None:
            return Drift(sid, "not_listed", None, recorded=trust_absence)
        if ad.state is RemoteState.DELETED:
            return Drift(sid, "deleted_outside", ad, recorded=True)
        return None
    if ad is None or ad.state is not _LIVE:
        return None  # deleted (or never held) on both sides, or unknown to the API
    if row.remote_state is RemoteState.DELETED:
        return Drift(sid, "live_outside", ad, recorded=True)
    return Drift(sid, "unknown_to_mirror", ad)
