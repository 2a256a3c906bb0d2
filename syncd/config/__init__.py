"""Adapter (config): settings from one TOML file, validated at start.

Every key is documented in ``config.example.toml``. A bad file raises
:class:`~syncd.errors.ConfigError` whose message names the file and the key
(``api.version: Input should be 3 or 4``). The API token comes from, in order
of precedence: ``$SYNCD_API_TOKEN``, ``api.token_file``, ``api.token``. It is
held as a ``SecretStr`` so that it never shows in a repr or an error.
"""

from __future__ import annotations

import os
import re
import stat
import tomllib
from pathlib import Path

from pydantic import BaseModel, Field, SecretStr, ValidationError, model_validator

from syncd.config.feeds import FeedSettings, check_mapping
from syncd.config.sections import (
    EMBEDDED_SANDBOX,
    ApiSettings,
    DaemonSettings,
    DatabaseSettings,
    FilterValue,
    GuardSettings,
    LogSettings,
    PositiveFloat,
    RenewalSettings,
    Strict,
    SyncSettings,
    VehicleSettings,
    duration_seconds,
)
from syncd.errors import ConfigError

__all__ = [
    "CONFIG_ENV",
    "DEFAULT_CONFIG_PATH",
    "EMBEDDED_SANDBOX",
    "TOKEN_ENV",
    "VEHICLE_CACHE_NAME",
    "ApiSettings",
    "DaemonSettings",
    "DatabaseSettings",
    "FeedSettings",
    "FilterValue",
    "GuardSettings",
    "LogSettings",
    "PositiveFloat",
    "RenewalSettings",
    "Settings",
    "SyncSettings",
    "VehicleSettings",
    "check_mapping",
    "config_path",
    "duration_seconds",
    "load",
    "parse",
    "token_file_exposed",
]

DEFAULT_CONFIG_PATH = "syncd.toml"
CONFIG_ENV = "SYNCD_CONFIG"
TOKEN_ENV = "SYNCD_API_TOKEN"  # noqa: S105 - the name of a variable, not a secret
VEHICLE_CACHE_NAME = "syncd.vehicles.json"


class Settings(BaseModel):
    """The whole configuration file."""

    model_config = Strict
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
