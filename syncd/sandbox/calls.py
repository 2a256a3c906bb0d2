"""Sandbox: one API call as the handlers see it, and the helpers every handler shares.

The shell between HTTP and the pure core: :class:`Call` carries the parsed
request (version, path parameters, query, JSON body, token scope, time and
request id); :func:`resolve` finds the ad a path names, honouring dealer
isolation (another dealer's ad is simply not found).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from syncd.sandbox.auth import Scope, check_dealer
from syncd.sandbox.categories import typed_categories
from syncd.sandbox.problems import ApiProblem, bad_request, not_found
from syncd.sandbox.records import Ad
from syncd.sandbox.runtime import Sandbox
from syncd.sandbox.vehicle_rules import type_name


@dataclass(slots=True)
class Answer:
    """A handler's successful answer."""

    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class Call:
    """One authenticated API request."""

    sandbox: Sandbox
    version: int
    path: Mapping[str, str]
    query: Mapping[str, str]
    body: Any
    now: datetime
    request_id: str
    scope: Scope
    url: str  # the request URL without its query, for pagination links
    note: dict[str, Any]  # what the journal should know (dealer, source_id)

    @property
    def source_id(self) -> str:
        """The ``{source_id}`` of the path."""
        return self.path["source_id"]

    @property
    def vehicle_type(self) -> str | None:
        """The ``{vehicle_type}`` of a typed v4 path, if any."""
        return self.path.get("vehicle_type")

    def json_object(self) -> dict[str, Any]:
        """The body as a JSON object (an empty body is ``{}``)."""
        if self.body is None:
            return {}
        if not isinstance(self.body, dict):
            raise bad_request(
                {
                    "non_field_errors": [
                        f"Invalid data. Expected a dictionary, but got {type_name(self.body)}."
                    ]
                }
            )
        return self.body


def resolve(call: Call) -> Ad:
    """The ad named by the path, within the token's dealers; 404 otherwise.

    A dealer-group token may name the dealer with ``?dealer_code=``; without it
    the sandbox looks in every dealer of the group (assumption) and asks for
    ``dealer_code`` only when several of them have this source_id.
    """
    store = call.sandbox.store
    source_id = call.source_id
    call.note["source_id"] = source_id
    code = call.query.get("dealer_code")
    if code:
        check_dealer(call.scope, code)
        found = [ad for ad in [store.get(code, source_id)] if ad is not None]
    else:
        found = [
            ad
            for c in sorted(call.scope.dealer_codes)
            if (ad := store.get(c, source_id)) is not None
        ]
    if len(found) > 1:
        raise bad_request(
            {
                "dealer_code": [
                    "Several dealers of your group have this source_id: pass ?dealer_code=."
                ]
            }
        )
    if not found or not _typed_match(call, found[0]):
        raise not_found()
    call.note["dealer"] = found[0].dealer_code
    return found[0]


def _typed_match(call: Call, ad: Ad) -> bool:
    # Assumption: a typed path only sees the ads of its own categories.
    if call.vehicle_type is None:
        return True
    return ad.content.get("category_id") in typed_categories(call.vehicle_type)


def post_dealer(call: Call, body: Mapping[str, Any]) -> str:
    """The dealer a POST creates for: the body's ``dealer_code`` (required for a group)."""
    code = body.get("dealer_code") or call.query.get("dealer_code")
    if code is None:
        if call.scope.is_group:
            raise bad_request({"dealer_code": ["This field is required."]})
        (code,) = call.scope.dealer_codes
    if not isinstance(code, str):
        raise bad_request({"dealer_code": ["Not a valid string."]})
    check_dealer(call.scope, code)
    call.note["dealer"] = code
    return code


def flag(query: Mapping[str, str], name: str) -> bool:
    """A boolean query parameter (``true``/``1``/``yes``; anything else is false)."""
    return query.get(name, "").strip().lower() in ("true", "1", "yes")


def refuse(message: str) -> ApiProblem:
    """400 with a bare list: a non-field error, as DRF answers it."""
    return bad_request([message])
