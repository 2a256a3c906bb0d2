"""bench/renewals.py keeps working: its helpers give what the figures are measured on."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

from syncd.core.renewals import decide, renewal_ad

BENCH = Path(__file__).resolve().parents[2] / "bench" / "renewals.py"


def load() -> ModuleType:
    """The benchmark module, imported from its file."""
    spec = importlib.util.spec_from_file_location("bench_renewals", BENCH)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_benchmark_decides_on_its_own_stock() -> None:
    """On 1 000 ads the benchmark's policy chooses some ads, within its daily cap."""
    bench = load()
    ads, past = bench.ads(1000), bench.history(1000)
    light = [renewal_ad(a, ()) for a in ads.values()]
    decision = decide(bench.POLICY, "D1", light, past, bench.NOW)
    assert 0 < len(decision.chosen) <= bench.POLICY.caps.daily
