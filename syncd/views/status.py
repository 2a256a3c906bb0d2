"""Use cases: what ``syncd status`` shows: ads per state, the last runs, the failing ads,
the invalid items of each dealer's latest run, and the deletes a guard holds back.

No I/O: these functions turn values into JSON-ready dicts (the rich tables are in
:mod:`syncd.tables`). A failing ad's last message, an invalid item's reason, a run's
note and why deletes are held back may quote contact data the API or the validation
refused: e-mail addresses and phone numbers in them are masked
(:func:`syncd.core.contacts.masked`), as the status page masks them; ids are shown whole.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from syncd.core.contacts import masked
from syncd.core.models import MirrorAd, RunSummary
from syncd.release import Withheld
from syncd.views.reports import problem_json, run_json


def status_json(
    counts: Mapping[str, int],
    runs: Sequence[RunSummary],
    failing: Sequence[MirrorAd],
    latest: Sequence[RunSummary],
) -> dict[str, Any]:
    """``status --json``: ads per state, the last runs, the failing ads, and the invalid
    items of each dealer's latest finished run (``latest``), each with dealer_code and
    run_id; ``invalid_omitted`` names the runs that recorded only part of theirs."""
    return {
        "ads": dict(counts),
        "runs": [run_json(r) for r in runs],
        "failing": [failing_json(a) for a in failing],
        "invalid": [
            {"dealer_code": r.dealer_code, "run_id": r.run_id, **problem_json(p)}
            for r in latest
            for p in r.invalid
        ],
        "invalid_omitted": [
            {"dealer_code": r.dealer_code, "run_id": r.run_id, "omitted": r.invalid_omitted}
            for r in latest
            if r.invalid_omitted
        ],
    }


def failing_json(ad: MirrorAd) -> dict[str, Any]:
    """A failing ad as JSON (no payload: it holds the seller's contact data; the same
    masked in its message)."""
    return {
        "dealer_code": ad.dealer_code,
        "source_id": ad.source_id,
        "op": str(ad.last_op) if ad.last_op else None,
        "stage": str(ad.stage) if ad.stage else None,
        "message": masked(ad.message),
        "updated_at": ad.updated_at.isoformat() if ad.updated_at else None,
    }


def withheld_json(withheld: Withheld | None, dealer_code: str, error: str | None) -> dict[str, Any]:
    """The deletes a guard holds back for one dealer now (or why they are unknown: a feed's
    error may quote a cell, masked)."""
    if withheld is None:
        return {"dealer_code": dealer_code, "guard": None, "source_ids": [], "error": masked(error)}
    return {
        "dealer_code": withheld.dealer_code,
        "guard": masked(withheld.guard),
        "source_ids": withheld.source_ids,
        "error": None,
    }
