"""Core: contact data (e-mail addresses, phone numbers) in free text, masked.

Pure: no I/O here. Messages that syncd shows beside ids and counts (an action log's
``external_message``, a refused call's errors, an invalid item's reason, a run's
note) may quote the seller's contact data the API refused. The status page
(:mod:`syncd.daemon.page`), ``syncd status`` (:mod:`syncd.views`,
:mod:`syncd.tables`), ``history`` (:mod:`syncd.inspect`), the run reports of
``run-once``, ``apply`` and ``release-deletes`` (renewals' too), a plan's invalid
items, ``validate`` (values, reasons, the API's answers), ``migrate-v4``, ``bump`` and
``pole-position`` mask it with :func:`mask`, and so does the log processor
(:func:`syncd.logs.mask_contacts`) in every log line's messages, reasons and errors;
``syncd show`` (and plan's bodies, map's payloads: the dealer's own data) shows it, on
purpose. Every command's one-line error on stderr (:func:`syncd.cli.exits.error_line`)
masks it too. Paths and URLs are kept whole (a dealer's folder may be all digits), and
so are the ids an error names (:func:`mask`).

Linear: every quantifier of both patterns is bounded, none is nested in an
unbounded one, so one try reads at most about 1 200 characters and masking a
message of any length is linear in its length (a megabyte-long API blob is masked
whole by ``syncd status --json``).
"""

from __future__ import annotations

import re
from collections.abc import Collection

EMAIL_HIDDEN = "[e-mail hidden]"
PHONE_HIDDEN = "[phone hidden]"

EMAIL = re.compile(r"[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){1,16}")
"""An e-mail address: ``local@domain.tld``. Assumption: RFC 5321's limits (a local part
of at most 64 characters, labels of at most 63) bound the pattern, which keeps it
linear (the unbounded ``[\\w.+-]+@`` read a long run of word characters once per
start: minutes for a few hundred kB). A longer local part is masked in its last 64
characters; more than 17 labels are masked in their first 17."""

PHONE = re.compile(
    r"(?<![\w.+-])"
    r"(?:(?:\+\d|\(?0)(?:(?:[ -]|\) ?| ?\()?\d){7,16}"
    r"|0\d{1,3}(?: - |[./])\d(?:(?: - |[ -])?\d){4,12}"
    r"|0\d{1,3}(?:\.\d{2,3}){3,4}(?!\.\d)"
    r"|(?:4[5-7][1-9]\d{7,9}|358[1-9]\d{6,8}|4[57] [1-9]\d{7}|46 [1-9]\d{6,8}|358 [1-9]\d{6,8})"
    r"(?![.,]\d))"
    r"(?![\w-])"
)
"""A phone number as feeds and API messages write it. Assumption (the spec says only
"digits, optional leading +, 8-16 characters"):

* written with ``+`` and a digit, or ``0`` (``00`` too), maybe in parentheses
  (``(08)``): 8 to 17 digits (E.164's 15 after ``00``), each apart from the next by at
  most one space, hyphen or parenthesis (``) ``, `` (``);
* written with ``0`` and an area code of 1 to 3 more digits (``070``, ``08``), then a
  spaced hyphen, a dot or a slash (``070 - 123 45 67``, ``070.123 45 67``,
  ``070/123 45 67``), then at least 5 more digits apart by at most one space, hyphen or
  spaced hyphen (7 to 17 digits in all). Only there, after an area code: a lone ``0``
  then `` - `` is a range (``0 - 1 000 000``), ``0.`` a decimal (``0.12345678``), and
  a dotted or slashed date (``03.12.2026``, ``03/12/2026``) has a second dot or slash
  where the number's rest may only have spaces and hyphens. Masked too (rare in a
  message): a decimal with a leading zero and 5 or more decimals (``01.2345678``), a
  day and month then a spaced year (``03.12 2026``);
* written with ``0`` and an area code, then a dot between every group
  (``070.123.45.67``, ``08.12.34.56``, ``01.23.45.67.89``): three or four more groups
  of 2 or 3 digits (8 to 16 digits in all), no fifth dotted group after them. A dotted
  date has two dots (``03.12.2026``), a version or an address from ``0.`` or without a
  leading 0 (``0.1.2.3``, ``10.0.0.1``) another shape; masked too (rare in a message): a
  dotted time with hundredths from ``0`` (``08.15.30.25``);
* or written bare, without ``+`` or ``0`` (``46701234567``, which the API accepts as a
  contact phone): only one unbroken run of 10 to 12 digits that starts with a Nordic
  country code (45 Denmark, 46 Sweden, 47 Norway, 358 Finland) and then a digit other
  than 0 (the trunk 0 is dropped after a country code), not followed by a decimal
  part (``.5``, ``,50``). Blocket's dealers are Nordic, and such a number is an
  E.164 number without its ``+`` (46 7X XXX XX XX is 11 digits; Norway's and
  Denmark's 8-digit numbers after 47 or 45 are 10). A year, a price, a count, a zip
  code, a timestamp (10 or 13 digits from 17...), a Blocket ad id (10 digits from
  11..., as the sandbox numbers them; assumed alike for the real API) or a 12-digit
  personal number (19.../20...) does not look like that;
  an order number of 10 to 12 digits from 45, 46, 47 or 358 is masked too (a message
  loses an id, rather than showing a phone);
* or bare with one space after the country code (``46 701234567``): then the rest is one
  unbroken run of as many digits as that country's numbers have after it (46: 7 to 9,
  45 and 47: 8, 358: 7 to 9), from a digit other than 0, so a count then a timestamp or
  an ad id (``46 1764662400``, 10 digits) is kept; a count then a number of that length
  (``46 12345678``) is masked. Bare numbers with more spaces (``46 70 123 45 67``) are
  not masked: a list of counts reads the same;
* in every form, not glued to a word, ``.``, ``+`` or ``-`` on either side. So
  source_ids (``car-10234``), timestamps (their ``:``), dates (``2026-12-03``, from no
  ``0``), dotted versions (``1.2.3``), decimals (``12.50``) and UUIDs (hyphen-glued
  groups) are kept. An all-digit id (``00123456``) does look like a phone: mask
  messages, never ids (:func:`mask`'s ``phones=False``)."""

_CUT = re.compile(
    r"[\w.+-]{0,64}@[\w.-]*$"  # an address the cut split (linear: <= 65 tries per "@")
    r"|(?<![\w.+-])(?:\+|\(?0)[\d ()./-]{0,48}$"  # a phone number written with + or 0
    r"|(?<![\w.+-])\d{1,12}$"  # a bare number: maybe part of a phone, or of a price
)


_PATH_START = re.compile(
    r"(?:^|[^\w.~/\\-])(?:[A-Za-z][\w+.-]{0,30}://|~?\.{0,2}/|\\\\|[A-Za-z]:[\\/])"
)
"""Where a word becomes a path or a URL: ``/srv``, ``./``, ``../``, ``~/``, ``\\\\host``,
``C:\\``, ``https://``, ``sqlite:////``, at the word's start or after a quote, a
parenthesis or ``=``."""
_FILE_EXT = re.compile(
    r"\.(?:csv|tsv|txt|json|jsonl|ndjson|xml|xlsx|xls|ods|toml|db|sqlite|lock|log|gz|zip"
    r"|html?|jpe?g|png|webp|gif|pdf)(?:\.(?:gz|bz2|xz|zip))?(?![\w-]|\.\w)",
    re.IGNORECASE,
)
"""A file's extension right after a match: ``0701234567.csv`` is a file's name."""
_NOT_IN_PATH = re.compile(r'["<>{}`]')
"""Characters a URL never holds unencoded (RFC 3986) and a path hardly ever: a path or a
URL in a word ends at one (``{"url":"https://x.se","email":"kalle@example.se"}``, a
garbled answer's excerpt, or ``<a href="https://x.se">kalle@example.se</a>``)."""
_WORD_CHARS = 1024
"""How far back a match's word is read to tell a path (a longer word is no path)."""


def mask(text: str, *, phones: bool = True, ids: Collection[str] = ()) -> str:
    """``text`` with every e-mail address and phone number replaced by
    :data:`EMAIL_HIDDEN` and :data:`PHONE_HIDDEN`, except in a file's path or a URL,
    and except ``ids``. ``phones=False`` for an identifier (a dealer code, a
    source_id): a dealer's all-digit ids look like phone numbers and are no contact data.

    Kept whole, because they name things and are no contact data (an operator must
    see which file, folder or call failed):

    * a match in a word that is an absolute path or a URL, after its start
      (``/srv/feeds/0701234567/stock.json``, ``GET /v4/ad?dealer_code=0701234567``,
      ``https://dms.example/kalle@example.se/feed.xml``), or a folder of a relative
      path (``feeds/0701234567/stock.json``). Assumption: such paths and URLs are
      syncd's own (a feed's, the mirror's, an API call's, as httpx logs it) or the
      operator's configuration; a message that quotes a URL with a phone number in it
      shows it (``kontakt/0701234567`` and ``070/123 45 67`` are no paths: masked);
    * a match right before a file's extension (``0701234567.csv``, a relative file);
    * a match that is exactly one of ``ids``: the dealer codes and source_ids an error
      names outside a path (``dealer '0701234567'``; :attr:`syncd.errors.SyncdError.ids`).

    Cheap: what a match is kept for is looked at only for a match, in a bounded
    stretch around it, so masking stays linear in the text's length."""
    kept = _Kept(ids) if ids else _NO_IDS
    masked = EMAIL.sub(kept.email, text) if "@" in text else text  # a fast scan first
    return PHONE.sub(kept.phone, masked) if phones else masked


class _Kept:
    """The replacement of a match: the match itself where it names something, else hidden."""

    __slots__ = ("ids",)

    def __init__(self, ids: Collection[str]) -> None:
        self.ids = ids

    def email(self, match: re.Match[str]) -> str:
        return match.group() if self._names(match) else EMAIL_HIDDEN

    def phone(self, match: re.Match[str]) -> str:
        return match.group() if self._names(match) else PHONE_HIDDEN

    def _names(self, match: re.Match[str]) -> bool:
        text, start, end = match.string, match.start(), match.end()
        if self.ids and match.group() in self.ids:
            return True
        if _FILE_EXT.match(text, end):
            return True
        if start == 0 or text[start - 1].isspace():
            return False  # the first thing in its word: no path before it
        head = text[max(0, start - _WORD_CHARS) : start]
        word = head.rsplit(None, 1)[-1]
        if len(word) >= _WORD_CHARS:
            return False
        word = _NOT_IN_PATH.split(word)[-1]
        if not word:
            return False
        if _PATH_START.search(word):
            return True  # in a path or a URL, its query included
        # A folder of a relative path (feeds/0701234567/stock.json), not a list of
        # numbers (0701111111/0702222222/...): a letter in the word, slashes around it.
        return (
            word[-1] in "/\\"
            and end < len(text)
            and text[end] in "/\\"
            and any(c.isalpha() for c in word)
        )


_NO_IDS = _Kept(())


class Masked(str):
    """A text masked already (:func:`mask`), maybe with ``ids`` kept whole: the log
    processor (:func:`syncd.logs.mask_contacts`) passes it as it is, where masking it
    again would garble those ids (an all-digit dealer code reads like a phone). Made by
    :func:`masked_with`; any change to it (a redaction) gives a plain ``str`` again,
    which is masked anew: a kept id may then be masked, never contact data shown."""

    __slots__ = ()


def masked_with(text: str, ids: Collection[str] = ()) -> Masked:
    """``text`` masked (:func:`mask`), ``ids`` whole, marked :class:`Masked`."""
    return Masked(mask(text, ids=ids))


def masked(text: str | None) -> str | None:
    """A message with its e-mail addresses and phone numbers masked (None stays None)."""
    return None if text is None else mask(text)


def cut(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters and ``…`` when longer, dropping an address or a
    phone number the cut splits (what is left of it would no longer be masked). Mask
    what it returns: cheaper than masking a long text whole when only its start shows."""
    if len(text) <= limit:
        return text
    return _CUT.sub("", text[:limit]) + "…"
