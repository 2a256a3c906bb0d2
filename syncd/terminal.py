"""Shared: what may reach a terminal — feed and API values escaped and cut, JSON that cannot forge.

A source_id, an API message or a dealer's cell is printed by ``run-once``, ``plan``,
``status``, ``validate`` and the logs. Any of them may hold a newline (a forged line of
output), an escape sequence (a recoloured terminal), a bidi override (text that reads
backwards), a space that is not the ASCII space (NBSP: an id that looks like another),
a blank that is a letter (U+3164) or ten thousand characters. :func:`printable` shows
such a value as ``\\n``, ``\\x1b``, ``\\u202e``, ``\\xa0`` and cuts it with an ellipsis;
:func:`dumps` writes JSON in which the control, format and separator characters are
``\\uXXXX`` escapes, so ``--json`` output stays the same data, valid, one document.
"""

from __future__ import annotations

import re
import unicodedata

import orjson

LIMIT = 120
"""Characters of one value shown in text output before it is cut with an ellipsis."""

# Other (Cc control, Cf format: bidi and zero-width marks, Cs surrogate, Co private,
# Cn unassigned) and the line and paragraph separators.
_ESCAPED = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
_SHORT = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\\": "\\\\"}
# Text output only (JSON keeps them raw: they act on no terminal): the spaces other than
# the ASCII one (Zs: NBSP, U+2007, U+3000, ...), which str.isprintable refuses too, and
# the letters and symbols that render as nothing (Hangul fillers, the blank braille
# cell), which it accepts. Assumption: an operator comparing two ids by eye must see
# them, as a run report shows "p\xa0q" apart from "p q".
_BLANKS = "\u115f\u1160\u3164\uffa0\u2800"
_BLANK = frozenset(_BLANKS)
_HIDDEN = re.compile(f"[{_BLANKS}]")

_NON_ASCII = re.compile("[^\x00-\x7e]")


def _escape(char: str) -> str:
    if char in _SHORT:
        return _SHORT[char]
    category = unicodedata.category(char)
    if category not in _ESCAPED and char not in _BLANK and (category != "Zs" or char == " "):
        return char
    code = ord(char)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def printable(value: object, limit: int = LIMIT) -> str:
    """``value`` as one safe line: control, format and bidi characters escaped, and cut
    to ``limit`` characters with ``…`` when longer.

    A value with nothing to escape prints as it is; once something is escaped, a
    backslash is doubled too, so that what is shown reads back unambiguously.
    """
    text = value if isinstance(value, str) else str(value)
    plain = text.isprintable() and _HIDDEN.search(text) is None
    if plain and len(text) <= limit:
        return text
    head = text[: limit + 1]
    pieces = list(head) if plain else [_escape(c) for c in head]
    if len(head) == len(text) and sum(map(len, pieces)) <= limit:
        return "".join(pieces)
    shown: list[str] = []
    size = 0
    for piece in pieces:  # cut between escapes, never inside one
        if size + len(piece) > limit - 1:
            break
        shown.append(piece)
        size += len(piece)
    return "".join(shown) + "…"


def _json_escape(match: re.Match[str]) -> str:
    char = match.group()
    if unicodedata.category(char) not in _ESCAPED:
        return char  # å, ä, ö, é, ...: shown as they are
    code = ord(char)
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


def dumps(doc: object) -> str:
    """``doc`` as indented JSON whose text holds no character a terminal would act on.

    orjson escapes the C0 controls itself; the characters it leaves raw are only ever
    inside strings, where ``\\uXXXX`` is the same character: the data is unchanged.
    """
    text = orjson.dumps(doc, option=orjson.OPT_INDENT_2).decode()
    # orjson leaves DEL, the C1 controls (0x9b starts an escape sequence), bidi and
    # zero-width marks, the line separators and tag characters raw.
    return _NON_ASCII.sub(_json_escape, text)
