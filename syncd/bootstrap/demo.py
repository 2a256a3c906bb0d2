"""Composition root: the ``--demo`` settings (SQLite mirror, bundled sample feed,
embedded sandbox), and the embedded sandbox's dealer when no feed names one."""

from __future__ import annotations

from pathlib import Path

from syncd.config import (
    EMBEDDED_SANDBOX,
    ApiSettings,
    DatabaseSettings,
    FeedSettings,
    GuardSettings,
    Settings,
    SyncSettings,
)

DEMO_DEALER = "DEMO"


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
