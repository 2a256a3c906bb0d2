"""An error's one line on stderr: contact data masked, its paths, URLs and ids whole."""

from __future__ import annotations

import threading
import time

import pytest

from syncd.cli.exits import error_line, error_text
from syncd.core.contacts import EMAIL_HIDDEN, PHONE_HIDDEN
from syncd.errors import ApiContractError, FeedError, RateLimited, Stopped, SyncdError
from syncd.marketplaces.responses import parse_ad
from syncd.mirror.lock import _Waiting


def test_an_api_message_is_masked_and_the_source_id_kept() -> None:
    """An unexpected answer quotes the API's message: its phone and address masked, the
    API call's path and the all-digit source_id the error names kept."""
    exc = ApiContractError(
        "PATCH /v4/ad/0701234567 for source_id 0701234567: unexpected HTTP 418: "
        "contact: call 070-123 45 67 or kalle@example.se",
        ids=("0701234567",),
    )
    assert error_line(exc) == (
        "syncd: PATCH /v4/ad/0701234567 for source_id 0701234567: unexpected HTTP 418: "
        f"contact: call {PHONE_HIDDEN} or {EMAIL_HIDDEN}"
    )


def test_an_id_not_given_is_masked_where_it_looks_like_a_phone() -> None:
    """Without ``ids`` an all-digit dealer code outside a path reads as a phone: shown
    masked (wrong, never leaked); given, it is kept."""
    message = "another syncd run holds the lock for dealer '0701234567'"
    assert (
        error_text(SyncdError(message))
        == f"another syncd run holds the lock for dealer '{PHONE_HIDDEN}'"
    )
    assert error_text(SyncdError(message, ids=("0701234567", None))) == message


def test_a_feeds_error_keeps_its_path() -> None:
    """A feed's error names its file in an all-digit dealer folder: kept; the value it
    quotes masked; the text is escaped and cut as before."""
    exc = FeedError("/srv/feeds/0701234567/stock.json:2: bad value '070.123.45.67'\n")
    assert error_line(exc) == (
        f"syncd: /srv/feeds/0701234567/stock.json:2: bad value '{PHONE_HIDDEN}'\\n"
    )
    long = FeedError("/srv/feeds/0701234567/x.csv: " + "a" * 5000 + " 070-123 45 67")
    assert "070-123" not in error_line(long)
    assert error_line(long).startswith("syncd: /srv/feeds/0701234567/x.csv: aaa")


def test_a_line_syncd_wrote_is_masked_the_same_way() -> None:
    """A text (a stop's line) goes through the same mask, without ids."""
    assert error_line("stopped; see /srv/0701234567/x.json") == (
        "syncd: stopped; see /srv/0701234567/x.json"
    )


@pytest.mark.parametrize(
    "exc",
    [
        RateLimited("429", 3.0, ids=("0701234567",)),
        Stopped("stopped", None, ids=("0701234567",)),
    ],
)
def test_the_errors_with_their_own_fields_take_ids_too(exc: SyncdError) -> None:
    """RateLimited and Stopped keep their fields and take ids like every error."""
    assert exc.ids == frozenset({"0701234567"})


def test_an_unknown_state_names_its_source_id_as_an_id() -> None:
    """parse_ad's error for an unknown state gives the source_id: kept in the line, the
    state the API sent (its text) masked."""
    with pytest.raises(ApiContractError) as caught:
        parse_ad({"source_id": "0701234567", "state": "call 0709876543"})
    assert error_line(caught.value) == (
        f"syncd: ad 0701234567: unknown state 'call {PHONE_HIDDEN}'"
    )


def test_a_held_run_lock_names_its_all_digit_dealer_whole() -> None:
    """The lock's refusal and its stop name the dealer as an id: kept in the line."""
    waiting = _Waiting("0701234567", 2.0, 0.1, threading.Event(), time.monotonic)
    assert error_line(waiting.refused("4242")) == (
        "syncd: another syncd run holds the lock for dealer '0701234567' (pid 4242) after "
        "waiting 2 s; try again when it has finished"
    )
