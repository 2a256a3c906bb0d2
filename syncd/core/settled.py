"""Core: the failed rows a run settles without sending anything, read off its plan.

Pure: no I/O here. A row whose last call the API refused or failed is settled once the
feed takes the change back (:func:`withdrawn`) or once its item has left the feed while
the API holds no live ad for it (:func:`gone_failures`); ``runs.clear_withdrawn`` and
``runs.clear_gone_failures`` record them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from syncd.core.models import MirrorAd, Plan, Stage, Unchanged


def withdrawn(plan: Plan, states: Mapping[str, MirrorAd]) -> list[str]:
    """The live ads whose last PATCH the API refused (REJECTED), or whose last update
    failed without being applied (ERROR, the accepted payload back at what the API holds:
    not the one sent, ``pending_hash``), and whose feed item is again the version the API
    holds (``same``). An ERROR whose change was applied (a failed publish: the accepted
    payload is the one sent) is not taken back by the feed: it stays until the feed
    changes (core.plan rule 6)."""
    return [
        row.source_id
        for row in _unchanged(plan, states, "same")
        if row.stage is Stage.REJECTED
        or (row.stage is Stage.ERROR and row.pending_hash != row.payload_hash)
    ]


def gone_failures(plan: Plan, states: Mapping[str, MirrorAd]) -> list[str]:
    """The rows the plan finds ``gone`` (never created, or deleted, and absent from the
    feed) whose last call was refused or failed: a create, or a deleted ad's revive."""
    return [
        row.source_id
        for row in _unchanged(plan, states, "gone")
        if row.stage in (Stage.REJECTED, Stage.ERROR)
    ]


def _unchanged(plan: Plan, states: Mapping[str, MirrorAd], reason: str) -> Iterator[MirrorAd]:
    """The rows of the plan's ``Unchanged`` entries of ``reason``."""
    for entry in plan.entries:
        if type(entry) is Unchanged and entry.reason == reason:
            row = states.get(entry.source_id)
            if row is not None:
                yield row
