"""One dealer-group file, several dealers: each run sees only its records, deletes only its ads."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from syncd import bootstrap, config
from syncd.errors import ConfigError
from syncd.runs import RunReport
from syncd.service import sync
from tests.integration.sandbox_server import InProcessSandbox

MAPPING = {
    "maps": {"dealer": {"11": "D1", "12": "D2"}},
    "fields": {
        "source_id": "id",
        "dealer_code": {"source": "branch", "transforms": [{"map": "dealer"}]},
        "category_id": {"const": 2048},
        "title": "name",
        "body": "name",
        "price[type=list].amount": {"source": "price", "transforms": ["int"]},
        "contact.name": {"const": "Möbelgruppen"},
        "contact.phone": {"const": "0701234567"},
        "contact.email": {"const": "info@mobelgruppen.example"},
        "location.zipcode": {"const": "11122"},
    },
}


def item(sid: str, branch: str | None, price: int = 1000) -> dict[str, Any]:
    return {"id": sid, "branch": branch, "name": f"Soffa {sid}", "price": price}


class Group:
    """A config with one dealer-group feed for D1 and D2, run against an in-process sandbox."""

    def __init__(self, tmp_path: Path) -> None:
        self.feed = tmp_path / "group.json"
        self.sandbox = InProcessSandbox(0.0)
        self.settings = config.parse(
            {
                "database": {"url": f"sqlite:///{tmp_path / 'mirror.db'}"},
                "api": {"base_url": self.sandbox.url, "requests_per_second": 500.0},
                "feeds": [
                    {
                        "path": str(self.feed),
                        "format": "json",
                        "records": "items",
                        "dealer_codes": ["D1", "D2"],
                        "mapping": MAPPING,
                        "settle_seconds": 0,
                    }
                ],
                "sync": {"reconcile_wait": 20.0, "poll_interval": 0.02},
            },
            source="test",
        )

    def run(self, items: list[dict[str, Any]]) -> dict[str, RunReport]:
        self.feed.write_text(json.dumps({"items": items}), encoding="utf-8")

        async def go() -> dict[str, RunReport]:
            container = bootstrap.build(
                self.settings,
                token=SecretStr(self.sandbox.token("D1", "D2")),
                transport=self.sandbox.transport(),
            )
            try:
                opts = container.options()
                return {
                    j.dealer_code: await sync(container.deps(), j, opts) for j in container.jobs()
                }
            finally:
                await container.aclose()

        return asyncio.run(go())

    def live(self) -> set[tuple[str, str]]:
        return {key for key, ad in self.sandbox.ads().items() if ad["state"] == "created"}


def test_each_dealer_of_the_file_gets_only_its_own_records(tmp_path: Path):
    """D1's run creates D1's ads and D2's run D2's, from one file."""
    group = Group(tmp_path)
    reports = group.run([item("a", "11"), item("b", "12"), item("c", "11")])
    assert group.live() == {("D1", "a"), ("D1", "c"), ("D2", "b")}
    assert reports["D1"].counts.get("invalid", 0) == reports["D2"].counts.get("invalid", 0) == 0


def test_a_run_never_deletes_another_dealers_ads(tmp_path: Path):
    """Removing D1's record deletes D1's ad alone; D2's ad and record are untouched."""
    group = Group(tmp_path)
    group.run([item("a", "11"), item("b", "12"), item("c", "11")])
    group.sandbox.clear_journal()
    group.run([item("a", "11"), item("b", "12")])
    assert group.live() == {("D1", "a"), ("D2", "b")}
    assert group.sandbox.mutations() == [("DELETE", "c")]


def test_a_record_of_an_unknown_dealer_is_invalid_everywhere_and_its_ad_kept(tmp_path: Path):
    """A branch id the group lacks (or none) makes the record invalid in each run; no delete."""
    group = Group(tmp_path)
    group.run([item("a", "11"), item("b", "12")])
    group.sandbox.clear_journal()
    reports = group.run([item("a", "13"), item("b", None)])
    assert group.live() == {("D1", "a"), ("D2", "b")}
    assert group.sandbox.mutations() == []
    assert {r.counts.get("invalid") for r in reports.values()} == {2}


def test_a_dealer_group_feed_must_map_the_dealer(tmp_path: Path):
    """``dealer_codes`` without a mapped ``dealer_code`` is a config error naming the key."""
    fields = {k: v for k, v in MAPPING["fields"].items() if k != "dealer_code"}  # type: ignore[attr-defined]
    feed = {"path": "g.json", "dealer_codes": ["D1", "D2"], "mapping": {"fields": fields}}
    with pytest.raises(ConfigError, match=r"feeds\.0.*dealer_codes: the mapping must map"):
        config.parse({"feeds": [feed]}, source="test")


def test_a_dealer_cannot_be_in_a_group_file_and_a_feed_of_its_own(tmp_path: Path):
    """D1 in dealer_codes and as another feed's dealer_code would delete each other's ads."""
    group = {"path": "g.json", "dealer_codes": ["D1", "D2"], "mapping": MAPPING}
    with pytest.raises(ConfigError, match="dealer_code 'D1' is used by more than one feed"):
        config.parse({"feeds": [group, {"path": "d1.json", "dealer_code": "D1"}]}, source="t")
