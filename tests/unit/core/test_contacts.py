"""Contact data in free text: e-mail addresses and phone numbers masked, in linear time."""

from __future__ import annotations

import subprocess
import sys
from re import _constants as sre_constants  # type: ignore[attr-defined]
from re import _parser as sre_parse  # type: ignore[attr-defined]

import pytest

from syncd.core.contacts import EMAIL, EMAIL_HIDDEN, PHONE, PHONE_HIDDEN, cut, mask

PHONES = (
    "+46701234567",
    "+46 70 123 45 67",
    "070-123 45 67",
    "0701234567",
    "08-123 456 78",
    "(08) 123 45 67",
    "0046 70 123 45 67",
    # bare international numbers: a Nordic country code, no + or 0
    "46701234567",
    "4681234567",
    "4791234567",
    "4520123456",
    "358401234567",
    # an area code, then a spaced hyphen, a dot or a slash
    "070 - 123 45 67",
    "08 - 123 456 78",
    "070.123 45 67",
    "070/123 45 67",
    "0123/456 78",
    "070.1234567",
    # an area code, then a dot between every group
    "070.123.45.67",
    "08.12.34.56",
    "08.123.456.78",
    "0123.45.67.89",
    "01.23.45.67.89",
    # a country code, one space, the rest unbroken
    "46 701234567",
    "46 812345678",
    "47 91234567",
    "45 20123456",
    "358 401234567",
)
NOT_PHONES = (
    "car-10234",
    "150000",
    "2018",
    "2026-12-01T08:00:00Z",
    "12133",
    "ABC123",
    "01234567-8901-2345-6789-012345678901",
    "3 of 50",
    "HTTP 409 Conflict",
    # bare numbers that are not phones: the other side of the bare rule
    "12345678901",  # an order number not starting with a Nordic country code
    "1764662400",  # a Unix timestamp (seconds)
    "1764662400000",  # and in milliseconds
    "198001011234",  # a 12-digit personal number
    "1100123456",  # a Blocket ad id
    "46000000",  # a price: too short
    "4670123456789",  # 13 digits: too long
    "4601234567",  # a country code then the trunk 0: no phone is written so
    "46701234567.50",  # a decimal amount
    "46701234567,50",
    "46 70 123 45 67",  # bare and spaced: a list of counts reads the same
    "ord-46701234567",  # glued to an id
    "46701234567-2",
    # the other side of the spaced-hyphen, dot and slash rules
    "0 - 1 000 000",  # a range from a lone 0
    "0 - 12345678",
    "0.12345678",  # a decimal
    "12.50",
    "3.14159265",
    "1.2.3",  # a dotted version
    "0.1.2.3.4.5.6.7.8",
    "10.0.0.1",  # an IP address
    "03.12.2026",  # dates, dotted, slashed or ISO
    "03/12/2026",
    "2026-12-03",
    "2026-12-03 10:00:00",
    "08.30 - 12.00",  # opening hours
    "1764662400.123",  # a timestamp with its fraction
    # the other side of the every-group dotted rule
    "070.123.45",  # two dots only, as a date has
    "010.20.30.40.50.60",  # more dotted groups than a phone has (an OID)
    "0.12.34.56",  # from 0.
    "070.1.2.3",  # groups of one digit
    "070.1234.5678.90",  # a group of four digits
    "192.168.010.001",  # an address without a leading 0
    # the other side of the spaced country-code rule
    "46 1764662400",  # a count, then a timestamp
    "46 1100123456",  # a count, then an ad id
    "46 7012345678",  # 10 digits after 46: too long
    "46 701234567.5",  # a decimal amount
    "46 701234567-2",
)
EMAILS = (
    "kalle.anka@example.se",
    "b@example.com",
    "first+tag@sub.example.co.uk",
    "åsa_ö@bilhallen.se",
    "x-y@my-dealer.se",
)
NOT_EMAILS = ("user@localhost", "@example.com", "price 100 @ 5%", "a@b")


@pytest.mark.parametrize("phone", PHONES)
def test_a_phone_number_in_a_message_is_masked(phone: str) -> None:
    """A refused contact phone quoted in a message is not shown, in any form."""
    shown = mask(f"contact.phone: '{phone}' is not a valid number")
    assert shown == f"contact.phone: '{PHONE_HIDDEN}' is not a valid number"


@pytest.mark.parametrize("kept", NOT_PHONES)
def test_ids_prices_dates_and_counts_are_not_taken_for_phones(kept: str) -> None:
    """Source_ids, prices, years, timestamps, zip codes, UUIDs, counts and other ids stay."""
    assert mask(f"ad {kept} refused") == f"ad {kept} refused"


@pytest.mark.parametrize("email", EMAILS)
def test_an_email_address_in_a_message_is_masked(email: str) -> None:
    """An e-mail address is masked wherever it stands in a message."""
    assert mask(f"contact.email: {email}, refused") == f"contact.email: {EMAIL_HIDDEN}, refused"


@pytest.mark.parametrize("kept", NOT_EMAILS)
def test_what_is_not_an_address_is_kept(kept: str) -> None:
    """An at sign without a dotted domain is no address."""
    assert mask(kept) == kept


def test_phones_false_masks_only_addresses() -> None:
    """An identifier keeps its digits (a dealer's ids look like phones), not an address."""
    assert mask("00123456", phones=False) == "00123456"
    assert mask("call 00123456") == f"call {PHONE_HIDDEN}"
    assert mask("a@example.se 00123456", phones=False) == f"{EMAIL_HIDDEN} 00123456"


def test_a_message_with_both_is_masked_twice_and_kept_otherwise() -> None:
    """Both kinds in one message, each masked, the rest of the message unchanged."""
    message = "contact: 'kalle@example.se' / '+46 70 123 45 67' refused (run 42, 2026)"
    assert mask(message) == f"contact: '{EMAIL_HIDDEN}' / '{PHONE_HIDDEN}' refused (run 42, 2026)"


def test_a_long_local_part_is_masked_in_its_last_64_characters() -> None:
    """RFC 5321 bounds a local part at 64: what stands before is shown, the address not."""
    assert mask("x" * 100 + "@example.se") == "x" * 36 + EMAIL_HIDDEN


def test_the_cut_drops_a_split_address_or_number() -> None:
    """A text over the limit is cut with an ellipsis; an address, a phone or a number the
    cut splits is dropped, not shown in part; a short text is left as it is."""
    assert cut("short", 10) == "short"
    assert cut("a" * 10 + " seller@example.com", 20) == "a" * 10 + " …"
    assert cut("a" * 10 + " 070-123 45 67", 20) == "a" * 10 + " …"
    assert cut("a" * 10 + " 46701234567", 16) == "a" * 10 + " …"
    assert cut("a" * 10 + " 070.123 45 67", 19) == "a" * 10 + " …"
    assert cut("a" * 10 + " 070/123 45 67", 17) == "a" * 10 + " …"
    assert cut("a" * 10 + " b c d e f g h", 16) == "a" * 10 + " b c d…"


def _unbounded(pattern: str) -> list[tuple[int, int]]:
    found = []

    def walk(items: object) -> None:
        for op, arg in items:  # type: ignore[attr-defined]
            if op in (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT):
                low, high, inner = arg
                if high == sre_constants.MAXREPEAT:
                    found.append((low, high))
                walk(inner)
            elif op in (sre_constants.SUBPATTERN, sre_constants.ASSERT, sre_constants.ASSERT_NOT):
                walk(arg[-1])
            elif op == sre_constants.BRANCH:
                for branch in arg[1]:
                    walk(branch)

    walk(sre_parse.parse(pattern))
    return found


@pytest.mark.parametrize("pattern", [EMAIL, PHONE], ids=["email", "phone"])
def test_every_quantifier_is_bounded(pattern: object) -> None:
    """Every quantifier of both patterns has a finite bound, so one try reads a bounded
    stretch of text and masking is linear in the text's length."""
    assert _unbounded(pattern.pattern) == []  # type: ignore[attr-defined]


def test_a_megabyte_is_masked_whole_at_once() -> None:
    """Megabyte blobs that made the old patterns quadratic (a run of word characters
    without an at sign, of dots, of digits and spaces, of at signs, of area codes and
    spaced hyphens or dots, of country codes) are masked whole,
    the contact data at their ends too. In a child process (the regex holds the GIL);
    the bound is generous: linear work takes well under a second, quadratic hours."""
    code = (
        "from syncd.core.contacts import mask\n"
        "tail = ' a@example.se +46 70 123 45 67'\n"
        "for blob in ('a' * 1_000_000, 'a.' * 500_000, '0 ' * 500_000, 'a@' * 500_000,"
        " '4' * 1_000_000, 'a@b' * 300_000, '07 - ' * 200_000, '07.1' * 250_000,"
        " '46 ' * 330_000):\n"
        "    print(mask(blob + tail)[-40:])\n"
    )
    try:
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=90, check=True
        )
    except subprocess.TimeoutExpired:
        pytest.fail("masking a megabyte did not finish")
    lines = done.stdout.splitlines()
    assert len(lines) == 9
    assert all(line.endswith(f" {EMAIL_HIDDEN} {PHONE_HIDDEN}") for line in lines), lines


@pytest.mark.parametrize(
    "known",
    [
        "01.2345678",  # a decimal with a leading zero and many decimals
        "03.12 2026",  # a day and month, then a spaced year
        "46 12345678",  # a count, then a number of a Swedish phone's length
        "08.15.30.25",  # a dotted time with hundredths, from 0
    ],
)
def test_the_documented_false_positives_are_masked(known: str) -> None:
    """What the pattern's docstring names as masked though no phone (rare in a message)."""
    assert mask(f"ad {known} refused") == f"ad {PHONE_HIDDEN} refused"


@pytest.mark.parametrize(
    "named",
    [
        "/srv/feeds/0701234567/stock.json",  # an all-digit dealer folder
        "/srv/feeds/0701234567/stock.json:12:5",  # and the line and column
        "/srv/feeds/46701234567/kalle@example.se.xml",
        "'/srv/feeds/0701234567/stock.json'",  # quoted
        "(/srv/feeds/0701234567/stock.json)",
        "path=/srv/feeds/0701234567/stock.json",
        "./0701234567/stock.json",
        "../0701234567/stock.json",
        "~/0701234567/stock.json",
        "feeds/0701234567/stock.json",  # a folder of a relative path
        "0701234567.csv",  # a relative file
        "0701234567.json.gz",
        "0701234567.JSON",
        "C:\\feeds\\0701234567\\stock.csv",
        "\\\\server\\0701234567\\stock.csv",
        "/v4/ad/0701234567",  # an API call
        "/v4/ad?dealer_code=0701234567&page=2",
        "https://dms.example/0701234567/export.xml",  # a feed's URL
        "https://dms.example/export?dealer=46701234567",
        "http://127.0.0.1:8080/kalle@example.se/feed",
        "sqlite:////srv/0701234567/mirror.db",  # the mirror's URL
    ],
)
def test_a_path_or_url_is_kept_whole(named: str) -> None:
    """A file's path, an API call's or a URL names a thing: its all-digit folder or file,
    or an e-mail-like one, is not masked (an operator must see which file failed)."""
    assert mask(f"{named}: not valid JSON (phone 070-123 45 67)") == (
        f"{named}: not valid JSON (phone {PHONE_HIDDEN})"
    )


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("kontakt/0701234567", f"kontakt/{PHONE_HIDDEN}"),  # no path: a word, a slash
        ("0701111111/0702222222", f"{PHONE_HIDDEN}/{PHONE_HIDDEN}"),  # a list of numbers
        ("070/123 45 67", PHONE_HIDDEN),  # an area code and a slash
        ("a/0701111111/0702222222", f"a/0701111111/{PHONE_HIDDEN}"),  # the last is no folder
        ("0701234567.Ring", f"{PHONE_HIDDEN}.Ring"),  # no file's extension
        ("call 0701234567. Thanks", f"call {PHONE_HIDDEN}. Thanks"),
        ("kalle@example.se/feed", f"{EMAIL_HIDDEN}/feed"),  # the path starts after it
        # A URL ends at a character no URL holds: compact JSON, HTML (a garbled answer)
        (
            '{"url":"https://x.se/a","contact":{"email":"kalle@example.se","phone":"0701234567"}}',
            f'{{"url":"https://x.se/a","contact":{{"email":"{EMAIL_HIDDEN}","phone":"{PHONE_HIDDEN}"}}}}',
        ),
        (
            '<a href="https://x.se">kalle@example.se</a>',
            f'<a href="https://x.se">{EMAIL_HIDDEN}</a>',
        ),
    ],
)
def test_what_only_looks_like_a_path_is_masked(text: str, shown: str) -> None:
    """A slash alone does not make a path: a number or an address before it, or in a
    word that starts no path, is masked."""
    assert mask(text) == shown


def test_ids_are_kept_whole_and_only_as_a_whole() -> None:
    """An id given is kept where the match is exactly it (a dealer code quoted in an
    error); a phone number that holds it, or an address beside it, is masked."""
    ids = frozenset({"0701234567", "123", "kalle@example.se"})
    text = "dealer '0701234567': kalle@example.se refused 070 123 45 67 and anna@example.se"
    assert mask(text, ids=ids) == (
        f"dealer '0701234567': kalle@example.se refused {PHONE_HIDDEN} and {EMAIL_HIDDEN}"
    )
    assert mask("dealer '0701234567'") == f"dealer '{PHONE_HIDDEN}'"


def test_paths_full_of_numbers_are_masked_in_linear_time() -> None:
    """Megabyte blobs of path-like words full of numbers, of words too long to be a path,
    and of dotted groups are masked whole at once, the contact data at their ends too
    (a child process: the regex holds the GIL; linear work takes well under a second)."""
    code = (
        "from syncd.core.contacts import mask\n"
        "tail = ' a@example.se +46 70 123 45 67'\n"
        "for blob in ('/0701234567' * 90_000, ' /a/0701234567' * 70_000,"
        " 'x/0701234567/' * 80_000, '070.12.34.56' * 90_000, '0701234567.csv ' * 70_000):\n"
        "    print(mask(blob + tail)[-40:])\n"
    )
    try:
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=90, check=True
        )
    except subprocess.TimeoutExpired:
        pytest.fail("masking a megabyte did not finish")
    lines = done.stdout.splitlines()
    assert len(lines) == 5
    assert all(line.endswith(f" {EMAIL_HIDDEN} {PHONE_HIDDEN}") for line in lines), lines
