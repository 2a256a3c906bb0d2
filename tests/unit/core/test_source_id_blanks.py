"""Source ids with characters that show as nothing (Hangul fillers, the braille blank,
default-ignorable code points) are refused with a reason naming the character, and a
live ad an older syncd created under one is neither deleted for it nor made unreachable."""

from __future__ import annotations

from dataclasses import replace

import pytest

from syncd.core import source_ids
from syncd.core.models import Delete, Invalid, InvalidItem, MirrorAd, Origin, RawMemo, RawRecord
from syncd.core.plan import plan
from syncd.core.validate.feed import Limits, feed_limits, validate_item
from syncd.core.validate.known import raw_hash, rules_key, validate_known
from tests.unit.core.test_plan import feed, row
from tests.unit.core.test_validate import plain
from tests.unit.core.test_validate_known import ad
from tests.unit.core.test_validate_known import feed as raw_feed
from tests.unit.core.test_validate_known import validate as validate_raw

BLANKS = {
    "hangul-filler": "\u3164",
    "choseong-filler": "\u115f",
    "jungseong-filler": "\u1160",
    "halfwidth-filler": "\uffa0",
    "braille-blank": "\u2800",
    "null-notehead": "\U0001d159",
    "grapheme-joiner": "\u034f",
    "khmer-inherent": "\u17b4",
    "mongolian-fvs1": "\u180b",
    "variation-selector-16": "\ufe0f",
    "variation-selector-17": "\U000e0100",
}


@pytest.mark.parametrize("char", BLANKS.values(), ids=BLANKS.keys())
def test_an_id_with_a_blank_looking_character_is_refused_naming_it(char: str) -> None:
    """Inside an id, the reason names the code point and its place; the id stays
    reachable for an ad the mirror already has."""
    reason = source_ids.problem(f"car{char}1")
    assert reason is not None
    assert f"U+{ord(char):04X}" in reason
    assert "at character 4" in reason
    assert source_ids.unreachable(f"car{char}1") is None


@pytest.mark.parametrize("char", BLANKS.values(), ids=BLANKS.keys())
def test_an_id_made_only_of_blank_looking_characters_is_blank(char: str) -> None:
    """Alone, doubled or between spaces, it is refused as blank."""
    for source_id in (char, char * 2, f" {char} "):
        reason = source_ids.problem(source_id)
        assert reason is not None
        assert reason.startswith("must not be blank")


def test_format_characters_are_still_refused_and_now_named() -> None:
    """U+180E (a format character since Unicode 6.3) is named in the old reason; it
    was never reachable, so it stays so."""
    reason = source_ids.problem("a\u180e")
    assert reason is not None
    assert "invisible characters: U+180E (MONGOLIAN VOWEL SEPARATOR) at character 2" in reason
    assert source_ids.unreachable("a\u180e") is not None


def test_the_table_covers_unicodes_default_ignorable_property() -> None:
    """Spot checks of the property's bounds (DerivedCoreProperties.txt) and outside it."""
    inside = (0xAD, 0x34F, 0x61C, 0x115F, 0x1160, 0x17B5, 0x180F, 0x200B, 0x206F, 0x3164)
    inside += (0xFE00, 0xFEFF, 0xFFA0, 0xFFF8, 0x1BCA3, 0x1D173, 0xE0000, 0xE0FFF, 0x2800)
    outside = (0x20, 0x41, 0x300, 0x1161, 0x17B6, 0x2010, 0x3165, 0xFE10, 0xE1000, 0xC5)
    ranges = source_ids.BLANK_LOOKING
    for cp in inside:
        assert any(a <= cp <= b for a, b in ranges), hex(cp)
    for cp in outside:
        assert not any(a <= cp <= b for a, b in ranges), hex(cp)
    assert sum(b - a + 1 for a, b in ranges) == 4174 + 2  # the property, and two glyphs


def test_ordinary_non_ascii_ids_still_pass() -> None:
    """Letters of any script, emoji without a selector, and inner spaces stay fine."""
    for source_id in ("\u00c51", "bil-\u00e5\u00e4\u00f6", "\u8eca-7", "\U0001f697 1", "a b"):
        assert source_ids.problem(source_id) is None, source_id


def test_the_item_is_invalid_and_keeps_its_key() -> None:
    """The feed item is invalid, naming source_id, and keeps the id as written: the
    live ad under it is protected, never deleted nor created anew."""
    sid = "car\u31641"
    record = RawRecord(Origin("feed.json", index=0), plain(source_id=sid))
    result = validate_item(record, api_version=4, limits=Limits(max_model_year=2026))
    assert isinstance(result, InvalidItem)
    assert result.source_id == sid
    assert [i.field for i in result.issues] == ["source_id"]
    entries = plan(feed(result), {sid: row(sid)}, api_version=4)
    assert entries.actions == ()
    assert [type(e) for e in entries.entries] == [Invalid]


def test_a_live_ad_the_feed_dropped_is_deleted_as_before() -> None:
    """The API reaches the id (percent-encoded): an absent one goes as it went before
    the rule, not reported as an ad only Blocket Admin can remove."""
    sid = "car\u31641"
    result = plan(feed(), {sid: row(sid)}, api_version=4)
    assert [type(a) for a in result.actions] == [Delete]


def test_an_item_an_older_syncd_remembered_is_validated_again() -> None:
    """A memo recorded under rules version 2 (which took the id) is not trusted: the
    item is validated, found invalid, and planned as such (RULES_VERSION bumped)."""
    sid = "car\u31641"
    raw = raw_feed(ad(sid))
    limits = feed_limits(raw)
    hashes = validate_raw(raw_feed(ad("x")), {}).feed.items[0].payload_hash  # same payload
    old_rules = "2:" + rules_key(4, limits).split(":", 1)[1]
    mirror = {
        sid: replace(
            row(sid),
            category_id=2048,
            payload_hash=hashes,
            memo=RawMemo(raw_hash(ad(sid)) or "", old_rules, hashes),
        )
    }
    known: dict[str, MirrorAd] = mirror
    result = validate_known(raw, dealer_code="", api_version=4, known=known)
    assert result.skipped == 0
    assert [i.source_id for i in result.feed.invalid] == [sid]
