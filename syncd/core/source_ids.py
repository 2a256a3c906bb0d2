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
  - surrounding whitespace (invisible in every report), and a blank id;
  - more than :data:`MAX_LENGTH` characters;
  - an id not in Unicode NFC (composed) form, such as ``"A\u030a1"`` (A and a
    combining ring) for ``"Å1"``: see :func:`not_composed`.
"""

from __future__ import annotations

import unicodedata

MAX_LENGTH = 100
"""Assumption: the API publishes no maximum (the sandbox refuses over 100, like a DRF
``CharField(max_length=100)``). The seed recommends a UUID (36 characters); 100 leaves
room for composite ids (a dealer prefix and a stock number, a 17-19 character VIN),
keeps the longest path segment at 900 bytes even percent-encoded (100 characters of
3 UTF-8 bytes each, 3 bytes per escape), far under the 8 KiB request line that common
servers and proxies accept, and keeps every log line and report readable."""

_DOT_SEGMENTS = frozenset({".", ".."})


def problem(
    source_id: str, *, max_length: int | None = MAX_LENGTH, composed: bool = True
) -> str | None:
    """Why ``source_id`` cannot be used (a reason a dealer can act on), or None.

    ``max_length`` None skips the length rule, ``composed`` False the NFC rule (for
    ids already in the mirror: a long or decomposed id the API accepted still works).
    """
    if not source_id.strip():
        return "must not be blank"
    if source_id in _DOT_SEGMENTS:
        return f"{source_id!r} cannot be a URL path segment (a dot segment); use another id"
    if not source_id.isprintable():
        return "must not contain control, format (bidi) or other invisible characters"
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
