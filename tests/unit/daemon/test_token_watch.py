"""The daemon's token watch: which answers prove or refuse the token, when to check, readiness."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from structlog.testing import capture_logs

from syncd.daemon.health import readiness
from syncd.daemon.metrics import Metrics
from syncd.daemon.token import TokenWatch, dealer_of, is_due, verdict

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("status", "expected"),
    [(200, True), (204, True), (400, True), (404, True), (409, True), (401, False), (403, False)],
)
def test_an_answer_proves_or_refuses_the_token(status: int, expected: bool) -> None:
    """2xx and the request's own 4xx prove the token; 401 and 403 refuse it."""
    assert verdict(status) is expected


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_a_rate_limit_or_server_error_tells_nothing(status: int) -> None:
    """429 and 5xx may come before the token is read: neither proof nor refusal."""
    assert verdict(status) is None


def test_a_check_is_due_only_after_an_interval_without_proof_or_check() -> None:
    """Never checked: due; proven or checked within the interval: not due; after it: due."""
    assert is_due(100.0, None, None, 900.0)
    assert not is_due(100.0, 50.0, None, 900.0)
    assert not is_due(1000.0, 50.0, 900.0, 900.0)
    assert is_due(1000.0, 50.0, None, 900.0)
    assert is_due(2000.0, None, 1000.0, 900.0)


def test_the_dealer_of_a_call_is_its_query_dealer_code() -> None:
    """?dealer_code= names the dealer; a call without it is the unscoped one ("")."""
    assert dealer_of(httpx.Request("GET", "http://api/ad?dealer_code=D1&limit=1")) == "D1"
    assert dealer_of(httpx.Request("GET", "http://api/v3/vehicle/brands")) == ""


def test_a_refusal_is_logged_once_fails_readiness_and_clears_on_proof() -> None:
    """Two refusals log one error; the reason names status and path, never a header;
    a proving answer clears it with one info event and the gauge follows."""
    metrics = Metrics()
    watch = TokenWatch(lambda d, refused: metrics.record_token(d, refused=refused))
    with capture_logs() as logs:
        watch.answered("D1", 403, "GET", "/ad", 1.0)
        watch.answered("D1", 403, "GET", "/ad", 2.0)
    assert [e["event"] for e in logs] == ["api_token_refused"]
    assert logs[0]["log_level"] == "error"
    assert b'syncd_api_token_refused{dealer_code="D1"} 1.0' in metrics.render()
    check = readiness(
        now=NOW,
        last_success={"D1": NOW - timedelta(seconds=1)},
        max_age=timedelta(seconds=60),
        db_error=None,
        token_refusals=watch.reasons(),
    )
    assert not check.ok
    assert check.reasons == (
        "D1: the API refused the token (HTTP 403 on GET /ad); "
        "check api.token, api.token_file or $SYNCD_API_TOKEN",
    )
    with capture_logs() as logs:
        watch.answered("D1", 200, "GET", "/ad", 3.0)
        watch.answered("D1", 200, "GET", "/ad", 4.0)
    assert [e["event"] for e in logs] == ["api_token_accepted"]
    assert watch.reasons() == ()
    assert watch.last_proof == 4.0
    assert b'syncd_api_token_refused{dealer_code="D1"} 0.0' in metrics.render()


def test_another_dealers_proof_leaves_a_scope_refusal_in_force() -> None:
    """A token taken for D1 says nothing of D2's scope; it does clear the unscoped refusal."""
    watch = TokenWatch()
    watch.answered("D2", 403, "GET", "/ad", 1.0)
    watch.answered("", 401, "POST", "/ad", 1.0)
    watch.answered("D1", 200, "GET", "/ad", 2.0)
    assert set(watch.refused) == {"D2"}
    watch.answered("D2", 503, "GET", "/ad", 3.0)
    assert set(watch.refused) == {"D2"}  # a 503 tells nothing
    watch.answered("D2", 200, "GET", "/ad", 4.0)
    assert watch.reasons() == ()


def test_a_reload_makes_the_check_due_at_once_and_keeps_the_refusal() -> None:
    """After forget_checks the next look reads; the refusal stays until an answer clears it."""
    watch = TokenWatch()
    watch.answered("", 401, "GET", "/ad", 10.0)
    watch.checking(10.0)
    assert not watch.due(11.0, 900.0)
    watch.forget_checks()
    assert watch.due(11.0, 900.0)
    assert set(watch.refused) == {""}
    assert watch.reasons()[0].startswith("(token dealer): the API refused the token (HTTP 401")


def test_a_reload_drops_the_refusals_of_dealers_no_longer_configured() -> None:
    """D2 removed from the configuration: its refusal (and gauge) go; D1's and the unscoped stay."""
    metrics = Metrics()
    watch = TokenWatch(lambda d, refused: metrics.record_token(d, refused=refused))
    for dealer in ("D1", "D2", ""):
        watch.answered(dealer, 403, "GET", "/ad", 1.0)
    watch.keep({"D1"})
    assert set(watch.refused) == {"D1", ""}
    assert b'syncd_api_token_refused{dealer_code="D2"} 0.0' in metrics.render()
