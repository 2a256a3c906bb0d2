"""`syncd show` with several dealers: a dealer-group file, an item moved between dealers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.integration.cli_sandbox import invoke
from tests.integration.sandbox_server import SandboxServer
from tests.integration.test_dealer_group import MAPPING, item


@pytest.fixture
def group(tmp_path: Path, http_sandbox: SandboxServer) -> dict[str, Any]:
    """A config whose one dealer-group file serves D1 and D2, and the env to run it."""
    http_sandbox.reset()
    feed, mirror = tmp_path / "group.json", tmp_path / "syncd.db"
    lines = [
        "[database]",
        f'url = "sqlite:///{mirror}"',
        "[api]",
        f'base_url = "{http_sandbox.url}"',
        "requests_per_second = 200",
        "[sync]",
        "reconcile_wait = 20",
        "poll_interval = 0.05",
        "[guards]",
        "max_feed_age = 0",
        "[[feeds]]",
        f'path = "{feed}"',
        'format = "json"',
        'records = "items"',
        'dealer_codes = ["D1", "D2"]',
        "settle_seconds = 0",
        f"mapping = {_inline(MAPPING)}",
    ]
    path = tmp_path / "syncd.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    env = {"SYNCD_API_TOKEN": http_sandbox.token("D1", "D2"), "SYNCD_CONFIG": str(path)}
    return {"env": env, "feed": feed}


def _inline(value: Any) -> str:
    """A TOML inline value (tables inline) for JSON-like data."""
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{json.dumps(k)} = {_inline(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list):
        return "[" + ", ".join(_inline(v) for v in value) + "]"
    return json.dumps(value)


def _sync(group: dict[str, Any], items: list[dict[str, Any]]) -> None:
    group["feed"].write_text(json.dumps({"items": items}), encoding="utf-8")
    result = invoke(["run-once", "--json"], env=group["env"])
    assert result.exit_code == 0, result.output


def test_show_finds_the_row_of_a_dealer_group_files_dealer(group: dict[str, Any]) -> None:
    """Without --dealer, `show` looks in each dealer the group file serves: the mirror row
    of D2's ad is shown, not an empty one of dealer ''."""
    _sync(group, [item("a", "11"), item("b", "12")])
    result = invoke(["show", "b", "--json"], env=group["env"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["dealer_code"] == "D2"
    assert doc["mirror"]["remote_state"] == "created"


def test_show_of_an_id_known_to_two_dealers_asks_which(group: dict[str, Any]) -> None:
    """An item moved from D1 to D2 is deleted for D1 and live for D2: `show` without
    --dealer names both and exits 2 rather than show one of them as the ad's state."""
    _sync(group, [item("a", "11"), item("b", "11")])
    _sync(group, [item("a", "12"), item("b", "11")])
    result = invoke(["show", "a"], env=group["env"])
    assert result.exit_code == 2
    assert "known for several dealers (D1, D2): pass --dealer" in result.output
    one = invoke(["show", "a", "--dealer", "D2", "--json"], env=group["env"])
    assert one.exit_code == 0, one.output
    assert json.loads(one.stdout)["remote"]["state"] == "created"
