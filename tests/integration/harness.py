"""The test harness for running syncd's real service against a sandbox."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from syncd import bootstrap, config
from syncd.core.models import MirrorAd, RemoteState, Stage
from syncd.runs import RunReport
from syncd.service import sync
from tests.integration.sandbox_server import SandboxAdmin


def goods(n: int) -> dict[str, Any]:
    """A non-registered ad (a sofa), distinct per n."""
    return {
        "source_id": f"sofa-{n}",
        "category_id": 2048,
        "title": f"Soffa {n}",
        "body": "Hel och ren.",
        "price": [{"type": "list", "amount": 1000 + n}],
        "contact": {"name": "Möbler AB", "phone": "0701234567", "email": "a@example.com"},
        "location": {"zipcode": "11122"},
    }


def car(n: int) -> dict[str, Any]:
    """A registered vehicle (a car), distinct per n."""
    return {
        "source_id": f"car-{n}",
        "category_id": 1020,
        "body": f"Bil {n}",
        "price": [{"type": "list", "amount": 100000 + n}],
        "image_urls": [f"https://cdn.example.com/car-{n}/1.jpg"],
        "category_fields": {
            "registration_number": f"ABC{n:03d}",
            "model_year": 2018,
            "brand": "volvo",
            "model": "v60",
        },
    }


class Harness:
    """Writes the feed and the config, and runs syncd's real service against the sandbox."""

    def __init__(
        self, tmp_path: Path, database_url: str, sandbox: SandboxAdmin, dealer_code: str = "D1"
    ) -> None:
        self.feed = tmp_path / "inventory.json"
        self.sandbox = sandbox
        self.dealer_code = dealer_code
        self.token = SecretStr(sandbox.token(dealer_code))
        self.settings = config.parse(
            {
                "database": {"url": database_url},
                "api": {"base_url": sandbox.url, "requests_per_second": 200.0},
                # Settling is tested on its own (test_half_written_feeds.py); here a
                # feed written just before a run is whole.
                "feeds": [
                    {"path": str(self.feed), "dealer_code": dealer_code, "settle_seconds": 0}
                ],
                "sync": {"reconcile_wait": 20.0, "poll_interval": 0.05},
                # Its own cache: parsed without a config file, a PostgreSQL mirror's
                # default is the working folder (the checkout), shared by every test.
                "vehicles": {"cache": str(tmp_path / "vehicles.json")},
            },
            source="test",
        )

    def write(self, ads: list[dict[str, Any]]) -> None:
        self.feed.write_text(json.dumps({"ads": ads}), encoding="utf-8")

    def run(self, *, allow_mass_delete: bool = False) -> RunReport:
        async def go() -> RunReport:
            container = bootstrap.build(
                self.settings, token=self.token, transport=self.sandbox.transport()
            )
            try:
                options = container.options(allow_mass_delete=allow_mass_delete)
                return await sync(container.deps(), container.jobs()[0], options)
            finally:
                await container.aclose()

        return asyncio.run(go())

    def mirror(self) -> dict[str, MirrorAd]:
        container = bootstrap.build(
            self.settings, token=self.token, transport=self.sandbox.transport()
        )
        try:
            return container.mirror.load(self.dealer_code)
        finally:
            asyncio.run(container.aclose())


def assert_mirror_agrees(h: Harness, feed: list[dict[str, Any]]) -> None:
    """Every live ad in the sandbox is in the feed and live in the mirror, ids equal."""
    remote = {sid: ad for (dealer, sid), ad in h.sandbox.ads().items() if dealer == h.dealer_code}
    mirror = h.mirror()
    live_remote = {sid for sid, ad in remote.items() if ad["state"] == "created"}
    assert live_remote == {a["source_id"] for a in feed}
    for sid, ad in remote.items():
        row = mirror[sid]
        assert row.remote_state == RemoteState(ad["state"]), sid
        assert row.stage is Stage.DONE, (sid, row.stage, row.message)
        assert row.blocket_ad_id == (str(ad["blocket_ad_id"]) if ad["blocket_ad_id"] else None)
