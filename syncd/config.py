"""Adapter (config): settings from one TOML file, validated at start.

Every key is documented in ``config.example.toml``. A bad file raises
:class:`~syncd.errors.ConfigError` whose message names the file and the key
(``api.version: Input should be 3 or 4``). The API token comes from, in order
of precedence: ``$SYNCD_API_TOKEN``, ``api.token_file``, ``api.token``. It is
held as a ``SecretStr`` so that it never shows in a repr or an error.
"""

from __future__ import annotations

import codecs
import os
import re
import stat
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from syncd.core.renewal_models import MAX_MARKS_AGE
from syncd.errors import ConfigError

if TYPE_CHECKING:
    from syncd.core.map import Mapping

DEFAULT_CONFIG_PATH = "syncd.toml"
CONFIG_ENV = "SYNCD_CONFIG"
TOKEN_ENV = "SYNCD_API_TOKEN"  # noqa: S105 - the name of a variable, not a secret
EMBEDDED_SANDBOX = "embedded-sandbox"
"""``api.base_url`` value that runs the built-in sandbox in-process (demo and trials)."""

VEHICLE_CACHE_NAME = "syncd.vehicles.json"
_Strict = ConfigDict(extra="forbid", frozen=True)
PositiveFloat = Annotated[float, Field(gt=0)]
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class DatabaseSettings(BaseModel):
    """``[database]``: where the mirror lives."""

    model_config = _Strict
    url: str = "sqlite:///syncd.db"
    auto_upgrade: bool = True


class ApiSettings(BaseModel):
    """``[api]``: how to reach the Pro Import API."""

    model_config = _Strict
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


class FeedSettings(BaseModel):
    """``[[feeds]]``: one inventory file (``path``) or URL (``url``) for one dealer."""

    model_config = _Strict
    path: Path | None = None
    # A feed the dealer's system publishes at an http(s) URL (syncd/feeds/http.py), instead
    # of path: fetched whole at each run (a conditional GET), or the run stops, nothing sent.
    url: str | None = None
    # The whole fetch (connect, answer, body) must end within this many seconds.
    fetch_timeout: PositiveFloat = 120.0
    # Credentials from the environment, never from this file: a bearer token, or basic auth.
    auth_env: str | None = None
    auth_user_env: str | None = None
    auth_password_env: str | None = None
    # Where a URL feed's last good body is kept for a 304 (default: beside the mirror).
    cache_dir: Path | None = None
    format: Literal["json", "jsonl", "csv", "xml", "xlsx"] = "json"
    dealer_code: str = ""
    # A dealer-group file: the dealers it serves, each record's by the mapping's dealer_code.
    dealer_codes: tuple[str, ...] = ()
    max_bytes: Annotated[int, Field(gt=0)] = 512 * 1024 * 1024
    # A file is used once it has held still this long (0: at once). 5 s: longer than
    # the pauses of an exporter at work (a slow query, a stalled upload) we know of,
    # and the daemon's own feed check; it costs nothing for a file written earlier,
    # whose ctime already shows it still (see syncd/feeds/files.py).
    settle_seconds: Annotated[float, Field(ge=0, le=3600)] = 5.0
    # A file still changing after this many seconds is refused (exit 4): a run never
    # waits without bound, and a timer's run-once ends well before the next.
    settle_timeout: PositiveFloat = 120.0
    ready_file: Path | None = None

    @property
    def source(self) -> str:
        """The feed's path, or its URL (as configured: it may hold a secret)."""
        return self.url if self.url is not None else str(self.path)

    @model_validator(mode="after")
    def _check_source(self) -> FeedSettings:
        if (self.path is None) == (self.url is None):
            raise ValueError("give path (a file) or url (http:// or https://), exactly one")
        if self.url is None:
            if self.auth_env or self.auth_user_env or self.auth_password_env:
                raise ValueError("auth_env, auth_user_env, auth_password_env: only for a url")
            return self
        # Messages name the key, never the URL: it may carry a secret in its query.
        if not self.url.startswith(("https://", "http://")) or not urlsplit(self.url).hostname:
            raise ValueError("url: must be an http:// or https:// URL with a host")
        if self.ready_file is not None:
            raise ValueError("ready_file: only for a file (a url is fetched whole or not at all)")
        if self.auth_env and (self.auth_user_env or self.auth_password_env):
            raise ValueError(
                "auth_env: give auth_env (bearer) or auth_user_env and "
                "auth_password_env (basic), not both"
            )
        if bool(self.auth_user_env) != bool(self.auth_password_env):
            raise ValueError("auth_user_env, auth_password_env: basic auth needs both")
        for name in (self.auth_env, self.auth_user_env, self.auth_password_env):
            if name is not None and not _ENV_NAME.fullmatch(name):
                raise ValueError("auth_env: must be the name of an environment variable")
        return self

    @model_validator(mode="after")
    def _check_settle(self) -> FeedSettings:
        if self.settle_timeout <= self.settle_seconds:
            raise ValueError(
                f"settle_timeout ({self.settle_timeout:g}) must be longer than "
                f"settle_seconds ({self.settle_seconds:g})"
            )
        return self

    # A dealer's own export, mapped (docs/mapping.md); without a mapping json/jsonl are native.
    name: str = ""
    records: str = ""
    encoding: str | None = None
    delimiter: str | None = None
    namespaces: dict[str, str] = Field(default_factory=dict)
    sheet: str = ""  # xlsx: the sheet to read; empty: the first visible one
    mapping: dict[str, Any] | None = None
    mapping_file: Path | None = None

    @property
    def label(self) -> str:
        """How commands name the feed: ``name``, else the file's name (of a URL: the last
        part of its path, else its host)."""
        if self.name:
            return self.name
        if self.path is not None:
            return self.path.name
        parts = urlsplit(self.url or "")
        return parts.path.rstrip("/").rsplit("/", 1)[-1] or parts.hostname or ""

    @property
    def dealers(self) -> tuple[str, ...]:
        """The dealers this feed serves: ``dealer_codes``, else ``dealer_code`` alone."""
        return self.dealer_codes or (self.dealer_code,)

    @model_validator(mode="after")
    def _check_mapped(self) -> FeedSettings:
        if self.mapping is not None and self.mapping_file is not None:
            raise ValueError("give mapping or mapping_file, not both")
        self._check_group()
        if (
            self.format in ("csv", "xml", "xlsx")
            and self.mapping is None
            and self.mapping_file is None
        ):
            raise ValueError(f"mapping: a {self.format} feed needs [feeds.mapping] or mapping_file")
        if self.format == "xml" and not self.records:
            raise ValueError(
                "records: an xml feed names the element of one record (records = 'car')"
            )
        if self.encoding is not None:
            try:
                codecs.lookup(self.encoding)
            except LookupError:
                raise ValueError(f"encoding: unknown encoding {self.encoding!r}") from None
        if self.delimiter is not None and len(self.delimiter) != 1:
            raise ValueError("delimiter: must be one character")
        if self.mapping is not None:
            check_mapping(self.mapping, "mapping")
        return self

    def _check_group(self) -> None:
        if not self.dealer_codes:
            return
        if self.dealer_code:
            raise ValueError("dealer_codes: give dealer_code or dealer_codes, not both")
        if len(set(self.dealer_codes)) != len(self.dealer_codes) or "" in self.dealer_codes:
            raise ValueError("dealer_codes: each dealer once, none empty")
        if self.mapping is None and self.mapping_file is None:
            raise ValueError("dealer_codes: a dealer-group feed needs a mapping")
        fields = (self.mapping or {}).get("fields", {})
        if self.mapping is not None and "dealer_code" not in fields:
            raise ValueError(
                "dealer_codes: the mapping must map each record's dealer "
                "(mapping.fields.dealer_code)"
            )

    def mapping_data(self) -> dict[str, Any] | None:
        """The mapping table, from the config or from ``mapping_file``."""
        if self.mapping_file is None:
            return self.mapping
        try:
            data = tomllib.loads(self.mapping_file.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"{self.mapping_file}: mapping_file: cannot read: {exc}") from None
        try:
            check_mapping(data, "mapping_file")
        except ValueError as exc:
            raise ConfigError(f"{self.mapping_file}: {exc}") from None
        if self.dealer_codes and "dealer_code" not in data.get("fields", {}):
            raise ConfigError(
                f"{self.mapping_file}: fields.dealer_code: a dealer-group feed "
                f"(dealer_codes) must map each record's dealer"
            )
        return data


def check_mapping(data: dict[str, Any], where: str) -> Mapping:
    """The checked mapping; a ValueError naming the key (``mapping.fields.titel: ...``)."""
    # The mapping compiler only when a feed has a mapping: a native feed's run never
    # imports it (its regexes and tables cost start-up time, issue 12).
    from syncd.core.map import SpecError, parse_mapping  # noqa: PLC0415

    try:
        return parse_mapping(data)
    except SpecError as exc:
        raise ValueError(f"{where}.{exc}") from None


class SyncSettings(BaseModel):
    """``[sync]``: how a run waits for the outcome of what it sent, and whether ads show."""

    model_config = _Strict
    reconcile_wait: Annotated[float, Field(ge=0)] = 60.0
    poll_interval: PositiveFloat = 2.0
    batch_size: Annotated[int, Field(ge=1, le=200)] = 50
    lock_wait: Annotated[float, Field(ge=0)] = 30.0
    # false: a rehearsal, every ad sent hidden (visible: false); true or left out: live,
    # each ad as the feed says (docs/migrating-from-ftp.md).
    visible: bool | None = None


class GuardSettings(BaseModel):
    """``[guards]``: plans held back until a person confirms."""

    model_config = _Strict
    max_delete_fraction: Annotated[float, Field(ge=0, le=1)] = 0.2
    max_delete_count: Annotated[int, Field(ge=0)] = 500
    min_deletes_checked: Annotated[int, Field(ge=1)] = 3
    max_feed_age: Annotated[float, Field(ge=0)] = 86400.0


class LogSettings(BaseModel):
    """``[log]``: log level and format."""

    model_config = _Strict
    level: Literal["debug", "info", "warning", "error"] = "info"
    format: Literal["auto", "json", "console"] = "auto"


class DaemonSettings(BaseModel):
    """``[daemon]``: the schedule, health/metrics endpoint and stop of ``syncd daemon``."""

    model_config = _Strict
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

    model_config = _Strict
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

    model_config = _Strict
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


class Settings(BaseModel):
    """The whole configuration file."""

    model_config = _Strict
    database: DatabaseSettings = DatabaseSettings()
    api: ApiSettings = ApiSettings()
    feeds: tuple[FeedSettings, ...] = ()
    sync: SyncSettings = SyncSettings()
    guards: GuardSettings = GuardSettings()
    log: LogSettings = LogSettings()
    daemon: DaemonSettings = DaemonSettings()
    vehicles: VehicleSettings = VehicleSettings()
    renewal: tuple[RenewalSettings, ...] = ()
    source: str = Field(default="<defaults>", exclude=True)

    @model_validator(mode="after")
    def _one_policy_per_name(self) -> Settings:
        # The caps are counted per policy name (and dealer): two policies of one name
        # would share them.
        names = [r.name for r in self.renewal]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"renewal: name {', '.join(map(repr, twice))} is used twice")
        return self

    @model_validator(mode="after")
    def _marks_outlast_a_sync(self) -> Settings:
        # A bound shorter than the interval between two syncs would make the daemon's renew
        # job skip every dealer most of the time (as ready_max_age's check).
        for r in self.renewal:
            bound = r.marks_bound(self.daemon)
            if bound <= self.daemon.interval:
                raise ValueError(
                    f"renewal {r.name!r}: max_marks_age ({bound:g}) must be longer than "
                    f"daemon.interval ({self.daemon.interval:g})"
                )
        return self

    @model_validator(mode="after")
    def _one_feed_per_dealer(self) -> Settings:
        # Each feed is the dealer's *whole* inventory: two feeds of one dealer_code would
        # each delete the other's ads on every run.
        codes = [code for f in self.feeds for code in f.dealers]
        twice = sorted({c for c in codes if codes.count(c) > 1})
        if twice:
            shown = ", ".join(repr(c) for c in twice)
            raise ValueError(
                f"feeds: dealer_code {shown} is used by more than one feed; each "
                f"feed must hold one dealer's whole inventory (merge the files)"
            )
        return self

    def token(self) -> SecretStr | None:
        """The API token by precedence: $SYNCD_API_TOKEN, token_file, token."""
        env = os.environ.get(TOKEN_ENV)
        if env:
            return _usable_token(f"${TOKEN_ENV}", env)
        if self.api.token_file is not None:
            try:
                raw = self.api.token_file.read_bytes()
            except OSError as exc:
                raise ConfigError(
                    f"{self.source}: api.token_file: cannot read "
                    f"{self.api.token_file}: {exc.strerror}"
                ) from None
            where = f"{self.source}: api.token_file: {self.api.token_file}"
            try:
                text = raw.decode("utf-8-sig")
            except UnicodeDecodeError:
                raise ConfigError(f"{where}: not UTF-8 text (is it the token?)") from None
            return _usable_token(where, text)
        if self.api.token is None:
            return None
        return _usable_token(f"{self.source}: api.token", self.api.token.get_secret_value())


# Assumption (the spec is silent): a token is one line of printable ASCII (a JWT is
# base64url and dots). An empty token file, one with a line break or a non-ASCII
# character inside, is a mistake of the operator's (a pasted certificate, two tokens,
# an editor's save), found at start as a configuration error (exit 3) naming where it
# came from and never what it holds, not 401s or a header error on every call.
_TOKEN_CHARS = re.compile(r"[\x21-\x7e]+")


def _usable_token(where: str, text: str) -> SecretStr:
    token = text.strip()
    if not token:
        raise ConfigError(f"{where}: the API token is empty")
    if _TOKEN_CHARS.fullmatch(token) is None:
        raise ConfigError(
            f"{where}: the API token holds a space, line break, control or non-ASCII "
            f"character; it must be one line of printable ASCII (the token only)"
        )
    return SecretStr(token)


def config_path(given: str | None) -> Path:
    """The config file to use: --config, then $SYNCD_CONFIG, then ./syncd.toml."""
    return Path(given or os.environ.get(CONFIG_ENV) or DEFAULT_CONFIG_PATH)


def load(path: Path) -> Settings:
    """Read and validate a config file; relative paths resolve against its folder."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: configuration file not found (give --config PATH or set "
            f"${CONFIG_ENV}; see config.example.toml)"
        ) from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    settings = _resolve_paths(parse(data, source=str(path)), path.parent)
    for feed in settings.feeds:
        feed.mapping_data()  # a wrong mapping_file stops syncd at start
    return settings


def parse(data: dict[str, object], *, source: str) -> Settings:
    """Validate a parsed config mapping; errors name the key, never a value."""
    try:
        return Settings.model_validate({**data, "source": source})
    except ValidationError as exc:
        message = f"{source}: " + "; ".join(_describe(e) for e in exc.errors())
        raise ConfigError(message, ids=_dealer_codes(data)) from None


def _dealer_codes(data: dict[str, object]) -> list[str]:
    """The dealer codes the config names: an error quoting one (a dealer_code used by
    two feeds) shows it whole, though all-digit codes look like phone numbers."""
    feeds = data.get("feeds")
    codes: list[str] = []
    for feed in feeds if isinstance(feeds, list) else []:
        if isinstance(feed, dict):
            many = feed.get("dealer_codes")
            for code in [feed.get("dealer_code"), *(many if isinstance(many, list) else [])]:
                if isinstance(code, str):
                    codes.append(code)
    return codes


def _describe(error: object) -> str:
    assert isinstance(error, dict)
    loc = ".".join(str(p) for p in error["loc"]) or "(top level)"
    # Only the message: the input could be the token, which must never be echoed.
    return f"{loc}: {error['msg']}"


def _resolve_paths(settings: Settings, base: Path) -> Settings:
    def resolve(p: Path | None) -> Path | None:
        return None if p is None or p.is_absolute() else base / p

    api = settings.api.model_copy(
        update={
            k: v
            for k, v in {
                "token_file": resolve(settings.api.token_file),
                "sandbox_state": resolve(settings.api.sandbox_state),
            }.items()
            if v is not None
        }
    )
    feeds = tuple(
        f.model_copy(
            update={
                "path": resolve(f.path) or f.path,
                "cache_dir": resolve(f.cache_dir) or f.cache_dir,
                "ready_file": resolve(f.ready_file) or f.ready_file,
                "mapping_file": resolve(f.mapping_file) or f.mapping_file,
            }
        )
        for f in settings.feeds
    )
    db = settings.database
    prefix = "sqlite:///"
    if db.url.startswith(prefix) and not db.url.startswith(prefix + "/") and db.url != prefix:
        db = db.model_copy(update={"url": prefix + str(base / db.url[len(prefix) :])})
    vehicles = settings.vehicles
    if vehicles.cache is not None and not vehicles.cache.is_absolute():
        vehicles = vehicles.model_copy(update={"cache": base / vehicles.cache})
    elif vehicles.cache is None and not db.url.startswith(prefix):
        vehicles = vehicles.model_copy(update={"cache": base / VEHICLE_CACHE_NAME})
    return settings.model_copy(
        update={"api": api, "feeds": feeds, "database": db, "vehicles": vehicles}
    )


def token_file_exposed(settings: Settings, path: Path) -> bool:
    """True when the config holds a token and the file is readable by group/others."""
    if settings.api.token is None:
        return False
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return bool(mode & (stat.S_IRGRP | stat.S_IROTH))
