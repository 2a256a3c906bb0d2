"""The [[renewal]] settings: the example documents every key; caps and a scope are mandatory."""

from __future__ import annotations

import tomllib
from datetime import timedelta
from pathlib import Path

import pytest

from syncd import bootstrap, config
from syncd.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
GOOD = {"name": "p", "categories": [2048], "every_days": 7, "daily_cap": 3, "monthly_cap": 30}


def test_the_commented_example_policy_is_valid_and_names_every_key() -> None:
    """Uncommented, config.example.toml's [[renewal]] loads and lists each field."""
    text = (ROOT / "config.example.toml").read_text(encoding="utf-8")
    block = text.split("# [[renewal]]\n", 1)[1].split("\n\n", 1)[0]  # up to a blank line
    lines = [line[2:] for line in block.splitlines() if line.startswith("# ")]
    doc = tomllib.loads("[[renewal]]\n" + "\n".join(lines))
    [policy] = config.parse(doc, source="example").renewal
    assert set(doc["renewal"][0]) == set(config.RenewalSettings.model_fields)
    core = bootstrap.renewal_policy(policy)
    assert core.filter == {"category_fields.brand": ("volvo", "saab")}
    assert (core.caps.daily, core.caps.monthly) == (20, 300)


def test_the_example_config_renews_nothing() -> None:
    """As shipped, no policy is active."""
    assert config.load(ROOT / "config.example.toml").renewal == ()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"daily_cap": None}, r"renewal\.0\.daily_cap: Field required"),
        ({"monthly_cap": None}, r"renewal\.0\.monthly_cap: Field required"),
        ({"daily_cap": 0}, r"renewal\.0\.daily_cap: Input should be greater than or equal to 1"),
        ({"categories": None}, r"give categories, filter or both"),
        ({"exclude_bytbil": True, "exclude_blocket": True}, r"cannot both be true"),
    ],
)
def test_a_policy_without_caps_or_scope_is_refused(change: dict[str, object], message: str) -> None:
    """Each mistake is a ConfigError naming the key."""
    policy = {k: v for k, v in {**GOOD, **change}.items() if v is not None}
    with pytest.raises(ConfigError, match=message):
        config.parse({"renewal": [policy]}, source="t")


def test_two_policies_of_one_name_are_refused() -> None:
    """The caps are counted by name: a name twice is an error."""
    with pytest.raises(ConfigError, match=r"name 'p' is used twice"):
        config.parse({"renewal": [GOOD, GOOD]}, source="t")


@pytest.mark.parametrize(
    ("given", "daemon", "seconds"),
    [
        (None, {}, 6 * 3600),  # left out: 6 h ...
        (None, {"interval": 5 * 3600, "ready_max_age": 6 * 3600}, 10 * 3600),  # ... or 2 x interval
        ("90m", {}, 5400),
        ("2d", {}, 2 * 86400),
        (7200, {}, 7200),
    ],
)
def test_max_marks_age_is_a_duration_with_a_default_after_the_sync_interval(
    given: object, daemon: dict[str, float], seconds: float
) -> None:
    """``max_marks_age`` takes seconds or "90m"/"6h"/"2d"; left out, it is 6 hours or twice
    daemon.interval, the longer; the core policy gets it as a timedelta."""
    policy = {**GOOD, "max_marks_age": given} if given is not None else GOOD
    settings = config.parse({"renewal": [policy], "daemon": daemon}, source="t")
    [renewal] = settings.renewal
    core = bootstrap.renewal_policy(renewal, settings.daemon)
    assert core.max_marks_age == timedelta(seconds=seconds)


@pytest.mark.parametrize(
    ("given", "message"),
    [
        (0, r"max_marks_age: Value error, must be longer than 0 seconds"),
        ("soon", r"'soon' is not a duration"),
        (300, r"renewal 'p': max_marks_age \(300\) must be longer than daemon.interval \(300\)"),
    ],
)
def test_a_marks_bound_a_sync_cannot_keep_is_refused(given: object, message: str) -> None:
    """Not a duration, not positive, or no longer than the daemon's sync interval (its renew
    job would skip every dealer between two syncs): a ConfigError."""
    with pytest.raises(ConfigError, match=message):
        config.parse({"renewal": [{**GOOD, "max_marks_age": given}]}, source="t")
