"""The log processor that masks contact data in an event's free text, as a pure function."""

from __future__ import annotations

import pytest

from syncd.core.contacts import EMAIL_HIDDEN, PHONE_HIDDEN
from syncd.logs import hide_url_credentials, mask_contacts

QUOTED = "contact.phone: '070-123 45 67' refused; contact.email: 'kalle@example.se' refused"
MASKED = f"contact.phone: '{PHONE_HIDDEN}' refused; contact.email: '{EMAIL_HIDDEN}' refused"


def masked(**event: object) -> dict[str, object]:
    return dict(mask_contacts(None, "warning", dict(event)))


@pytest.mark.parametrize(
    "key", ["message", "reason", "error", "errors", "note", "hint", "guard", "exception"]
)
def test_the_text_under_a_text_key_is_masked(key: str) -> None:
    """An API message, a reason, an error, a note or a traceback quoting contact data is
    masked, whatever the event."""
    assert masked(event="ad_rejected", **{key: QUOTED})[key] == MASKED


@pytest.mark.parametrize(
    "key", ["source_id", "dealer_code", "run_id", "request_id", "path", "event", "holder"]
)
def test_ids_and_other_keys_are_kept_whole(key: str) -> None:
    """An all-digit source_id or dealer code (it reads like a phone), a request id, a path,
    the event's name and any key not named as text stay as they are."""
    for value in ("0701234567", "46701234567", "kalle@example.se", "/srv/feeds/0701234567.csv"):
        assert masked(**{key: value})[key] == value


def test_text_is_masked_at_any_depth_and_ids_inside_it_are_kept() -> None:
    """Lists, tuples and dicts under a text key are masked through, ids among them kept;
    a text key nested under another key is masked too."""
    event = masked(
        errors=[{"source_id": "0701234567", "message": QUOTED}, (QUOTED,)],
        report={"counts": {"created": 1}, "problems": [{"record": "r[0]", "reason": QUOTED}]},
    )
    assert event["errors"] == [{"source_id": "0701234567", "message": MASKED}, (MASKED,)]
    assert event["report"] == {
        "counts": {"created": 1},
        "problems": [{"record": "r[0]", "reason": MASKED}],
    }


def test_values_that_are_no_text_pass_untouched() -> None:
    """Numbers, None, booleans and exc_info's tuple pass as they are, under any key."""
    exc_info = (ValueError, ValueError(QUOTED), None)
    event = masked(message=None, status=400, count=2.5, exc_info=exc_info, temporary=True)
    assert event == {
        "message": None,
        "status": 400,
        "count": 2.5,
        "exc_info": exc_info,
        "temporary": True,
    }


def test_an_object_under_a_text_key_is_shown_as_its_repr_masked() -> None:
    """An exception passed as ``error=exc`` would render as its repr, message and all:
    it is that repr, masked."""
    assert masked(error=ValueError(QUOTED))["error"] == f'ValueError("{MASKED}")'
    assert masked(errors=[ValueError("a@example.se")])["errors"] == [
        f"ValueError('{EMAIL_HIDDEN}')"
    ]


def test_an_event_without_contact_data_is_unchanged() -> None:
    """Ids, prices, years and timestamps in a message are no phones: the message is kept."""
    kept = "ad car-10234 (2018, 150000 kr) refused at 2026-12-03T08:00:00Z: HTTP 409"
    assert masked(message=kept, source_id="car-10234") == {
        "message": kept,
        "source_id": "car-10234",
    }


def test_a_library_records_text_is_masked_and_syncds_event_names_kept() -> None:
    """A standard library record (ProcessorFormatter marks it ``_from_structlog=False``)
    has its text under ``event``: SQLAlchemy's parameters quoting a phone and an address
    are masked there, its URLs and paths kept; syncd's own event names are not looked at."""
    sql = "[generated in 0.00010s] ('car-1', '070-123 45 67', 'kalle@example.se')"
    record = masked(event=sql, _from_structlog=False, logger="sqlalchemy.engine.Engine")
    assert (
        record["event"] == f"[generated in 0.00010s] ('car-1', '{PHONE_HIDDEN}', '{EMAIL_HIDDEN}')"
    )
    line = 'HTTP Request: GET http://api.example/v4/ad/0701234567?dealer_code=46701234567 "200"'
    assert masked(event=line, _from_structlog=False)["event"] == line
    assert masked(event="0701234567")["event"] == "0701234567"  # one of syncd's events
    assert masked(event="0701234567", _from_structlog=True)["event"] == "0701234567"


def test_a_retried_errors_repr_is_masked() -> None:
    """stamina's retry_scheduled event gives the error retried as ``caused_by``, a repr
    that may quote the API's text: masked like an error."""
    event = masked(event="stamina.retry_scheduled", caused_by=f"_Transient({QUOTED!r})")
    assert event["caused_by"] == f"_Transient({MASKED!r})"


def test_an_error_text_keeps_its_paths() -> None:
    """An error under ``error`` names a file in an all-digit dealer folder: the path is
    kept, the contact data the message quotes masked."""
    error = "/srv/feeds/0701234567/stock.json:3: not valid JSON near 'kalle@example.se'"
    assert masked(error=error)["error"] == (
        f"/srv/feeds/0701234567/stock.json:3: not valid JSON near '{EMAIL_HIDDEN}'"
    )


def test_a_libraries_url_loses_its_user_info() -> None:
    """httpx logs the URL it fetched whole: its ``user:password@`` is masked in a library's
    record, however short the password; syncd's own events are not looked at."""
    line = 'HTTP Request: GET http://dealer:pw1@dms.example/x.csv?dealer=7 "HTTP/1.1 200 OK"'
    record = hide_url_credentials(None, "info", {"event": line, "_from_structlog": False})
    assert record["event"] == (
        'HTTP Request: GET http://[REDACTED]@dms.example/x.csv?dealer=[REDACTED] "HTTP/1.1 200 OK"'
    )
    own = {"event": "feed_fetched", "url": "http://a:b@c"}
    assert hide_url_credentials(None, "info", own) is own


def test_a_libraries_url_loses_its_query_values_but_the_api_calls() -> None:
    """httpx's and uvicorn's lines show a URL's or a path's query: every value masked,
    however short (``?key=abc123``), but for the parameters of syncd's API calls
    (``dealer_code``, paging); a fragment, the path and the rest of the line stay."""

    def hidden(line: str) -> object:
        return hide_url_credentials(None, "debug", {"event": line, "_from_structlog": False})[
            "event"
        ]

    line = 'HTTP Request: GET https://dms.example/x.csv?key=abc123&dealer=7&sig= "HTTP/1.1 200 OK"'
    assert hidden(line) == (
        "HTTP Request: GET https://dms.example/x.csv?key=[REDACTED]&dealer=[REDACTED]&sig= "
        '"HTTP/1.1 200 OK"'
    )
    api = "HTTP Request: GET http://api.test/v4/ad?dealer_code=0701234567&limit=1&offset=0 200"
    assert hidden(api) == api
    assert hidden('127.0.0.1:5000 - "GET /feed?Token=t1#top HTTP/1.1" 200') == (
        '127.0.0.1:5000 - "GET /feed?Token=[REDACTED]#top HTTP/1.1" 200'
    )
    for kept in ("SELECT a FROM t WHERE b = ? AND c = ?", "what? a=b", "no query here"):
        assert hidden(kept) == kept
