"""Sandbox: the asynchronous life-cycle of actions, made lazy and time-based.

Pure: no I/O here; ``now`` and everything else come in as arguments. A
mutating call appends its action chain to the ad's log, every entry in
``processing`` with a due time; :func:`advance` settles the entries whose due
time has passed (``done`` or ``error``) and applies their effects. The store
calls it before every read and write, so processing works the same over
uvicorn and over httpx's ASGITransport, and tests step a clock instead of
sleeping.

Assumptions (the docs are silent):

* An ad's actions run one after the other, in the order the calls arrived: a
  new chain starts when the ad's last pending action is due, each action taking
  ``processing_delay`` seconds. An action kept ``processing`` (fault "stuck")
  holds back everything queued after it on that ad.
* All entries of a call are written at once, in ``processing``; so a call is
  "settled" exactly as docs/architecture.md says. A settled entry keeps the time
  it settled (``settled``: its due time). With ``log_transitions`` the API shows
  this log as separate transitions instead (:mod:`syncd.sandbox.variants`).
* ``handle_media`` fetches the images of the ad's *current* content and errs,
  naming the URLs, when any is broken; the good ones become ``image_refs``.
* ``publish`` of an ad with ``visible: false`` is done with a message saying it
  is not shown, and assigns no ``blocket_ad_id``/``offer_id`` (no marketplace ad
  exists); an ad published before keeps its ids.
* ``/pole_position`` is queued as a ``publish`` action (the seed's list of
  actions has no other fit) whose message tells until when it lasts (3 days).
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from syncd.sandbox.categories import category
from syncd.sandbox.records import Ad, LogEntry

POLE_POSITION_DAYS = 3  # the seed: "Pole position lasts for 3 days."
_TICK = timedelta(microseconds=1)


@dataclass(frozen=True, slots=True)
class Env:
    """What settling needs besides the ad."""

    now: datetime
    is_broken: Callable[[str], bool]
    is_stuck: Callable[[str, str], bool]  # (action, source_id)
    new_id: Callable[[str], int]  # "blocket_ad_id" | "offer_id" → a fresh id
    is_failing: Callable[[str, str], bool] = lambda _action, _source_id: False


def write_chain(first: str, *, with_media: bool) -> tuple[str, ...]:
    """The actions of a POST (``create``) or PUT/PATCH (``update``) call."""
    return (first, "handle_media", "publish") if with_media else (first, "publish")


DELETE_CHAIN = ("unpublish", "delete")


def store_id(dealer_code: str) -> int:
    """The dealer's Blocket store id (stable: derived from the dealer code)."""
    return 100_000 + zlib.crc32(dealer_code.encode()) % 900_000


def enqueue(
    ad: Ad,
    request_id: str,
    actions: Sequence[str],
    *,
    now: datetime,
    delay: float,
    params: Mapping[str, Any] | None = None,
) -> Ad:
    """The ad with one call's chain appended, each entry processing until due."""
    pending = [e.due for e in ad.log if e.state == "processing" and e.due is not None]
    start = max([now, *pending])
    step = timedelta(seconds=delay)
    # Entries get strictly increasing times per ad, even for calls in the same instant.
    first = max([now, *(e.created + _TICK for e in ad.log[-1:])])
    entries = tuple(
        LogEntry(
            request_id=request_id,
            created=first + _TICK * i,
            action=action,
            due=start + step * (i + 1),
            params=dict(params or {}),
        )
        for i, action in enumerate(actions)
    )
    return replace(ad, log=ad.log + entries)


def advance(ad: Ad, env: Env) -> Ad:
    """The ad with every due entry settled, in order, stopping at the first that waits."""
    entries = list(ad.log)
    changed = False
    index = 0
    while index < len(entries):
        entry = entries[index]
        index += 1
        if entry.state != "processing":
            continue
        if entry.due is None or entry.due > env.now or env.is_stuck(entry.action, ad.source_id):
            break
        if env.is_failing(entry.action, ad.source_id):
            ad, entries[index - 1] = _fail(ad, entry)
            if entry.action in STOPS_THE_CALL:
                entries[index:] = [e for e in entries[index:] if e.request_id != entry.request_id]
        else:
            ad, entries[index - 1] = _settle(ad, entry, entries, env)
        changed = True
    return replace(ad, log=tuple(entries)) if changed else ad


STOPS_THE_CALL = frozenset({"create", "update", "delete", "unpublish"})
"""Actions whose error ends their call's chain: the actions queued after them in the same
call are never run, so never logged (the assumption syncd's reconcile makes: once a call's
own first action ended in error, nothing more happens). A failed ``handle_media`` is not
one of them: the ad is still published (without the broken images)."""

_FAILED = {
    "create": "Ad could not be created: internal processing error",
    "update": "Ad could not be updated: internal processing error; the change was not applied",
    "delete": "Ad could not be deleted: internal processing error",
    "unpublish": "Ad could not be removed from the marketplaces: internal processing error",
}


def _fail(ad: Ad, entry: LogEntry) -> tuple[Ad, LogEntry]:
    """An action made to fail (fault ``failing_actions``).

    Assumptions (the seed only says that such an action "will end up in state error"):
    a failed ``update`` leaves the ad as it was before its call (content, version and
    state: a revive fails to revive), unless a later call changed the ad meanwhile (its
    merge is kept); a failed ``create`` keeps the record (its log stays readable; the ad
    is never published); a failed ``delete`` leaves the ad ``created``.
    """
    message = _FAILED.get(entry.action, f"{entry.action}: internal processing error")
    before = entry.params.get("before")
    unchanged_since = dict(ad.content) == entry.params.get("after")
    if entry.action == "update" and isinstance(before, Mapping) and unchanged_since:
        ad = replace(
            ad,
            content=dict(before["content"]),
            api_version=before["api_version"],
            state=before["state"],
        )
    return ad, _error(entry, message)


def _settle(ad: Ad, entry: LogEntry, entries: list[LogEntry], env: Env) -> tuple[Ad, LogEntry]:
    if entry.action == "handle_media":
        return _handle_media(ad, entry, env)
    if entry.action == "publish":
        return _publish(ad, entry, entries, env)
    if entry.action == "bump":
        return ad, _bump(ad, entry)
    if entry.action == "delete":
        return replace(ad, state="deleted"), _done(entry, "Ad deleted")
    messages = {
        "create": "Ad created",
        "update": "Ad updated",
        "unpublish": "Ad removed from the marketplaces",
    }
    return ad, _done(entry, messages.get(entry.action, "Done"))


def _done(entry: LogEntry, message: str) -> LogEntry:
    return replace(entry, state="done", external_message=message, due=None, settled=entry.due)


def _error(entry: LogEntry, message: str) -> LogEntry:
    return replace(entry, state="error", external_message=message, due=None, settled=entry.due)


def _handle_media(ad: Ad, entry: LogEntry, env: Env) -> tuple[Ad, LogEntry]:
    urls = [u for u in ad.content.get("image_urls") or [] if isinstance(u, str)]
    broken = [u for u in urls if env.is_broken(u)]
    refs = tuple(
        {"url": u, "id": f"img-{zlib.crc32(u.encode()):08x}"} for u in urls if u not in broken
    )
    ad = replace(ad, image_refs=refs)
    if broken:
        return ad, _error(entry, "Could not download image(s): " + ", ".join(broken))
    if not urls:
        return ad, _done(entry, "All images removed")
    return ad, _done(entry, f"{len(refs)} image(s) handled")


def _media_failed(entry: LogEntry, entries: list[LogEntry]) -> bool:
    return any(
        e.request_id == entry.request_id and e.action == "handle_media" and e.state == "error"
        for e in entries
    )


def _publish(ad: Ad, entry: LogEntry, entries: list[LogEntry], env: Env) -> tuple[Ad, LogEntry]:
    ad = replace(ad, blocket_store_id=ad.blocket_store_id or store_id(ad.dealer_code))
    if ad.state == "deleted":
        return ad, _error(entry, "Ad is deleted: not published")
    if entry.params.get("pole_position"):
        return _pole_position(ad, entry, env)
    if ad.content.get("dont_publish_on_failed_images") and _media_failed(entry, entries):
        return ad, _error(
            entry, "Ad not published: image errors (dont_publish_on_failed_images is true)"
        )
    if ad.content.get("visible") is False:
        return ad, _done(entry, "Ad saved with visible=false: not shown on Blocket or Bytbil")
    if ad.blocket_ad_id is None:
        ad = replace(ad, blocket_ad_id=env.new_id("blocket_ad_id"))
    message = f"Published on Blocket (ad id {ad.blocket_ad_id})"
    if _registered(ad):
        if ad.offer_id is None:
            ad = replace(ad, offer_id=env.new_id("offer_id"))
        message += f" and Bytbil (offer id {ad.offer_id})"
    return ad, _done(entry, message)


def _pole_position(ad: Ad, entry: LogEntry, env: Env) -> tuple[Ad, LogEntry]:
    if ad.blocket_ad_id is None:
        return ad, _error(entry, "Ad is not published: pole position not set")
    until = env.now + timedelta(days=POLE_POSITION_DAYS)
    ad = replace(ad, pole_position_until=until)
    return ad, _done(entry, f"Pole position set until {until.isoformat()}")


def _bump(ad: Ad, entry: LogEntry) -> LogEntry:
    if ad.state == "deleted" or ad.blocket_ad_id is None:
        return _error(entry, "Ad is not published: cannot renew")
    places = ["Blocket"]
    if _registered(ad):
        places = [p for p in ("Blocket", "Bytbil") if not entry.params.get(f"exclude_{p.lower()}")]
    return _done(entry, "Ad renewed on " + " and ".join(places))


def _registered(ad: Ad) -> bool:
    cid = ad.content.get("category_id")
    cat = category(cid) if isinstance(cid, int) else None
    return cat is not None and cat.is_registered_vehicle(ad.version)
