"""Subprocesses a test starts, each killed, reaped and its pipes closed when the test ends.

A test that fails (or hits its timeout) half-way would otherwise leave a child
running; its Popen object is then collected during a later test and the
ResourceWarning it raises (warnings are errors here) fails that other test.
:class:`Processes` tracks every Popen it starts and, at the end of its block,
kills what still runs, waits for it and closes its pipes. The ``processes``
fixture (tests/conftest.py) gives each test one; module-scoped helpers such as
``running_sandbox`` use their own.
"""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Sequence
from types import TracebackType
from typing import Any

# How long a process that was asked to stop (SIGTERM) may take before it is killed.
DEFAULT_GRACE = 10.0


class Processes:
    """Start subprocesses; kill, reap and close every one of them at the end."""

    def __init__(self) -> None:
        self._started: list[subprocess.Popen[Any]] = []

    def __enter__(self) -> Processes:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def start(self, args: Sequence[str], **kwargs: Any) -> subprocess.Popen[Any]:
        """Start ``args`` like :class:`subprocess.Popen` and track it."""
        process: subprocess.Popen[Any] = subprocess.Popen(args, **kwargs)
        self._started.append(process)
        return process

    def run(
        self,
        args: Sequence[str],
        *,
        timeout: float,
        check: bool = False,
        **kwargs: Any,
    ) -> subprocess.CompletedProcess[Any]:
        """Like ``subprocess.run(args, capture_output=True, ...)``, the child tracked."""
        process = self.start(
            args,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            **kwargs,
        )
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.stop(process)
            raise
        finally:
            self._close_pipes(process)
        returncode = process.returncode
        if check and returncode:
            raise subprocess.CalledProcessError(returncode, args, stdout, stderr)
        return subprocess.CompletedProcess(args, returncode, stdout, stderr)

    def stop(self, process: subprocess.Popen[Any], grace: float | None = None) -> int:
        """Stop one process (SIGTERM then ``grace`` seconds, or SIGKILL at once); reap it."""
        if process.poll() is None and grace is not None:
            process.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=grace)
        if process.poll() is None:
            process.kill()
        returncode = process.wait()
        self._close_pipes(process)
        return returncode

    def close(self) -> None:
        """Kill, reap and close every process started here, the last one first."""
        while self._started:
            self.stop(self._started.pop())

    @staticmethod
    def _close_pipes(process: subprocess.Popen[Any]) -> None:
        for stream in (process.stdin, process.stdout, process.stderr):
            if stream is not None:
                with contextlib.suppress(BrokenPipeError):  # a dead child's unread stdin
                    stream.close()
