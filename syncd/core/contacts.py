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
purpose.

Linear: every quantifier of both patterns is bounded, none is nested in an
unbounded one, so one try reads at most about 1 200 characters and masking a
message of any length is linear in its length (a megabyte-long API blob is masked
whole by ``syncd status --json``).
"""

from __future__ import annotations

import re

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


def mask(text: str, *, phones: bool = True) -> str:
    """``text`` with every e-mail address and phone number replaced by
    :data:`EMAIL_HIDDEN` and :data:`PHONE_HIDDEN`. ``phones=False`` for an identifier
    (a dealer code, a source_id): a dealer's all-digit ids look like phone numbers
    and are no contact data."""
    masked = EMAIL.sub(EMAIL_HIDDEN, text) if "@" in text else text  # a fast scan first
    return PHONE.sub(PHONE_HIDDEN, masked) if phones else masked


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
