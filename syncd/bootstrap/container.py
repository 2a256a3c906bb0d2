"""Composition root: :func:`build` turns validated settings into a :class:`Container`
of ready adapters, and :meth:`Container.aclose` releases them; the mirror alone
for the commands that need nothing else.

Alembic is imported only when the schema is not this syncd's (issue 12).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, cast

from pydantic import SecretStr
from sqlalchemy import Engine

from syncd.bootstrap.api import ApiOnFirstUse, api_on_first_use
from syncd.bootstrap.feeds import feed_jobs
from syncd.bootstrap.options import SystemClock, renewal_policy, run_options
from syncd.bootstrap.vehicles import vehicle_source
from syncd.config import Settings
from syncd.core.renewal_models import RenewalPolicy
from syncd.logs import REDACTOR
from syncd.mirror import revision
from syncd.mirror.engine import make_engine
from syncd.mirror.lock import SqlRunLock
from syncd.mirror.renewals import SqlRenewalLog
from syncd.mirror.search_path import check_search_path
from syncd.mirror.sql import SqlMirror
from syncd.ports import (
    Catalog,
    Clock,
    EventHooks,
    Marketplace,
    Migrator,
    Mirror,
    RenewalLog,
    Renewer,
    RunLock,
    TokenChecker,
    VehicleLookups,
    VehicleValuesSource,
)
from syncd.renewals import RenewalDeps
from syncd.runs import Deps, FeedJob, RunOptions

if TYPE_CHECKING:
    import httpx

    from syncd.marketplaces.pro_import import ProImportApi


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
    token_checker: TokenChecker  # the same client again: the daemon's token check
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
        return [renewal_policy(r, self.settings.daemon) for r in self.settings.renewal]

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


def build_engine(settings: Settings, *, upgrade: bool | None = None) -> Engine:
    """The mirror's engine, with the schema checked (and upgraded if allowed)."""
    engine = make_engine(settings.database.url)
    try:
        check_search_path(engine)
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
        api = api_on_first_use(settings, transport, token, event_hooks)
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
        token_checker=marketplace,
    )
