"""Daemon: ``syncd daemon``, the long-running process around the sync service.

An APScheduler 3 ``AsyncIOScheduler`` (:mod:`syncd.daemon.scheduler`) runs the jobs
of :mod:`syncd.daemon.jobs`: a sync per feed every ``daemon.interval`` and whenever
its file changes, a reconcile pass, housekeeping. A job never overlaps itself,
two jobs of one dealer never run at once, and missed runs collapse into one.

Signals, handled on the event loop:

* SIGTERM, SIGINT — stop: STOPPING=1 to systemd, no new job starts, and the
  running jobs send no new call (:meth:`Jobs.stop`): the calls in flight are
  answered and recorded, then each job's step is cancelled. They get
  ``daemon.stop_timeout`` seconds for that and are then cancelled (a call being
  sent stays recorded as intent for the next run, a call sent stays in flight
  for the next reconcile). A second signal cancels at once.
* SIGHUP — reload: read the configuration again and rebuild the adapters;
  running jobs finish on the old ones. An invalid file is logged and ignored.

The process talks to systemd through :mod:`syncd.daemon.systemd` (READY=1, STATUS=,
WATCHDOG=1 while healthy, STOPPING=1) and serves ``/healthz``, ``/readyz``
``/metrics`` and the ``/status`` page through :mod:`syncd.daemon.health`.

Every answer of the API client also goes to the token watch (:mod:`syncd.daemon.token`):
a refused token fails ``/readyz`` even when there is nothing to send.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Literal

import structlog
from apscheduler.schedulers.asyncio import AsyncIOScheduler  # type: ignore[import-untyped]

from syncd import bootstrap
from syncd.bootstrap import Container
from syncd.config import DaemonSettings, Settings
from syncd.daemon import scheduler as scheduling
from syncd.daemon.health import Check, HealthServer, liveness, readiness
from syncd.daemon.jobs import Jobs, RunLock, last_successes, mirror_lock
from syncd.daemon.metrics import Metrics
from syncd.daemon.page import render
from syncd.daemon.status import HeldBackCache, gather
from syncd.daemon.systemd import Notifier, watchdog_interval
from syncd.daemon.token import TokenWatch
from syncd.errors import ConfigError, shown
from syncd.logs import public_error
from syncd.ports import EventHooks

log = structlog.get_logger("syncd.daemon")

MAX_LOOP_SILENCE = 30.0
"""/healthz fails (and WATCHDOG=1 stops) when the event loop has not ticked for this long."""
HEARTBEAT = 1.0
"""Seconds between two ticks of the heartbeat (at most; less with a short WatchdogSec)."""
FORCED_STOP_WAIT = 5.0
"""Seconds cancelled jobs get to unwind (record an interrupted run) before exit."""

Loader = Callable[[], Settings]
Builder = Callable[..., Container]
Command = Literal["stop", "reload"]


class Daemon:
    """One daemon process: scheduler, jobs, health endpoint, signals, systemd."""

    def __init__(
        self,
        load: Loader,
        *,
        notifier: Notifier | None = None,
        build: Builder = bootstrap.build,
        run_lock: RunLock = mirror_lock,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self._load = load
        self._build = build
        self._run_lock = run_lock
        self.notifier = notifier or Notifier.from_env(env)
        self._watchdog = watchdog_interval(os.environ if env is None else env, os.getpid())
        self.metrics = Metrics()
        self.token = TokenWatch(
            lambda dealer, refused: self.metrics.record_token(dealer, refused=refused)
        )
        self._commands: asyncio.Queue[Command] = asyncio.Queue()
        self._force = asyncio.Event()
        self._beat = time.monotonic()
        self._health: HealthServer | None = None
        self._retiring: list[asyncio.Task[None]] = []
        self._scheduler: AsyncIOScheduler | None = None
        self._jobs: Jobs | None = None
        self._settings: Settings | None = None
        self._stop_requested = False
        self._stop_why = "by a stop request"  # "by SIGTERM" once a signal asked
        self._held_back = HeldBackCache()  # the status page's withheld deletes, kept

    # --- life cycle ---------------------------------------------------------------

    async def run(self) -> None:
        """Start, serve until SIGTERM/SIGINT, stop. Start-up errors raise SyncdError."""
        settings = self._load()
        scheduling.quiet_scheduler_logs()
        container = self._make_container(settings)
        try:
            self._jobs = Jobs(
                container, self.metrics, self.notifier, self._run_lock, token=self.token
            )
            self._jobs.trigger = self._trigger
            self._jobs.use(container, last_successes(container))
            self._settings = settings
            self._health = self._serve_health(settings.daemon)
        except BaseException:
            await container.aclose()
            raise
        scheduler = scheduling.make_scheduler()
        self._scheduler = scheduler
        scheduling.schedule(scheduler, self._jobs, settings.daemon)
        scheduler.start()
        heartbeat = asyncio.create_task(self._heartbeat(), name="syncd-heartbeat")
        self._install_signals()
        self.notifier.ready(f"running: {len(self._jobs.feeds)} feed(s)")
        log.info(
            "daemon_started",
            pid=os.getpid(),
            feeds=len(self._jobs.feeds),
            interval=settings.daemon.interval,
            watchdog=self._watchdog,
        )
        try:
            while await self._commands.get() == "reload":
                await self._reload()
        finally:
            await self._stop(scheduler)
            heartbeat.cancel()
            self._remove_signals()

    async def _stop(self, scheduler: AsyncIOScheduler) -> None:
        assert self._jobs is not None
        assert self._settings is not None
        self.notifier.stopping()
        timeout = self._settings.daemon.stop_timeout
        log.info("daemon_stopping", running=len(self._jobs.tasks), timeout=timeout)
        scheduler.pause()  # no new job runs; shutdown() would cancel the running ones
        self._jobs.stop(self._stop_why)  # no new API call: the running jobs end promptly
        pending = await self._wait_for_jobs(timeout)
        if pending:
            log.warning("daemon_jobs_cancelled", count=len(pending))
            for task in pending:
                task.cancel()
            await asyncio.wait(pending, timeout=FORCED_STOP_WAIT)
        scheduler.shutdown(wait=False)
        if self._health is not None:
            self._health.close()
        if self._retiring:
            await asyncio.wait(self._retiring, timeout=FORCED_STOP_WAIT)
        await self._jobs.container.aclose()
        log.info("daemon_stopped")

    async def _wait_for_jobs(self, timeout: float) -> set[asyncio.Task[object]]:
        """Wait until the running jobs end, the timeout passes or a second signal comes."""
        assert self._jobs is not None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        pending: set[asyncio.Task[object]] = set(self._jobs.tasks)
        forced = asyncio.ensure_future(self._force.wait())
        try:
            while pending and not self._force.is_set() and loop.time() < deadline:
                await asyncio.wait(
                    {*pending, forced},
                    timeout=deadline - loop.time(),
                    return_when=asyncio.FIRST_COMPLETED,
                )
                pending = {t for t in pending if not t.done()}
        finally:
            forced.cancel()
        return pending

    async def _reload(self) -> None:
        """SIGHUP: new settings and adapters; jobs running finish on the old ones."""
        assert self._jobs is not None
        assert self._scheduler is not None
        self.notifier.reloading()
        try:
            settings = self._load()
            scheduling.quiet_scheduler_logs()
            container = self._make_container(settings)
        except ConfigError as exc:
            log.error("config_reload_failed", error=shown(exc))
            self.notifier.ready(f"reload failed, previous configuration kept: {public_error(exc)}")
            return
        except Exception as exc:  # noqa: BLE001 - the running configuration must go on
            log.error("config_reload_failed", error=shown(exc), kind=type(exc).__name__)
            self.notifier.ready(f"reload failed, previous configuration kept: {public_error(exc)}")
            return
        old = self._jobs.container
        self.token.forget_checks()  # the reloaded token (file) is checked at once
        self._jobs.use(container, self._jobs.last_success())
        self.token.keep({f.job.dealer_code for f in self._jobs.feeds})
        self._scheduler.remove_all_jobs()
        scheduling.schedule(self._scheduler, self._jobs, settings.daemon)
        self._retiring = [t for t in self._retiring if not t.done()]
        self._retiring.append(asyncio.create_task(self._retire(old)))
        self._rebind_health(settings.daemon)
        self._settings = settings
        self.notifier.ready(f"running: {len(self._jobs.feeds)} feed(s), configuration reloaded")
        log.info("config_reloaded", feeds=len(self._jobs.feeds))

    async def _retire(self, old: Container) -> None:
        assert self._jobs is not None
        running = list(self._jobs.running_on(old))
        if running:
            await asyncio.wait(running)
        await old.aclose()

    def _make_container(self, settings: Settings) -> Container:
        counted = self.metrics.event_hooks()
        watched = self.token.hooks(time.monotonic)
        hooks: EventHooks = {
            "request": counted.get("request", []),
            "response": counted.get("response", []) + watched["response"],
        }
        return self._build(settings, event_hooks=hooks)

    # --- scheduling ---------------------------------------------------------------

    def _trigger(self, index: int) -> None:
        """Run the sync job of this feed now (the watcher saw its file change)."""
        if self._scheduler is not None:
            scheduling.run_now(self._scheduler, index)

    async def _heartbeat(self) -> None:
        """Tick the liveness clock; tell systemd's watchdog while healthy."""
        assert self._settings is not None
        every = min(HEARTBEAT, self._watchdog or HEARTBEAT)
        last_ping = 0.0
        while True:
            self._beat = time.monotonic()
            wanted = self._watchdog is not None and self._settings.daemon.watchdog
            if wanted and self._beat - last_ping >= every and self.live().ok:
                self.notifier.watchdog()
                last_ping = self._beat
            await asyncio.sleep(every)

    # --- signals ------------------------------------------------------------------

    def _install_signals(self) -> None:
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, self._on_stop_signal, signal.SIGTERM)
        loop.add_signal_handler(signal.SIGINT, self._on_stop_signal, signal.SIGINT)
        loop.add_signal_handler(signal.SIGHUP, self._on_reload_signal)

    def _remove_signals(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            loop.remove_signal_handler(sig)

    def _on_stop_signal(self, sig: signal.Signals) -> None:
        log.info("signal_received", signal=sig.name)
        self.request_stop(sig)

    def _on_reload_signal(self) -> None:
        log.info("signal_received", signal="SIGHUP")
        self.request_reload()

    def request_stop(self, sig: signal.Signals | None = None) -> None:
        """Begin a graceful stop (SIGTERM, SIGINT); a second request cancels running jobs."""
        if self._stop_requested:
            log.warning("daemon_stop_forced")
            self._force.set()
            return
        self._stop_requested = True
        if sig is not None:
            self._stop_why = f"by {sig.name}"
        self._commands.put_nowait("stop")

    def request_reload(self) -> None:
        """Reload the configuration (SIGHUP)."""
        self._commands.put_nowait("reload")

    # --- health probes (called from the health server's threads) --------------------

    def live(self) -> Check:
        """Alive: the scheduler runs and the loop ticks."""
        running = self._scheduler is not None and self._scheduler.running
        return liveness(
            running=running,
            since_beat=time.monotonic() - self._beat,
            max_silence=MAX_LOOP_SILENCE,
        )

    def ready(self) -> Check:
        """Ready: the database answers, every feed synced recently and the API has not
        refused the token."""
        assert self._jobs is not None
        assert self._settings is not None
        return readiness(
            now=datetime.now(UTC),
            last_success=self._jobs.last_success(),
            max_age=timedelta(seconds=self._settings.daemon.ready_max_age),
            db_error=self._ping_database(),
            token_refusals=self.token.reasons(),
        )

    def metrics_text(self) -> bytes:
        """The Prometheus exposition."""
        return self.metrics.render()

    def status_page(self) -> bytes:
        """The status page (gathered on the calling thread: the health server's)."""
        assert self._jobs is not None
        view = gather(
            self._jobs.container,
            datetime.now(UTC),
            held_back=self._held_back,
            token_refused=self.token.refused,
        )
        return render(view).encode()

    def _ping_database(self) -> str | None:
        assert self._jobs is not None
        try:
            self._jobs.container.mirror.ping()
        except Exception as exc:  # noqa: BLE001 - any failure means "not ready", with its reason
            return public_error(exc)
        return None

    def _serve_health(self, d: DaemonSettings) -> HealthServer | None:
        if d.health_port == 0:
            return None
        try:
            server = HealthServer(_DaemonProbes(self), d.health_host, d.health_port)
        except OSError as exc:
            raise ConfigError(
                f"daemon.health_port: cannot listen on {d.health_host}:{d.health_port}: "
                f"{exc.strerror}"
            ) from exc
        server.start()
        return server

    def _rebind_health(self, d: DaemonSettings) -> None:
        old = self._settings.daemon if self._settings else None
        if old is not None and (old.health_host, old.health_port) == (d.health_host, d.health_port):
            return
        if self._health is not None:
            self._health.close()
            self._health = None
        try:
            self._health = self._serve_health(d)
        except ConfigError as exc:
            log.error("health_rebind_failed", error=shown(exc))


class _DaemonProbes:
    """Adapts the daemon to the health server's Probes."""

    def __init__(self, daemon: Daemon) -> None:
        self._daemon = daemon

    def live(self) -> Check:
        return self._daemon.live()

    def ready(self) -> Check:
        return self._daemon.ready()

    def metrics(self) -> bytes:
        return self._daemon.metrics_text()

    def page(self) -> bytes:
        return self._daemon.status_page()
