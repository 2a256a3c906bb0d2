"""A dealer-group file's records, split per dealer by the mapped dealer_code."""

from __future__ import annotations

from syncd.core.map import for_dealer, map_records, parse_mapping
from syncd.core.models import Origin

MAPPING = parse_mapping(
    {
        "maps": {"dealer": {"11": "D1", "12": "D2"}},
        "skip": [{"source": "status", "equals": "sold"}],
        "fields": {
            "source_id": "id",
            "dealer_code": {"source": "b", "transforms": [{"map": "dealer"}]},
        },
    }
)


def records(*rows: dict[str, str]) -> list:
    read = [
        (Origin("g.json", index=i), {k: (v,) for k, v in r.items()}, ()) for i, r in enumerate(rows)
    ]
    return map_records(MAPPING, read)


def test_a_dealer_keeps_its_records_and_leaves_the_others_dealers_out():
    """D1 sees its own record only; D2's is not D1's business."""
    kept = for_dealer(records({"id": "a", "b": "11"}, {"id": "b", "b": "12"}), "D1", ("D1", "D2"))
    assert [m.payload for m in kept] == [{"source_id": "a", "dealer_code": "D1"}]


def test_a_record_of_no_listed_dealer_is_kept_by_every_dealer_with_an_issue():
    """A dealer the group lacks, or none, is an issue in each dealer's share."""
    mapped = records({"id": "a", "b": "11"}, {"id": "x"})
    for dealer in ("D1", "D2"):
        (issue,) = [i for m in for_dealer(mapped, dealer, ("D1", "D2")) for i in m.issues]
        assert (issue.field, issue.reason) == (
            "dealer_code",
            "is missing; this file serves the dealers D1, D2",
        )


def test_a_value_map_miss_on_the_dealer_is_reported_once():
    """The map's own issue names the unknown branch; no second issue is added."""
    (m,) = for_dealer(records({"id": "a", "b": "13"}), "D1", ("D1", "D2"))
    assert [i.field for i in m.issues] == ["dealer_code"]
    assert "'13'" in m.issues[0].reason


def test_skipped_records_stay_for_syncd_map_to_show():
    """A record the filter skipped has no dealer yet; it is kept with no payload."""
    (m,) = for_dealer(records({"id": "a", "b": "12", "status": "sold"}), "D1", ("D1", "D2"))
    assert m.payload is None
