"""A dealer group's token on a feed that names no dealer: a configuration error (exit 3)
at the first create, not every ad recorded as refused ("dealer_code: required")."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from syncd.cli import ExitCode
from syncd.core.models import Rejected
from syncd.errors import ConfigError
from syncd.marketplaces.blocket import BlocketClient, TokenAuth
from tests.integration.cli_sandbox import Cli
from tests.integration.harness import goods
from tests.integration.sandbox_server import SandboxServer


@pytest.fixture
def cli(tmp_path: Path, http_sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch) -> Cli:
    """A feed without dealer_code, run with a token for the dealer group D1 and D2."""
    http_sandbox.reset()
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SYNCD_CONFIG", raising=False)
    made = Cli(tmp_path, http_sandbox, extra="[guards]\nmax_feed_age = 0\n")
    config = made.config.read_text(encoding="utf-8")
    made.config.write_text(config.replace('dealer_code = "D1"\n', ""), encoding="utf-8")
    made.env["SYNCD_API_TOKEN"] = http_sandbox.token("D1", "D2")
    return made


def recorded(cli: Cli) -> list[tuple[str, str]]:
    """The ads of the mirror that carry a message (an API's refusal recorded on them) or
    are left pending (an intent)."""
    with sqlite3.connect(cli.mirror) as db:
        rows = db.execute(
            "SELECT source_id, coalesce(message, stage) FROM ads "
            "WHERE message IS NOT NULL OR stage IS NOT NULL"
        )
        return [(str(sid), str(what)) for sid, what in rows]


def test_a_group_token_without_a_dealer_stops_the_run_naming_the_config_keys(cli: Cli) -> None:
    """Exit 3 naming dealer_code and dealer_codes; no ad created, recorded as refused or
    left pending, so the next run sends the creates again (and, the config mended, they
    are made, nothing left over under the token's own dealer)."""
    cli.write([goods(n) for n in range(40)])  # calls in flight at once, and more intended
    for _ in range(2):  # nothing recorded: the second run meets the same answer
        result = cli("run-once")
        assert result.exit_code == ExitCode.CONFIG, result.output
        assert "the token is a dealer group's" in result.stderr
        assert "dealer_code (one dealer) or dealer_codes" in result.stderr
        assert "dealer_code: This field is required." in result.stderr
        assert recorded(cli) == []
        posts = [m for m in cli.sandbox.mutations() if m[0] == "POST"]
        assert 1 <= len(posts) <= 4  # sync.max_in_flight at most: none is sent after
        cli.sandbox.clear_journal()
    assert cli.sandbox.ads() == {}
    config = cli.config.read_text(encoding="utf-8")
    cli.config.write_text(config.replace("[[feeds]]\n", '[[feeds]]\ndealer_code = "D1"\n'))
    result = cli("run-once")
    assert result.exit_code == ExitCode.OK, result.output
    assert set(cli.sandbox.ads()) == {("D1", f"sofa-{n}") for n in range(40)}
    with sqlite3.connect(cli.mirror) as db:
        assert db.execute("SELECT count(*) FROM ads WHERE stage = 'intent'").fetchone() == (0,)


def _client(answer: dict[str, Any]) -> BlocketClient:
    """A client on an API that answers every POST 400 with ``answer``."""

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(400, json=answer)

    http = httpx.AsyncClient(
        base_url="https://api.test/pro-import-api",
        transport=httpx.MockTransport(handler),
        auth=TokenAuth(SecretStr("a-long-test-token")),
    )
    return BlocketClient(http)


@pytest.mark.anyio
async def test_only_a_dealer_code_400_on_a_post_naming_no_dealer_is_a_config_error() -> None:
    """Named dealer, or another field refused: the ad's own refusal (Rejected), as before;
    the other fields' messages (a seller's e-mail) stay out of the error."""
    required = {"dealer_code": ["This field is required."], "contact": {"email": ["a@b.se"]}}
    with pytest.raises(ConfigError, match="dealer_code: This field is required") as info:
        await _client(required).create("", "s1", {"category_id": 2048})
    assert "a@b.se" not in str(info.value)
    named = await _client(required).create("D1", "s1", {"category_id": 2048})
    assert isinstance(named, Rejected)
    other = await _client({"title": ["This field is required."]}).create("", "s1", {})
    assert isinstance(other, Rejected)
    assert other.messages == ("title: This field is required.",)
