"""Daemon: the Prometheus metrics, and the httpx event hooks that count API calls.

Every metric lives in the registry of one :class:`Metrics` (never the
process-global default registry), so tests and reloads start from a known
state. The names, with their labels:

====================================  ====================  ===============================
metric                                labels                meaning
====================================  ====================  ===============================
syncd_runs_total                      dealer_code, outcome  finished sync runs (success,
                                                            partial, guarded, failed)
syncd_api_requests_total              method, status        HTTP calls to the API that got
                                                            an answer, by status code
syncd_api_request_duration_seconds    method                latency of those calls
syncd_ads                             dealer_code, state    ads in the mirror by status
syncd_actions_in_flight               dealer_code           calls sent, outcome not known
syncd_errors_total                    job, kind             jobs that raised, by error class
syncd_last_success_timestamp_seconds  dealer_code           end of the last successful run
syncd_feed_age_seconds                dealer_code           age of the feed file (NaN:
                                                            missing); of a URL feed: of
                                                            the export last read (its
                                                            Last-Modified, else when its
                                                            body was first fetched; NaN
                                                            before the first run)
syncd_job_duration_seconds            job                   how long each daemon job ran
syncd_drift_total                     dealer_code, kind     ads the audit job found changed
                                                            outside syncd (deleted_outside,
                                                            not_listed, live_outside,
                                                            unknown_to_mirror)
syncd_api_token_refused               dealer_code           1 while the API refuses the
                                                            token for this dealer (""
                                                            for calls naming none)
====================================  ====================  ===============================
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from syncd.core.models import RunOutcome

CONTENT_TYPE = CONTENT_TYPE_LATEST
_STARTED = "syncd_started"  # request extension holding the send time (perf_counter)
LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


def feed_age(path: str, now: float) -> float:
    """Seconds since the feed file was last modified; NaN when it cannot be read."""
    try:
        return max(0.0, now - os.stat(path).st_mtime)
    except OSError:
        return math.nan


class Metrics:
    """The metrics of one daemon process."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry(auto_describe=True)
        self._read_at: dict[str, float] = {}  # URL feeds: the last read export's time
        r = self.registry
        self.runs = Counter(
            "syncd_runs", "Finished sync runs by outcome.", ["dealer_code", "outcome"], registry=r
        )
        self.api_requests = Counter(
            "syncd_api_requests",
            "HTTP calls to the Pro Import API that got an answer, by method and status.",
            ["method", "status"],
            registry=r,
        )
        self.api_latency = Histogram(
            "syncd_api_request_duration_seconds",
            "Latency of HTTP calls to the Pro Import API.",
            ["method"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.ads = Gauge(
            "syncd_ads", "Ads in the mirror by status.", ["dealer_code", "state"], registry=r
        )
        self.in_flight = Gauge(
            "syncd_actions_in_flight",
            "Calls accepted by the API whose action logs are still processing.",
            ["dealer_code"],
            registry=r,
        )
        self.errors = Counter(
            "syncd_errors",
            "Jobs that ended with an error, by error class.",
            ["job", "kind"],
            registry=r,
        )
        self.last_success = Gauge(
            "syncd_last_success_timestamp_seconds",
            "Unix time of the end of the last successful (or partial) run.",
            ["dealer_code"],
            registry=r,
        )
        self.feed_age = Gauge(
            "syncd_feed_age_seconds",
            "Seconds since the feed file was last modified (NaN when it is missing).",
            ["dealer_code"],
            registry=r,
        )
        self.renewals = Counter(
            "syncd_renewals",
            "Paid calls (bumps by a [[renewal]] policy), by dealer, policy and outcome "
            "(accepted and unknown may have been charged).",
            ["dealer_code", "policy", "outcome"],
            registry=r,
        )
        self.token_refused = Gauge(
            "syncd_api_token_refused",
            "1 while the Pro Import API refuses the token (401/403) for this dealer.",
            ["dealer_code"],
            registry=r,
        )
        self.drift = Counter(
            "syncd_drift",
            "Ads the audit found changed outside syncd, by kind.",
            ["dealer_code", "kind"],
            registry=r,
        )
        self.job_duration = Histogram(
            "syncd_job_duration_seconds", "How long each daemon job ran.", ["job"], registry=r
        )

    def render(self) -> bytes:
        """The registry in the Prometheus text format."""
        return generate_latest(self.registry)

    def watch_feed(self, dealer_code: str, path: str) -> None:
        """Report the age of this feed file, read afresh at every scrape; of a URL feed,
        the age of the export its last run read (:meth:`feed_read`)."""
        if path.startswith(("http://", "https://")):
            read = self._read_at

            def url_age() -> float:
                when = read.get(dealer_code)
                return math.nan if when is None else max(0.0, time.time() - when)

            self.feed_age.labels(dealer_code).set_function(url_age)
            return
        self.feed_age.labels(dealer_code).set_function(lambda: feed_age(path, time.time()))

    def feed_read(self, dealer_code: str, modified_at: float | None) -> None:
        """A run read the dealer's feed, written (or exported) at ``modified_at``."""
        if modified_at is not None:
            self._read_at[dealer_code] = modified_at

    def forget_feeds(self) -> None:
        """Drop the per-feed gauges (before a reload re-adds the configured feeds)."""
        self.feed_age.clear()
        self.ads.clear()
        self.in_flight.clear()

    def record_run(self, dealer_code: str, outcome: RunOutcome, at: float) -> None:
        """Count a finished run; a success or partial run moves the last-success time."""
        self.runs.labels(dealer_code, outcome).inc()
        if outcome.successful:
            self.last_success.labels(dealer_code).set(at)

    def record_renewals(self, dealer_code: str, policy: str, counts: Mapping[str, int]) -> None:
        """Count one policy pass's paid calls by outcome."""
        for outcome, n in counts.items():
            self.renewals.labels(dealer_code, policy, outcome).inc(n)

    def record_drift(self, dealer_code: str, counts: Mapping[str, int]) -> None:
        """Count one audit's drifts by kind (every kind, so each series exists from 0)."""
        for kind, n in counts.items():
            self.drift.labels(dealer_code, kind).inc(n)

    def record_error(self, job: str, exc: BaseException) -> None:
        """Count a job that raised, labelled with the error's class name."""
        self.errors.labels(job, type(exc).__name__).inc()

    def record_token(self, dealer_code: str, *, refused: bool) -> None:
        """The API refused the token for this dealer, or took it again."""
        self.token_refused.labels(dealer_code).set(1 if refused else 0)

    def record_ads(self, dealer_code: str, counts: Mapping[str, int], in_flight: int) -> None:
        """Set the ads-by-status and in-flight gauges of one dealer."""
        for state, n in counts.items():
            self.ads.labels(dealer_code, state).set(n)
        self.in_flight.labels(dealer_code).set(in_flight)

    def event_hooks(self) -> dict[str, list[Callable[..., Any]]]:
        """httpx AsyncClient event hooks that time and count every API call."""

        async def on_request(request: httpx.Request) -> None:
            request.extensions[_STARTED] = time.perf_counter()

        async def on_response(response: httpx.Response) -> None:
            self.observe(response.request, str(response.status_code))

        return {"request": [on_request], "response": [on_response]}

    def observe(self, request: httpx.Request, status: str) -> None:
        """Count one call and, when its start was recorded, its latency."""
        self.api_requests.labels(request.method, status).inc()
        started = request.extensions.get(_STARTED)
        if isinstance(started, float):
            self.api_latency.labels(request.method).observe(time.perf_counter() - started)
