"""Core: which strings can be a source_id, the key of an ad everywhere it travels.

Pure: no I/O here. The seed says "The source_id can be any string of choice".
A source_id also has to travel, unchanged, as one segment of the API's URL paths
(``/ad/{source_id}``, ``/ad/{source_id}/log``, ``/v4/car/{source_id}``), as one
element of the comma-separated ``source_id__in`` list the reconciler reads, and
in every log line and report. syncd accepts every string that all of these can
carry, and refuses the rest as an invalid item (its live ad is left alone):

* allowed: printable Unicode (letters, marks, digits, punctuation, symbols, in
  any script) and the ASCII space inside the id. ``?``, ``#``, ``%``, ``&``,
  ``+``, ``;``, ``=``, ``\\`` and non-ASCII letters are fine: the client
  percent-encodes every path segment (``marketplaces.blocket.segment``).
* refused, because no encoding carries it through every place:

  - ``/``: servers decode ``%2F`` before routing (Django's ``PATH_INFO``), so it
    would split the path;
  - ``,``: it would split a ``source_id__in`` list;
  - ``.`` and ``..``: dot segments. RFC 3986 §5.2.4 removes them (httpx does:
    ``DELETE /v4/ad/..`` goes out as ``DELETE /v4``), and a normalising proxy
    decodes ``%2E`` back to ``.`` (RFC 3986 §6.2.2.2), so they cannot be sent;
  - anything ``str.isprintable`` refuses: control characters, format characters
    (bidi marks such as U+200F, zero-width joiners), separators other than the
    ASCII space, surrogates (no UTF-8 form), private-use and unassigned code
    points. They can forge or reorder a line of output, or make two ids look the
    same;
  - characters that show as nothing though ``str.isprintable`` takes them: the
    Hangul fillers (U+115F, U+1160, U+3164, U+FFA0), the combining grapheme joiner
    U+034F, variation selectors, and the rest of :data:`BLANK_LOOKING` (Unicode's
    Default_Ignorable_Code_Point, and two blank glyphs): ``"a\u3164"`` would look
    like ``"a"``, ``"\u3164"`` like a blank id; see :func:`blank_looking`;
  - surrounding whitespace (invisible in every report), and a blank id;
  - more than :data:`MAX_LENGTH` characters;
  - an id not in Unicode NFC (composed) form, such as ``"A\u030a1"`` (A and a
    combining ring) for ``"Å1"``: see :func:`not_composed`.
"""

from __future__ import annotations

import re
import unicodedata

MAX_LENGTH = 100
"""Assumption: the API publishes no maximum (the sandbox refuses over 100, like a DRF
``CharField(max_length=100)``). The seed recommends a UUID (36 characters); 100 leaves
room for composite ids (a dealer prefix and a stock number, a 17-19 character VIN),
keeps the longest path segment at 900 bytes even percent-encoded (100 characters of
3 UTF-8 bytes each, 3 bytes per escape), far under the 8 KiB request line that common
servers and proxies accept, and keeps every log line and report readable."""

_DOT_SEGMENTS = frozenset({".", ".."})

BLANK_LOOKING: tuple[tuple[int, int], ...] = (
    # Unicode's Default_Ignorable_Code_Point property, from the UCD's
    # DerivedCoreProperties.txt (https://www.unicode.org/Public/UCD/latest/ucd/), whose
    # characters a renderer shows as nothing (The Unicode Standard, §5.21 "Ignoring
    # Characters in Processing"); 4174 code points, checked against the property as the
    # `regex` package (2026.5) knows it. Python's unicodedata has no such property.
    # Most of these are format (Cf) or unassigned (Cn), which str.isprintable already
    # refuses; the table keeps them so that it stays the property itself, also for a
    # Python whose Unicode assigns a reserved one.
    (0x00AD, 0x00AD),  # SOFT HYPHEN
    (0x034F, 0x034F),  # COMBINING GRAPHEME JOINER
    (0x061C, 0x061C),  # ARABIC LETTER MARK
    (0x115F, 0x1160),  # HANGUL CHOSEONG FILLER, HANGUL JUNGSEONG FILLER
    (0x17B4, 0x17B5),  # KHMER VOWEL INHERENT AQ, AA
    (0x180B, 0x180F),  # MONGOLIAN FREE VARIATION SELECTORS, MONGOLIAN VOWEL SEPARATOR
    (0x200B, 0x200F),  # ZERO WIDTH SPACE .. RIGHT-TO-LEFT MARK
    (0x202A, 0x202E),  # bidi embeddings and overrides
    (0x2060, 0x206F),  # WORD JOINER .. NOMINAL DIGIT SHAPES (with reserved U+2065)
    (0x3164, 0x3164),  # HANGUL FILLER
    (0xFE00, 0xFE0F),  # VARIATION SELECTOR-1..16
    (0xFEFF, 0xFEFF),  # ZERO WIDTH NO-BREAK SPACE (BOM)
    (0xFFA0, 0xFFA0),  # HALFWIDTH HANGUL FILLER
    (0xFFF0, 0xFFF8),  # reserved
    (0x1BCA0, 0x1BCA3),  # SHORTHAND FORMAT controls
    (0x1D173, 0x1D17A),  # MUSICAL SYMBOL BEGIN BEAM .. END PHRASE
    (0xE0000, 0xE0FFF),  # tags, VARIATION SELECTOR-17..256, reserved
    # Assumption: two visible-class characters whose glyph is blank by design, the
    # ones besides the above that "invisible character" lists name and that spoofed
    # names use: not default-ignorable (they are symbols, So), refused all the same.
    (0x2800, 0x2800),  # BRAILLE PATTERN BLANK
    (0x1D159, 0x1D159),  # MUSICAL SYMBOL NULL NOTEHEAD
)
"""The code points an id must not contain because they show as nothing; see
:func:`blank_looking`."""

_BLANK_LOOKING = re.compile("[" + "".join(f"\\U{a:08x}-\\U{b:08x}" for a, b in BLANK_LOOKING) + "]")


def problem(
    source_id: str,
    *,
    max_length: int | None = MAX_LENGTH,
    composed: bool = True,
    visible: bool = True,
) -> str | None:
    """Why ``source_id`` cannot be used (a reason a dealer can act on), or None.

    ``max_length`` None skips the length rule, ``composed`` False the NFC rule,
    ``visible`` False the blank-looking rule (for ids already in the mirror: a long,
    decomposed or blank-looking id the API accepted still works; see :func:`unreachable`).
    """
    if not source_id.strip():
        return "must not be blank"
    if source_id in _DOT_SEGMENTS:
        return f"{source_id!r} cannot be a URL path segment (a dot segment); use another id"
    if not source_id.isprintable():
        at = next(i for i, c in enumerate(source_id) if not c.isprintable())
        return (
            "must not contain control, format (bidi) or other invisible characters: "
            f"{_named(source_id[at])} at character {at + 1}"
        )
    if visible and (reason := blank_looking(source_id)) is not None:
        return reason
    if source_id != source_id.strip():
        return "must not start or end with whitespace"
    if "/" in source_id or "," in source_id:
        # "," too: the reconciler asks for ads by ``source_id__in=a,b,c``.
        return "must not contain '/' or ','"
    if max_length is not None and len(source_id) > max_length:
        return f"must be at most {max_length} characters, got {len(source_id)}"
    if composed:
        return not_composed(source_id)
    return None


def unreachable(source_id: str) -> str | None:
    """Why an API call could not name an id already in the mirror, or None.

    The rules that only keep new ids apart and readable (the length, the NFC form,
    blank-looking characters) are left out: an ad an older syncd created under such
    an id is reached by its percent-encoded path as before, so it can still be
    updated, bumped and, when the feed drops it, deleted.
    """
    return problem(source_id, max_length=None, composed=False, visible=False)


def blank_looking(source_id: str) -> str | None:
    """Why an id with a character that shows as nothing is refused, or None.

    ``"a\u3164"`` (HANGUL FILLER) looks like ``"a"``, ``"A\ufe0f"`` (a variation
    selector) like ``"A"``: two ads no report could tell apart, and an id made of
    such characters looks blank. Assumption: refused as an invalid item, not
    stripped: stripping would give a live ad created under the id by an older
    syncd a new key (a delete and a create, as for the NFC rule). The reason names
    the character and its place, which no report can show.
    """
    if source_id.isascii():
        return None
    found = _BLANK_LOOKING.search(source_id)
    if found is None:
        return None
    named = _named(found.group())
    if not _BLANK_LOOKING.sub("", source_id).strip():
        return f"must not be blank: it is made of characters that show as nothing, such as {named}"
    return (
        f"must not contain {named} at character {found.start() + 1}: it shows as nothing, "
        "so the id would look like another"
    )


def _named(char: str) -> str:
    """``U+3164 (HANGUL FILLER)``: a character no report can show, by code point and name."""
    return f"U+{ord(char):04X} ({unicodedata.name(char, 'no name')})"


def not_composed(source_id: str) -> str | None:
    """Why an id not in Unicode NFC form is refused, or None when it is in NFC.

    "Å1" can be written composed (U+00C5) or decomposed (A, U+030A): two strings that
    look the same and would be two ads, a duplicate no report could show. Assumption:
    such an id is refused as an invalid item rather than normalised to NFC. Normalising
    would give a live ad created from the decomposed form (by an older syncd, or by
    another tool on the same account) a new key: the planner would see its feed item
    as new and its mirror row as absent, and delete and create the ad (its history and
    Blocket's statistics lost). Refused, the item keeps its live ad exactly as it is
    (an invalid item's ad is never updated nor deleted), and the dealer is told the
    composed form to write; switching to it is a change of source_id the dealer makes
    knowingly. Both forms in one feed: the composed one is the ad, the other invalid.
    Mac file systems and some exporters decompose; Windows and web forms compose.
    """
    if source_id.isascii() or unicodedata.is_normalized("NFC", source_id):
        return None
    composed = unicodedata.normalize("NFC", source_id)
    return (
        f"must be in Unicode NFC form (composed characters): write {composed!r}; "
        "the same id written decomposed would be another ad"
    )
