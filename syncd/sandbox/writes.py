"""Sandbox: the asynchronous endpoints: create, update, delete, bump, pole position, retry, migrate.

Each answers at once with the ad object and an ``X-Request-Id`` header, and
queues its action chain (see :mod:`syncd.sandbox.processing`). Called with the
store's lock held and pending actions already advanced.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from syncd.sandbox.calls import Answer, Call, flag, post_dealer, refuse, resolve
from syncd.sandbox.categories import category, typed_categories
from syncd.sandbox.documents import (
    coerce_category_id,
    content_of,
    deep_merge,
    is_registered,
    normalize,
    strip_nulls,
)
from syncd.sandbox.problems import bad_request, conflict
from syncd.sandbox.processing import DELETE_CHAIN, enqueue, write_chain
from syncd.sandbox.records import Ad
from syncd.sandbox.rules import Context, Errors, Mode, check_string, validate_ad
from syncd.sandbox.views import ad_json

MAX_SOURCE_ID = 100  # assumption: not documented
DELETED = "Ad has been deleted, cannot update"  # api-notes.md, the documented wording
STRICT_REUSE = (
    "This source_id belonged to a deleted ad and can never be reused "
    "(strict source_id rule): give the ad a new source_id."
)


def _answer(call: Call, ad: Ad, status: int = 200) -> Answer:
    # The header only with request ids on (settings.request_ids; app.py adds it alike).
    headers = {"X-Request-Id": call.request_id} if call.sandbox.settings.request_ids else {}
    return Answer(status, ad_json(ad, with_log=False), headers)


def _queue(call: Call, ad: Ad, actions: tuple[str, ...], **params: Any) -> Ad:
    delay = call.sandbox.settings.processing_delay
    return enqueue(ad, call.request_id, actions, now=call.now, delay=delay, params=params)


def _sent_content(call: Call, body: dict[str, Any]) -> dict[str, Any]:
    sent = content_of(body)
    if "category_id" in sent:
        sent["category_id"] = coerce_category_id(sent["category_id"])
    vehicle_type, cid = call.vehicle_type, sent.get("category_id")
    if vehicle_type is not None and cid is not None and cid not in typed_categories(vehicle_type):
        raise bad_request({"category_id": [f"Category {cid} is not a {vehicle_type}."]})
    return sent


def _check(
    doc: dict[str, Any],
    sent: dict[str, Any],
    call: Call,
    *,
    mode: Mode,
    version: int,
    previous: Ad | None = None,
    extra: Errors | None = None,
) -> None:
    ctx = Context(
        version=version,
        mode=mode,
        today=call.now.date(),
        previous=previous.content if previous else None,
    )
    errors = {**(extra or {}), **validate_ad(doc, sent, ctx)}
    if errors:
        raise bad_request(errors)


def _typed_default(call: Call, sent: dict[str, Any]) -> None:
    # Assumption: a typed POST without category_id means the type's only category.
    if call.vehicle_type is not None and sent.get("category_id") is None:
        only = typed_categories(call.vehicle_type)
        if len(only) == 1:
            sent["category_id"] = next(iter(only))


def create(call: Call) -> Answer:
    """POST /ad (or /v4/{vehicle_type}): a new ad, 201; 409 when the source_id is taken."""
    body = call.json_object()
    dealer = post_dealer(call, body)
    source_id = body.get("source_id")
    id_errors = ["This field is required."] if source_id is None else None
    id_errors = id_errors or check_string(source_id, MAX_SOURCE_ID)
    sent = _sent_content(call, body)
    _typed_default(call, sent)
    extra = {"source_id": id_errors} if id_errors else None
    _check(strip_nulls(sent), sent, call, mode="create", version=call.version, extra=extra)
    assert isinstance(source_id, str)  # checked just above
    call.note["source_id"] = source_id
    store = call.sandbox.store
    existing = store.get(dealer, source_id)
    if existing is not None and existing.state != "deleted":
        raise conflict({"source_id": ["An ad with this source_id already exists."]})
    if existing is not None and call.sandbox.settings.strict_source_ids:
        raise conflict({"source_id": [STRICT_REUSE]})
    # A deleted ad's source_id may be POSTed again (seed: "DELETE the V3 ad and POST a
    # new V4 ad with the same source_id"): a new ad with a new id replaces it.
    ad = Ad(
        id=str(uuid.uuid4()),
        seq=store.next_seq(),
        dealer_code=dealer,
        source_id=source_id,
        api_version=f"v{call.version}",
        state="created",
        content=normalize(sent, call.version),
        created=call.now,
        updated=call.now,
    )
    ad = _queue(call, ad, write_chain("create", with_media=bool(sent.get("image_urls"))))
    store.put(ad)
    return _answer(call, ad, 201)


def _check_versions(call: Call, ad: Ad) -> None:
    """The v3/v4 compatibility table of the seed."""
    cid = ad.content.get("category_id")
    cat = category(cid) if isinstance(cid, int) else None
    v4_only = cat is not None and cat.v4_only
    if call.version >= 4 and ad.version < 4 and v4_only:
        raise refuse(
            "This v3 ad's category needs v4 fields: PUT/PATCH through v4 is blocked; "
            f"use POST /v4/ad/{ad.source_id}/migrate with a complete v4 payload."
        )
    if call.version < 4 and ad.version >= 4 and v4_only:
        # Assumption: the reverse direction is blocked too (v3 cannot express these ads).
        raise refuse("This ad is a v4 ad in a v4-only category: update it through /v4/ad.")


def update(call: Call) -> Answer:
    """PUT/PATCH /ad/{source_id}: deep-merge (null clears), revive, v3→v4 auto-convert."""
    ad = resolve(call)
    _check_created(call, ad)
    body = call.json_object()
    if body.get("source_id") not in (None, ad.source_id):
        raise bad_request({"source_id": ["Does not match the source_id in the path."]})
    _check_versions(call, ad)
    target = 4 if call.version >= 4 else ad.version
    sent = _sent_content(call, body)
    base = ad.content if target == ad.version else normalize(ad.content, target)
    merged = deep_merge(base, sent)
    if ad.state == "deleted":
        _check_revive(call, ad, target)
    extra = _check_move(ad.content, merged, target)
    _check(merged, sent, call, mode="update", version=target, previous=ad, extra=extra)
    new = replace(
        ad,
        content=normalize(merged, target),
        api_version=f"v{target}",
        state="created",
        updated=call.now,
    )
    # What a failed ``update`` restores (processing._fail), and the content it applies to.
    before = {"content": dict(ad.content), "api_version": ad.api_version, "state": ad.state}
    chain = write_chain("update", with_media="image_urls" in sent)
    new = _queue(call, new, chain, before=before, after=dict(new.content))
    call.sandbox.store.put(new)
    return _answer(call, new)


def _check_move(old: Mapping[str, Any], merged: Mapping[str, Any], version: int) -> Errors | None:
    """A category change into, out of or between registered-vehicle categories.

    Assumption (the one syncd's planner makes, core/plan.py): a PUT/PATCH cannot move
    an ad across them (a vehicle's fields, title and identity are of another kind);
    the source_id of a deleted ad may be POSTed again in any category instead.
    """
    before, after = old.get("category_id"), merged.get("category_id")
    if before == after or not isinstance(after, int):
        return None
    if not (is_registered(old, version) or is_registered(merged, version)):
        return None
    return {
        "category_id": [
            f"An ad cannot move from category {before} to {after}: not into, out of or "
            "between registered-vehicle categories."
        ]
    }


def _check_created(call: Call, ad: Ad) -> None:
    """409 while the ad's create action is still processing (seed 003's example)."""
    creating = any(e.action == "create" and e.state == "processing" for e in ad.log)
    if creating and call.sandbox.settings.refuse_updates_while_creating:
        raise conflict(["Ad has not been created yet; try again when its create is done."])


def _check_revive(call: Call, ad: Ad, version: int) -> None:
    # The seed: PUT/PATCH revive a deleted ad only in unregistered categories.
    if call.sandbox.settings.strict_source_ids:
        raise refuse(f"{DELETED} (strict source_id rule: a deleted ad is never revived)")
    if is_registered(ad.content, version):
        raise refuse(DELETED)


def delete(call: Call) -> Answer:
    """DELETE /ad/{source_id}: unpublish, then delete (state ``deleted`` once done).

    Assumption: deleting an ad that is already deleted is accepted and queues the
    chain again (it settles at once), so a repeated DELETE is idempotent.
    """
    ad = resolve(call)
    _check_created(call, ad)
    new = _queue(call, replace(ad, updated=call.now), DELETE_CHAIN)
    call.sandbox.store.put(new)
    return _answer(call, new)


def bump(call: Call) -> Answer:
    """GET /ad/{source_id}/bump: renew (asynchronous), optionally excluding a marketplace.

    Refused (400, nothing charged) for a deleted ad, an ad on pole position or with
    one queued (the seed: "ads on pole position cannot be bumped"), and exclusions
    outside registered vehicles (the seed offers them "for registered vehicles").
    """
    ad = resolve(call)
    if ad.state == "deleted":
        raise refuse("Ad has been deleted, cannot renew")
    if _on_pole_position(call, ad):
        raise refuse("Ads on pole position cannot be bumped/renewed.")
    exclude_bytbil, exclude_blocket = (
        flag(call.query, "exclude_bytbil"),
        flag(call.query, "exclude_blocket"),
    )
    if exclude_bytbil and exclude_blocket:
        raise refuse("exclude_bytbil and exclude_blocket cannot both be true.")
    if (exclude_bytbil or exclude_blocket) and not is_registered(ad.content, ad.version):
        name = "exclude_bytbil" if exclude_bytbil else "exclude_blocket"
        raise bad_request({name: ["Only allowed for registered vehicles."]})
    new = _queue(
        call, ad, ("bump",), exclude_bytbil=exclude_bytbil, exclude_blocket=exclude_blocket
    )
    call.sandbox.store.put(new)
    return _answer(call, new)


def _on_pole_position(call: Call, ad: Ad) -> bool:
    """On pole position now, or with a pole position queued (it will be by the bump's turn)."""
    if ad.pole_position_until is not None and ad.pole_position_until > call.now:
        return True
    return any(e.state == "processing" and e.params.get("pole_position") for e in ad.log)


def pole_position(call: Call) -> Answer:
    """GET /ad/{source_id}/pole_position: first in search results for 3 days.

    Assumption: refused (400, nothing charged) while the ad is on pole position or has
    one queued; another one would pay for days it already has.
    """
    ad = resolve(call)
    if ad.state == "deleted":
        raise refuse("Ad has been deleted, cannot set pole position")
    if _on_pole_position(call, ad):
        raise refuse("The ad already has pole position.")
    new = _queue(call, ad, ("publish",), pole_position=True)
    call.sandbox.store.put(new)
    return _answer(call, new)


def retry(call: Call) -> Answer:
    """GET /v4/ad/{source_id}/retry: queue the ad for processing again."""
    ad = resolve(call)
    if ad.state == "deleted":
        raise refuse("Ad has been deleted, cannot retry")
    images = bool(ad.content.get("image_urls"))
    new = _queue(call, replace(ad, updated=call.now), write_chain("update", with_media=images))
    call.sandbox.store.put(new)
    return _answer(call, new)


def migrate(call: Call) -> Answer:
    """POST /v4/ad/{source_id}/migrate: a v3 ad becomes v4 in place (ids and log kept)."""
    ad = resolve(call)
    if ad.version >= 4:
        raise refuse("This ad is already a v4 ad.")
    if ad.state == "deleted":
        raise refuse("Ad has been deleted, cannot migrate")
    body = call.json_object()
    if body.get("source_id") not in (None, ad.source_id):
        raise bad_request({"source_id": ["Does not match the source_id in the path."]})
    sent = _sent_content(call, body)
    _check(strip_nulls(sent), sent, call, mode="migrate", version=4, previous=ad)
    new = replace(ad, content=normalize(sent, 4), api_version="v4", updated=call.now)
    new = _queue(call, new, write_chain("update", with_media=bool(sent.get("image_urls"))))
    call.sandbox.store.put(new)
    return _answer(call, new)


def validate(call: Call) -> Answer:
    """POST /v3/ad/validate, /v4/{vehicle_type}/validate: check a body, save nothing.

    Assumption: answers 200 ``{"valid": true}`` or 400 with the errors a POST
    would get; ``source_id`` is not required and no conflict is checked.
    """
    body = call.json_object()
    if body.get("dealer_code") is not None or not call.scope.is_group:
        post_dealer(call, body)
    sent = _sent_content(call, body)
    _typed_default(call, sent)
    _check(strip_nulls(sent), sent, call, mode="validate", version=call.version)
    return Answer(200, {"valid": True})
