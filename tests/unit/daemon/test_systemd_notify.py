"""The pure parts of systemd's notify protocol: messages, addresses, watchdog timing."""

from __future__ import annotations

import pytest

from syncd.daemon import systemd


def test_message_is_key_value_lines() -> None:
    """Fields become KEY=value lines in the order given."""
    assert systemd.format_message({"READY": 1, "STATUS": "running"}) == b"READY=1\nSTATUS=running"


def test_newlines_in_values_are_flattened() -> None:
    """A value with a newline cannot inject a second assignment."""
    message = systemd.format_message({"STATUS": "ok\nREADY=1"})
    assert message == b"STATUS=ok READY=1"
    assert message.count(b"\n") == 0


@pytest.mark.parametrize("key", ["", "ready", "A=B"])
def test_bad_keys_are_refused(key: str) -> None:
    """Only upper-case keys without '=' are valid notify keys."""
    with pytest.raises(ValueError, match="not a notify key"):
        systemd.format_message({key: 1})


def test_socket_address_forms() -> None:
    """A path is used as is, '@name' is the abstract namespace, anything else turns notify off."""
    assert systemd.socket_address("/run/systemd/notify") == "/run/systemd/notify"
    assert systemd.socket_address("@syncd/notify") == b"\0syncd/notify"
    assert systemd.socket_address("vsock:2:1234") is None
    assert systemd.socket_address("") is None
    assert systemd.socket_address(None) is None


def test_notifier_without_socket_is_a_no_op() -> None:
    """Outside systemd every notification quietly does nothing."""
    notifier = systemd.Notifier.from_env({})
    assert not notifier.enabled
    assert notifier.ready("x") is False
    assert notifier.watchdog() is False


def test_watchdog_interval_is_half_the_timeout() -> None:
    """WATCHDOG_USEC=10 s asks for a ping every 5 s."""
    assert systemd.watchdog_interval({"WATCHDOG_USEC": "10000000"}, pid=42) == 5.0
    assert systemd.watchdog_interval({"WATCHDOG_USEC": "10000000", "WATCHDOG_PID": "42"}, 42) == 5.0


@pytest.mark.parametrize(
    "env",
    [
        {},
        {"WATCHDOG_USEC": "0"},
        {"WATCHDOG_USEC": "abc"},
        {"WATCHDOG_USEC": "1000000", "WATCHDOG_PID": "7"},
    ],
)
def test_watchdog_off(env: dict[str, str]) -> None:
    """No, zero or invalid WATCHDOG_USEC, or a WATCHDOG_PID of another process, means no pings."""
    assert systemd.watchdog_interval(env, pid=42) is None


def test_status_text_is_one_short_line() -> None:
    """STATUS= is flattened to one line and cut to the maximum length."""
    assert systemd.status_text("a\n  b") == "a b"
    long = systemd.status_text("x" * 5000)
    assert len(long) == systemd.MAX_STATUS_CHARS
    assert long.endswith("…")
