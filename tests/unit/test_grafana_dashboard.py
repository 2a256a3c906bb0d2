"""deploy/grafana/syncd-dashboard.json: valid JSON that queries only metrics syncd exports."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.metrics import MetricWrapperBase

from syncd.daemon.metrics import Metrics

DASHBOARD = Path(__file__).resolve().parents[2] / "deploy" / "grafana" / "syncd-dashboard.json"
SUFFIXES = {"counter": ("_total",), "gauge": ("",), "histogram": ("_bucket", "_sum", "_count")}
# PromQL words that may stand in a `by (...)` or after a metric name.
SELECTOR = re.compile(r"\b(syncd_[a-z_]+)(?:\{([^}]*)\})?")
BY = re.compile(r"\bby \(([^)]*)\)")


def exported() -> dict[str, set[str]]:
    """Every sample name /metrics can carry, with the labels it has."""
    names: dict[str, set[str]] = {}
    for metric in vars(Metrics()).values():
        if not isinstance(metric, MetricWrapperBase):
            continue
        labels = set(metric._labelnames)
        for suffix in SUFFIXES[metric._type]:
            names[metric._name + suffix] = labels | ({"le"} if suffix == "_bucket" else set())
    return names


def dashboard() -> dict[str, Any]:
    return dict(json.loads(DASHBOARD.read_text(encoding="utf-8")))


def queries() -> list[str]:
    """Every PromQL expression of the dashboard: the panels' targets and the variables'."""
    doc = dashboard()
    found = [t["expr"] for p in doc["panels"] for t in p.get("targets", ())]
    found += [
        v["query"]["query"] for v in doc["templating"]["list"] if isinstance(v.get("query"), dict)
    ]
    return found


def test_the_dashboard_is_valid_json_with_unique_panel_ids() -> None:
    """It parses, every panel has its own id and a place, and queries go to $datasource."""
    doc = dashboard()
    ids = [p["id"] for p in doc["panels"]]
    assert len(ids) == len(set(ids))
    for panel in doc["panels"]:
        assert {"x", "y", "w", "h"} <= set(panel["gridPos"])
        for target in panel.get("targets", ()):
            assert target["datasource"]["uid"] == "${datasource}"
    assert queries()


@pytest.mark.parametrize("expr", queries())
def test_every_queried_metric_and_label_is_exported(expr: str) -> None:
    """Each metric a query names is one syncd exports, with labels it has."""
    names = exported()
    used = SELECTOR.findall(expr)
    assert used, expr
    labels: set[str] = set()
    for name, matchers in used:
        assert name in names, f"{name} is not exported by syncd.daemon.metrics"
        labels |= names[name]
        for matcher in filter(None, (m.strip() for m in matchers.split(","))):
            label = re.split(r"[=!~]", matcher, maxsplit=1)[0].strip()
            assert label in names[name], f"{name} has no label {label!r}"
    for group in BY.findall(expr):
        for label in (g.strip() for g in group.split(",")):
            assert label in labels, f"{expr}: no metric here has the label {label!r}"


def test_every_exported_family_has_a_panel() -> None:
    """No metric of syncd.daemon.metrics is left off the dashboard."""
    shown = {name for expr in queries() for name, _ in SELECTOR.findall(expr)}
    families = {m._name for m in vars(Metrics()).values() if isinstance(m, MetricWrapperBase)}
    missing = {f for f in families if not any(s.startswith(f) for s in shown)}
    assert not missing
