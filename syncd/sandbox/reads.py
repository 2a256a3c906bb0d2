"""Sandbox: the synchronous endpoints: get, list, log, and the vehicle values.

Called with the store's lock held and pending actions already advanced, so
every read shows the state as of ``call.now``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from syncd.sandbox import vehicles
from syncd.sandbox.auth import check_dealer
from syncd.sandbox.calls import Answer, Call, resolve
from syncd.sandbox.categories import category, typed_categories
from syncd.sandbox.listing import (
    AD_ORDERINGS,
    LOG_ORDERINGS,
    ad_filters,
    log_filters,
    order,
    paginate,
    parse_page,
    wanted_sources,
)
from syncd.sandbox.problems import bad_request, not_found
from syncd.sandbox.variants import hide, list_rows, shown_ad, shown_log
from syncd.sandbox.views import ad_json, entry_json, select_fields


def _csv(value: str | None) -> list[str] | None:
    return [p.strip() for p in value.split(",") if p.strip()] if value else None


def _link(call: Call) -> Any:
    def link(offset: int) -> str:
        query = {k: v for k, v in call.query.items() if k != "offset"}
        if offset > 0:
            query["offset"] = str(offset)
        return f"{call.url}?{urlencode(query)}" if query else call.url

    return link


def _envelope(call: Call, items: Sequence[Any]) -> tuple[list[Any], dict[str, Any]]:
    settings = call.sandbox.settings
    page = parse_page(call.query, settings.page_size, settings.max_page_size)
    return paginate(items, page, _link(call))


def get_ad(call: Call) -> Answer:
    """GET /ad/{source_id}: the ad with its newest 100 log entries."""
    ad = shown_ad(resolve(call), call.sandbox.settings, call.now)
    return Answer(200, select_fields(ad_json(ad, with_log=True), _csv(call.query.get("fields"))))


def list_ads(call: Call) -> Answer:
    """GET /ad (or /v4/{vehicle_type}): the token's ads, filtered, ordered, paginated.

    Filters, ordering and pagination apply to the rows: one per ad, or one per
    request on an ad with ``list_entry_per_request`` (see :mod:`syncd.sandbox.variants`).
    """
    dealers = call.scope.dealer_codes
    code = call.query.get("dealer_code")
    if code:
        check_dealer(call.scope, code)
        dealers = frozenset({code})
    named = wanted_sources(call.query)
    store = call.sandbox.store
    ads = store.ads(dealers) if named is None else store.ads_named(dealers, named)
    if call.vehicle_type is not None:
        allowed = typed_categories(call.vehicle_type)
        ads = [ad for ad in ads if ad.content.get("category_id") in allowed]
    ads = [row for ad in ads for row in list_rows(ad, call.sandbox.settings, call.now)]
    tests = ad_filters(call.query)
    ads = [ad for ad in ads if all(test(ad) for test in tests)]
    ads = order(ads, call.query.get("ordering"), AD_ORDERINGS, "created")
    page, envelope = _envelope(call, ads)
    with_log = "log" in (_csv(call.query.get("include")) or [])
    fields = _csv(call.query.get("fields"))
    results = [select_fields(ad_json(ad, with_log=with_log), fields) for ad in page]
    return Answer(200, {**envelope, "results": results})


def get_log(call: Call) -> Answer:
    """GET /ad/{source_id}/log: every log entry, filtered, ordered, paginated."""
    ad = resolve(call)
    settings = call.sandbox.settings
    tests = log_filters(call.query)
    shown = hide(shown_log(ad, settings, call.now), settings)
    entries = [e for e in shown if all(test(e) for test in tests)]
    entries = order(entries, call.query.get("ordering"), LOG_ORDERINGS, "-created")
    page, envelope = _envelope(call, entries)
    return Answer(200, {**envelope, "results": [entry_json(e) for e in page]})


def _values_page(call: Call, slugs: Sequence[str]) -> Answer:
    items = [{"slug": s, "name": vehicles.label(s)} for s in slugs]
    page, envelope = _envelope(call, items)
    return Answer(200, {**envelope, "results": page})


def _models(call: Call, vehicle_type: str) -> Answer:
    brand = call.query.get("brand")
    if not brand:
        raise bad_request({"brand": ["This field is required."]})
    if brand not in vehicles.brands(vehicle_type):
        raise bad_request({"brand": [f'"{brand}" is not a valid choice.']})
    return _values_page(call, vehicles.models(vehicle_type, brand) or ())


def v3_vehicle(call: Call) -> Answer:
    """GET /v3/vehicle/{brands|models|body_types|fuels}.

    Assumption: cars unless ``?category_id=`` names another registered category.
    """
    vehicle_type = "car"
    raw = call.query.get("category_id")
    if raw:
        cat = category(int(raw)) if raw.isdigit() else None
        if cat is None or cat.vehicle_type is None:
            raise bad_request({"category_id": [f'"{raw}" is not a valid choice.']})
        vehicle_type = cat.vehicle_type
    attribute = call.path["attribute"]
    if attribute == "models":
        return _models(call, vehicle_type)
    return _values_page(call, vehicles.values(vehicle_type, attribute) or ())


def v4_attributes(call: Call) -> Answer:
    """GET /v4/vehicles/{vehicle_type}/attributes: the attributes with value lists."""
    page, envelope = _envelope(call, [{"name": a} for a in vehicles.ATTRIBUTES])
    return Answer(200, {**envelope, "results": page})


def v4_values(call: Call) -> Answer:
    """GET /v4/vehicles/{vehicle_type}/{attribute} (models take ``?brand=``)."""
    vehicle_type, attribute = call.path["vehicle_type"], call.path["attribute"]
    if attribute == "models":
        return _models(call, vehicle_type)
    values = vehicles.values(vehicle_type, attribute)
    if values is None:
        raise not_found()
    return _values_page(call, values)
