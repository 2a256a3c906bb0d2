"""Bad input gets a clear error naming file, item and field, and changes nothing.

Five ads are live first; then each bad feed is run against the same sandbox.
The error (a FeedError for a file that cannot be used, an invalid item for a
bad ad) must say where and what, no mutating call may be sent for the bad
part, and no ad may be deleted.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from syncd import bootstrap
from syncd.core.models import Accepted, Create, Outcome, RemoteState, Stage
from syncd.core.payload import payload_hash
from syncd.errors import FeedError
from tests.integration.harness import Harness, car, goods
from tests.integration.sandbox_server import InProcessSandbox

BASE = [goods(0), goods(1), goods(2), car(3), car(4)]


def _with(source_id: str, change: Callable[[dict[str, Any]], None]) -> list[dict[str, Any]]:
    ads = json.loads(json.dumps(BASE))
    for ad in ads:
        if ad["source_id"] == source_id:
            change(ad)
    return ads


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(ad: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target = ad
        for key in parents:
            target = target[key]
        if value is _DELETE:
            del target[last]
        else:
            target[last] = value

    return change


_DELETE = object()
SECRET = "hunter2pass"

INVALID_ITEMS: list[tuple[str, list[dict[str, Any]], str, str, str]] = [
    ("duplicate", [*BASE, goods(1)], "sofa-1", "source_id", "must be unique"),
    (
        "39 images",
        _with("sofa-0", _set("image_urls", [f"https://c.example/{i}.jpg" for i in range(39)])),
        "sofa-0",
        "image_urls[38]",
        "at most 38",
    ),
    (
        "ftp image",
        _with("sofa-0", _set("image_urls", ["ftp://c.example/1.jpg"])),
        "sofa-0",
        "image_urls[0]",
        "http",
    ),
    (
        "credentials",
        _with("sofa-0", _set("image_urls", [f"https://u:{SECRET}@c.example/1.jpg"])),
        "sofa-0",
        "image_urls[0]",
        "credentials",
    ),
    ("no title", _with("sofa-1", _set("title", _DELETE)), "sofa-1", "title", "required"),
    (
        "no fields",
        _with("car-3", _set("category_fields", _DELETE)),
        "car-3",
        "category_fields",
        "required",
    ),
    (
        "price type",
        _with("sofa-2", _set("price", [{"type": "list", "amount": "abc"}])),
        "sofa-2",
        "price[0].amount",
        "",
    ),
    (
        "negative",
        _with("sofa-2", _set("price", [{"type": "list", "amount": -1}])),
        "sofa-2",
        "price[0].amount",
        "",
    ),
    ("huge body", _with("sofa-2", _set("body", "x" * 3_000_000)), "sofa-2", "body", ""),
    (
        "plate change",
        _with("car-4", _set("category_fields.registration_number", "XYZ999")),
        "car-4",
        "category_fields.registration_number",
        "cannot change",
    ),
]


def _poison(source_id: str) -> list[dict[str, Any]]:
    """The good feed plus one more ad under ``source_id``."""
    return [*json.loads(json.dumps(BASE)), {**goods(9), "source_id": source_id}]


# Ids that no URL path, source_id__in list or log line can carry (core/source_ids.py).
POISON_IDS: list[tuple[str, str, str, str]] = [
    ("dot-dot", "..", "..", "dot segment"),
    ("dot", ".", ".", "dot segment"),
    ("newline", "a\nb", "a\nb", "control"),
    ("nul", "a\x00b", "a\x00b", "control"),
    ("escape", "a\x1b[2Jb", "a\x1b[2Jb", "control"),
    ("rtl mark", "a\u200fb", "a\u200fb", "bidi"),
    ("10 000 characters", "x" * 10_000, "x" * 10_000, "at most 100"),
]
INVALID_ITEMS += [
    (f"source_id {name}", _poison(sid), key, "source_id", reason)
    for name, sid, key, reason in POISON_IDS
]

BROKEN_FILES: list[tuple[str, bytes, str]] = [
    ("truncated", json.dumps(BASE).encode()[:-40], "not valid JSON"),
    (
        "invalid utf-8",
        json.dumps(BASE).encode().replace(b"Soffa 1", b"Soffa \xff"),
        "not valid UTF-8",
    ),
    (
        "NaN",
        json.dumps(BASE).encode().replace(b'"amount": 1000', b'"amount": NaN'),
        "not valid JSON",
    ),
    ("not a list", b'{"items": []}', "expected a JSON array"),
]


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Harness:
    """Five ads published from a good feed (one sandbox, one SQLite mirror for all cases)."""
    tmp = tmp_path_factory.mktemp("bad-input")
    harness = Harness(tmp, f"sqlite:///{tmp / 'mirror.db'}", InProcessSandbox(0.01))
    harness.write(BASE)
    assert harness.run().outcome == "success"
    return harness


def _assert_untouched(h: Harness) -> None:
    ads = h.sandbox.ads()
    assert len(ads) == 5
    assert all(ad["state"] == "created" for ad in ads.values())
    assert h.sandbox.mutations() == []


@pytest.mark.parametrize(
    ("case", "feed", "source_id", "field", "reason"),
    INVALID_ITEMS,
    ids=[c[0] for c in INVALID_ITEMS],
)
def test_a_bad_item_is_named_and_its_ad_left_alone(
    live: Harness, case: str, feed: list[dict[str, Any]], source_id: str, field: str, reason: str
) -> None:
    """The run reports the item's source_id, field and reason, and sends nothing for it."""
    live.sandbox.clear_journal()
    live.write(feed)
    report = live.run()
    assert report.outcome == "partial"
    mine = [message for sid, message in report.problems if sid == source_id]
    assert mine, report.problems
    assert any(message.startswith(f"{field}:") and reason in message for message in mine), mine
    assert all(SECRET not in message for _, message in report.problems)
    _assert_untouched(live)


@pytest.mark.parametrize(
    ("case", "data", "message"), BROKEN_FILES, ids=[c[0] for c in BROKEN_FILES]
)
def test_a_broken_file_stops_the_run_before_anything_is_sent(
    live: Harness, case: str, data: bytes, message: str
) -> None:
    """A feed that cannot be used raises FeedError naming the file, and nothing is sent."""
    live.sandbox.clear_journal()
    live.feed.write_bytes(data)
    with pytest.raises(FeedError) as info:
        live.run()
    assert str(live.feed) in str(info.value)
    assert message in str(info.value)
    _assert_untouched(live)


def test_a_feed_over_the_size_limit_is_refused(live: Harness, tmp_path: Path) -> None:
    """A feed larger than feeds.max_bytes is refused whole, and nothing is sent."""
    live.sandbox.clear_journal()
    live.write(BASE)
    feeds = (live.settings.feeds[0].model_copy(update={"max_bytes": 100}),)
    original = live.settings
    live.settings = original.model_copy(update={"feeds": feeds})
    try:
        with pytest.raises(FeedError, match="over the limit of 100"):
            live.run()
    finally:
        live.settings = original
    _assert_untouched(live)


def test_a_bom_is_tolerated_and_changes_nothing(live: Harness) -> None:
    """A UTF-8 byte-order mark before the same feed is read as the same feed."""
    live.sandbox.clear_journal()
    live.feed.write_bytes(b"\xef\xbb\xbf" + json.dumps(BASE).encode())
    assert live.run().outcome == "success"
    _assert_untouched(live)


def _raw(source_id: str, old: str, new: str) -> bytes:
    """The BASE feed as text, one ad's text edited: how a duplicated key gets in."""
    parts = []
    for ad in BASE:
        text = json.dumps(ad)
        if ad["source_id"] == source_id:
            assert old in text
            text = text.replace(old, new, 1)
        parts.append(text)
    return ("[" + ", ".join(parts) + "]").encode()


DUPLICATE_KEYS: list[tuple[str, bytes, str | None, str]] = [
    (
        "two source_ids",
        _raw("sofa-0", '"source_id": "sofa-0"', '"source_id": "sofa-0", "source_id": "sofa-9"'),
        None,
        "source_id",
    ),
    (
        "two amounts",
        _raw("sofa-1", '"amount": 1001', '"amount": 1001, "amount": 5'),
        "sofa-1",
        "price[0].amount",
    ),
    (
        "two brands",
        _raw("car-3", '"brand": "volvo"', '"brand": "volvo", "brand": "saab"'),
        "car-3",
        "category_fields.brand",
    ),
]


@pytest.mark.parametrize(
    ("case", "data", "source_id", "field"), DUPLICATE_KEYS, ids=[c[0] for c in DUPLICATE_KEYS]
)
def test_a_duplicated_key_makes_its_item_invalid(
    live: Harness, case: str, data: bytes, source_id: str | None, field: str
) -> None:
    """A key given twice, at any depth, is named with its item; no ad is created or deleted."""
    live.sandbox.clear_journal()
    live.feed.write_bytes(data)
    report = live.run()
    assert report.outcome == "partial"
    mine = [m for sid, m in report.problems if sid == source_id and m.startswith(f"{field}:")]
    assert mine, report.problems
    assert "given 2 times in one object" in mine[0]
    _assert_untouched(live)


def test_a_duplicated_ads_list_stops_the_run(live: Harness) -> None:
    """Two "ads" lists in one file: FeedError naming the file, and nothing is sent."""
    live.sandbox.clear_journal()
    live.feed.write_bytes(b'{"ads": ' + json.dumps(BASE).encode() + b', "ads": []}')
    with pytest.raises(FeedError, match="more than once") as info:
        live.run()
    assert str(live.feed) in str(info.value)
    _assert_untouched(live)


def test_a_missing_ready_marker_stops_the_run(live: Harness, tmp_path: Path) -> None:
    """With feeds.ready_file set and no marker, the run stops (FeedError) and sends nothing."""
    live.sandbox.clear_journal()
    live.write(BASE[:3])  # would delete two ads, were it used
    marker = tmp_path / "inventory.json.done"
    feeds = (live.settings.feeds[0].model_copy(update={"ready_file": marker}),)
    original = live.settings
    live.settings = original.model_copy(update={"feeds": feeds})
    try:
        with pytest.raises(FeedError, match=r"ready marker .* is missing"):
            live.run()
    finally:
        live.settings = original
    _assert_untouched(live)


@pytest.mark.parametrize("source_id", ["g?200=1", "g#200", "50%25", "a b+c;d&e=f", "bil-åäö"])
def test_an_id_with_url_characters_is_created_updated_and_deleted_as_itself(
    live: Harness, source_id: str
) -> None:
    """``?``, ``#``, ``%`` and friends are percent-encoded: the ad is created, changed
    and deleted under its own id, the five others untouched, and no run stops."""
    feed = _poison(source_id)
    live.write(feed)
    assert live.run().outcome == "success"
    feed[-1]["price"] = [{"type": "list", "amount": 4321}]
    live.write(feed)
    live.sandbox.clear_journal()
    assert live.run().outcome == "success"
    live.write(BASE)
    assert live.run(allow_mass_delete=True).outcome == "success"
    ad = live.sandbox.ads()[(live.dealer_code, source_id)]
    assert (ad["state"], ad["price"][0]["amount"]) == ("deleted", 4321)
    assert live.sandbox.mutations() == [("PATCH", source_id), ("DELETE", source_id)]
    base = {a["source_id"] for a in BASE}
    others = [a for (_, sid), a in live.sandbox.ads().items() if sid in base]
    assert len(others) == 5
    assert all(a["state"] == "created" for a in others)


def test_a_live_ad_whose_id_is_now_refused_is_reported_and_never_deleted(live: Harness) -> None:
    """An ad an older syncd created under ``..`` is left live and reported, not deleted."""
    live.write(BASE)
    token = live.sandbox.token(live.dealer_code)
    doc = {**goods(9), "source_id": ".."}
    _post_directly(live, token, doc)
    _mirror_as_live(live, "..", doc)
    live.sandbox.clear_journal()
    report = live.run()
    assert report.outcome == "partial"
    assert any(sid == ".." and "dot segment" in m for sid, m in report.problems), report.problems
    assert live.sandbox.mutations() == []
    assert live.sandbox.ads()[(live.dealer_code, "..")]["state"] == "created"


def _post_directly(h: Harness, token: str, doc: dict[str, Any]) -> None:
    async def go() -> None:
        async with httpx.AsyncClient(
            transport=h.sandbox.transport(), base_url=h.sandbox.url
        ) as client:
            answer = await client.post("/v4/ad", json=doc, headers={"X-Auth-Token": token})
            assert answer.status_code == 201, answer.text

    asyncio.run(go())


def _mirror_as_live(h: Harness, source_id: str, doc: dict[str, Any]) -> None:
    """The row an older syncd left: created, done."""
    container = bootstrap.build(h.settings, token=h.token, transport=h.sandbox.transport())
    try:
        payload = {k: v for k, v in doc.items() if k != "source_id"}
        action = Create(h.dealer_code, source_id, 2048, payload, payload, payload_hash(payload))
        now = datetime.now(UTC)
        container.mirror.record_intent(action, now)
        container.mirror.record_accepted(action, Accepted(201), now)
        container.mirror.record_outcome(
            Outcome(h.dealer_code, source_id, Stage.DONE, RemoteState.CREATED), now
        )
    finally:
        asyncio.run(container.aclose())
