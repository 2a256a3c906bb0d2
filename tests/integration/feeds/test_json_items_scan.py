"""The grammar scanner behind unreadable items agrees with orjson on what is JSON: a
document it finds well-formed is one orjson reads (or refuses only for a value), and
every item it finds is the bytes of one element of the array."""

from __future__ import annotations

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from syncd.feeds.json_items import spans

TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=8)  # no surrogates
SCALARS = st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | TEXT
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(st.lists(VALUES, max_size=5), st.sampled_from([0, 2]))
def test_each_span_is_one_element_of_the_array(items: list[object], indent: int) -> None:
    """Written by orjson (compact or indented), the spans parse to the items, in order."""
    option = orjson.OPT_INDENT_2 if indent else 0
    data = orjson.dumps(items, option=option)
    found = spans(data)
    assert found is not None
    assert [orjson.loads(data[s.start : s.end]) for s in found] == items


@settings(max_examples=500, deadline=None)
@given(st.lists(VALUES, min_size=1, max_size=4), st.data())
def test_a_document_with_a_byte_cut_or_changed_is_judged_as_orjson_judges_it(
    items: list[object], data: st.DataObject
) -> None:
    """Break the text anywhere: the scanner calls it well-formed exactly when orjson
    reads it (and it is still an array). The reader checks UTF-8 before (``_text``):
    a text that is no longer UTF-8 is not the scanner's to judge."""
    text = bytearray(orjson.dumps(items))
    at = data.draw(st.integers(0, len(text) - 1))
    if data.draw(st.booleans()):
        del text[at]
    else:
        text[at] = data.draw(st.sampled_from(b'[]{},:"0 \\x'))
    try:
        bytes(text).decode("utf-8")
    except UnicodeDecodeError:
        return
    try:
        doc = orjson.loads(bytes(text))
    except orjson.JSONDecodeError:
        assert spans(bytes(text)) is None
    else:
        found = spans(bytes(text))
        assert (found is not None) == isinstance(doc, list)


def test_a_lone_surrogate_escape_is_not_well_formed_as_for_orjson() -> None:
    """orjson refuses a string escaping half a surrogate pair (``"\\ud800"``), so the
    scanner does too (a document holding one is broken, nothing sent); a whole pair is
    a character and passes."""
    for bad in (rb'["\ud800"]', rb'["\udc00"]', rb'["\ud800\u0041"]', rb'["\uDBFFx"]'):
        try:
            orjson.loads(bad)
        except orjson.JSONDecodeError:
            pass
        else:  # pragma: no cover - the premise
            raise AssertionError(bad)
        assert spans(bad) is None, bad
    good = rb'["\ud83d\ude00", "\uDBFF\uDFFF", "\u00e9"]'
    assert orjson.loads(good)
    assert spans(good) is not None
