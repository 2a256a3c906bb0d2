"""Core: the payload builder: canonical hashing, PATCH diffs and POST bodies.

Pure: no I/O here. A payload is an ad body in the Pro Import API's request
shape, without ``source_id`` and ``dealer_code`` (see ``models.Payload``).

Canonical form, so that a feed's formatting never causes an update:

* object keys are sorted; the file's key order and whitespace never matter;
* numbers: a float with an integral value becomes an int (``7000``, ``7000.0``
  and ``7.0e3`` are the same); other floats keep their shortest round-trip form;
  NaN and infinities have no JSON form and raise ``ValueError``;
* strings are content and are *not* trimmed or case-folded here (validation
  decides which fields it normalises);
* ``True`` is not ``1``: booleans stay booleans.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from typing import Any

import orjson

from syncd.core.models import Payload

# Assumption: floats beyond 2**53 are not exact integers anyway, and orjson
# cannot write ints wider than 64 bits; such values stay floats.
_EXACT_FLOAT_LIMIT = 2.0**53


def normalise(value: Any) -> Any:
    """The value with integral floats as ints and every mapping a plain dict.

    Raises ``ValueError`` on NaN or infinity (JSON cannot hold them).
    """
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{value!r} has no JSON form")
        if value.is_integer() and abs(value) < _EXACT_FLOAT_LIMIT:
            return int(value)
        return value
    if isinstance(value, Mapping):
        return {key: normalise(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [normalise(item) for item in value]
    return value


def canonical_json(payload: Any) -> bytes:
    """The canonical JSON bytes of a payload (sorted keys, normalised numbers)."""
    return orjson.dumps(normalise(payload), option=orjson.OPT_SORT_KEYS)


def payload_hash(payload: Any) -> str:
    """The sha256 hex digest of the payload's canonical JSON."""
    return hashlib.sha256(canonical_json(payload)).hexdigest()


def normalised_hash(payload: Payload) -> str:
    """``payload_hash`` for a payload already in normal form (validation's output).

    Skips the normalising walk; the caller guarantees no float in the payload
    is integral, and no mapping is anything but a dict.
    """
    return hashlib.sha256(orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)).hexdigest()


def same(old: Any, new: Any) -> bool:
    """Whether two values are equal in canonical form (``1`` is not ``True``)."""
    return old is new or canonical_json(old) == canonical_json(new)


def diff(old: Payload, new: Payload) -> dict[str, Any]:
    """The PATCH that turns ``old`` into ``new`` on an API that deep-merges.

    Only changed keys appear. Objects present on both sides are diffed
    recursively; lists and scalars go whole when changed (the API replaces a
    list); a key of ``old`` missing from ``new`` is sent as ``None`` (null
    clears a field). An empty result means nothing to send.
    """
    changes: dict[str, Any] = {}
    for key, value in new.items():
        if key not in old:
            changes[key] = value
            continue
        before = old[key]
        if isinstance(before, Mapping) and isinstance(value, Mapping):
            nested = diff(before, value)
            if nested:
                changes[key] = nested
        elif not same(before, value):
            changes[key] = value
    for key in old:
        if key not in new:
            changes[key] = None
    return changes


def adoption_patch(remote: Payload, new: Payload, sent: Payload | None = None) -> dict[str, Any]:
    """The PATCH that makes an ad found in the API (a 409 on POST) hold ``new``.

    Only what differs in canonical form: the keys of ``new`` whose values the API
    holds differently, objects compared key by key (``diff`` over the API's fields
    that ``new`` has). Empty when nothing differs: nothing is sent.

    Assumption: a field the API holds and ``new`` lacks is left as it is, not
    cleared: the ad object also carries what the API generates or defaults (a
    registered vehicle's title, ``visible``), and no record says which fields an
    earlier, lost mirror had sent. Except ``visible: false`` (see ``remote_view``),
    and the fields of ``sent`` (the payload the mirror says the API last accepted,
    when known) that ``new`` lacks and the API still holds: those are cleared (null).
    """
    return diff(remote_view(remote, new, sent), new)


def remote_view(remote: Payload, new: Payload, sent: Payload | None = None) -> dict[str, Any]:
    """What the API holds of the fields ``new`` has: ``diff`` of it and ``new`` is the
    ``adoption_patch`` (``syncd adopt`` records it as the last payload sent).

    One field ``new`` lacks is kept: ``visible: false``. An ad without ``visible``
    is visible (api-notes), so a hidden ad (a rehearsal's, found after going live
    with a lost mirror) must be PATCHed visible (null), not left hidden for good.
    So are the fields of ``sent`` that ``new`` lacks and the API holds (not null): a
    crash's lost update that was to clear them must still clear them.
    """
    view = _restricted(remote, new, sent or {})
    if "visible" not in new and remote.get("visible") is False:
        view["visible"] = False
    return view


def _restricted(remote: Payload, new: Payload, sent: Payload) -> dict[str, Any]:
    """``remote`` with only the keys ``new`` has (recursively, for objects on both
    sides), and those of ``sent`` the API holds (not null)."""
    out: dict[str, Any] = {}
    for key, value in new.items():
        if key not in remote:
            continue
        before = remote[key]
        if isinstance(before, Mapping) and isinstance(value, Mapping):
            was = sent.get(key)
            out[key] = _restricted(before, value, was if isinstance(was, Mapping) else {})
        else:
            out[key] = before
    for key in sent.keys() - new.keys():
        if remote.get(key) is not None:
            out[key] = remote[key]
    return out


def full_patch(old: Payload | None, new: Payload) -> dict[str, Any]:
    """A PATCH carrying all of ``new``, plus null for everything ``old`` had and ``new`` lacks.

    Used to revive a deleted ad: whatever the deleted ad still held, the
    deep-merged result is exactly ``new``. With ``old`` unknown (None) it is
    ``new`` as is.
    """
    if old is None:
        return dict(new)
    patch: dict[str, Any] = {}
    for key, value in new.items():
        before = old.get(key)
        if isinstance(before, Mapping) and isinstance(value, Mapping):
            patch[key] = full_patch(before, value)
        else:
            patch[key] = value
    for key in old:
        if key not in new:
            patch[key] = None
    return patch


def split_reduced(payload: Payload) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The POST body and the follow-up PATCH for a new ad.

    The API refuses a ``reduced`` price on POST (api-notes): the body carries
    the other prices only, and the follow-up PATCH sends the whole price list.
    Without a reduced price the follow-up is None and the body is the payload.
    """
    prices = payload.get("price")
    if not isinstance(prices, list) or not any(_is_reduced(p) for p in prices):
        return dict(payload), None
    body = dict(payload)
    body["price"] = [p for p in prices if not _is_reduced(p)]
    return body, {"price": prices}


def _is_reduced(price: Any) -> bool:
    return isinstance(price, Mapping) and price.get("type") == "reduced"
