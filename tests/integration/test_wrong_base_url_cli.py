"""A typo in api.base_url on a mirror that holds live ads: the run stops (exit 3) and
the mirror's state of the stock is left as it was."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from syncd.cli import ExitCode
from tests.integration.cli_sandbox import Cli
from tests.integration.harness import goods
from tests.integration.sandbox_server import SandboxServer


@pytest.fixture
def cli(tmp_path: Path, http_sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch) -> Cli:
    """A config pointing at the reset sandbox, its folder the cwd."""
    http_sandbox.reset()
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SYNCD_CONFIG", raising=False)
    return Cli(tmp_path, http_sandbox, extra="[guards]\nmax_feed_age = 0\n")


def test_patches_and_deletes_on_a_wrong_base_url_stop_the_run_and_forget_no_ad(
    cli: Cli,
) -> None:
    """Only PATCHes and a DELETE to send, on a base URL with a typo (every call 404s): exit 3
    naming api.base_url; once it is mended the next run PATCHes and DELETEs (nothing is
    POSTed again, no ad was taken for unknown to the API or already gone)."""
    cli.synced([goods(0), goods(1), goods(2)])
    good = cli.config.read_text(encoding="utf-8")
    url = cli.sandbox.url
    cli.config.write_text(good.replace(url, url.rstrip("/") + "/pro-import-ap"), encoding="utf-8")
    cli.write([{**goods(0), "title": "Soffa, ny"}, {**goods(1), "title": "Stol, ny"}])
    cli.sandbox.clear_journal()
    result = cli("run-once")
    assert result.exit_code == ExitCode.CONFIG, result.output
    assert "the API answered 404 (no such endpoint): check api.base_url" in result.stderr
    assert len(cli.sandbox.ads()) == 3  # nothing reached the API's ads
    cli.sandbox.clear_journal()
    cli.config.write_text(good, encoding="utf-8")
    [report] = cli.json("run-once")
    assert report["outcome"] == "success", report
    counts = report["counts"]
    assert (counts["create"], counts["update"], counts["delete"]) == (0, 2, 1), counts
    assert sorted(m[0] for m in cli.sandbox.mutations()) == ["DELETE", "PATCH", "PATCH"]
    assert json.loads(cli("run-once", "--json").stdout)[0]["counts"]["create"] == 0
