"""What the CLI and the daemon show: plans and run summaries."""

from __future__ import annotations

from datetime import UTC, datetime

from rich.console import Console

from syncd.core.models import Delete, Invalid, Issue, Origin, Plan, Update
from syncd.service import RunReport
from syncd.views import change_lines, describe_run, plan_json, plan_table

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
