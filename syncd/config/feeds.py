"""Adapter (config): ``[[feeds]]``, one inventory file or URL for one dealer or a group.

Validated at start like the other sections (:mod:`syncd.config.sections`); a mapped
feed's mapping is compiled here (``check_mapping``), so a wrong one stops syncd before
any run.
"""

from __future__ import annotations

import codecs
import re
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, Field, model_validator

from syncd.config.sections import PositiveFloat, Strict
from syncd.errors import ConfigError

if TYPE_CHECKING:
    from syncd.core.map import Mapping

_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class FeedSettings(BaseModel):
    """``[[feeds]]``: one inventory file (``path``) or URL (``url``) for one dealer."""

    model_config = Strict
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
