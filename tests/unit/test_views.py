"""What the CLI and the daemon show: plans and run summaries."""

from __future__ import annotations

from datetime import UTC, datetime

from rich.console import Console

from syncd.core.models import (
    Delete,
    Invalid,
    Issue,
    ItemProblem,
    Origin,
    Plan,
    RunOutcome,
    RunSummary,
    Update,
)
from syncd.renewals import PolicyReport, report_line
from syncd.runs import RunReport
from syncd.tables import plan_table, status_tables
from syncd.views.plans import change_lines, plan_json
from syncd.views.reports import describe_run, report_json, report_lines, run_json
from syncd.views.status import status_json, withheld_json

NOW = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)


def test_change_lines_show_old_and_new_values_of_each_leaf() -> None:
    """Nested fields are dotted, removed ones show as going to -, lists go whole."""
    before = {
        "title": "A",
        "category_fields": {"model_year": 2018, "color": "red"},
        "price": [{"type": "list", "amount": 1}],
    }
    changes = {
        "title": "B",
        "category_fields": {"model_year": 2019, "color": None},
        "price": [{"type": "list", "amount": 2}],
    }
    assert change_lines(before, changes) == [
        'category_fields.color: "red" → -',
        "category_fields.model_year: 2018 → 2019",
        "price: list 1 → list 2",
        'title: "A" → "B"',
    ]


def test_plan_table_and_json_show_calls_and_invalid_items() -> None:
    """The table names each call and each invalid item's place; JSON carries the bodies."""
    plan = Plan(
        "D1",
        (
            Update("D1", "s1", 2048, {"title": "B"}, {"title": "B"}, "h", before={"title": "A"}),
            Delete("D1", "s2"),
            Invalid("D1", "s3", Origin("feed.json", index=4), (Issue("price", "is required"),)),
        ),
    )
    console = Console(width=200, record=True)
    console.print(plan_table(plan))
    text = console.export_text()
    assert 'PATCH title: "A" → "B"' in text
    assert "feed.json[4]: price: is required" in text
    doc = plan_json(plan)
    assert doc["counts"]["update"] == 1
    assert [e["method"] for e in doc["entries"][:2]] == ["PATCH", "DELETE"]


def test_run_summary_line() -> None:
    """STATUS= names dealer, run, outcome, time and only the non-zero counts."""
    report = RunReport(run_id=7, dealer_code="D1", counts={"create": 2, "delete": 0, "done": 2})
    assert (
        describe_run(report, NOW) == "D1: run 7 success at 2026-11-02 12:00:00Z (create 2, done 2)"
    )
    assert describe_run(RunReport(run_id=8, dealer_code=""), NOW).startswith(
        "(token dealer): run 8"
    )


def _finished(run_id: int, dealer: str, *problems: ItemProblem, omitted: int = 0) -> RunSummary:
    return RunSummary(
        run_id, dealer, NOW, NOW, None, RunOutcome.PARTIAL, {}, None, problems, omitted
    )


def test_status_json_lists_each_dealers_invalid_items_with_dealer_and_run() -> None:
    """`status --json` gains `invalid` (one entry per problem) and names runs that left some out."""
    d1 = _finished(3, "D1", ItemProblem("a", "f.json[0]", "price", "required"))
    d2 = _finished(5, "D2", ItemProblem(None, "g.jsonl:2", "source_id", "required"), omitted=7)
    doc = status_json({"live": 1}, [d2, d1], [], [d1, d2])
    assert doc["invalid"] == [
        {
            "dealer_code": "D1",
            "run_id": 3,
            "record": "f.json[0]",
            "source_id": "a",
            "field": "price",
            "reason": "required",
        },
        {
            "dealer_code": "D2",
            "run_id": 5,
            "record": "g.jsonl:2",
            "source_id": None,
            "field": "source_id",
            "reason": "required",
        },
    ]
    assert doc["invalid_omitted"] == [{"dealer_code": "D2", "run_id": 5, "omitted": 7}]
    assert doc["runs"][0] == run_json(d2)
    assert (run_json(d2)["invalid"][0]["record"], run_json(d2)["invalid_omitted"]) == (
        "g.jsonl:2",
        7,
    )


def test_invalid_items_table_escapes_values_and_says_what_it_leaves_out() -> None:
    """A newline or bidi mark in a source_id or reason cannot forge a line of the table."""
    run = _finished(
        4,
        "D1",
        ItemProblem("forged\nrun 99", "f.json[0]", "title", "bad \u202e reason"),
        ItemProblem("b", "f.json[1]", "price", "required"),
        omitted=2,
    )
    console = Console(width=200, record=True)
    for table in status_tables({}, [run], [], [run], limit=1):
        console.print(table)
    text = console.export_text()
    assert "Invalid items (last run)" in text
    assert "forged\\nrun 99" in text
    assert "\\u202e" in text
    assert "\u202e" not in text
    assert [line for line in text.splitlines() if "run 99" in line] == [
        next(line for line in text.splitlines() if "forged\\nrun 99" in line)
    ]
    assert "f.json[1]" not in text
    assert "1 more in `syncd status --json`" in text
    assert "2 more not recorded" in text


def test_why_deletes_are_held_back_is_masked_and_the_dealer_code_kept() -> None:
    """A feed's error (it may quote a cell) shows no e-mail or phone; an all-digit dealer
    code stays whole (an id, not contact data)."""
    error = "row 3: contact 'kalle@example.se', '070-123 45 67' unreadable"
    doc = withheld_json(None, "0701234567", error)
    assert doc["error"] == "row 3: contact '[e-mail hidden]', '[phone hidden]' unreadable"
    assert doc["dealer_code"] == "0701234567"
    assert withheld_json(None, "D1", None)["error"] is None


def test_a_run_reports_messages_are_masked_and_its_ids_kept() -> None:
    """`run-once`, `apply` and `release-deletes` print the guard, warnings and problems
    without e-mail or phone (lines and JSON); dealer code and source_ids stay whole."""
    report = RunReport(
        run_id=3,
        dealer_code="00123456",
        guard="feed note from kalle@example.se",
        warnings=["feed says: call 070-123 45 67"],
        problems=[("46701234567", "contact.email: 'b@bil.se' refused; call +46 70 999 99 99")],
    )
    problem = "contact.email: '[e-mail hidden]' refused; call [phone hidden]"
    doc = report_json(report)
    assert doc["guard"] == "feed note from [e-mail hidden]"
    assert doc["warnings"] == ["feed says: call [phone hidden]"]
    assert doc["problems"] == [{"source_id": "46701234567", "message": problem}]
    assert doc["dealer_code"] == "00123456"
    lines = report_lines(report)
    assert lines[0].startswith("run 3 dealer 00123456: ")
    assert lines[1].startswith("  deletes and creates held back: feed note from [e-mail hidden];")
    assert lines[2:] == ["  warning: feed says: call [phone hidden]", f"  46701234567: {problem}"]


INVISIBLE_IDS = ("x\u2028y", "p\u00a0q", "z\u200bw", "h\u3164i", "s\u3000t")


def test_a_run_report_and_status_show_invisible_characters_in_ids_escaped() -> None:
    """A source_id with a line separator, NBSP, zero-width or blank-letter character shows
    escaped in the report lines and the status tables (one line each, apart from the id
    with a plain space), while the JSON keeps the real string."""
    report = RunReport(
        run_id=5, dealer_code="D1", problems=[(s, "source_id: bad") for s in INVISIBLE_IDS]
    )
    lines = report_lines(report)
    assert lines[1:] == [
        "  x\\u2028y: source_id: bad",
        "  p\\xa0q: source_id: bad",
        "  z\\u200bw: source_id: bad",
        "  h\\u3164i: source_id: bad",
        "  s\\u3000t: source_id: bad",
    ]
    assert [p["source_id"] for p in report_json(report)["problems"]] == list(INVISIBLE_IDS)
    run = _finished(
        6,
        "D1",
        *(ItemProblem(s, f"f.json[{i}]", "source_id", "bad") for i, s in enumerate(INVISIBLE_IDS)),
    )
    console = Console(width=200, record=True)
    for table in status_tables({}, [run], [], [run]):
        console.print(table)
    text = console.export_text()
    for shown in ("x\\u2028y", "p\\xa0q", "z\\u200bw", "h\\u3164i", "s\\u3000t"):
        assert shown in text
    assert not any(c in text for c in "\u2028\u00a0\u200b\u3164\u3000")
    assert run_json(run)["invalid"][1]["source_id"] == "p\u00a0q"


def test_a_plan_title_and_a_renewal_line_show_the_dealer_code_escaped() -> None:
    """A dealer code with a line separator or NBSP (a configured value) shows escaped in
    the plan table's title and a renewal policy's line, and is never read as markup."""
    console = Console(width=200, record=True)
    console.print(plan_table(Plan("D\u20281 [bold]x", ())))
    text = " ".join(console.export_text().split())  # the title wraps at the table's width
    assert "Plan for dealer D\\u20281 [bold]x:" in text
    line = report_line(PolicyReport(policy="weekly", dealer_code="D\u00a01", skipped="no sync"))
    assert line == "renewal weekly dealer D\\xa01: skipped: no sync"
