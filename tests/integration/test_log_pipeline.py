"""The logs of SQLAlchemy, httpx, APScheduler and uvicorn go through syncd's one pipeline."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import stamina
import structlog
from sqlalchemy import create_engine, text

from syncd import logs
from syncd.daemon.scheduler import quiet_scheduler_logs


@pytest.fixture
def stream() -> Iterator[io.StringIO]:
    """logs.configure on a captured stream (not a terminal: JSON lines), restored afterwards."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    out = io.StringIO()
    logs.configure("info", "auto", stream=out)
    try:
        yield out
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
        structlog.reset_defaults()
        structlog.contextvars.clear_contextvars()


def lines(out: io.StringIO) -> list[dict[str, object]]:
    """The JSON objects written so far."""
    return [json.loads(line) for line in out.getvalue().splitlines() if line.strip()]


def test_library_logs_are_json_lines_with_bound_context(stream: io.StringIO) -> None:
    """stdlib loggers of the libraries render as JSON with level, logger and the bound run_id."""
    structlog.contextvars.bind_contextvars(run_id=7, dealer_code="D1")
    structlog.get_logger("syncd.test").info("run_started", items=3)
    for name in ("httpx", "apscheduler.scheduler", "uvicorn.error", "sqlalchemy.engine.Engine"):
        logging.getLogger(name).warning("hello from %s", name)
    records = lines(stream)
    assert records[0]["event"] == "run_started"
    assert {r["logger"] for r in records[1:]} == {
        "httpx",
        "apscheduler.scheduler",
        "uvicorn.error",
        "sqlalchemy.engine.Engine",
    }
    for record in records:
        assert record["level"] in ("info", "warning")
        assert record["run_id"] == 7
        assert record["dealer_code"] == "D1"
        assert "timestamp" in record


def test_scheduler_chatter_is_quiet_but_its_warnings_pass(stream: io.StringIO) -> None:
    """After quiet_scheduler_logs, APScheduler's per-job info lines are dropped, warnings kept."""
    quiet_scheduler_logs()
    logging.getLogger("apscheduler.executors.default").info('Running job "watch"')
    logging.getLogger("apscheduler.scheduler").warning("Run time of job was missed")
    assert [r["event"] for r in lines(stream)] == ["Run time of job was missed"]


def test_sql_statements_are_not_logged_at_info(stream: io.StringIO) -> None:
    """At info level no SQL statement is logged (its parameters may hold contact data)."""
    engine = create_engine("sqlite://")
    with engine.connect() as conn:
        conn.execute(text("SELECT :phone"), {"phone": "0701234567"})
    engine.dispose()
    assert "0701234567" not in stream.getvalue()
    assert "SELECT" not in stream.getvalue()


@pytest.mark.parametrize("fmt", ["console", "json"])
def test_a_logged_traceback_shows_no_local_and_masks_the_token(fmt: str) -> None:
    """A traceback in either log format is the plain text: no frame's local variables
    (rich's console traceback printed them, the token held in a local among them), and
    the token masked in the exception's message too."""
    token = "tok-0123456789-secret"
    contact = "anna@example.com"  # a feed's contact data, held in the same frame
    out = io.StringIO()
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    logs.configure("info", fmt, stream=out)
    logs.REDACTOR.add(token)

    def sends() -> None:
        header = {"X-Auth-Token": token, "contact": contact}
        raise RuntimeError(f"refused with {header['X-Auth-Token']}")

    try:
        try:
            sends()
        except RuntimeError:
            structlog.get_logger("syncd.test").error("call_failed", exc_info=True)
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
        structlog.reset_defaults()
    text = out.getvalue()
    assert "in sends" in text  # the traceback is there, frame by frame
    assert "refused with [REDACTED]" in text
    assert token not in text
    assert contact not in text


@pytest.mark.parametrize("fmt", ["console", "json"])
def test_contact_data_in_logged_messages_is_masked_and_ids_are_kept(fmt: str) -> None:
    """Through the configured pipeline, in either format: the API's message, a reason and
    a traceback's exception text lose their e-mail addresses and phone numbers; the
    all-digit source_id and the dealer code beside them are logged whole."""
    email, phone, source_id = "kalle@example.se", "070-123 45 67", "0701234567"
    out = io.StringIO()
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    logs.configure("info", fmt, stream=out)
    log = structlog.get_logger("syncd.test")
    try:
        log.warning(
            "ad_rejected", source_id=source_id, dealer_code="46701234567", message=f"{email}?"
        )
        log.warning("feed_item_rejected", source_id=source_id, reason=f"'{phone}' refused")
        try:
            raise RuntimeError(f"refused: {email} / {phone}")
        except RuntimeError:
            log.error("ad_call_failed", source_id=source_id, exc_info=True)
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
        structlog.reset_defaults()
    text = out.getvalue()
    assert email not in text
    assert phone not in text
    assert "refused: [e-mail hidden] / [phone hidden]" in text  # the traceback's last line
    assert text.count(source_id) == 3
    assert "46701234567" in text
    if fmt == "json":
        first, second, _ = lines(out)
        assert first["message"] == "[e-mail hidden]?"
        assert second["reason"] == "'[phone hidden]' refused"


@pytest.mark.parametrize("fmt", ["console", "json"])
def test_library_records_at_debug_are_masked_and_redacted(tmp_path: Path, fmt: str) -> None:
    """At debug level the libraries speak at info: SQLAlchemy logs each statement and its
    parameters (a payload with a seller's phone and address, the token in another), httpx
    each request line, stamina each retry, APScheduler and uvicorn their lines. Each goes
    through syncd's chain: contact data masked, the token redacted, URLs and the all-digit
    dealer folder whole."""
    token = "tok-9f8e7d6c5b4a-secret"
    phone, email = "070-123 45 67", "kalle@example.se"
    folder = tmp_path / "0701234567"
    folder.mkdir()
    out = io.StringIO()
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    logs.configure("debug", fmt, stream=out)
    logs.REDACTOR.add(token)
    try:
        engine = create_engine(f"sqlite:///{folder / 'mirror.db'}")
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE ads (payload TEXT, note TEXT)"))
            payload = json.dumps({"contact": {"phone": phone, "email": email}})
            conn.execute(
                text("INSERT INTO ads VALUES (:payload, :note)"),
                {"payload": payload, "note": f"sent with {token}"},
            )
        engine.dispose()
        logging.getLogger("alembic.runtime.migration").warning("Context impl %s", folder)
        _sends_one_request_and_retries(token)
        logging.getLogger("apscheduler.scheduler").warning(
            'Job "renew (note %s)" raised an exception', email
        )
        logging.getLogger("uvicorn.access").info(
            '%s - "%s %s HTTP/1.1" %d', "127.0.0.1:5000", "GET", f"/status?t={token}", 200
        )
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
        structlog.reset_defaults()
    shown = out.getvalue()
    assert "INSERT INTO ads" in shown  # the statements were logged, at info
    assert "[phone hidden]" in shown
    assert "[e-mail hidden]" in shown
    assert "[REDACTED]" in shown
    assert str(folder) in shown  # a path, its all-digit folder whole
    assert "HTTP Request: GET http://api.example/v4/ad/0701234567?dealer_code=46701234567" in shown
    assert "GET https://dms.example/stock.csv?key=[REDACTED]&k=[REDACTED]" in shown
    assert "stamina.retry_scheduled" in shown
    assert "renew (note [e-mail hidden])" in shown
    for secret in (phone, email, token, "070-123", "kalle@", "abc123", "x9"):
        assert secret not in shown, secret


def _sends_one_request_and_retries(token: str) -> None:
    """One httpx request (its line names an all-digit source_id) and one stamina retry
    whose error quotes the token and an address."""

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={})

    with httpx.Client(transport=httpx.MockTransport(answer)) as client:
        client.get("http://api.example/v4/ad/0701234567", params={"dealer_code": "46701234567"})
        client.get("https://dms.example/stock.csv?key=abc123&k=x9")  # a feed's short key
    attempts = stamina.retry_context(on=ValueError, attempts=2, wait_initial=0, wait_max=0)
    for attempt in attempts:
        with attempt:
            if attempt.num == 1:
                raise ValueError(f"refused {token} for kalle@example.se")
