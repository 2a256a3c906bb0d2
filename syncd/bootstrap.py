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
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from pydantic import SecretStr
from sqlalchemy import Engine, make_url

from syncd.config import (
    EMBEDDED_SANDBOX,
    VEHICLE_CACHE_NAME,
    ApiSettings,
    DatabaseSettings,
    FeedSettings,
    GuardSettings,
    RenewalSettings,
    Settings,
    SyncSettings,
)
from syncd.core.guards import GuardLimits
from syncd.core.renewals import Caps, RenewalPolicy
from syncd.errors import ConfigError
from syncd.feeds.files import Stillness
from syncd.feeds.native import NativeFeedReader
from syncd.logs import REDACTOR
from syncd.marketplaces.throttle import Throttle
from syncd.marketplaces.vehicle_cache import CachedVehicleValues
from syncd.mirror import revision
from syncd.mirror.engine import make_engine
from syncd.mirror.lock import SqlRunLock
from syncd.mirror.renewals import SqlRenewalLog
from syncd.mirror.sql import SqlMirror
from syncd.ports import (
    Catalog,
    Clock,
    EventHooks,
    FeedReader,
    Marketplace,
    Migrator,
    Mirror,
    RenewalLog,
    Renewer,
    RunLock,
    VehicleLookups,
    VehicleValuesSource,
)
from syncd.renewals import RenewalDeps
from syncd.runs import Deps, FeedJob, RunOptions

if TYPE_CHECKING:
    import httpx

    from syncd.feeds.http import HttpSource
    from syncd.feeds.mapped import Format, MappedFeedReader
    from syncd.marketplaces.pro_import import ProImportApi

DEMO_DEALER = "DEMO"
_NO_API_KEY_HINT = "api.token: no API token; set api.token, api.token_file or $SYNCD_API_TOKEN"
USER_AGENT = "syncd/0.1 (+Pro Import API sync daemon)"


class SystemClock:
    """The real time, timezone-aware UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


def sample_feed_path() -> Path:
    """The bundled sample feed (a few ads of several categories)."""
    from importlib import resources  # noqa: PLC0415 - only --demo reads it

    return Path(str(resources.files("syncd") / "data" / "sample-feed.json"))


def demo_settings(workdir: Path) -> Settings:
    """Embedded defaults: SQLite mirror, bundled sample feed, in-process sandbox."""
    return Settings(
        database=DatabaseSettings(url=f"sqlite:///{workdir / 'syncd-demo.db'}"),
        api=ApiSettings(base_url=EMBEDDED_SANDBOX, sandbox_state=workdir / "syncd-demo-sandbox.db"),
        # The bundled sample is written once, by the install: no exporter is at work on it,
        # so it is read at once (its ctime is the install's, which a settle window waits on).
        feeds=(FeedSettings(path=sample_feed_path(), dealer_code="", settle_seconds=0),),
        sync=SyncSettings(reconcile_wait=15.0, poll_interval=0.2),
        # The bundled sample is as old as the install; its age says nothing of an exporter.
        guards=GuardSettings(max_feed_age=0),
        source="--demo",
    )


def run_options(settings: Settings, *, allow_mass_delete: bool = False) -> RunOptions:
    """Run knobs from the [api], [sync] and [guards] settings."""
    s = settings
    g = s.guards
    return RunOptions(
        api_version=s.api.version,
        max_in_flight=s.api.max_in_flight,
        reconcile_wait=s.sync.reconcile_wait,
        poll_interval=s.sync.poll_interval,
        batch_size=s.sync.batch_size,
        guards=GuardLimits(
            max_delete_fraction=g.max_delete_fraction,
            max_delete_count=g.max_delete_count,
            min_deletes_checked=g.min_deletes_checked,
            max_feed_age=timedelta(seconds=g.max_feed_age) if g.max_feed_age else None,
        ),
        allow_mass_delete=allow_mass_delete,
    )


def feed_cache_dir(settings: Settings) -> Path:
    """Where URL feeds keep their last good body: beside the SQLite mirror, else beside
    the config file (a PostgreSQL mirror), else the working folder."""
    url = make_url(settings.database.url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        return Path(str(url.database)).parent
    config_file = Path(settings.source)
    return config_file.parent if config_file.is_file() else Path.cwd()


def feed_client(f: FeedSettings) -> httpx.AsyncClient:
    """The HTTP client of one fetch of a feed URL (syncd/feeds/http.py makes one per
    fetch): its timeouts, redirects followed (httpx drops the credentials on a
    redirect to another host), no auth of its own (the source adds the feed's)."""
    import httpx  # noqa: PLC0415 - a URL feed's fetch only

    return httpx.AsyncClient(
        timeout=httpx.Timeout(f.fetch_timeout, connect=min(f.fetch_timeout, 10.0)),
        headers={"User-Agent": USER_AGENT},
        follow_redirects=True,
        max_redirects=5,
    )


def feed_source(f: FeedSettings, cache_dir: Path) -> HttpSource:
    """The fetcher of a URL feed, its cache file in ``f.cache_dir`` or ``cache_dir``."""
    # Only a URL feed is fetched: its modules (and httpx's auth) imported here.
    from syncd.extras import HTTPX_EXTRAS, import_without  # noqa: PLC0415

    import_without("httpx", HTTPX_EXTRAS)
    from syncd.feeds.http import HttpSource  # noqa: PLC0415
    from syncd.feeds.http_auth import EnvCredentials  # noqa: PLC0415
    from syncd.feeds.http_cache import cache_name  # noqa: PLC0415

    assert f.url is not None
    return HttpSource(
        f.url,
        client=lambda: feed_client(f),
        max_bytes=f.max_bytes,
        cache_file=(f.cache_dir or cache_dir) / cache_name(f.url),
        timeout=f.fetch_timeout,
        credentials=EnvCredentials(f.auth_env, f.auth_user_env, f.auth_password_env),
        redact=REDACTOR.add,
    )


def renewal_policy(r: RenewalSettings) -> RenewalPolicy:
    """A ``[[renewal]]`` of the config as the core's policy value."""
    return RenewalPolicy(
        name=r.name,
        every=timedelta(days=r.every_days),
        caps=Caps(daily=r.daily_cap, monthly=r.monthly_cap),
        dealer_codes=frozenset(r.dealer_codes),
        categories=frozenset(r.categories),
        filter={k: tuple(v) if isinstance(v, list) else (v,) for k, v in r.filter.items()},
        exclude_bytbil=r.exclude_bytbil,
        exclude_blocket=r.exclude_blocket,
    )


def feed_reader(f: FeedSettings, dealer: str = "", cache_dir: Path | None = None) -> FeedReader:
    """The reader of a feed's format: native JSON, or the dealer's own shape mapped
    (of a dealer-group file, only ``dealer``'s records); of a URL feed, fetching it."""
    reader = _format_reader(f, dealer)
    if f.url is not None:
        reader.fetch_from(feed_source(f, cache_dir or Path.cwd()))
    return reader


def _format_reader(f: FeedSettings, dealer: str) -> NativeFeedReader | MappedFeedReader:
    data = f.mapping_data()
    stillness = Stillness(f.settle_seconds, f.settle_timeout, f.ready_file)
    if data is None:
        return NativeFeedReader(f.format, max_bytes=f.max_bytes, stillness=stillness)
    # A mapped feed's reader and the mapping compiler, imported only for a mapped feed,
    # and of the formats only the feed's own (lxml, calamine: start-up time, issue 12).
    from syncd.core.map import parse_mapping  # noqa: PLC0415
    from syncd.feeds.mapped import MappedFeedReader  # noqa: PLC0415

    return MappedFeedReader(
        _mapped_format(f),
        parse_mapping(data),
        max_bytes=f.max_bytes,
        stillness=stillness,
        dealer=dealer,
        group=f.dealer_codes,
    )


def _mapped_format(f: FeedSettings) -> Format:
    """The parser of a mapped feed's file format (its module imported now)."""
    # Each format's module (and its parser library) is imported when a feed uses it.
    if f.format == "csv":
        from syncd.feeds.csv import CsvFormat  # noqa: PLC0415

        return CsvFormat(encoding=f.encoding, delimiter=f.delimiter)
    if f.format == "xml":
        from syncd.feeds.xml import XmlFormat  # noqa: PLC0415

        return XmlFormat(f.records, namespaces=f.namespaces, encoding=f.encoding)
    if f.format == "xlsx":
        from syncd.feeds.xlsx import XlsxFormat  # noqa: PLC0415

        return XlsxFormat(f.sheet or None)
    from syncd.feeds.json import JsonFormat, JsonLinesFormat  # noqa: PLC0415

    return JsonLinesFormat() if f.format == "jsonl" else JsonFormat(f.records)


def feed_pairs(settings: Settings) -> list[tuple[FeedSettings, FeedJob]]:
    """Each sync job beside the feed it reads: one per feed, and one per dealer of a
    dealer-group file (its runs read the same file, each seeing its own records)."""
    cache_dir = feed_cache_dir(settings)
    return [
        (
            f,
            FeedJob(
                path=feed_shown(f),
                dealer_code=code,
                reader=feed_reader(f, code, cache_dir),
                visible=settings.sync.visible,
            ),
        )
        for f in settings.feeds
        for code in f.dealers
    ]


def feed_shown(f: FeedSettings) -> str:
    """The feed's path, or its URL as it may be logged and kept (no secrets)."""
    if f.url is None:
        return str(f.path)
    from syncd.feeds.http_auth import public_url  # noqa: PLC0415 - a URL feed only

    return public_url(f.url)


def feed_jobs(settings: Settings) -> list[FeedJob]:
    """One sync job per configured feed (per dealer of a dealer-group feed)."""
    return [job for _, job in feed_pairs(settings)]


@dataclass
class Container:
    """Everything a command needs, built once from the settings.

    The adapters are seen through their ports; ``engine`` and ``api`` are held
    only to be closed by :meth:`aclose`.
    """

    settings: Settings
    engine: Engine
    api: ApiOnFirstUse
    mirror: Mirror
    marketplace: Marketplace
    clock: Clock
    run_lock: RunLock
    catalog: Catalog  # the same client as ``marketplace``: whole listings and logs
    migrator: Migrator  # the same client again: v3 → v4 migration
    renewer: Renewer  # the same client again: the paid calls (bump, pole position)
    renewal_log: RenewalLog
    lookups: VehicleLookups | None = None  # the same client again: vehicle lists, validate
    vehicles: VehicleValuesSource | None = None  # None: ``[vehicles] check = false``

    def deps(self) -> Deps:
        """The ports for a sync run."""
        return Deps(mirror=self.mirror, marketplace=self.marketplace, clock=self.clock)

    def renewal_deps(self) -> RenewalDeps:
        """The ports for renewals."""
        return RenewalDeps(self.mirror, self.renewal_log, self.renewer, self.clock)

    def policies(self) -> list[RenewalPolicy]:
        """The ``[[renewal]]`` policies (none: nothing is ever renewed but by hand)."""
        return [renewal_policy(r) for r in self.settings.renewal]

    def options(self, *, allow_mass_delete: bool = False) -> RunOptions:
        """Run knobs from the settings."""
        return run_options(self.settings, allow_mass_delete=allow_mass_delete)

    def jobs(self) -> list[FeedJob]:
        """One job per configured feed, checking vehicle values through the cache."""
        return [replace(job, vehicles=self.vehicles) for job in feed_jobs(self.settings)]

    async def aclose(self) -> None:
        """Close the HTTP client and the database engine."""
        await self.api.aclose()
        self.engine.dispose()


class ApiOnFirstUse:
    """The Pro Import API client (every port :class:`ProImportApi` serves), built at its
    first use, its HTTP client closed by :meth:`aclose` (if it was ever built).

    A run that sends nothing and asks nothing (a no-op run, the common case of a run
    every few minutes) then never imports httpx nor builds the client, its TLS context
    and its pools: about 0.1 s of CPU at start-up (issue 12). The settings and the
    token are checked by :func:`build` before; what the environment adds (a proxy
    variable httpx refuses, an ``SSL_CERT_FILE`` that cannot be read) shows only here:
    a :class:`ConfigError`, which stops the run (not one failed item per ad, nor a
    traceback), and the client is tried again at the next use.
    """

    def __init__(self, make: Callable[[], httpx.AsyncClient], api: ApiSettings) -> None:
        self._make = make
        self._settings = api
        self._built: tuple[httpx.AsyncClient, ProImportApi] | None = None
        self._lock = threading.Lock()  # built once, even if first used by two threads at once

    def client(self) -> ProImportApi:
        """The API client, built now if it was not yet."""
        built = self._built
        if built is None:
            with self._lock:
                if self._built is None:
                    http = self._built_http()
                    self._built = (http, api_client(self._settings, http))
                built = self._built
        return built[1]

    def _built_http(self) -> httpx.AsyncClient:
        try:
            return self._make()
        except ConfigError:
            raise
        except (ValueError, OSError) as exc:  # httpx's proxy URL, ssl's CA file
            # Assumption: neither message holds the API token (a proxy's password is
            # masked by httpx's URL repr); the redactor filters the logs besides.
            raise ConfigError(
                f"api: the HTTP client cannot be built ({type(exc).__name__}: {exc}); "
                "check the proxy variables (HTTPS_PROXY, ALL_PROXY) and SSL_CERT_FILE"
            ) from exc

    @property
    def built(self) -> bool:
        """Whether the client was built (a port of it was used)."""
        return self._built is not None

    def __getattr__(self, name: str) -> Any:
        # Only what the instance lacks is looked up here: the ports' methods.
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.client(), name)

    async def aclose(self) -> None:
        """Close the HTTP client, if it was built."""
        if self._built is not None:
            await self._built[0].aclose()


def build_engine(settings: Settings, *, upgrade: bool | None = None) -> Engine:
    """The mirror's engine, with the schema checked (and upgraded if allowed)."""
    engine = make_engine(settings.database.url)
    try:
        auto = settings.database.auto_upgrade if upgrade is None else upgrade
        if not revision.is_current(engine):
            # Alembic only when the schema is not this syncd's (start-up time, issue 12).
            from syncd.mirror.migrate import ensure_current  # noqa: PLC0415

            ensure_current(engine, auto_upgrade=auto)
    except Exception:
        engine.dispose()
        raise
    return engine


@contextmanager
def open_mirror(settings: Settings) -> Iterator[Mirror]:
    """The mirror alone (for ``plan`` and ``status``), its engine disposed afterwards."""
    engine = build_engine(settings)
    try:
        yield SqlMirror(engine)
    finally:
        engine.dispose()


@contextmanager
def open_records(settings: Settings) -> Iterator[tuple[Mirror, RenewalLog]]:
    """The mirror and its renewals table (for ``status``), the engine disposed afterwards."""
    engine = build_engine(settings)
    try:
        yield SqlMirror(engine), SqlRenewalLog(engine)
    finally:
        engine.dispose()


def build_http(
    api: ApiSettings,
    token: SecretStr | None,
    dealer_codes: list[str],
    event_hooks: EventHooks | None = None,
) -> httpx.AsyncClient:
    """The API's HTTP client: base URL, timeouts, the token header, or the sandbox."""
    from syncd.extras import HTTPX_EXTRAS, import_without  # noqa: PLC0415

    import_without("httpx", HTTPX_EXTRAS)
    import httpx  # noqa: PLC0415 - when the client is built (ApiOnFirstUse)

    from syncd.marketplaces.blocket import TokenAuth  # noqa: PLC0415
    from syncd.marketplaces.pool import api_transport  # noqa: PLC0415

    timeout = httpx.Timeout(api.timeout, connect=api.connect_timeout)
    limits = httpx.Limits(
        max_connections=api.max_in_flight * 2, max_keepalive_connections=api.max_in_flight
    )
    headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
    if api.embedded:
        # The sandbox (starlette and all) only for the embedded API: not against the real one.
        from syncd.sandbox.embedded import embedded_transport  # noqa: PLC0415

        transport, token = embedded_transport(api.sandbox_state, dealer_codes or [DEMO_DEALER])
        return httpx.AsyncClient(
            base_url="http://sandbox.embedded",
            transport=transport,
            auth=TokenAuth(token),
            timeout=timeout,
            headers=headers,
            event_hooks=event_hooks,
        )
    if token is None:
        raise ConfigError(_NO_API_KEY_HINT)
    return httpx.AsyncClient(
        base_url=api.base_url.rstrip("/"),
        auth=TokenAuth(token),
        timeout=timeout,
        limits=limits,  # used only by httpx's own transport (a proxy is configured)
        transport=api_transport(api.max_in_flight),
        headers=headers,
        event_hooks=event_hooks,
    )


def build(
    settings: Settings,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    token: SecretStr | None = None,
    event_hooks: EventHooks | None = None,
) -> Container:
    """Build every adapter from the settings (``transport``/``token`` for tests).

    ``event_hooks`` are httpx's request/response hooks, installed on the API
    client: the daemon's metrics count and time every call through them.
    """
    token = token or (None if settings.api.embedded else settings.token())
    if token is not None:
        REDACTOR.add(token.get_secret_value())
    engine = build_engine(settings)
    try:
        api = _api_on_first_use(settings, transport, token, event_hooks)
    except Exception:
        engine.dispose()
        raise
    # The client seen through its ports; it is built when a port is first used.
    marketplace = cast("ProImportApi", api)
    clock = SystemClock()
    return Container(
        settings=settings,
        engine=engine,
        api=api,
        mirror=SqlMirror(engine),
        marketplace=marketplace,
        clock=clock,
        run_lock=SqlRunLock(engine),
        catalog=marketplace,
        migrator=marketplace,
        lookups=marketplace,
        vehicles=vehicle_source(settings, marketplace, clock),
        renewer=marketplace,
        renewal_log=SqlRenewalLog(engine),
    )


def _api_on_first_use(
    settings: Settings,
    transport: httpx.AsyncBaseTransport | None,
    token: SecretStr | None,
    event_hooks: EventHooks | None,
) -> ApiOnFirstUse:
    """The API client of :func:`build`: deferred against the real API (the token checked
    now), built at once with a test's transport or the embedded sandbox (whose state
    file is opened at start, as before)."""
    if transport is not None:

        def with_transport() -> httpx.AsyncClient:
            import httpx  # noqa: PLC0415 - a test's transport

            from syncd.marketplaces.blocket import TokenAuth  # noqa: PLC0415

            return httpx.AsyncClient(
                base_url=settings.api.base_url.rstrip("/"),
                transport=transport,
                auth=TokenAuth(token or SecretStr("")),
                event_hooks=event_hooks,
            )

        api = ApiOnFirstUse(with_transport, settings.api)
        api.client()
        return api
    codes = sorted({c for f in settings.feeds for c in f.dealers if c})
    api = ApiOnFirstUse(lambda: build_http(settings.api, token, codes, event_hooks), settings.api)
    if settings.api.embedded:
        api.client()
    elif token is None:
        raise ConfigError(_NO_API_KEY_HINT)
    return api


def api_client(api: ApiSettings, http: httpx.AsyncClient) -> ProImportApi:
    """The Pro Import API client (every port it serves) on ``http``."""
    from syncd.marketplaces.pro_import import ProImportApi  # noqa: PLC0415 - httpx with it

    return ProImportApi(
        http,
        api_version=api.version,
        typed_paths=api.typed_paths,
        retry_attempts=api.retry_attempts,
        retry_timeout=api.retry_timeout,
        throttle=Throttle(api.requests_per_second, api.max_in_flight),
    )


def vehicle_cache_path(settings: Settings) -> Path:
    """Where the vehicle lists are cached: ``[vehicles] cache``, else beside a SQLite
    mirror (``syncd.db`` -> ``syncd.vehicles.json``), else in the working folder."""
    if settings.vehicles.cache is not None:
        return settings.vehicles.cache
    prefix = "sqlite:///"
    url = settings.database.url
    if url.startswith(prefix) and len(url) > len(prefix):
        db = Path(url[len(prefix) :].split("?", 1)[0])
        return db.with_name(db.stem + ".vehicles.json")
    return Path(VEHICLE_CACHE_NAME)


def vehicle_source(
    settings: Settings, lookups: VehicleLookups | None, clock: Clock
) -> VehicleValuesSource | None:
    """The cached vehicle values (None when ``[vehicles] check = false``)."""
    if not settings.vehicles.check:
        return None
    return CachedVehicleValues(
        lookups,
        vehicle_cache_path(settings),
        clock=clock,
        api_version=settings.api.version,
        max_age=timedelta(seconds=settings.vehicles.max_age),
    )


@dataclass
class ApiHelpers:
    """What ``syncd validate`` needs of the API without a mirror: the lookups (None
    without a token) and the vehicle values source built on them."""

    lookups: VehicleLookups | None
    vehicles: VehicleValuesSource | None


@asynccontextmanager
async def api_helpers(settings: Settings, *, need_api: bool = False) -> AsyncIterator[ApiHelpers]:
    """The API's non-mutating helpers, no mirror opened; the HTTP client closed after.

    Without a token (and not the embedded sandbox) the lookups are None and the
    vehicle values come from the cache alone; with ``need_api`` that is a ConfigError.
    """
    token = None if settings.api.embedded else settings.token()
    if token is None and not settings.api.embedded and not need_api:
        yield ApiHelpers(None, vehicle_source(settings, None, SystemClock()))
        return
    if token is not None:
        REDACTOR.add(token.get_secret_value())
    codes = sorted({c for f in settings.feeds for c in f.dealers if c})
    http = build_http(settings.api, token, codes)
    try:
        client = api_client(settings.api, http)
        yield ApiHelpers(client, vehicle_source(settings, client, SystemClock()))
    finally:
        await http.aclose()
