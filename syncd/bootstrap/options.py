"""Composition root: the values the runs take from the settings (the run options,
the ``[[renewal]]`` policies) and the real clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from syncd.config import DaemonSettings, RenewalSettings, Settings
from syncd.core.guards import GuardLimits
from syncd.core.renewal_models import Caps, RenewalPolicy
from syncd.runs import RunOptions


class SystemClock:
    """The real time, timezone-aware UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


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


def renewal_policy(r: RenewalSettings, daemon: DaemonSettings | None = None) -> RenewalPolicy:
    """A ``[[renewal]]`` of the config as the core's policy value (``daemon``: the
    schedule its default ``max_marks_age`` follows; None: the defaults')."""
    marks = r.marks_bound(daemon if daemon is not None else DaemonSettings())
    return RenewalPolicy(
        name=r.name,
        every=timedelta(days=r.every_days),
        caps=Caps(daily=r.daily_cap, monthly=r.monthly_cap),
        dealer_codes=frozenset(r.dealer_codes),
        categories=frozenset(r.categories),
        filter={k: tuple(v) if isinstance(v, list) else (v,) for k, v in r.filter.items()},
        exclude_bytbil=r.exclude_bytbil,
        exclude_blocket=r.exclude_blocket,
        max_marks_age=timedelta(seconds=marks),
    )
