"""Use cases: what ``syncd validate`` and ``syncd map`` show: a feed's problems, the API's
answers (``validate --remote``), and records beside the payloads they map to.

No I/O. Seller contact data is shown here by ``syncd map`` only: it shows the dealer
their own records, on stdout only, to check a mapping by eye. ``validate``'s values and
reasons and the API's answers are masked (:func:`syncd.core.contacts.mask`), as
``syncd status`` masks them: a reason quotes the value it refused, so the value is
masked too; records and source_ids are shown whole.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import orjson

from syncd.core.contacts import mask, masked
from syncd.core.models import Accepted, FeedItem, RawFeed, ValidatedFeed, WriteResult
from syncd.views.plans import short

if TYPE_CHECKING:  # the mapping compiler is imported only by a mapped feed's reader
    from syncd.core.map import MappedRecord


def _at(data: Any, field: str) -> Any:
    """The value at a dotted path with indexes (``price[0].amount``), or None."""
    node = data
    for part in field.replace("[", ".").replace("]", "").split("."):
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node


def validation_json(label: str, raw: RawFeed, feed: ValidatedFeed) -> dict[str, Any]:
    """One feed's validation report: every problem (record, source_id, field, value,
    reason), then the counts."""
    invalid = {str(item.origin) for item in feed.invalid}
    # Only the invalid items' records are decoded again (a packed one is text).
    data = {key: r.value() for r in raw.records if (key := str(r.origin)) in invalid}
    problems = [
        {
            "record": str(item.origin),
            "source_id": item.source_id,
            "field": issue.field,
            "value": masked(
                issue.value if issue.value is not None else _value(data, item, issue.field)
            ),
            "reason": mask(issue.reason),
        }
        for item in feed.invalid
        for issue in item.issues
    ]
    return {
        "feed": label,
        "path": feed.meta.path,
        "problems": problems,
        "counts": {
            "items": len(raw.records),
            "valid": len(feed.items),
            "invalid": len(feed.invalid),
        },
    }


def _value(data: Mapping[str, Any], item: Any, field: str) -> str | None:
    found = _at(data.get(str(item.origin)), field)
    # Masked before short()'s cut, which could split an address (and leave it unmasked).
    return None if found is None else short(mask(found) if isinstance(found, str) else found)


def _source(record: Mapping[str, tuple[str, ...]]) -> dict[str, Any]:
    return {k: v[0] if len(v) == 1 else list(v) for k, v in record.items()}


def map_json(records: Sequence[MappedRecord]) -> list[dict[str, Any]]:
    """Records as read beside the payload each maps to (null: skipped by the filter)."""
    return [
        {
            "record": str(m.origin),
            "source": _source(m.source),
            "payload": m.payload,
            "issues": [{"field": i.field, "value": i.value, "reason": i.reason} for i in m.issues],
        }
        for m in records
    ]


def pretty(payload: Any) -> str:
    return orjson.dumps(payload, option=orjson.OPT_INDENT_2).decode()


def remote_json(answers: Sequence[tuple[FeedItem, WriteResult]]) -> dict[str, Any]:
    """The API validate endpoint's answer per item syncd found valid (``validate --remote``)."""
    rows = [
        {
            "record": str(item.origin),
            "source_id": item.source_id,
            "answer": "accepted" if isinstance(result, Accepted) else "refused",
            "status": result.status,
            "messages": [] if isinstance(result, Accepted) else [mask(m) for m in result.messages],
        }
        for item, result in answers
    ]
    refused = sum(1 for r in rows if r["answer"] == "refused")
    return {
        "checked": len(rows),
        "accepted": len(rows) - refused,
        "refused": refused,
        "answers": rows,
    }
