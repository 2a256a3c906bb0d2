"""Sandbox: what a client is shown of an ad, under the reading of the docs the settings pick.

Pure: no I/O here; ``now`` comes in as an argument. The public docs are
ambiguous in places, and the sandbox stores one model of an ad whatever the
reading (one ad, its calls' log entries written at once, each with the call's
request id); this module turns that model into what the API answers under the
switches of :class:`~syncd.sandbox.settings.SandboxSettings`:

* ``log_transitions`` — :func:`transitions`: one entry per state transition
  (``processing`` when an action starts, then ``done``/``error`` when it
  settles), whole seconds, and only the actions that have started;
* ``list_entry_per_request`` — :func:`request_rows`: one list row per call;
* ``request_ids`` off — :func:`without_request_ids`.

The admin endpoints (``/_sandbox/ads``) keep showing the stored model.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from syncd.sandbox.records import Ad, LogEntry
from syncd.sandbox.settings import SandboxSettings


def _whole_second(value: datetime) -> datetime:
    return value.replace(microsecond=0)


def transitions(log: Sequence[LogEntry], now: datetime) -> list[LogEntry]:
    """The ad's stored log as state transitions, as of ``now``, oldest first.

    An ad's actions run one after the other (see :mod:`syncd.sandbox.processing`),
    so an action starts when its call arrived or when the action before it
    settled, whichever is later; nothing after a processing action has started.
    Assumptions: the ``processing`` entry carries no message; a settled action
    shows the time it was due (a stuck action, once released, shows the times it
    would have had); times are rounded down to whole seconds, so entries often
    share one (the seed's time filters take "YYYY-MM-DD HH:MM:SS").
    """
    shown: list[LogEntry] = []
    ready: datetime | None = None  # when the previous action settled
    for entry in log:
        start = entry.created if ready is None else max(entry.created, ready)
        if start > now:
            break
        shown.append(
            replace(
                entry,
                created=_whole_second(start),
                state="processing",
                external_message=None,
                due=None,
                settled=None,
            )
        )
        if entry.state == "processing":
            break
        ready = entry.settled or start
        shown.append(replace(entry, created=_whole_second(ready), due=None))
    return shown


def request_rows(ad: Ad, log: Sequence[LogEntry]) -> list[Ad]:
    """One row per call that queued actions on the ad, in the order they came.

    Each row has the ad's current fields, ``updated`` = the time of its call,
    and ``log`` = only that call's entries (taken from ``log``, the entries as
    shown). Assumptions: every call that queues actions is a request here
    (POST/PUT/PATCH/DELETE, and bump, pole_position, retry and migrate too); a
    row keeps the ad's ``id`` (the docs name no id of a request).
    """
    calls: dict[str | None, datetime] = {}
    for entry in ad.log:  # stored: the first entry of a call is logged at the call's time
        calls.setdefault(entry.request_id, entry.created)
    if not calls:
        return [replace(ad, log=tuple(log))]
    return [
        replace(ad, updated=when, log=tuple(e for e in log if e.request_id == request_id))
        for request_id, when in calls.items()
    ]


def without_request_ids(log: Sequence[LogEntry]) -> tuple[LogEntry, ...]:
    """The entries with ``request_id`` null."""
    return tuple(replace(e, request_id=None) for e in log)


def shown_log(ad: Ad, settings: SandboxSettings, now: datetime) -> tuple[LogEntry, ...]:
    """The ad's log as a client sees it (request ids still in: :func:`hide`)."""
    return tuple(transitions(ad.log, now)) if settings.log_transitions else ad.log


def hide(log: Sequence[LogEntry], settings: SandboxSettings) -> tuple[LogEntry, ...]:
    """The entries with their request ids, or without them when the settings hide them."""
    return tuple(log) if settings.request_ids else without_request_ids(log)


def shown_ad(ad: Ad, settings: SandboxSettings, now: datetime) -> Ad:
    """The ad as ``GET /ad/{source_id}`` shows it: one object, its whole log."""
    return replace(ad, log=hide(shown_log(ad, settings, now), settings))


def list_rows(ad: Ad, settings: SandboxSettings, now: datetime) -> list[Ad]:
    """The ad as ``GET /ad`` lists it: one row, or one per call (``list_entry_per_request``)."""
    log = shown_log(ad, settings, now)
    rows = request_rows(ad, log) if settings.list_entry_per_request else [replace(ad, log=log)]
    return [replace(row, log=hide(row.log, settings)) for row in rows]
