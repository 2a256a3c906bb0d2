"""Adapter (marketplaces): the paid calls of the Pro Import API, a ``Renewer``: bump, pole position.

``GET /ad/{source_id}/bump`` renews an ad ("appear as new - first in the
listing"); ``GET /ad/{source_id}/pole_position`` puts it first in search results
for 3 days. Both are charged, so neither is ever retried: a timeout, a lost
connection or a 5xx may follow a call that was applied, and is recorded as
``UNKNOWN`` (counted against the caps) rather than sent again.

Assumptions (the seed is silent or unclear):

* ``exclude_bytbil`` / ``exclude_blocket`` travel as query parameters
  (``?exclude_bytbil=true``): the call is a GET "without any JSON body".
* The seed calls the renewal "asynchronous" (its outcome is a ``bump`` entry in
  the ad's log): a 2xx means the call was accepted, and charged; syncd records
  ``ACCEPTED`` and does not wait for the log entry.
* 400/404/409 are refusals, nothing charged; so is a 429 (refused before any work).
"""

from __future__ import annotations

import httpx

from syncd.core.renewal_models import RenewalAnswer, RenewalKind, RenewalOutcome
from syncd.marketplaces.calls import (
    REQUEST_ID_HEADER,
    _Transient,
    api_messages,
    dealer_params,
)
from syncd.marketplaces.catalog import BlocketCatalog
from syncd.marketplaces.paths import ad_path
from syncd.ports import count_request

_REFUSALS = frozenset({400, 404, 409, 422})


class BlocketRenewer(BlocketCatalog):
    """The Pro Import API client with the paid calls (never retried)."""

    async def renew(
        self,
        dealer_code: str,
        source_id: str,
        kind: RenewalKind,
        *,
        exclude_bytbil: bool = False,
        exclude_blocket: bool = False,
    ) -> RenewalAnswer:
        """Send one bump or pole position; 401/403 raise ApiAuthError (see the module)."""
        params = dealer_params(dealer_code)
        if exclude_bytbil:
            params["exclude_bytbil"] = "true"
        if exclude_blocket:
            params["exclude_blocket"] = "true"
        path = f"{ad_path(self._version, source_id)}/{kind.value}"
        count_request(retry=False)
        try:
            response = await self._once(
                "GET", path, params=params, content=None, headers=None, source_id=source_id
            )
        except _Transient as exc:
            if exc.status == 429:
                return RenewalAnswer(RenewalOutcome.REFUSED, 429, f"rate limited: {exc}")
            return RenewalAnswer(
                RenewalOutcome.UNKNOWN, exc.status, f"{exc}: it may have been charged; not retried"
            )
        return _answer(response)


def _answer(response: httpx.Response) -> RenewalAnswer:
    request_id = response.headers.get(REQUEST_ID_HEADER)
    status = response.status_code
    if 200 <= status < 300:
        return RenewalAnswer(RenewalOutcome.ACCEPTED, status, None, request_id)
    messages = "; ".join(api_messages(response)) or f"HTTP {status}"
    if status in _REFUSALS:
        return RenewalAnswer(RenewalOutcome.REFUSED, status, messages, request_id)
    # A 3xx or another code the API does not use: what it did is not known.
    return RenewalAnswer(RenewalOutcome.UNKNOWN, status, f"unexpected HTTP {status}: {messages}")
