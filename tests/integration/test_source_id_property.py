"""Any string as a source_id: it round-trips through the API, or it is refused as an item.

For each generated id, a fresh dealer (its own mirror) syncs an anchor ad and an
ad under that id: create, update, read back, delete. An id syncd refuses must
be an invalid item that never reaches the API. In no case is the anchor touched
after its creation, and no run stops.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from syncd import bootstrap
from syncd.core.models import RemoteAd
from tests.integration.harness import Harness, goods
from tests.integration.sandbox_server import (
    InProcessSandbox,
    SandboxAdmin,
    SandboxServer,
    running_sandbox,
)

ANCHOR = {**goods(0), "source_id": "anchor-ad"}
_dealers = itertools.count()

# Hand-picked hostile ids, then any text, then text around URL syntax.
POISON = ["..", ".", "g?200=1", "g#200", "%", "%2F", "%2e%2e", "a/b", "a,b", " a", "a\u200fb"]
SOURCE_IDS = st.one_of(
    st.sampled_from(POISON),
    st.text(max_size=110),
    st.builds(
        "".join,
        st.lists(
            st.sampled_from(["?", "#", "%", "&", "+", ";", "=", ".", "~", "\\", "%25", "ä", " "])
            | st.text(max_size=3),
            min_size=1,
            max_size=8,
        ),
    ),
)
_SETTINGS = {
    "deadline": None,
    "derandomize": True,  # the same examples on every run: a failure can be replayed
    "suppress_health_check": [HealthCheck.too_slow],
}


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder of the shared mirror file and each example's feed."""
    return tmp_path_factory.mktemp("source-ids")


@pytest.fixture(scope="module")
def in_process() -> SandboxAdmin:
    """One in-process sandbox (ASGI) for every example; each example has its own dealer."""
    return InProcessSandbox(0.0)


@pytest.fixture(scope="module")
def over_http() -> Iterator[SandboxServer]:
    """One sandbox subprocess over real HTTP for the examples of the HTTP variant."""
    with running_sandbox("--processing-delay", "0") as server:
        yield server


def _writes(h: Harness) -> list[tuple[str, str | None]]:
    return [
        (e["method"], e["source_id"])
        for e in h.sandbox.journal()
        if e["dealer"] == h.dealer_code and e["method"] in ("POST", "PUT", "PATCH", "DELETE")
    ]


def _read_back(h: Harness, source_id: str) -> RemoteAd | None:
    async def go() -> RemoteAd | None:
        container = bootstrap.build(h.settings, token=h.token, transport=h.sandbox.transport())
        try:
            return await container.marketplace.get(h.dealer_code, source_id)
        finally:
            await container.aclose()

    return asyncio.run(go())


def _round_trip(sandbox: SandboxAdmin, root: Path, source_id: str) -> None:
    dealer = f"P{next(_dealers)}"  # one mirror file for all: each example is its own dealer
    h = Harness(root / dealer, f"sqlite:///{root / 'mirror.db'}", sandbox, dealer_code=dealer)
    h.feed.parent.mkdir()
    item: dict[str, Any] = {**goods(1), "source_id": source_id}
    h.write([ANCHOR, item])
    first = h.run()
    if first.counts["invalid"]:
        assert source_id != ANCHOR["source_id"]
        assert any(m.startswith("source_id:") for _, m in first.problems), first.problems
        assert _writes(h) == [("POST", "anchor-ad")]
        return
    assert first.outcome == "success", first.problems
    item["price"] = [{"type": "list", "amount": 4321}]
    h.write([ANCHOR, item])
    assert h.run().outcome == "success"
    remote = _read_back(h, source_id)
    assert remote is not None
    assert remote.source_id == source_id
    assert remote.content is not None
    assert remote.content["price"][0]["amount"] == 4321
    h.write([ANCHOR])
    assert h.run(allow_mass_delete=True).outcome == "success"
    ads = sandbox.ads()
    assert ads[(dealer, source_id)]["state"] == "deleted"
    assert ads[(dealer, "anchor-ad")]["state"] == "created"
    assert sorted((k for k in ads if k[0] == dealer), key=str) == sorted(
        [(dealer, source_id), (dealer, "anchor-ad")], key=str
    )
    writes = _writes(h)
    assert sorted(writes[:2], key=str) == sorted(
        [("POST", "anchor-ad"), ("POST", source_id)], key=str
    )
    assert writes[2:] == [("PATCH", source_id), ("DELETE", source_id)]
    assert ads[(dealer, source_id)]["price"][0]["amount"] == 4321


@settings(max_examples=40, **_SETTINGS)  # type: ignore[arg-type]
@given(source_id=SOURCE_IDS)
def test_any_source_id_round_trips_in_process_or_is_refused(
    in_process: SandboxAdmin, root: Path, source_id: str
) -> None:
    """Over ASGI: the id is created, updated, read back and deleted as itself, or refused."""
    _round_trip(in_process, root, source_id)


@settings(max_examples=6, **_SETTINGS)  # type: ignore[arg-type]
@given(source_id=SOURCE_IDS)
def test_any_source_id_round_trips_over_http_or_is_refused(
    over_http: SandboxServer, root: Path, source_id: str
) -> None:
    """Over real HTTP (uvicorn): the same property for a few examples."""
    _round_trip(over_http, root, source_id)
