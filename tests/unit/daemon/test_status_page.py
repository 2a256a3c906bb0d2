"""The status page's renderer and chart: pure functions from a view model to HTML and SVG."""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from xml.etree import ElementTree

import pytest

from syncd.core.activity import DayActivity, per_day
from syncd.core.contacts import PHONE, PHONE_HIDDEN
from syncd.core.models import RunOutcome, RunSummary
from syncd.core.status import AD_STATUSES
from syncd.daemon.chart import activity_svg
from syncd.daemon.page import (
    SHOWN_CHARS,
    DealerAds,
    FailingAd,
    HeldBack,
    StatusView,
    TokenRefused,
    ident,
    render,
    text,
)
from tests.pages import ads_by_dealer, tables

NOW = datetime(2026, 12, 2, 9, 30, tzinfo=UTC)
HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def counts(**n: int) -> tuple[tuple[str, int], ...]:
    return tuple((s, n.get(s, 0)) for s in AD_STATUSES)


def view(**changes: object) -> StatusView:
    """A view with two dealers, a failing ad, withheld deletes, two runs and a week."""
    base = StatusView(
        generated_at=NOW,
        statuses=AD_STATUSES,
        dealers=(
            DealerAds("D1", counts(live=12, failed=2, rejected=1)),
            DealerAds("D2", counts(live=3, deleted=4, processing=1)),
        ),
        failing=(
            FailingAd("D1", "car-7", "create", "error", "image could not be fetched", NOW),
            FailingAd("D1", "car-8", "update", "rejected", "price: must be positive", NOW),
        ),
        failing_total=3,
        held_back=(HeldBack("D2", "would delete 4 of 7 live ads (57%)", ("a1", "a2", "a3", "a4")),),
        runs=(
            RunSummary(
                42,
                "D1",
                NOW - timedelta(minutes=5),
                NOW - timedelta(minutes=4),
                "c1",
                RunOutcome.SUCCESS,
                {"create": 5, "update": 2, "requests": 17},
            ),
            RunSummary(41, "D2", NOW - timedelta(hours=1), None, None, None, {}),
        ),
        days=tuple(
            DayActivity(date(2026, 11, 26) + timedelta(days=i), i, i % 2, 10 * i) for i in range(7)
        ),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_the_counts_per_dealer_and_their_sums_are_shown() -> None:
    """Each dealer's row has its count per status and its total; a sum row adds them up."""
    shown = ads_by_dealer(render(view()))
    assert shown["D1"] == {
        "live": "12", "processing": "0", "failed": "2", "rejected": "1",
        "deleted": "0", "pending": "0", "total": "15",
    }  # fmt: skip
    assert shown["D2"]["deleted"] == "4"
    assert shown["D2"]["total"] == "8"
    assert shown["all dealers"]["live"] == "15"
    assert shown["all dealers"]["total"] == "23"


def test_failing_ads_withheld_deletes_and_runs_are_listed() -> None:
    """The failing ads with their message, the withheld set and the last runs are tables."""
    page = render(view())
    found = tables(page)
    assert found["failing"][1][:5] == [
        "D1",
        "car-7",
        "create",
        "error",
        "image could not be fetched",
    ]
    assert found["withheld"][1][:3] == ["D2", "4", "a1, a2, a3, a4"]
    assert "57%" in found["withheld"][1][3]
    head, newest, running = found["runs"]
    row = dict(zip(head, newest, strict=True))
    assert (row["run"], row["outcome"], row["created"], row["updated"], row["requests"]) == (
        "42", "success", "5", "2", "17",
    )  # fmt: skip
    assert row["seconds"] == "60.0"
    assert dict(zip(head, running, strict=True))["outcome"] == "running"
    assert "The 2 most recent of 3 failing ads" in page


def test_a_hostile_message_is_escaped_everywhere() -> None:
    """Markup in a message, a source_id, a dealer code or a guard reason is shown as text."""
    page = render(
        view(
            dealers=(DealerAds(HOSTILE, counts(live=1)),),
            failing=(FailingAd(HOSTILE, HOSTILE, "create", "error", HOSTILE, NOW),),
            held_back=(HeldBack(HOSTILE, HOSTILE, (HOSTILE,)),),
            runs=(RunSummary(1, HOSTILE, NOW, NOW, None, RunOutcome.FAILED, {}, HOSTILE),),
        )
    )
    assert "<script" not in page
    assert "<img" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert tables(page)["failing"][1][4] == HOSTILE  # the browser shows it as it was


def test_no_contact_data_and_no_external_asset() -> None:
    """E-mail addresses in a message are masked; nothing is linked, loaded or scripted."""
    message = "contact.email: 'kalle.anka@example.se' is not allowed; call 070-123 45 67"
    page = render(view(failing=(FailingAd("D1", "car-9", "create", "rejected", message, NOW),)))
    assert "kalle.anka" not in page
    assert "example.se" not in page
    assert "[e-mail hidden]" in page
    lowered = page.lower()
    for needle in ("<script", "<link", "<img", "@import", "url(", "http://", "https://", "src="):
        if needle == "http://":
            # the SVG namespace is an identifier, never fetched
            lowered = lowered.replace('xmlns="http://www.w3.org/2000/svg"', "")
        assert needle not in lowered, needle


def test_empty_mirror_says_so() -> None:
    """A fresh install shows friendly empty states, and a chart of zeros."""
    days = per_day([], today=NOW.date(), days=14)
    page = render(view(dealers=(), failing=(), failing_total=0, held_back=(), runs=(), days=days))
    assert "The mirror holds no ads yet." in page
    assert "No ad is failing." in page
    assert "No run yet." in page
    assert "<svg" in page


def test_an_unreadable_feed_is_said_in_the_withheld_section() -> None:
    """A feed that could not be read shows its error instead of a count."""
    held = (HeldBack("D1", None, error="feed unreadable: no such file"), HeldBack("D2", None))
    found = tables(render(view(held_back=held)))["withheld"]
    assert found[1][3] == "feed unreadable: no such file"
    assert found[2][1:3] == ["0", "\u2013"]


def test_the_chart_is_valid_svg_with_a_bar_and_a_value_per_day() -> None:
    """Every day with runs has a bar in each panel; the values and day labels are drawn."""
    days = view().days
    svg = activity_svg(days)
    root = ElementTree.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    panels = {g.get("class"): g for g in root.iter(f"{ns}g")}
    runs, requests = panels["runs-panel"], panels["requests-panel"]
    # day i has i runs, one failed on odd days (red); day 1's only run failed (no blue)
    assert len(runs.findall(f"{ns}rect")) == 5 + 3
    assert len(requests.findall(f"{ns}rect")) == 6
    values = [t.text for t in requests.iter(f"{ns}text") if t.get("class") == "value"]
    assert values == ["10", "20", "30", "40", "50", "60"]
    labels = [t.text for t in runs.iter(f"{ns}text") if t.get("class") == "day"]
    assert labels == ["11-26", "11-27", "11-28", "11-29", "11-30", "12-01", "12-02"]
    assert "21 runs and 210 API requests" in (root.get("aria-label") or "")


def test_bars_stay_inside_their_panel() -> None:
    """The tallest bar reaches the top of the scale and no bar leaves the drawing."""
    svg = activity_svg([DayActivity(date(2026, 12, 1), 7, 0, 1234)])
    heights = [float(h) for h in re.findall(r'<rect [^>]*height="([\d.]+)"', svg)]
    assert heights
    assert max(heights) <= 130.0
    assert ">2000<" in svg  # the requests scale rounds 1234 up to 2000


def test_a_huge_message_without_an_address_renders_at_once() -> None:
    """An action-log message is kept whole (the API's ``external_message``); a long run of
    word characters must not make the e-mail mask quadratic (a page hung for minutes):
    the page shows the first SHOWN_CHARS characters, never a cut address.
    In a child process (the regex holds the GIL); the bound is generous: linear work
    takes milliseconds, the old unbounded e-mail pattern about 15 minutes."""
    code = (
        "from syncd.daemon.page import text\n"
        "print(text('a' * 300_000 + ' mail seller@example.com')[-30:])\n"
        "print(text('a' * 990 + ' seller@example.com'))\n"
    )
    try:
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=90, check=True
        )
    except subprocess.TimeoutExpired:
        pytest.fail("masking a 300 000-character message did not finish")
    cut, split = done.stdout.splitlines()
    assert cut.endswith("a…")  # cut to what a page shows
    assert split == "a" * 990 + " …"  # an address the cut splits is dropped, not shown


@pytest.mark.parametrize("phone", ["+46 70 123 45 67", "070-123 45 67", "46701234567"])
def test_a_phone_number_in_a_message_is_masked(phone: str) -> None:
    """A refused contact phone quoted in an action-log message is not shown (the forms
    and the numbers kept are tested with the pattern, tests/unit/core/test_contacts.py)."""
    shown = text(f"contact.phone: '{phone}' is not a valid number, ad car-10234 (2018)")
    assert shown == (
        "contact.phone: &#x27;[phone hidden]&#x27; is not a valid number, ad car-10234 (2018)"
    )


def test_a_megabyte_of_digits_and_spaces_renders_cut_and_masked() -> None:
    """A 1 MB blob of digits and spaces is cut before the mask: the page shows its start
    with the phone numbers masked."""
    blob = "+46 70 123 45 67 " + "0 " * 500_000
    shown = text(blob)
    assert shown.startswith("[phone hidden]")
    assert shown.endswith("…")
    assert len(shown) < SHOWN_CHARS + 10
    assert sum(c.isdigit() for c in shown) < 8  # a tail too short to be a number
    # every quantifier is bounded, so masking the whole blob is linear too
    assert "0 " * 8 not in PHONE.sub("", blob)


def test_a_phone_number_the_cut_splits_is_dropped() -> None:
    """A phone number at the cut is dropped, not shown in part."""
    assert text("a" * 990 + " 070-123 45 67") == "a" * 990 + " …"


def test_an_all_digit_source_id_is_shown_whole_in_its_column() -> None:
    """A dealer's ids like 00123456 look like phone numbers; in the id columns they are
    shown as they are (no contact data), in a message they are masked all the same."""
    assert ident("00123456") == "00123456"
    assert text("call 00123456") == "call [phone hidden]"


@pytest.mark.parametrize("source_id", ["kalle@example.se", "0701234567", "46 701234567"])
def test_ids_that_read_like_contact_data_are_shown_whole_everywhere(source_id: str) -> None:
    """A source_id or dealer code that reads like an address or a phone number is an id:
    the failing ads, the withheld deletes and the runs show it whole, as `syncd status`
    does; the message beside it is masked."""
    page = render(
        view(
            dealers=(DealerAds(source_id, counts(live=1)),),
            failing=(FailingAd(source_id, source_id, "create", "error", source_id, NOW),),
            held_back=(HeldBack(source_id, "guard", (source_id, "a2")),),
            runs=(RunSummary(1, source_id, NOW, NOW, None, RunOutcome.FAILED, {}, "note"),),
        )
    )
    found = tables(page)
    assert found["failing"][1][:2] == [source_id, source_id]
    assert found["failing"][1][4] in ("[e-mail hidden]", "[phone hidden]")
    assert found["withheld"][1][0] == source_id
    assert found["withheld"][1][2] == f"{source_id}, a2"
    assert found["runs"][1][1] == source_id
    assert source_id in ads_by_dealer(page)


def test_a_long_id_is_cut_but_never_masked() -> None:
    """An id over SHOWN_CHARS is cut with an ellipsis; what is left is shown as it is."""
    assert ident("a@example.se " + "x" * SHOWN_CHARS) == "a@example.se " + "x" * 987 + "…"
    assert ident(None) == ident("") == "&ndash;"


def test_an_unreadable_feeds_error_shows_its_path_whole_and_its_contact_data_masked() -> None:
    """A feed's error quotes a value of the file (a key, a cell): its contact data is
    masked on the page, the path with its all-digit dealer folder is shown whole."""
    path = "/srv/feeds/0701234567/stock.json"
    error = f"feed unreadable: {path}: the top-level object gives 'ring 070.123.45.67' twice"
    held = (HeldBack("0701234567", None, error=error),)
    found = tables(render(view(held_back=held)))["withheld"]
    assert found[1][0] == "0701234567"
    assert (
        found[1][3]
        == f"feed unreadable: {path}: the top-level object gives 'ring {PHONE_HIDDEN}' twice"
    )


def test_a_runs_gone_ads_have_their_own_column_apart_from_unchanged() -> None:
    """Ads deleted earlier and still absent show as ``gone``, not in ``unchanged``; a run
    of an older syncd (no ``gone`` count) shows a dash there."""
    old, new = (
        RunSummary(n, "D1", NOW, NOW, "c", RunOutcome.SUCCESS, counts)
        for n, counts in ((1, {"unchanged": 5}), (2, {"unchanged": 3, "gone": 2}))
    )
    head, *rows = tables(render(view(runs=(new, old))))["runs"]
    shown = [dict(zip(head, row, strict=True)) for row in rows]
    assert [(r["unchanged"], r["gone"]) for r in shown] == [("3", "2"), ("5", "\u2013")]


def test_a_refused_token_is_said_first_with_its_dealer_answer_and_call() -> None:
    """The token watch's refusals in force lead the page: dealer, HTTP status and the
    call refused, escaped; without any, the page says the token is not refused."""
    refused = (
        TokenRefused("", 401, "GET", "/v3/vehicle/brands"),
        TokenRefused("0701234567", 403, "GET", f"/ad/{HOSTILE}"),
    )
    page = render(view(token_refused=refused))
    assert page.index('id="token"') < page.index('id="ads"')
    assert "The API refuses the token" in page
    head, *rows = tables(page)["token"]
    assert head == ["dealer", "answer", "refused call"]
    assert rows == [
        ["(token dealer)", "HTTP 401", "GET /v3/vehicle/brands"],
        ["0701234567", "HTTP 403", f"GET /ad/{HOSTILE}"],  # the dealer code whole
    ]
    assert "<script>" not in page
    calm = render(view())
    assert "The API has not refused the token" in calm
    assert "token" not in tables(calm)
