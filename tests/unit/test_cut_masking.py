"""A reason or an API message cut to its stored length never keeps part of an address the
cut split (what is left of one is no longer an address to mask)."""

from __future__ import annotations

import httpx

from syncd.core.contacts import masked
from syncd.core.models import ItemProblem
from syncd.core.status import INVALID_TEXT_LIMIT, recorded_invalid
from syncd.marketplaces.calls import MESSAGE_CHARS, api_messages
from syncd.views.reports import problem_json


def test_a_stored_invalid_reason_cut_through_an_address_shows_none_of_it() -> None:
    """recorded_invalid cuts a reason at its limit: the address it splits is dropped."""
    reason = "x" * (INVALID_TEXT_LIMIT - 20) + " anna.svensson@example.se is refused"
    [kept], _ = recorded_invalid([ItemProblem("s1", "1", "contact.email", reason)])
    shown = problem_json(kept)["reason"]
    assert len(kept.reason) <= INVALID_TEXT_LIMIT
    assert "anna.svensson" not in shown
    assert shown.endswith("…")


def test_an_api_message_cut_through_an_address_shows_none_of_it() -> None:
    """api_messages cuts each message before it is recorded on the ad: the address it
    splits is dropped, and the token is still cut out."""
    body = {
        "contact": {
            "email": ["tok-3f9a " + "y" * (MESSAGE_CHARS - 44) + " anna.svensson@example.se x"]
        }
    }
    request = httpx.Request(
        "POST", "https://api.example/v4/ad", headers={"X-Auth-Token": "tok-3f9a"}
    )
    [message] = api_messages(httpx.Response(400, json=body, request=request))
    assert len(message) <= MESSAGE_CHARS
    assert "anna.svensson" not in masked(message)
    assert "tok-3f9a" not in message
