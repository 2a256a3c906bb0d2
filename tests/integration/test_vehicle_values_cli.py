"""Vehicle values end to end: the CLI on the sandbox over HTTP, lists cached, validate --remote."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.cli_sandbox import Cli
from tests.integration.harness import car
from tests.integration.sandbox_server import SandboxServer, running_sandbox

PARTIAL = 6


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    """One sandbox subprocess for the module, fast processing."""
    with running_sandbox("--processing-delay", "0.02") as sandbox:
        yield sandbox


@pytest.fixture
def cli(tmp_path: Path, server: SandboxServer, monkeypatch: pytest.MonkeyPatch) -> Cli:
    """A dealer's folder on a reset sandbox; cwd its folder."""
    monkeypatch.chdir(tmp_path)
    server.reset()
    return Cli(tmp_path, server)


def _volkswagon() -> list[dict[str, Any]]:
    ads = [car(1), car(2), car(3)]
    ads[1]["category_fields"] |= {"brand": "Volkswagon", "model": "golf"}
    return ads


def _lookups(server: SandboxServer) -> list[str]:
    return [e["path"] for e in server.journal() if "/vehicle" in e["path"]]


def test_validate_names_the_unknown_brand_and_the_closest_slug(cli: Cli) -> None:
    """'Volkswagon': validate exits 6, naming record, source_id, field, value and suggestion."""
    cli.write(_volkswagon())
    result = cli("validate", "--json")
    assert result.exit_code == PARTIAL, result.stderr
    (report,) = json.loads(result.stdout)
    assert report["counts"] == {"items": 3, "valid": 2, "invalid": 1}
    (problem,) = report["problems"]
    assert problem == {
        "record": f"{cli.feed}[1]",
        "source_id": "car-2",
        "field": "category_fields.brand",
        "value": "Volkswagon",
        "reason": "brand 'Volkswagon' is not valid; did you mean 'volkswagen'?",
    }
    assert cli.sandbox.mutations() == []


def test_a_run_sends_the_others_and_the_second_run_uses_the_cache(
    cli: Cli, server: SandboxServer
) -> None:
    """The run creates car-1 and car-3 only; a second run reads no list from the API again."""
    cli.write(_volkswagon())
    first = cli("run-once")
    assert first.exit_code == PARTIAL, first.stderr
    assert sorted(sid for _, sid in server.ads()) == ["car-1", "car-3"]
    assert _lookups(server), "the first run fetched the vehicle lists"
    assert (cli.folder / "syncd.vehicles.json").is_file()
    server.clear_journal()
    second = cli("run-once")
    assert second.exit_code == PARTIAL, second.stderr
    assert _lookups(server) == []
    assert ("POST", "car-2") not in server.mutations()


def test_a_stale_cache_that_cannot_be_refreshed_is_kept(cli: Cli, server: SandboxServer) -> None:
    """Lists older than max_age, API down: the old lists still find the misspelt brand."""
    cli.write(_volkswagon())
    assert cli("validate").exit_code == PARTIAL
    cache = cli.folder / "syncd.vehicles.json"
    doc = json.loads(cache.read_text(encoding="utf-8"))
    doc["fetched_at"] = "2020-01-01T00:00:00+00:00"
    cache.write_text(json.dumps(doc), encoding="utf-8")
    cli.env["SYNCD_API_TOKEN"] = "not-a-token"  # the refresh is refused
    result = cli("validate", "--json")
    assert result.exit_code == PARTIAL, result.stderr
    assert "vehicle_values_refresh_failed" in result.stderr
    assert json.loads(result.stdout)[0]["problems"][0]["value"] == "Volkswagon"


def test_no_lists_and_no_api_skips_the_check(cli: Cli) -> None:
    """No cache and no API reachable: the check is skipped with a warning, never a failure."""
    cli.write([car(1), car(2)])
    cli.env.pop("SYNCD_API_TOKEN")
    result = cli("validate", "--json")
    assert result.exit_code == 0, result.stderr
    assert "vehicle_values_unavailable" in result.stderr


def test_validate_remote_reports_what_only_the_api_refuses(cli: Cli, server: SandboxServer) -> None:
    """A petrol Tesla passes syncd's rules, the API's validate refuses it; nothing is mutated."""
    tesla = car(2)
    tesla["category_fields"] |= {"brand": "tesla", "model": "model-3"}
    tesla["category_fields"]["powertrain"] = {"fuels": ["petrol"]}
    cli.write([car(1), tesla])
    server.clear_journal()
    result = cli("validate", "--remote", "--json")
    assert result.exit_code == PARTIAL, result.stderr
    (report,) = json.loads(result.stdout)
    assert report["counts"]["invalid"] == 0
    remote = report["remote"]
    assert (remote["checked"], remote["accepted"], remote["refused"]) == (2, 1, 1)
    refused = next(a for a in remote["answers"] if a["answer"] == "refused")
    assert refused["source_id"] == "car-2"
    assert refused["record"] == f"{cli.feed}[1]"
    assert refused["messages"] == [
        'category_fields.powertrain.fuels.0: "petrol" is not a fuel of tesla vehicles.'
    ]
    posts = [e["path"] for e in server.journal() if e["method"] != "GET"]
    assert len(posts) == 2
    assert all(p.endswith("/v4/car/validate") for p in posts), posts
    assert server.ads() == {}


def test_validate_remote_prints_the_answers_as_a_table(cli: Cli) -> None:
    """On a terminal the API's answers follow the problems, in their own table; exit 0."""
    cli.write([car(1)])
    result = cli("validate", "--remote")
    assert result.exit_code == 0, result.stderr
    assert "the API's answers" in result.stdout
    assert "accepted" in result.stdout


def test_api_v3_reads_the_v3_lists_and_asks_v3_validate(cli: Cli, server: SandboxServer) -> None:
    """With api.version = 3 the lists come from /v3/vehicle/* and --remote asks /v3/ad/validate."""
    text = cli.config.read_text(encoding="utf-8")
    cli.config.write_text(text.replace("[api]\n", "[api]\nversion = 3\n"), encoding="utf-8")
    cli.write(_volkswagon())
    server.clear_journal()
    result = cli("validate", "--remote", "--json")
    assert result.exit_code == PARTIAL, result.stderr
    (report,) = json.loads(result.stdout)
    assert report["problems"][0]["reason"].endswith("did you mean 'volkswagen'?")
    assert report["remote"]["accepted"] == 2
    paths = {e["path"].split("?")[0] for e in server.journal()}
    assert "/v3/vehicle/brands" in {p.removeprefix("/pro-import-api") for p in paths}
    posts = [e["path"] for e in server.journal() if e["method"] == "POST"]
    assert all(p.endswith("/v3/ad/validate") for p in posts)
    assert len(posts) == 2
