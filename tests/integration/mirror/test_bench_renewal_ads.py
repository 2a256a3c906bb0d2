"""bench/renewal_ads.py keeps working: its stock is what its figures say they measure."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest
from sqlalchemy import Engine

from syncd.core.renewals import decide, renewal_ad
from syncd.mirror.sql import SqlMirror

BENCH = Path(__file__).resolve().parents[3] / "bench"


def load(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """The benchmark module, imported from its file (bench/ on the path, as when run)."""
    monkeypatch.syspath_prepend(str(BENCH))
    spec = importlib.util.spec_from_file_location("bench_renewal_ads", BENCH / "renewal_ads.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_benchmarks_stock_is_3_kb_ads_one_in_a_hundred_hidden(
    migrated_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """300 ads of about 3 kB each; 3 hidden; both paths decide alike, for both policies."""
    bench = load(monkeypatch)
    stored = bench.fill(migrated_engine, "D1", 300)
    assert 2500 < stored / 300 < 4000
    mirror = SqlMirror(migrated_engine)
    assert sum(a.hidden for a in mirror.renewal_ads("D1", ())) == 3
    for policy in (bench.PLAIN, bench.FILTERED):
        read = [renewal_ad(a, tuple(policy.filter)) for a in mirror.load("D1").values()]
        whole = decide(policy, "D1", read, [], bench.NOW)
        light = decide(policy, "D1", mirror.renewal_ads("D1", tuple(policy.filter)), [], bench.NOW)
        assert whole == light
        assert (whole.due, len(whole.chosen)) == (297, 20)
