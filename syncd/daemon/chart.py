"""Daemon: the status page's chart, an inline SVG of runs and API requests per day.

Pure: a function from :class:`~syncd.core.activity.DayActivity` values to SVG text,
no I/O. Two panels share the days (oldest left): runs, with the failed or guarded
ones stacked in red at the foot of each bar, and the requests those runs sent. Each
panel has its own scale: a day has tens of runs but thousands of requests.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from syncd.core.activity import DayActivity

WIDTH = 1120
PANEL = 130  # height of one panel's bars
LEFT = 56  # room for the scale's labels
TOP = 26  # room for a panel's title
GAP = 34  # between the panels (the day labels sit here)
RIGHT = 12
COLOURS = {"ok": "#3b7dd8", "bad": "#d64545", "requests": "#6a4fb3", "axis": "#8a8f98"}


@dataclass(frozen=True, slots=True)
class _Bar:
    """One bar segment: its day index, its base and top values."""

    index: int
    low: int
    high: int
    colour: str
    tip: str


def activity_svg(days: Sequence[DayActivity]) -> str:
    """The chart of ``days`` (oldest first) as one ``<svg>`` element."""
    height = 2 * (TOP + PANEL) + GAP + 22
    runs = [
        bar
        for i, d in enumerate(days)
        for bar in (
            _Bar(i, 0, d.unsuccessful, COLOURS["bad"], _run_tip(d)),
            _Bar(i, d.unsuccessful, d.runs, COLOURS["ok"], _run_tip(d)),
        )
    ]
    requests = [
        _Bar(i, 0, d.requests, COLOURS["requests"], f"{d.day.isoformat()}: {d.requests} requests")
        for i, d in enumerate(days)
    ]
    total_runs = sum(d.runs for d in days)
    total_requests = sum(d.requests for d in days)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" role="img" class="chart" aria-label="'
        f'{escape(_label(days, total_runs, total_requests))}">',
        _panel(days, runs, 0, f"Runs per day ({total_runs}; red: failed or guarded)", "runs-panel"),
        _panel(
            days,
            requests,
            TOP + PANEL + GAP,
            f"API requests per day ({total_requests})",
            "requests-panel",
        ),
        "</svg>",
    ]
    return "".join(parts)


def _label(days: Sequence[DayActivity], runs: int, requests: int) -> str:
    if not days:
        return "No days to chart"
    return (
        f"{runs} runs and {requests} API requests from {days[0].day.isoformat()} "
        f"to {days[-1].day.isoformat()} (UTC)"
    )


def _run_tip(d: DayActivity) -> str:
    return f"{d.day.isoformat()}: {d.runs} runs ({d.unsuccessful} failed or guarded)"


def _panel(
    days: Sequence[DayActivity], bars: Sequence[_Bar], y0: int, title: str, name: str
) -> str:
    """One panel: title, scale, bars, a value over each day and the day labels."""
    top = max((b.high for b in bars), default=0)
    scale = _nice(top)
    base = y0 + TOP + PANEL
    step = (WIDTH - LEFT - RIGHT) / max(len(days), 1)
    out = [
        f'<g class="{name}">',
        f'<text x="{LEFT}" y="{y0 + 16}" class="title">{escape(title)}</text>',
        _line(LEFT, base, WIDTH - RIGHT, base, COLOURS["axis"]),
        _line(LEFT, base - PANEL, WIDTH - RIGHT, base - PANEL, "#e3e5e8"),
        f'<text x="{LEFT - 6}" y="{base - PANEL + 4}" class="scale">{scale}</text>',
        f'<text x="{LEFT - 6}" y="{base + 4}" class="scale">0</text>',
    ]
    for b in bars:
        if b.high <= b.low:
            continue
        x = LEFT + b.index * step + step * 0.15
        y_top = base - b.high / scale * PANEL
        h = (b.high - b.low) / scale * PANEL
        out.append(
            f'<rect x="{x:.1f}" y="{y_top:.1f}" width="{step * 0.7:.1f}" height="{h:.1f}" '
            f'fill="{b.colour}"><title>{escape(b.tip)}</title></rect>'
        )
    for i, d in enumerate(days):
        centre = LEFT + (i + 0.5) * step
        value = max((b.high for b in bars if b.index == i), default=0)
        if value:
            y = base - value / scale * PANEL - 4
            out.append(f'<text x="{centre:.1f}" y="{y:.1f}" class="value">{value}</text>')
        if i % max(1, len(days) // 14) == 0:
            out.append(
                f'<text x="{centre:.1f}" y="{base + 15}" class="day">'
                f"{escape(d.day.strftime('%m-%d'))}</text>"
            )
    out.append("</g>")
    return "".join(out)


def _line(x1: float, y1: float, x2: float, y2: float, colour: str) -> str:
    return f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="{colour}" stroke-width="1"/>'


def _nice(top: int) -> int:
    """The top of the scale: at least ``top``, a 1, 2 or 5 times a power of ten."""
    if top <= 0:
        return 1
    magnitude = 1
    while True:
        for m in (1, 2, 5):
            if m * magnitude >= top:
                return m * magnitude
        magnitude *= 10
