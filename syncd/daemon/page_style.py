"""Daemon: the status page's inline stylesheet (no font, image or file is loaded).

System fonts only; a light, dense layout meant for an operator's wide screen that
still reads on a narrow one (tables scroll sideways).
"""

from __future__ import annotations

STYLE = """
:root { color-scheme: light; --ink: #1f2328; --muted: #656d76; --line: #d8dee4; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1240px; padding: 16px 24px 40px; color: var(--ink);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
  background: #f6f8fa; }
header { display: flex; align-items: baseline; gap: 16px; flex-wrap: wrap; }
h1 { font-size: 22px; margin: 8px 0; }
h2 { font-size: 16px; margin: 0 0 8px; }
.meta, .note, .empty { color: var(--muted); margin: 4px 0 8px; }
.alert { color: #cf222e; font-weight: 600; margin: 4px 0 8px; }
section { background: #fff; border: 1px solid var(--line); border-radius: 6px;
  padding: 12px 16px; margin: 12px 0; overflow-x: auto; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line);
  vertical-align: top; }
th { font-weight: 600; color: var(--muted); white-space: nowrap; }
th.num, td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.total, tr.sum td { font-weight: 600; }
td.message { max-width: 520px; overflow-wrap: anywhere; }
td.id, td.ids { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 13px;
  overflow-wrap: anywhere; }
td.when { white-space: nowrap; }
td.state-live { color: #1a7f37; }
td.state-failed, td.state-rejected { color: #cf222e; font-weight: 600; }
td.state-processing, td.state-pending { color: #9a6700; }
td.outcome-success { color: #1a7f37; }
td.outcome-partial, td.outcome-running { color: #9a6700; }
td.outcome-failed, td.outcome-guarded { color: #cf222e; font-weight: 600; }
code { background: #eff1f3; padding: 1px 4px; border-radius: 4px; }
svg.chart { display: block; max-width: 100%; height: auto; }
svg .title { font-size: 13px; font-weight: 600; fill: var(--ink); }
svg .scale { font-size: 11px; fill: var(--muted); text-anchor: end; }
svg .value { font-size: 10px; fill: var(--ink); text-anchor: middle; }
svg .day { font-size: 10px; fill: var(--muted); text-anchor: middle; }
"""
