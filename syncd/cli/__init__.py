"""Shell: the ``syncd`` command line.

Every command takes ``--config PATH`` (default ``./syncd.toml`` or
``$SYNCD_CONFIG``) or ``--demo`` (embedded defaults: SQLite mirror in the
current folder, the bundled sample feed, the built-in sandbox in-process), and
``--log-level``; before or after the command name (after it wins).
Exit codes are the named constants of :class:`ExitCode`, documented in the README.

Each command lives in the module of its concern and is imported only when it
runs (:mod:`syncd.cli.group`), so ``syncd --help`` and a run against the real
API do not pay for the sandbox, the daemon or the migrations.
"""

from __future__ import annotations

from syncd.cli.exits import ExitCode, exit_code_for
from syncd.cli.group import main

__all__ = ["ExitCode", "exit_code_for", "main"]
