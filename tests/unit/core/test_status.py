"""What a run records of its invalid items for `syncd status` (pure)."""

from __future__ import annotations

from syncd.core.models import Delete, Invalid, Issue, ItemProblem, Origin, Unchanged
from syncd.core.status import invalid_problems, recorded_invalid


def test_each_issue_of_each_invalid_entry_is_one_problem_in_plan_order() -> None:
    """Two issues give two problems; an entry known only to the mirror has no record."""
    entries = (
        Unchanged("D1", "a"),
        Invalid(
            "D1", "b", Origin("f.jsonl", line=3), (Issue("price", "required"), Issue("t", "x"))
        ),
        Delete("D1", "c"),
        Invalid("D1", "d/e", None, (Issue("source_id", "holds /"),)),
    )
    assert invalid_problems(entries) == (
        ItemProblem("b", "f.jsonl:3", "price", "required"),
        ItemProblem("b", "f.jsonl:3", "t", "x"),
        ItemProblem("d/e", None, "source_id", "holds /"),
    )


def test_few_short_problems_are_recorded_as_they_are() -> None:
    """Under both limits nothing is cut and nothing is left out."""
    problems = [ItemProblem(None, "f.json[0]", "source_id", "required")]
    assert recorded_invalid(problems) == (tuple(problems), 0)
