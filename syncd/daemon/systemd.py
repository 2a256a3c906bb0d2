"""Daemon: systemd's notify protocol (``Type=notify``), spoken with the standard library.

systemd passes ``$NOTIFY_SOCKET`` (a path, or ``@name`` for the abstract
namespace) and, with ``WatchdogSec=``, ``$WATCHDOG_USEC`` and ``$WATCHDOG_PID``.
A service sends datagrams of ``KEY=value`` lines: ``READY=1`` once it serves,
``WATCHDOG=1`` while it is healthy, ``STATUS=...`` for ``systemctl status``,
``STOPPING=1`` when it begins to stop, ``RELOADING=1`` around a reload.

The formatting and the reading of the environment are pure functions; only
:class:`Notifier` touches a socket. Without ``$NOTIFY_SOCKET`` (not under
systemd) every notification is a no-op, so the daemon calls them unconditionally.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Mapping
from dataclasses import dataclass

import structlog

from syncd.errors import shown

log = structlog.get_logger("syncd.systemd")

NOTIFY_SOCKET_ENV = "NOTIFY_SOCKET"
WATCHDOG_USEC_ENV = "WATCHDOG_USEC"
WATCHDOG_PID_ENV = "WATCHDOG_PID"
MAX_STATUS_CHARS = 1000
"""STATUS= is shown on one line of ``systemctl status``; longer text is cut."""


def format_message(fields: Mapping[str, str | int]) -> bytes:
    """One notify datagram: ``KEY=value`` lines, newlines in values flattened."""
    lines = []
    for key, value in fields.items():
        if not key or not key.isupper() or "=" in key:
            raise ValueError(f"not a notify key: {key!r}")
        text = " ".join(str(value).split("\n"))
        lines.append(f"{key}={text}")
    return "\n".join(lines).encode("utf-8")


def socket_address(value: str | None) -> str | bytes | None:
    """The address to send to: a path, or ``@name`` as an abstract-namespace address."""
    if not value:
        return None
    if value.startswith("@"):
        return b"\0" + value[1:].encode("utf-8")
    if value.startswith("/"):
        return value
    return None  # vsock: and relative addresses are not supported; notify is then off


def watchdog_interval(env: Mapping[str, str], pid: int) -> float | None:
    """How often to send WATCHDOG=1 (half the timeout systemd set), or None when off.

    None when ``$WATCHDOG_USEC`` is unset or invalid, or ``$WATCHDOG_PID`` names
    another process (the variables were inherited, not meant for this one).
    """
    usec = env.get(WATCHDOG_USEC_ENV, "")
    if not usec.isdigit() or int(usec) == 0:
        return None
    wd_pid = env.get(WATCHDOG_PID_ENV, "")
    if wd_pid and (not wd_pid.isdigit() or int(wd_pid) != pid):
        return None
    return int(usec) / 1_000_000 / 2


def status_text(text: str) -> str:
    """A STATUS= value: one line, at most :data:`MAX_STATUS_CHARS` characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= MAX_STATUS_CHARS else flat[: MAX_STATUS_CHARS - 1] + "…"


@dataclass
class Notifier:
    """Sends notify datagrams to ``address``; a no-op when ``address`` is None."""

    address: str | bytes | None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Notifier:
        """The notifier systemd asked for through ``$NOTIFY_SOCKET``."""
        env = os.environ if env is None else env
        return cls(socket_address(env.get(NOTIFY_SOCKET_ENV)))

    @property
    def enabled(self) -> bool:
        """True when running under a supervisor that listens."""
        return self.address is not None

    def notify(self, **fields: str | int) -> bool:
        """Send one datagram; False (and a debug log) when it could not be sent.

        A lost notification must never stop the daemon, so errors are logged, not raised.
        """
        if self.address is None:
            return False
        message = format_message(fields)
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
                sock.connect(self.address)
                sock.sendall(message)
        except OSError as exc:
            log.debug("systemd_notify_failed", error=shown(exc), fields=sorted(fields))
            return False
        return True

    def ready(self, status: str) -> bool:
        """READY=1 with a first status line."""
        return self.notify(READY=1, STATUS=status_text(status), MAINPID=os.getpid())

    def status(self, text: str) -> bool:
        """STATUS=text (shown by ``systemctl status``)."""
        return self.notify(STATUS=status_text(text))

    def watchdog(self) -> bool:
        """WATCHDOG=1: the service is alive and healthy."""
        return self.notify(WATCHDOG=1)

    def reloading(self) -> bool:
        """RELOADING=1 with the monotonic time systemd wants since v253."""
        return self.notify(
            RELOADING=1,
            MONOTONIC_USEC=time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000,
            STATUS="reloading configuration",
        )

    def stopping(self) -> bool:
        """STOPPING=1: the service has begun to stop."""
        return self.notify(STOPPING=1, STATUS="stopping")
