"""Loading and validating the configuration file."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from syncd import bootstrap, config
from syncd.cli.exits import error_text
from syncd.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "syncd.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_example_config_is_valid_and_documents_every_key() -> None:
    """config.example.toml loads, and every settings field appears in it."""
    example = ROOT / "config.example.toml"
    settings = config.load(example)
    assert settings.api.version == 4
    text = example.read_text(encoding="utf-8")
    sections = {
        "database": config.DatabaseSettings,
        "api": config.ApiSettings,
        "feeds": config.FeedSettings,
        "sync": config.SyncSettings,
        "log": config.LogSettings,
        "vehicles": config.VehicleSettings,
    }
    for section, model in sections.items():
        for key in model.model_fields:
            assert f"{key} =" in text, f"{section}.{key} is not documented"


def test_errors_name_the_key(tmp_path: Path) -> None:
    """A wrong value is reported with its dotted key and the file."""
    path = _write(tmp_path, "[api]\nversion = 5\n")
    with pytest.raises(ConfigError, match=r"syncd.toml: api.version: "):
        config.load(path)


def test_unknown_keys_are_refused(tmp_path: Path) -> None:
    """A typo in a key is an error, not silently ignored."""
    with pytest.raises(ConfigError, match=r"database.ulr"):
        config.load(_write(tmp_path, '[database]\nulr = "x"\n'))


def test_token_value_never_appears_in_errors(tmp_path: Path) -> None:
    """A bad token type is reported without echoing what was given."""
    path = _write(tmp_path, '[api]\ntoken = ["supersecretvalue"]\n')
    with pytest.raises(ConfigError) as info:
        config.load(path)
    assert "supersecretvalue" not in str(info.value)


def test_token_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """$SYNCD_API_TOKEN wins over token_file, which wins over token."""
    (tmp_path / "tok").write_text("from-file\n", encoding="utf-8")
    path = _write(tmp_path, '[api]\ntoken = "inline"\ntoken_file = "tok"\n')
    settings = config.load(path)
    monkeypatch.delenv(config.TOKEN_ENV, raising=False)
    assert settings.token() is not None
    assert settings.token().get_secret_value() == "from-file"  # type: ignore[union-attr]
    monkeypatch.setenv(config.TOKEN_ENV, "from-env")
    assert settings.token().get_secret_value() == "from-env"  # type: ignore[union-attr]
    assert "from-env" not in repr(settings.token())


def test_relative_paths_resolve_against_the_config_folder(tmp_path: Path) -> None:
    """Feed paths and SQLite files are relative to the config file, not the cwd."""
    path = _write(tmp_path, '[database]\nurl = "sqlite:///m.db"\n[[feeds]]\npath = "f.json"\n')
    settings = config.load(path)
    assert settings.feeds[0].path == tmp_path / "f.json"
    assert settings.database.url == f"sqlite:///{tmp_path / 'm.db'}"


def test_missing_file_and_bad_toml(tmp_path: Path) -> None:
    """A missing file and invalid TOML both give a ConfigError naming the file."""
    with pytest.raises(ConfigError, match="not found"):
        config.load(tmp_path / "nope.toml")
    with pytest.raises(ConfigError, match="not valid TOML"):
        config.load(_write(tmp_path, "[api\n"))


def test_readable_config_with_token_is_flagged(tmp_path: Path) -> None:
    """A config holding a token and readable by others is reported."""
    path = _write(tmp_path, '[api]\ntoken = "abcdefgh12345"\n')
    path.chmod(0o644)
    assert config.token_file_exposed(config.load(path), path)
    path.chmod(0o600)
    assert not config.token_file_exposed(config.load(path), path)


def test_example_is_plain_toml() -> None:
    """The example parses as TOML on its own (no templating)."""
    tomllib.loads((ROOT / "config.example.toml").read_text(encoding="utf-8"))


def test_two_feeds_of_one_dealer_are_refused(tmp_path: Path) -> None:
    """Two feeds with one dealer_code would delete each other's ads: the config is refused."""
    path = _write(tmp_path, '[[feeds]]\npath = "a.json"\n[[feeds]]\npath = "b.json"\n')
    with pytest.raises(ConfigError, match="dealer_code '' is used by more than one feed"):
        config.load(path)


def test_a_duplicated_all_digit_dealer_code_is_named_whole(tmp_path: Path) -> None:
    """The error line names the dealer_code used twice, though it looks like a phone."""
    feeds = '[[feeds]]\npath = "{0}.json"\ndealer_code = "0701234567"\n'
    path = _write(tmp_path, feeds.format("a") + feeds.format("b"))
    with pytest.raises(ConfigError) as raised:
        config.load(path)
    assert "dealer_code '0701234567' is used by more than one feed" in error_text(raised.value)


@pytest.mark.parametrize(
    ("given", "seconds"),
    [('"24h"', 86400), ('"30m"', 1800), ('"90s"', 90), ('"2d"', 172800), ("600", 600)],
)
def test_vehicle_max_age_takes_a_duration(tmp_path: Path, given: str, seconds: float) -> None:
    """``[vehicles] max_age`` is a number of seconds or a number with s, m, h or d."""
    settings = config.load(_write(tmp_path, f"[vehicles]\nmax_age = {given}\n"))
    assert settings.vehicles.max_age == seconds


def test_a_bad_vehicle_max_age_names_the_key(tmp_path: Path) -> None:
    """A duration that does not parse, or is not positive, is a config error naming the key."""
    for bad in ('"soon"', '"0h"', "true"):
        with pytest.raises(ConfigError, match=r"vehicles\.max_age"):
            config.load(_write(tmp_path, f"[vehicles]\nmax_age = {bad}\n"))


def test_the_vehicle_cache_sits_beside_the_sqlite_mirror(tmp_path: Path) -> None:
    """By default the lists are cached beside the SQLite file; a relative cache resolves."""
    settings = config.load(_write(tmp_path, '[database]\nurl = "sqlite:///data/m.db"\n'))
    assert bootstrap.vehicle_cache_path(settings) == tmp_path / "data" / "m.vehicles.json"
    settings = config.load(_write(tmp_path, '[vehicles]\ncache = "v.json"\n'))
    assert bootstrap.vehicle_cache_path(settings) == tmp_path / "v.json"
    pg = config.load(_write(tmp_path, '[database]\nurl = "postgresql+psycopg://h/db"\n'))
    assert bootstrap.vehicle_cache_path(pg) == tmp_path / "syncd.vehicles.json"


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "is empty"),
        (b"  \n", "is empty"),
        (b"abcdefghSECRET\nsecondline", "line break"),
        (b"abcdefgh SECRET", "space"),
        (b"abcdefgh\xc3\xa9SECRET", "non-ASCII"),
        (b"abcdefgh\xe9SECRET", "not UTF-8"),
    ],
)
def test_unusable_token_file_is_a_config_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: bytes, reason: str
) -> None:
    """An empty or garbled token file stops at start (exit 3), naming the file, not the token.

    Before, an empty file sent calls without a token (401 on each), one with a line
    break inside failed every call as an item, one not UTF-8 was a traceback (exit 1).
    """
    monkeypatch.delenv(config.TOKEN_ENV, raising=False)
    (tmp_path / "tok").write_bytes(content)
    settings = config.load(_write(tmp_path, '[api]\ntoken_file = "tok"\n'))
    with pytest.raises(ConfigError) as caught:
        settings.token()
    message = str(caught.value)
    assert reason in message
    assert str(tmp_path / "tok") in message
    assert "SECRET" not in message


def test_token_file_trailing_newline_and_bom_are_fine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What editors add around a token (a final newline, a BOM) is not part of it."""
    monkeypatch.delenv(config.TOKEN_ENV, raising=False)
    (tmp_path / "tok").write_bytes(b"\xef\xbb\xbfabc.def-ghi_jkl\r\n")
    settings = config.load(_write(tmp_path, '[api]\ntoken_file = "tok"\n'))
    assert settings.token().get_secret_value() == "abc.def-ghi_jkl"  # type: ignore[union-attr]


def test_blank_env_token_is_a_config_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """$SYNCD_API_TOKEN set to blanks is a mistake, reported as such."""
    monkeypatch.setenv(config.TOKEN_ENV, "   ")
    settings = config.load(_write(tmp_path, '[api]\ntoken = "inline-token"\n'))
    with pytest.raises(ConfigError, match=r"\$SYNCD_API_TOKEN: the API token is empty"):
        settings.token()


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1:89OO/pro-import-api", "the port is not a number"),
        ("https:///x", "no host"),
    ],
)
def test_an_unusable_base_url_is_a_config_error(tmp_path: Path, url: str, reason: str) -> None:
    """Caught at start, not as an InvalidURL failing every ad's call one by one."""
    with pytest.raises(ConfigError, match=f"api: .*base_url: {reason}"):
        config.load(_write(tmp_path, f'[api]\nbase_url = "{url}"\n'))
