"""Daemon: the status page served at ``/status``: a typed view model and its HTML.

Pure: :func:`render` is a function from a :class:`StatusView` to text, no I/O
(:mod:`syncd.daemon.status` gathers the view). Every value from the mirror, the
feed or the API is escaped with :func:`html.escape`; the page links nothing (no
script, stylesheet, font or image from anywhere: its CSS is inline, its chart an
inline SVG), and the server's Content-Security-Policy refuses anything else.

No contact data: the view model holds no payload, only dealer codes, source_ids,
states, counts and messages; e-mail addresses and phone numbers in a message are
masked all the same (an API's error may quote the value it refused), as
:mod:`syncd.core.contacts` says, and as ``syncd status`` masks them. Ids (dealer codes,
source_ids) are shown whole, as ``syncd status`` shows them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape

from syncd.core import contacts
from syncd.core.activity import DayActivity
from syncd.core.history import STATISTICS, duration, statistics
from syncd.core.models import RunSummary
from syncd.daemon.chart import activity_svg
from syncd.daemon.page_style import STYLE

HELD_SHOWN = 50
"""Source_ids of withheld deletes listed per dealer; the rest are counted."""
SHOWN_CHARS = 1000
"""Characters of one value shown (an action-log message is stored whole); an address or a
phone number the cut splits is dropped (:func:`syncd.core.contacts.cut`)."""


@dataclass(frozen=True, slots=True)
class DealerAds:
    """One dealer's ads by status, in ``AD_STATUSES`` order."""

    dealer_code: str
    counts: tuple[tuple[str, int], ...]

    @property
    def total(self) -> int:
        """Every ad of the dealer in the mirror."""
        return sum(n for _, n in self.counts)


@dataclass(frozen=True, slots=True)
class FailingAd:
    """An ad whose latest call failed or was refused, with the last message."""

    dealer_code: str
    source_id: str
    op: str | None
    stage: str | None
    message: str | None
    updated_at: datetime | None


@dataclass(frozen=True, slots=True)
class HeldBack:
    """The deletes a guard holds back for one dealer now, or why that is unknown."""

    dealer_code: str
    guard: str | None
    source_ids: tuple[str, ...] = ()
    error: str | None = None


@dataclass(frozen=True, slots=True)
class TokenRefused:
    """A dealer whose call the API answered 401/403 (:mod:`syncd.daemon.token`): the
    answer's status and the call, never the token or a header."""

    dealer_code: str
    status: int
    method: str
    path: str


@dataclass(frozen=True, slots=True)
class StatusView:
    """Everything the page shows; ``failing_total``: failing ads in all (more than
    ``failing`` lists when the list is cut)."""

    generated_at: datetime
    statuses: tuple[str, ...]
    dealers: tuple[DealerAds, ...]
    failing: tuple[FailingAd, ...]
    failing_total: int
    held_back: tuple[HeldBack, ...]
    runs: tuple[RunSummary, ...]
    days: tuple[DayActivity, ...]
    token_refused: tuple[TokenRefused, ...] = ()  # the refusals in force, by dealer


def render(view: StatusView) -> str:
    """The whole page as HTML text."""
    body = "".join(
        (
            f'<header><h1>syncd status</h1><p class="meta">Generated '
            f"{_time(view.generated_at)} UTC. Times are UTC.</p></header>",
            _section("API token", "token", _token(view.token_refused)),
            _section("Ads by state per dealer", "ads", _ads_table(view)),
            _section("Activity over the last days", "activity", activity_svg(view.days)),
            _section("Failing ads", "failing", _failing(view)),
            _section("Deletes held back by a guard", "withheld", _held_back(view.held_back)),
            _section("Last runs", "runs", _runs(view.runs)),
        )
    )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>syncd status</title><style>{STYLE}</style></head><body>{body}</body></html>"
    )


def text(value: object) -> str:
    """A value as escaped HTML text, e-mail addresses and phone numbers masked; None is a
    dash. Not for an identifier: :func:`ident`."""
    if value is None or value == "":
        return "&ndash;"
    return escape(contacts.mask(contacts.cut(str(value), SHOWN_CHARS)))


def ident(value: object) -> str:
    """An identifier (a dealer code, a source_id) as escaped HTML text, whole; None is a
    dash. Ids are no contact data and are shown as ``syncd status`` shows them: an
    all-digit one (``00123456``) looks like a phone number, an e-mail-like one
    (``kalle@example.se``, a dealer's choice of source_id) like an address."""
    if value is None or value == "":
        return "&ndash;"
    shown = str(value)
    return escape(shown if len(shown) <= SHOWN_CHARS else shown[:SHOWN_CHARS] + "…")


def _dealer(code: str) -> str:
    return ident(code) if code else "(token dealer)"


def _time(at: datetime | None) -> str:
    return "&ndash;" if at is None else escape(at.strftime("%Y-%m-%d %H:%M:%S"))


def _section(title: str, name: str, inner: str) -> str:
    return f'<section id="{name}"><h2>{escape(title)}</h2>{inner}</section>'


def _table(head: Sequence[str], rows: Sequence[str], name: str, numeric: Sequence[str] = ()) -> str:
    num = ' class="num"'
    cells = "".join(f"<th{num if h in numeric else ''}>{escape(h)}</th>" for h in head)
    body = "".join(rows)
    return f'<table class="{name}"><thead><tr>{cells}</tr></thead><tbody>{body}</tbody></table>'


def _row(cells: Sequence[str], attrs: str = "") -> str:
    return f"<tr{attrs}>{''.join(cells)}</tr>"


def _num(n: int | float | None, cls: str = "") -> str:
    shown = "&ndash;" if n is None else escape(str(n))
    return f'<td class="num{" " + cls if cls else ""}">{shown}</td>'


def _token(refused: Sequence[TokenRefused]) -> str:
    """Whether the API refuses the token, first on the page: ``/readyz`` fails then, and an
    operator opening the page must see why. The call is shown, never the token."""
    if not refused:
        return '<p class="empty">The API has not refused the token (no 401 or 403 in force).</p>'
    alert = (
        '<p class="alert">The API refuses the token: renew it (<code>api.token</code>, '
        "<code>api.token_file</code> or <code>$SYNCD_API_TOKEN</code>). <code>/readyz</code> "
        "fails until an answer proves it again.</p>"
    )
    rows = [
        _row(
            [
                f"<td>{_dealer(r.dealer_code)}</td>",
                f'<td class="num">HTTP {escape(str(r.status))}</td>',
                f'<td class="id">{escape(r.method)} {ident(r.path)}</td>',
            ]
        )
        for r in refused
    ]
    return alert + _table(["dealer", "answer", "refused call"], rows, "token", ["answer"])


def _ads_table(view: StatusView) -> str:
    if not view.dealers:
        return '<p class="empty">The mirror holds no ads yet.</p>'
    rows = [
        _row(
            [
                f'<td class="dealer">{_dealer(d.dealer_code)}</td>',
                *(_num(n, f"state-{s}" if n else "") for s, n in d.counts),
                _num(d.total, "total"),
            ],
            f' data-dealer="{escape(d.dealer_code, quote=True)}"',
        )
        for d in view.dealers
    ]
    if len(view.dealers) > 1:
        sums = [sum(dict(d.counts).get(s, 0) for d in view.dealers) for s in view.statuses]
        cells = ['<td class="dealer">all dealers</td>', *(_num(n) for n in sums)]
        rows.append(_row([*cells, _num(sum(sums), "total")], ' class="sum"'))
    head = ["dealer", *view.statuses, "total"]
    return _table(head, rows, "ads", head[1:])


def _failing(view: StatusView) -> str:
    if not view.failing:
        return '<p class="empty">No ad is failing.</p>'
    rows = [
        _row(
            [
                f"<td>{_dealer(a.dealer_code)}</td>",
                f'<td class="id">{ident(a.source_id)}</td>',
                f"<td>{text(a.op)}</td>",
                f"<td>{text(a.stage)}</td>",
                f'<td class="message">{text(a.message)}</td>',
                f'<td class="when">{_time(a.updated_at)}</td>',
            ]
        )
        for a in view.failing
    ]
    note = ""
    if view.failing_total > len(view.failing):
        note = (
            f'<p class="note">The {len(view.failing)} most recent of {view.failing_total} '
            "failing ads; <code>syncd status --json</code> lists more.</p>"
        )
    return note + _table(
        ["dealer", "source_id", "op", "stage", "message", "since"], rows, "failing"
    )


def _held_back(held: Sequence[HeldBack]) -> str:
    if not held:
        return '<p class="empty">No feed is configured.</p>'
    if not any(h.source_ids or h.error for h in held):
        return '<p class="empty">No delete is held back.</p>'
    rows = []
    for h in held:
        ids = h.source_ids[:HELD_SHOWN]
        more = len(h.source_ids) - len(ids)
        shown = ", ".join(ident(i) for i in ids) + (f" and {more} more" if more > 0 else "")
        why = text(h.guard if h.error is None else h.error)
        rows.append(
            _row(
                [
                    f"<td>{_dealer(h.dealer_code)}</td>",
                    _num(len(h.source_ids), "held"),
                    f'<td class="ids">{shown or "&ndash;"}</td>',
                    f'<td class="message">{why}</td>',
                ]
            )
        )
    note = '<p class="note">Release them with <code>syncd release-deletes --dealer D</code>.</p>'
    head = ["dealer", "held back", "source_ids", "why"]
    return note + _table(head, rows, "withheld", ["held back"])


_RUN_STATS = tuple(s for s in STATISTICS if s != "retried")
"""The runs table's statistics: ``history``'s, but for the retries (a column too many)."""


def _runs(runs: Sequence[RunSummary]) -> str:
    if not runs:
        return '<p class="empty">No run yet.</p>'
    rows = []
    for r in runs:
        stats = statistics(r)
        outcome = str(r.outcome) if r.outcome else "running"
        rows.append(
            _row(
                [
                    _num(r.run_id),
                    f"<td>{_dealer(r.dealer_code)}</td>",
                    f'<td class="when">{_time(r.started_at)}</td>',
                    _num(duration(r)),
                    f'<td class="outcome outcome-{escape(outcome)}">{escape(outcome)}</td>',
                    *(_num(stats[s]) for s in _RUN_STATS),
                    f'<td class="message">{text(r.message)}</td>',
                ]
            )
        )
    head = ["run", "dealer", "started", "seconds", "outcome", *_RUN_STATS, "message"]
    return _table(head, rows, "runs", ["run", "seconds", *_RUN_STATS])
