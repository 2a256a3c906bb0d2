"""Shared: the one exception tree of syncd.

Expected outcomes (an invalid feed item, a 400 on one ad) are values, not
exceptions. These exceptions are for when a run cannot go on, split by what
the operator must do about them::

    SyncdError
    ├── TemporaryError              retry later; nothing is wrong with the setup
    │   ├── ApiUnavailable          timeout, connection error, 5xx, 429 after retries
    │   │   ├── RateLimited         429, carries retry_after
    │   │   └── ApiGarbled          an answer that is not the API's JSON (a proxy's page)
    │   ├── MirrorUnavailable       the database cannot be reached
    │   └── RunLocked               another run holds the lock for this dealer
    └── PermanentError              a person must act before the next run can succeed
        ├── ConfigError             the configuration file or a setting is wrong
        │   └── CallRefusedByConfig a POST the API refused for the config's sake (none applied)
        ├── FeedError               the feed file cannot be read or parsed as a whole
        ├── ApiAuthError            401/403: the token is missing, wrong or expired
        │   └── ApiScopeError       403: the token is valid but not for this dealer
        ├── ApiContractError        the API answered something syncd cannot understand
        ├── SchemaError             the mirror's schema is older/newer than this syncd
        ├── PlanFileError           a saved plan file cannot be read or is not a plan
        └── GuardTripped            a safety guard refused the plan (mass delete, ...)
            └── StalePlan           a saved plan's feed or mirror rows changed since

httpx and SQLAlchemy exceptions never escape their adapters: they are
translated into these with ``raise ... from exc``. No message built here may
contain the API token.

An error carries one message, shown as it is in a traceback and masked where it is
shown or logged (:func:`syncd.core.contacts.mask`: it may quote the API's message or a
feed's value, and their contact data). Paths and URLs in it stay whole; the dealer
codes and source_ids it names elsewhere are given as ``ids`` and stay whole too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from signal import Signals

from syncd.core import contacts


class SyncdError(Exception):
    """Base of every error syncd raises on purpose.

    ``ids``: the identifiers (dealer codes, source_ids) the message names outside a path,
    kept whole where the message is shown masked (an all-digit dealer code looks like a
    phone number). Assumption: the message is one text, built where the error is raised,
    so only the raiser knows which of its words are ids; one that is not given is masked
    if it looks like contact data (shown wrong, never leaked)."""

    def __init__(self, message: str = "", *, ids: Iterable[str | None] = ()) -> None:
        super().__init__(message)
        self.ids = frozenset(i for i in ids if i)


def shown(
    exc: BaseException | str,
    limit: int | None = None,
    *,
    redact: Callable[[str], str] | None = None,
) -> contacts.Masked:
    """An error's message as shown to a person or written in a log line: e-mail
    addresses and phone numbers masked, its paths, URLs and (a :class:`SyncdError`'s)
    ``ids`` whole; cut to ``limit`` characters first when given. A text (a line syncd
    wrote itself) or a foreign error (an ``OSError``) is masked the same way, without
    ids. Log it as ``error=shown(exc)``, never ``error=str(exc)``: the log processor
    would mask the ids too (:class:`syncd.core.contacts.Masked`).

    ``redact``: run on the text first, where no log processor will (systemd's
    ``STATUS=``, ``/readyz``): ``syncd.logs.REDACTOR.scrub``, the secrets it knows
    masked before masking could split them."""
    text = exc if isinstance(exc, str) else str(exc)
    if redact is not None:
        text = redact(text)
    ids = exc.ids if isinstance(exc, SyncdError) else frozenset[str]()
    if limit is not None:
        text = contacts.cut(text, limit)
    return contacts.masked_with(text, ids)


class TemporaryError(SyncdError):
    """The run failed for a reason that may go away by itself; retry later."""


class PermanentError(SyncdError):
    """The run cannot succeed until a person changes something."""


class ApiUnavailable(TemporaryError):
    """The marketplace API did not answer usefully (timeout, connection, 5xx)."""


class ApiGarbled(ApiUnavailable):
    """A 2xx answer whose body is not the API's JSON: not JSON, cut short, or of another
    content type (an HTML page from a proxy or a captive portal in between).

    Temporary: such a page comes from something between syncd and the API and goes
    away with it; a call it answered stays recorded as intended or sent, so the next
    run reads the ad back before anything is re-sent.
    """


class RateLimited(ApiUnavailable):
    """The API answered 429; ``retry_after`` is its Retry-After in seconds, if given."""

    def __init__(
        self, message: str, retry_after: float | None = None, *, ids: Iterable[str | None] = ()
    ) -> None:
        super().__init__(message, ids=ids)
        self.retry_after = retry_after


class MirrorUnavailable(TemporaryError):
    """The mirror database cannot be reached or refused the operation."""


class RunLocked(TemporaryError):
    """Another syncd run holds the lock for this dealer."""


class ConfigError(PermanentError):
    """The configuration is invalid; the message names the key."""


class CallRefusedByConfig(ConfigError):
    """The API refused a call, and would refuse every such call, because of the
    configuration (a dealer group's token on a feed naming no dealer): the call changed
    nothing, so the executor drops its intent (nothing is left pending on the ad)."""


class FeedError(PermanentError):
    """The feed file cannot be used as a whole; the message names the file."""


class ApiAuthError(PermanentError):
    """401/403 from the API: the token is missing, wrong, expired or lacks scope."""


class ApiScopeError(ApiAuthError):
    """403 from the API: the token does not cover this dealer (or this operation)."""


class ApiContractError(PermanentError):
    """The API answered in a shape syncd does not understand."""


class SchemaError(PermanentError):
    """The mirror's schema does not match this version of syncd."""


class GuardTripped(PermanentError):
    """A safety guard refused to apply the plan."""


class StalePlan(GuardTripped):
    """A saved plan no longer matches the feed or the mirror rows it was made from."""


class PlanFileError(PermanentError):
    """A saved plan file cannot be read, or is not a plan this syncd can apply."""


class Stopped(SyncdError):
    """A stop signal ended a command's step, refused a call (never sent), or ended a
    command's wait for a dealer's run lock (nothing of that run started).

    A renewal refused this way is recorded ``not_sent`` (nothing charged; the next run
    may send it). The commands that stop gracefully (``syncd.cli.stopping``) catch it,
    print what they finished and exit with the signal's code; one reaching the error
    handler exits with the code of ``signal`` (None: not known here, exit 1).
    """

    def __init__(
        self, message: str, signal: Signals | None = None, *, ids: Iterable[str | None] = ()
    ) -> None:
        super().__init__(message, ids=ids)
        self.signal = signal
