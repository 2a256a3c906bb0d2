"""Composition root: the Pro Import API's client, built at its first use.

httpx, the client's TLS context and pools, the API adapter and (for the embedded
API only) the sandbox are imported when the client is built: a run that sends
nothing never builds it (start-up time, issue 12).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr

from syncd.bootstrap.demo import DEMO_DEALER
from syncd.config import ApiSettings, Settings
from syncd.errors import ConfigError
from syncd.marketplaces.throttle import Throttle
from syncd.ports import EventHooks

if TYPE_CHECKING:
    import httpx

    from syncd.marketplaces.pro_import import ProImportApi

_NO_API_KEY_HINT = "api.token: no API token; set api.token, api.token_file or $SYNCD_API_TOKEN"
USER_AGENT = "syncd/0.1 (+Pro Import API sync daemon)"


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

    from syncd.marketplaces.calls import TokenAuth  # noqa: PLC0415
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


def api_on_first_use(
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

            from syncd.marketplaces.calls import TokenAuth  # noqa: PLC0415

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
