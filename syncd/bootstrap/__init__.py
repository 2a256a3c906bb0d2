"""Composition root: the only place that builds engines, clients and adapters.

Importing any syncd module has no side effects; :func:`build` turns validated
settings into a :class:`Container` of ready adapters, and
:meth:`Container.aclose` releases them.

Start-up time (issue 12): what only some configurations need is imported where it
is built, not here: the mapped formats' readers and the mapping compiler (a native
feed needs neither), the URL fetcher (a local file needs none), the bundled sample
(``--demo``), the sandbox (the embedded API). The API's client (httpx, its TLS
context, its pools) is built at its first use (:class:`ApiOnFirstUse`): a run
that sends nothing never builds it.

The parts, by concern (callers use this package, not them):

* ``container``: :class:`Container`, :func:`build`, the mirror alone (``open_mirror``);
* ``api``: the API client built at its first use, its HTTP client;
* ``feeds``: the feeds' readers (native, mapped, fetched from a URL) and the sync jobs;
* ``vehicles``: the cached vehicle values, and ``validate``'s API helpers;
* ``options``: the run options, the renewal policies, the real clock;
* ``demo``: the ``--demo`` settings.

Every part is imported with the package: each one's imports are those the single
module had, so a run imports nothing more than before but these parts' own files.
"""

from __future__ import annotations

from syncd.bootstrap.api import USER_AGENT, ApiOnFirstUse, api_client, build_http
from syncd.bootstrap.container import Container, build, build_engine, open_mirror, open_records
from syncd.bootstrap.demo import DEMO_DEALER, demo_settings, sample_feed_path
from syncd.bootstrap.feeds import (
    feed_cache_dir,
    feed_client,
    feed_jobs,
    feed_pairs,
    feed_reader,
    feed_shown,
    feed_source,
    fetch_sample,
    sample_feed,
)
from syncd.bootstrap.options import SystemClock, renewal_policy, run_options
from syncd.bootstrap.vehicles import ApiHelpers, api_helpers, vehicle_cache_path, vehicle_source

__all__ = [
    "DEMO_DEALER",
    "USER_AGENT",
    "ApiHelpers",
    "ApiOnFirstUse",
    "Container",
    "SystemClock",
    "api_client",
    "api_helpers",
    "build",
    "build_engine",
    "build_http",
    "demo_settings",
    "feed_cache_dir",
    "feed_client",
    "feed_jobs",
    "feed_pairs",
    "feed_reader",
    "feed_shown",
    "feed_source",
    "fetch_sample",
    "open_mirror",
    "open_records",
    "renewal_policy",
    "run_options",
    "sample_feed",
    "sample_feed_path",
    "vehicle_cache_path",
    "vehicle_source",
]
