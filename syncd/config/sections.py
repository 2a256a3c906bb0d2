"""Adapter (config): the sections of the settings file other than ``[[feeds]]``.

Each class is one TOML table (``[api]``, ``[daemon]``, ...), validated at start;
every key is documented in ``config.example.toml``. :mod:`syncd.config` assembles
them into its ``Settings``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from syncd.core.renewal_models import MAX_MARKS_AGE

EMBEDDED_SANDBOX = "embedded-sandbox"
"""``api.base_url`` value that runs the built-in sandbox in-process (demo and trials)."""

Strict = ConfigDict(extra="forbid", frozen=True)
"""Every section's model config: an unknown key is an error, a loaded value is frozen."""
PositiveFloat = Annotated[float, Field(gt=0)]


class DatabaseSettings(BaseModel):
    """``[database]``: where the mirror lives."""

    model_config = Strict
    url: str = "sqlite:///syncd.db"
    auto_upgrade: bool = True


class ApiSettings(BaseModel):
    """``[api]``: how to reach the Pro Import API."""

    model_config = Strict
    base_url: str = "https://api.blocket.se/pro-import-api"
    token: SecretStr | None = None
    token_file: Path | None = None
    version: Literal[3, 4] = 4
    typed_paths: bool = False
    connect_timeout: PositiveFloat = 10.0
    timeout: PositiveFloat = 30.0
    requests_per_second: PositiveFloat = 10.0
    max_in_flight: Annotated[int, Field(ge=1, le=64)] = 4
    retry_attempts: Annotated[int, Field(ge=1, le=20)] = 5
    retry_timeout: PositiveFloat = 120.0
    sandbox_state: Path | None = None

    @property
    def embedded(self) -> bool:
        """True when the API is the built-in sandbox, served in-process."""
        return self.base_url == EMBEDDED_SANDBOX

    @model_validator(mode="after")
    def _check_url(self) -> ApiSettings:
        if not self.embedded and not self.base_url.startswith(("https://", "http://")):
            raise ValueError(
                f"base_url must start with https:// or http:// (or be "
                f"{EMBEDDED_SANDBOX!r}), got {self.base_url!r}"
            )
        if not self.embedded:
            # A URL without a host or with a port that is no number passed before, and
            # then failed every call as that ad's "internal error (InvalidURL)".
            parts = urlsplit(self.base_url)
            try:
                parts.port  # noqa: B018 - parsing it is the check
            except ValueError:
                raise ValueError(
                    f"base_url: the port is not a number, got {self.base_url!r}"
                ) from None
            if not parts.hostname:
                raise ValueError(f"base_url: no host name, got {self.base_url!r}")
        return self


class SyncSettings(BaseModel):
    """``[sync]``: how a run waits for the outcome of what it sent, and whether ads show."""

    model_config = Strict
    reconcile_wait: Annotated[float, Field(ge=0)] = 60.0
    poll_interval: PositiveFloat = 2.0
    batch_size: Annotated[int, Field(ge=1, le=200)] = 50
    lock_wait: Annotated[float, Field(ge=0)] = 30.0
    # false: a rehearsal, every ad sent hidden (visible: false); true or left out: live,
    # each ad as the feed says (docs/migrating-from-ftp.md).
    visible: bool | None = None


class GuardSettings(BaseModel):
    """``[guards]``: plans held back until a person confirms."""

    model_config = Strict
    max_delete_fraction: Annotated[float, Field(ge=0, le=1)] = 0.2
    max_delete_count: Annotated[int, Field(ge=0)] = 500
    min_deletes_checked: Annotated[int, Field(ge=1)] = 3
    max_feed_age: Annotated[float, Field(ge=0)] = 86400.0


class LogSettings(BaseModel):
    """``[log]``: log level and format."""

    model_config = Strict
    level: Literal["debug", "info", "warning", "error"] = "info"
    format: Literal["auto", "json", "console"] = "auto"


class DaemonSettings(BaseModel):
    """``[daemon]``: the schedule, health/metrics endpoint and stop of ``syncd daemon``."""

    model_config = Strict
    interval: PositiveFloat = 300.0
    feed_poll_interval: PositiveFloat = 5.0
    reconcile_interval: PositiveFloat = 120.0
    housekeeping_interval: PositiveFloat = 3600.0
    retention_days: Annotated[float, Field(gt=0)] = 90.0
    ready_max_age: PositiveFloat = 1800.0
    health_host: str = "127.0.0.1"
    health_port: Annotated[int, Field(ge=0, le=65535)] = 9464
    stop_timeout: PositiveFloat = 30.0
    watchdog: bool = True
    # How often the [[renewal]] policies are run (they renew only what is due, within caps).
    renewal_interval: PositiveFloat = 3600.0
    # How long the API may go without proving the token (any answer to any call does)
    # before the token check reads once per dealer: a refused token shows on /readyz
    # within about this long even when there is nothing to send.
    token_check_interval: PositiveFloat = 900.0
    # How often each dealer's ads are listed in both states and compared with the mirror
    # (``syncd audit``): an ad deleted through the API by another client shows deleted
    # within about this long, and the next run revives it. 0 turns the job off.
    audit_interval: Annotated[float, Field(ge=0)] = 86400.0

    @model_validator(mode="after")
    def _check_ready_bound(self) -> DaemonSettings:
        # A bound shorter than the interval would make /readyz fail between two runs.
        if self.ready_max_age <= self.interval:
            raise ValueError(
                f"ready_max_age ({self.ready_max_age:g}) must be longer than "
                f"interval ({self.interval:g})"
            )
        return self


_DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def duration_seconds(value: object) -> float:
    """Seconds from a number, or a string like ``"90s"``, ``"30m"``, ``"24h"``, ``"7d"``."""
    if isinstance(value, bool):
        raise ValueError('expected a duration such as "24h" or a number of seconds')
    if isinstance(value, int | float):
        return float(value)
    text = str(value).strip().lower()
    unit = _DURATION_UNITS.get(text[-1:]) if text else None
    number = text[:-1] if unit is not None else text
    try:
        return float(number) * (unit or 1)
    except ValueError:
        raise ValueError(
            f'{value!r} is not a duration (a number with s, m, h or d, e.g. "24h")'
        ) from None


class VehicleSettings(BaseModel):
    """``[vehicles]``: the check of brand, model, body type and fuels against the API's lists.

    ``cache``: the JSON file of the lists; by default beside a SQLite mirror
    (``syncd.db`` -> ``syncd.vehicles.json``), else ``syncd.vehicles.json`` beside
    the config file. ``max_age``: how old the lists may get before a run fetches
    them again (the daemon refreshes them on that schedule too).
    """

    model_config = Strict
    check: bool = True
    max_age: float = 86400.0
    cache: Path | None = None

    @field_validator("max_age", mode="before")
    @classmethod
    def _duration(cls, value: object) -> float:
        seconds = duration_seconds(value)
        if seconds <= 0:
            raise ValueError("must be longer than 0 seconds")
        return seconds


FilterValue = str | int | float | bool


class RenewalSettings(BaseModel):
    """``[[renewal]]``: bump the ads of these categories (or this filter) every N days.

    Renewals are charged: the caps are mandatory (a policy without them is a config
    error), and a policy names what it renews (``categories``, ``filter`` or both).
    """

    model_config = Strict
    name: Annotated[str, Field(min_length=1)]
    every_days: Annotated[float, Field(gt=0)]
    # Per dealer: each dealer the policy applies to has the whole cap (syncd.core.renewal_caps).
    daily_cap: Annotated[int, Field(ge=1)]
    monthly_cap: Annotated[int, Field(ge=1)]
    dealer_codes: tuple[str, ...] = ()  # empty: every configured dealer
    categories: tuple[int, ...] = ()
    # Dotted payload path -> the value (or any of the values) an ad must have there.
    filter: dict[str, FilterValue | list[FilterValue]] = Field(default_factory=dict)
    exclude_bytbil: bool = False
    exclude_blocket: bool = False
    # Skip a dealer whose last sync that recorded the absent marks started longer ago than
    # this (seconds, or "6h"): its syncs are failing, and the marks would let the policy pay
    # for ads sold since. None (left out): MAX_MARKS_AGE or twice daemon.interval, the
    # longer (see marks_bound).
    max_marks_age: float | None = None

    @field_validator("max_marks_age", mode="before")
    @classmethod
    def _marks_age(cls, value: object) -> float | None:
        if value is None:
            return None
        seconds = duration_seconds(value)
        if seconds <= 0:
            raise ValueError("must be longer than 0 seconds")
        return seconds

    def marks_bound(self, daemon: DaemonSettings) -> float:
        """The max_marks_age in force, in seconds.

        Assumption (when left out): 6 hours, or twice daemon.interval when that is longer. The
        daemon syncs every dealer each interval (and on each change of its file) and
        renews each renewal_interval; ``run-once`` renews right after its own sync. Six
        hours outlasts a few failed syncs in a row and a first sync of a large stock
        (100 000 ads at 10 calls/s send for about 3 h after their marks are recorded),
        while a feed broken overnight or for days stops the bumps; /readyz (ready_max_age,
        30 min) has told the operator long before. Twice the interval lets an install that
        syncs rarely miss one sync without losing its renewals between two."""
        if self.max_marks_age is not None:
            return self.max_marks_age
        return max(MAX_MARKS_AGE.total_seconds(), 2 * daemon.interval)

    @model_validator(mode="after")
    def _check_scope(self) -> RenewalSettings:
        if not self.categories and not self.filter:
            raise ValueError("give categories, filter or both: which ads this policy renews")
        if self.exclude_bytbil and self.exclude_blocket:
            raise ValueError("exclude_bytbil and exclude_blocket cannot both be true")
        return self
