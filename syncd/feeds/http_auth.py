"""Adapter (feeds): the secrets of a URL feed: its credentials and the parts of its URL.

A feed's credentials are read from the environment (the config names the
variables, never holds a value): a bearer token (``auth_env``) or basic auth
(``auth_user_env`` and ``auth_password_env``). Each secret is handed to
``redact`` (the log redactor) before it is used. A URL is shown only as
:func:`public_url`: no user info, every query value masked.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit, urlunsplit

import httpx

from syncd.errors import ConfigError

Redact = Callable[[str], None]
MASK = "[REDACTED]"


def public_url(url: str) -> str:
    """The URL as it may be shown: no user info, every query value masked."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    query = "&".join(f"{key}={MASK}" for key, _ in parse_qsl(parts.query, keep_blank_values=True))
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def url_secrets(url: str) -> list[str]:
    """The parts of a URL that may be secrets: its password and its query values."""
    parts = urlsplit(url)
    found = [v for _, v in parse_qsl(parts.query, keep_blank_values=True) if v]
    return [*found, *(p for p in (parts.password, parts.username) if p)]


class BearerAuth(httpx.Auth):
    """Adds ``Authorization: Bearer …``; its repr never shows the token."""

    def __init__(self, token: str) -> None:
        self._token = token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self._token}"
        yield request

    def __repr__(self) -> str:
        return "BearerAuth(token=**********)"


@dataclass(frozen=True, slots=True)
class EnvCredentials:
    """The names of the environment variables that hold a feed's credentials."""

    bearer_env: str | None = None
    user_env: str | None = None
    password_env: str | None = None

    def auth(self, environ: Mapping[str, str], redact: Redact) -> httpx.Auth | None:
        """The auth to send, the secrets handed to ``redact`` first; ConfigError when a
        variable is not set (the message names the variable, never a value)."""
        if self.bearer_env:
            token = _env(environ, self.bearer_env, "auth_env")
            redact(token)
            return BearerAuth(token)
        if self.user_env and self.password_env:
            user = _env(environ, self.user_env, "auth_user_env")
            password = _env(environ, self.password_env, "auth_password_env")
            basic = httpx.BasicAuth(user, password)
            redact(password)
            # The header's value (base64 of user:password) is as secret as the password.
            redact(base64.b64encode(f"{user}:{password}".encode()).decode("ascii"))
            return basic
        return None


def _env(environ: Mapping[str, str], name: str, key: str) -> str:
    value = environ.get(name, "").strip()
    if not value:
        raise ConfigError(f"feeds.{key}: the environment variable ${name} is not set")
    return value
