"""Sandbox: list endpoints: filters, ordering and limit/offset pagination.

Pure: no I/O here. Query parameters come in as a mapping (repeated keys
already joined); invalid values raise :class:`ApiProblem` 400 with the
parameter named, as django-filter does. Unknown parameters are ignored.

Assumptions: lists are ordered by ``created`` (oldest first) unless
``ordering`` says otherwise, so that paging is stable while ads are added;
the log endpoint defaults to newest first. ``limit=0`` answers the count with
no results and no links (so a client following ``next`` cannot loop);
``offset`` past the end answers no results and a ``previous`` link to the last
page. Times without a zone are UTC.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from syncd.sandbox.documents import is_registered, plate
from syncd.sandbox.problems import bad_request
from syncd.sandbox.records import ACTIONS, AD_STATES, LOG_STATES, Ad, LogEntry

T = TypeVar("T")
Link = Callable[[int], str]  # offset → absolute URL of that page

AD_ORDERINGS = ("created", "updated", "source_id")
LOG_ORDERINGS = ("created",)


@dataclass(frozen=True, slots=True)
class Page:
    """The ``limit``/``offset`` of a list request."""

    limit: int
    offset: int


def parse_page(params: Mapping[str, str], default: int, maximum: int) -> Page:
    """The page asked for; ``limit`` above ``maximum`` is capped."""
    limit = _non_negative(params, "limit", default)
    return Page(min(limit, maximum), _non_negative(params, "offset", 0))


def _non_negative(params: Mapping[str, str], name: str, default: int) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    if not raw.strip().isdigit():
        raise bad_request({name: ["Enter a whole number of at least 0."]})
    return int(raw)


def paginate(items: Sequence[T], page: Page, link: Link) -> tuple[list[T], dict[str, Any]]:
    """The page's items and the envelope fields ``count``, ``next``, ``previous``."""
    count = len(items)
    if page.limit == 0:
        return [], {"count": count, "next": None, "previous": None}
    chunk = list(items[page.offset : page.offset + page.limit])
    following = page.offset + page.limit
    after = link(following) if following < count else None
    before = None
    if page.offset > 0:
        before = link(max(0, min(page.offset - page.limit, count - page.limit)))
    return chunk, {"count": count, "next": after, "previous": before}


def parse_time(name: str, raw: str) -> datetime:
    """A filter time: "YYYY-MM-DD HH:MM:SS", ISO 8601 or a date; naive means UTC."""
    try:
        value = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    except ValueError:
        raise bad_request({name: ["Enter a valid date/time."]}) from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _choice(params: Mapping[str, str], name: str, choices: Sequence[str]) -> str | None:
    value = params.get(name)
    if value is None or value == "":
        return None
    if value not in choices:
        raise bad_request(
            {name: [f"Select a valid choice. {value} is not one of the available choices."]}
        )
    return value


def wanted_sources(params: Mapping[str, str]) -> frozenset[str] | None:
    """The source_ids a listing is limited to (``source_id__in``), None when it is not."""
    sources = _csv(params, "source_id__in")
    return None if sources is None else frozenset(sources)


def _csv(params: Mapping[str, str], name: str) -> list[str] | None:
    raw = params.get(name)
    if raw is None:
        return None
    return [part.strip() for part in raw.split(",") if part.strip()]


def _ints(params: Mapping[str, str], name: str) -> set[int] | None:
    parts = _csv(params, name)
    if parts is None:
        return None
    if not all(p.isdigit() for p in parts):
        raise bad_request({name: ["Enter a whole number."]})
    return {int(p) for p in parts}


_COMPARE: dict[str, Callable[[datetime, datetime], bool]] = {
    "gt": operator.gt,
    "lt": operator.lt,
    "gte": operator.ge,
    "lte": operator.le,
}


def _time_test(field: str, op: str, bound: datetime) -> Callable[[Ad], bool]:
    compare = _COMPARE[op]

    def test(ad: Ad) -> bool:
        value: datetime = getattr(ad, field)
        return compare(value, bound)

    return test


def _equals(get: Callable[[Ad], object], wanted: str) -> Callable[[Ad], bool]:
    return lambda ad: str(get(ad)) == wanted


def _time_filters(params: Mapping[str, str]) -> list[Callable[[Ad], bool]]:
    tests: list[Callable[[Ad], bool]] = []
    for field in ("created", "updated"):
        for op in _COMPARE:
            name = f"{field}__{op}"
            if params.get(name):
                tests.append(_time_test(field, op, parse_time(name, params[name])))
    return tests


def _searchable(ad: Ad) -> str:
    fields = ad.content.get("category_fields") or {}
    parts = [ad.source_id, ad.content.get("title"), ad.content.get("body")]
    parts += [fields.get(k) for k in ("registration_number", "brand", "model", "model_type")]
    return " ".join(str(p) for p in parts if p).casefold()


def ad_filters(params: Mapping[str, str]) -> list[Callable[[Ad], bool]]:
    """The tests an ad must pass, from the seed's and api-notes' filters."""
    tests: list[Callable[[Ad], bool]] = []
    state = _choice(params, "state", AD_STATES)
    if state:
        tests.append(lambda ad: ad.state == state)
    exact: dict[str, Callable[[Ad], object]] = {
        "source_id": lambda ad: ad.source_id,
        "id": lambda ad: ad.id,
        "dealer_code": lambda ad: ad.dealer_code,
        "blocket_store_id": lambda ad: ad.blocket_store_id,
        "blocket_ad_id": lambda ad: ad.blocket_ad_id,
    }
    for name, get in exact.items():
        if params.get(name):
            tests.append(_equals(get, params[name]))
    sources = wanted_sources(params)
    if sources is not None:
        tests.append(lambda ad: ad.source_id in sources)
    if params.get("source_id__icontains"):
        needle = params["source_id__icontains"].casefold()
        tests.append(lambda ad: needle in ad.source_id.casefold())
    if params.get("search"):
        words = params["search"].casefold().split()
        tests.append(lambda ad: all(w in _searchable(ad) for w in words))
    if params.get("registration_number"):
        wanted = plate(params["registration_number"])
        tests.append(lambda ad: _plate_of(ad) == wanted)
    categories = _ints(params, "category_id__in")
    if params.get("category_id"):
        single = _ints(params, "category_id") or set()
        categories = single if categories is None else categories & single
    if categories is not None:
        tests.append(lambda ad: ad.content.get("category_id") in categories)
    ad_ids = _ints(params, "blocket_ad_id__in")
    if ad_ids is not None:
        tests.append(lambda ad: ad.blocket_ad_id in ad_ids)
    return tests + _time_filters(params)


def _plate_of(ad: Ad) -> str | None:
    # The seed: the registration_number filter "only works for registered vehicles".
    if not is_registered(ad.content, ad.version):
        return None
    value = (ad.content.get("category_fields") or {}).get("registration_number")
    return plate(value) if isinstance(value, str) else None


def order(
    items: Sequence[T], ordering: str | None, allowed: Sequence[str], default: str
) -> list[T]:
    """Items sorted by the comma-separated ``ordering`` (``-`` for descending)."""
    keys = [k for k in (ordering or default).split(",") if k.strip()] or [default]
    for key in keys:
        if key.strip().lstrip("-") not in allowed:
            raise bad_request(
                {"ordering": [f"Select a valid choice. {key} is not one of the available choices."]}
            )
    result = list(items)
    for key in reversed([k.strip() for k in keys]):
        result.sort(key=operator.attrgetter(key.lstrip("-")), reverse=key.startswith("-"))
    return result


def log_filters(params: Mapping[str, str]) -> list[Callable[[LogEntry], bool]]:
    """The tests of ``/ad/{source_id}/log``: action, state and request_id."""
    tests: list[Callable[[LogEntry], bool]] = []
    action = _choice(params, "action", ACTIONS)
    if action:
        tests.append(lambda e: e.action == action)
    state = _choice(params, "state", LOG_STATES)
    if state:
        tests.append(lambda e: e.state == state)
    if params.get("request_id"):
        request_id = params["request_id"]
        tests.append(lambda e: e.request_id == request_id)
    return tests
