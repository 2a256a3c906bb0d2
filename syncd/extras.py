"""Shared: two libraries imported without an optional extra syncd never uses (start-up).

structlog and httpx each import rich when it is installed (and it is: syncd draws its
tables and progress bars with it), though neither needs it for what syncd asks of them:

* structlog, for its console tracebacks and the reprs of dict tracebacks; syncd uses
  neither (:func:`syncd.logs.console_traceback` writes plain, redacted text);
* httpx, for its own command line (``httpx.main``), with pygments too.

rich, pygments and attrs (which rich's ``pretty`` imports) were about 50 ms of the
0.4 s before a run's first feed byte, and 50-70 ms more when a run first calls the
API (issue 12). ``None`` in ``sys.modules`` makes an ``import`` of that name raise
ImportError, which both libraries catch: structlog sets its ``rich`` to None, httpx
puts a stub in ``main``. The entries are removed at once, so syncd's own tables and
progress bars import rich as usual when they are drawn.

Assumptions: both libraries keep these imports optional, as they have since they added
them; should one ever need rich, its import fails here, loudly. Nothing changes when the
library, or the extra, was imported already (a test run, say): the library is as it
would be anyway, and nothing syncd does depends on which.
"""

from __future__ import annotations

import importlib
import sys

STRUCTLOG_EXTRAS = ("rich",)
HTTPX_EXTRAS = ("rich", "pygments")


def import_without(module: str, extras: tuple[str, ...]) -> None:
    """Import ``module`` (if it is not yet) while none of ``extras`` can be imported."""
    if module in sys.modules:
        return
    blocked = [name for name in extras if name not in sys.modules]
    for name in blocked:
        sys.modules[name] = None  # type: ignore[assignment]
    try:
        importlib.import_module(module)
    finally:
        for name in blocked:
            if sys.modules.get(name, ...) is None:
                del sys.modules[name]
