"""Shell: ``syncd pin`` / ``unpin`` (never delete an ad for being absent) and the paid calls
``syncd bump`` / ``pole-position`` (charged: each one is recorded in the mirror).

Exit codes: 0 when the API accepted the call; 6 (PARTIAL) when it refused it
(nothing charged; the message says why); 11 (NOT_FOUND) when it does not know
the ad; 7 (TEMPORARY) when no usable answer came (it may have been charged:
check ``syncd status`` and Blocket Admin before trying again).
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import click

from syncd import bootstrap, config, renewals
from syncd.cli.exits import ExitCode, handle_errors
from syncd.cli.shell import global_options, print_json, settings_of, usable_source_id
from syncd.cli.stopping import GracefulStop
from syncd.core.contacts import mask, masked
from syncd.core.models import Pin
from syncd.core.renewal_models import Renewal, RenewalAnswer, RenewalKind, RenewalOutcome
from syncd.terminal import printable


def dealer_of(settings: config.Settings, given: str | None, *, configured: bool = True) -> str:
    """``--dealer``, or the one dealer the feeds serve; a usage error when that is ambiguous,
    or (``configured``) when ``--dealer`` names none of the feeds' dealers: a typo would
    pin, or pay to bump, an ad of no dealer syncd serves, silently. Unpinning takes any
    dealer (a pin left from a feed since removed can still go)."""
    codes = sorted({code for f in settings.feeds for code in f.dealers})
    known = ", ".join(repr(c) for c in codes) or "none configured"
    if given is not None:
        if configured and given not in codes:
            raise click.UsageError(f"--dealer {given!r} is not a dealer of the feeds ({known})")
        return given
    if len(codes) == 1:
        return codes[0]
    raise click.UsageError(f"give --dealer (dealers: {known})")


def pin_json(pin: Pin) -> dict[str, Any]:
    """One pin as JSON."""
    return {
        "dealer_code": pin.dealer_code,
        "source_id": pin.source_id,
        "pinned_at": pin.pinned_at.isoformat(),
    }


def renewal_json(r: Renewal) -> dict[str, Any]:
    """One renewal as JSON, contact data in the API's message masked (as ``status`` masks it)."""
    return {
        "dealer_code": r.dealer_code,
        "source_id": r.source_id,
        "kind": r.kind.value,
        "at": r.at.isoformat(),
        "outcome": r.outcome.value,
        "policy": r.policy,
        "message": masked(r.message),
        "request_id": r.request_id,
    }


DEALER_HELP = "The dealer_code (default: the feeds' only one)."


def _pin_options(func: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed(
        (
            click.argument("source_id"),
            click.option(
                "--dealer", "dealer_code", help="The dealer_code (default: the only one)."
            ),
            click.option("--json", "as_json", is_flag=True, help="Print the result as JSON."),
        )
    ):
        func = option(func)
    return func


def _set_pin(ctx: click.Context, source_id: str, dealer_code: str | None, *, on: bool) -> None:
    settings = settings_of(ctx)
    dealer = dealer_of(settings, dealer_code, configured=on)
    usable_source_id(
        settings,
        source_id,
        lambda m: m.get(dealer, source_id) is not None or source_id in m.pinned(dealer),
        known_goes=True,  # nothing is sent: a row of an id refused since can be (un)pinned
    )
    with bootstrap.open_mirror(settings) as mirror:
        if on:
            changed = mirror.pin(dealer, source_id, bootstrap.SystemClock().now())
        else:
            changed = mirror.unpin(dealer, source_id)
        known = mirror.get(dealer, source_id) is not None
    doc = {
        "dealer_code": dealer,
        "source_id": source_id,
        "pinned": on,
        "changed": changed,
        "in_mirror": known,
    }
    if ctx.params.get("as_json"):
        print_json(doc)
        return
    what = (
        ("pinned" if changed else "already pinned")
        if on
        else ("unpinned" if changed else "was not pinned")
    )
    line = f"{printable(source_id)} of dealer {printable(dealer or '(token dealer)')}: {what}"
    if on and not known:
        line += " (not in the mirror yet: the pin holds once it is)"
    click.echo(line)


@click.command("pin")
@global_options
@_pin_options
@click.pass_context
@handle_errors
def pin_cmd(ctx: click.Context, source_id: str, dealer_code: str | None, as_json: bool) -> None:
    """Pin an ad: it is never deleted for being absent from the feed (until `syncd unpin`)."""
    _set_pin(ctx, source_id, dealer_code, on=True)


@click.command("unpin")
@global_options
@_pin_options
@click.pass_context
@handle_errors
def unpin_cmd(ctx: click.Context, source_id: str, dealer_code: str | None, as_json: bool) -> None:
    """Unpin an ad: the next run deletes it if the feed no longer has it (behind the guards)."""
    _set_pin(ctx, source_id, dealer_code, on=False)


def _renewal_options(func: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed(
        (
            click.argument("source_id"),
            click.option(
                "--dealer", "dealer_code", help="The dealer_code (default: the only one)."
            ),
            click.option(
                "--exclude-bytbil", is_flag=True, help="Registered vehicles: not on Bytbil."
            ),
            click.option(
                "--exclude-blocket", is_flag=True, help="Registered vehicles: not on Blocket."
            ),
            click.option("--json", "as_json", is_flag=True, help="Print the result as JSON."),
        )
    ):
        func = option(func)
    return func


def _renew(ctx: click.Context, kind: RenewalKind, source_id: str, dealer_code: str | None) -> None:
    settings = settings_of(ctx)
    dealer = dealer_of(settings, dealer_code)
    usable_source_id(settings, source_id, lambda m: m.get(dealer, source_id) is not None)
    flags = {k: bool(ctx.params.get(k)) for k in ("exclude_bytbil", "exclude_blocket")}
    if flags["exclude_bytbil"] and flags["exclude_blocket"]:
        raise click.UsageError("give --exclude-bytbil or --exclude-blocket, not both")
    container = bootstrap.build(settings)
    stop = GracefulStop(ctx.command.name or kind.value)

    async def go() -> tuple[Renewal, RenewalAnswer] | None:
        """The one charged call, stopped as ``run-once`` stops: a signal before it is sent
        refuses it (recorded not_sent, nothing charged), one while it is in flight waits
        for its answer, recorded (never left ``reserved``, which counts as charged)."""
        base = container.renewal_deps()
        deps = replace(base, renewer=stop.renewer(base.renewer))
        async with stop.stoppable(container.aclose):
            return await stop.step(renewals.renew_by_hand(deps, dealer, source_id, kind, **flags))
        return None

    answered = asyncio.run(go())
    if answered is None:
        assert stop.signal is not None  # only a stop ends it without an answer
        stop.exit(done=0, total=1, what="call(s) answered")
    done, answer = answered
    if ctx.params.get("as_json"):
        print_json(renewal_json(done))
    else:
        said = f": {printable(mask(done.message), 500)}" if done.message else ""
        click.echo(f"{kind.value} {printable(source_id)}: {done.outcome.value}{said}")
    if stop.signal is not None:  # it came while the call was in flight: answered, recorded
        stop.exit(done=1, total=1, what="call(s) answered")
    if done.outcome is RenewalOutcome.UNKNOWN:
        sys.exit(ExitCode.TEMPORARY)
    if done.outcome is RenewalOutcome.REFUSED:
        sys.exit(ExitCode.NOT_FOUND if answer.status == 404 else ExitCode.PARTIAL)


@click.command("bump")
@global_options
@_renewal_options
@click.pass_context
@handle_errors
def bump_cmd(
    ctx: click.Context,
    *,
    source_id: str,
    dealer_code: str | None,
    exclude_bytbil: bool,
    exclude_blocket: bool,
    as_json: bool,
) -> None:
    """Renew an ad now, a charged call (GET /ad/{source_id}/bump): it appears as new."""
    _renew(ctx, RenewalKind.BUMP, source_id, dealer_code)


@click.command("pole-position")
@global_options
@_renewal_options
@click.pass_context
@handle_errors
def pole_position_cmd(
    ctx: click.Context,
    *,
    source_id: str,
    dealer_code: str | None,
    exclude_bytbil: bool,
    exclude_blocket: bool,
    as_json: bool,
) -> None:
    """Put an ad first in search results for 3 days, a charged call; no bump meanwhile."""
    _renew(ctx, RenewalKind.POLE_POSITION, source_id, dealer_code)
