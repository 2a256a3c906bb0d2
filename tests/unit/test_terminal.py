"""What reaches a terminal: values escaped and cut, JSON the same data with nothing to act on."""

from __future__ import annotations

import json
import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from syncd.terminal import LIMIT, dumps, printable

UNSAFE = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


def test_a_plain_value_prints_as_it_is() -> None:
    """Nothing to escape and short enough: the value itself, backslashes and all."""
    assert printable("bil-åäö 50% g?200=1 a\\b") == "bil-åäö 50% g?200=1 a\\b"


def test_newlines_escapes_and_bidi_marks_are_shown_escaped() -> None:
    """A forged line, a colour escape and a right-to-left override are shown as escapes."""
    assert printable("a\nb\x1b[31mc\u202ed\\") == "a\\nb\\x1b[31mc\\u202ed\\\\"


def test_a_long_value_is_cut_with_an_ellipsis_between_escapes() -> None:
    """10 000 characters show as LIMIT; an escape is never cut in half."""
    assert printable("x" * 10_000) == "x" * (LIMIT - 1) + "…"
    cut = printable("\u200f" * 50, limit=20)
    assert cut == "\\u200f" * 3 + "…"


@given(st.text())
def test_printable_is_one_short_safe_line(value: str) -> None:
    """Whatever the value, the result holds no control, format or separator character,
    and no space but the ASCII one."""
    shown = printable(value)
    assert len(shown) <= LIMIT
    assert not [c for c in shown if unicodedata.category(c) in UNSAFE]
    assert not [c for c in shown if unicodedata.category(c) == "Zs" and c != " "]


@given(
    st.recursive(
        st.text() | st.integers(-(2**63), 2**63 - 1), lambda inner: st.lists(inner, max_size=3)
    )
)
def test_dumps_is_the_same_data_with_nothing_a_terminal_acts_on(doc: object) -> None:
    """The JSON reads back equal, and its text has no raw bidi, C1 or separator character."""
    text = dumps(doc)
    assert json.loads(text) == doc
    assert not [c for c in text if c not in "\n" and unicodedata.category(c) in UNSAFE]


def test_spaces_other_than_the_ascii_one_and_blank_letters_are_shown_escaped() -> None:
    """NBSP, a figure or ideographic space and the Hangul filler look like a space or
    nothing: escaped, so two ids that differ by them look different; JSON keeps them."""
    assert printable("p\u00a0q") == "p\\xa0q"
    assert printable("a\u2007b\u3000c") == "a\\u2007b\\u3000c"
    assert printable("h\u3164i\u2800") == "h\\u3164i\\u2800"
    assert printable("p q") == "p q"
    assert json.loads(dumps(["p\u00a0q", "h\u3164i"])) == ["p\u00a0q", "h\u3164i"]
