"""Errors logged as ``error=shown(exc)``: masked like a command's error line, their ids whole."""

from __future__ import annotations

import io
import json
import logging

import structlog
from structlog.testing import capture_logs

from syncd import logs, runs
from syncd.cli.exits import error_text
from syncd.core.contacts import EMAIL_HIDDEN, PHONE_HIDDEN, Masked
from syncd.errors import MirrorUnavailable, SyncdError, shown

DEALER = "0701234567"
MESSAGE = f"dealer '{DEALER}': refused, call 070-123 45 67 or kalle@example.se"
MASKED = f"dealer '{DEALER}': refused, call {PHONE_HIDDEN} or {EMAIL_HIDDEN}"


class _BrokenMirror:
    """A mirror whose ``remember`` fails with an error that names the dealer."""

    def remember(self, dealer_code: str, memos: object) -> int:
        raise MirrorUnavailable(MESSAGE, ids=[dealer_code])


def test_shown_masks_like_the_error_line_and_keeps_the_errors_ids() -> None:
    """``shown`` is what ``error_text`` shows (uncut): contact data masked, the all-digit
    dealer code the error names whole; a foreign error or a text is masked without ids."""
    exc = SyncdError(MESSAGE, ids=[DEALER])
    assert shown(exc) == MASKED == error_text(exc)
    assert isinstance(shown(exc), Masked)
    assert shown(OSError(MESSAGE)) == MASKED.replace(DEALER, PHONE_HIDDEN)
    assert shown(MESSAGE) == MASKED.replace(DEALER, PHONE_HIDDEN)


def test_the_log_processor_keeps_a_shown_errors_ids_and_masks_a_plain_one() -> None:
    """The processor passes a shown error as it is (its dealer code whole); the same
    message as a plain string is masked whole, the dealer code with it."""
    exc = SyncdError(MESSAGE, ids=[DEALER])
    event = logs.mask_contacts(None, "error", {"event": "job_failed", "error": shown(exc)})
    assert event["error"] == MASKED
    plain = logs.mask_contacts(None, "error", {"event": "job_failed", "error": str(exc)})
    assert plain["error"] == MASKED.replace(DEALER, PHONE_HIDDEN)


def test_a_call_site_logs_the_error_shown() -> None:
    """``runs.remember``'s warning carries the error shown (masked, the dealer whole)."""
    with capture_logs() as events:
        runs.remember(_BrokenMirror(), DEALER, {})  # type: ignore[arg-type]
    (event,) = [e for e in events if e["event"] == "raw_memos_not_recorded"]
    assert isinstance(event["error"], Masked)
    assert event["error"] == MASKED


def test_a_shown_error_through_the_json_pipeline_keeps_its_ids_and_loses_the_token() -> None:
    """Written as a JSON line: the dealer code whole, contact data masked; an error that
    quotes the token is redacted first, then masked again (its ids may be masked then,
    never the token or contact data shown)."""
    token = "tok-0701234567-secret"
    out = io.StringIO()
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    logs.configure("info", "json", stream=out)
    logs.REDACTOR.add(token)
    try:
        log = structlog.get_logger("syncd.test")
        log.error("job_failed", error=shown(SyncdError(MESSAGE, ids=[DEALER])))
        log.error("job_failed", error=shown(SyncdError(f"{MESSAGE} with {token}", ids=[DEALER])))
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
        structlog.reset_defaults()
    first, second = (json.loads(line) for line in out.getvalue().splitlines())
    assert first["error"] == MASKED
    assert token not in second["error"]
    assert "[REDACTED]" in second["error"]
    assert "070-123" not in second["error"]
    assert "kalle@" not in second["error"]
