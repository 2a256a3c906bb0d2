"""Shell: the progress bar of long commands (run-once, adopt, validate), on stderr.

Only on a terminal and never with ``--json``: off a terminal (cron, systemd, a
pipe) stderr carries the log lines alone, and stdout only ever the result. rich
is imported only when a bar is drawn (start-up time, issue 12). The use cases see
a ``Progress`` port, called per batch; :class:`RichProgress` draws it.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from syncd.ports import Progress

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import TaskID


class RichProgress:
    """A ``Progress`` drawn as one rich bar per task: description, bar, done/total, time."""

    def __init__(self, console: Console) -> None:
        from rich.progress import (  # noqa: PLC0415 - only when a bar is drawn
            BarColumn,
            MofNCompleteColumn,
            TextColumn,
            TimeElapsedColumn,
        )
        from rich.progress import Progress as Bars  # noqa: PLC0415

        self._bars = Bars(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            # The log lines on stderr print above the bars rather than through them.
            redirect_stderr=False,
            redirect_stdout=False,
        )
        self._tasks: dict[str, TaskID] = {}
        self._totals: dict[str, int | None] = {}

    def update(self, task: str, done: int, total: int | None = None) -> None:
        """Move ``task``'s bar to ``done`` (of ``total``, or the total known so far, which
        grows if the count passes it: follow-up calls are not planned up front)."""
        known = self._tasks.get(task)
        if known is None:
            known = self._tasks[task] = self._bars.add_task(task, total=total)
        size = total if total is not None else self._totals.get(task)
        if size is not None and done > size:
            size = done
        self._totals[task] = size
        self._bars.update(known, total=size, completed=done)

    def __enter__(self) -> RichProgress:
        self._bars.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._bars.stop()


@contextmanager
def progress_bar(*, as_json: bool, console: Console | None = None) -> Iterator[Progress | None]:
    """A bar on stderr for the ``with`` block when stderr is a terminal and the result is
    not JSON; None otherwise (nothing drawn, nothing imported). ``console``: for tests."""
    if as_json or (console is None and not sys.stderr.isatty()):
        yield None
        return
    if console is None:
        from rich.console import Console  # noqa: PLC0415 - only when a bar is drawn

        console = Console(stderr=True)
    if not console.is_terminal:
        yield None
        return
    with RichProgress(console) as bars:
        yield bars
