"""The sandbox's category table against syncd's: two readings of the seed, diffed.

The sandbox transcribes the seed's table itself (``syncd.sandbox.categories``) so
that a misreading in ``syncd.core.categories`` fails a test instead of being
served back to syncd. Every attribute where the two disagree must be listed in
:data:`DELIBERATE` with its reason, and every listed difference must still exist.
"""

from __future__ import annotations

import ast
from pathlib import Path

from syncd.core import categories as syncd_side
from syncd.sandbox import categories as sandbox_side
from syncd.sandbox import vehicles

# (category_id, attribute) -> why the sandbox differs from syncd there. Neither side
# misreads the seed's rows today: these are typed v4 paths the sandbox also serves,
# where syncd gives each category the one typed path it writes to.
DELIBERATE: dict[tuple[int, str], str] = {
    (1221, "typed_paths"): (
        'api-notes.md lists a "bus" type and the seed\'s only bus category is "Truck & Bus": '
        "the sandbox accepts it on /v4/bus as well as on /v4/truck, where syncd writes it"
    ),
    (1222, "typed_paths"): (
        'api-notes.md lists "agriculture-thresher" and "agriculture-tractor" types, and the '
        'seed\'s only category for them is "Agricultural Machinery": the sandbox accepts it '
        "on those paths as well as on /v4/agriculture-tools, where syncd writes it"
    ),
}

Row = dict[str, object]


def _syncd_row(cat: syncd_side.Category) -> Row:
    return {
        "path": cat.path,
        "kind": cat.kind.value,
        "supported": cat.supported,
        "registered_v3": cat.is_registered_vehicle(3),
        "registered_v4": cat.is_registered_vehicle(4),
        "category_fields_v3": cat.requires_category_fields(3),
        "category_fields_v4": cat.requires_category_fields(4),
        "vehicle_type": cat.vehicle_type,
        "typed_paths": frozenset() if cat.vehicle_type is None else frozenset({cat.vehicle_type}),
    }


def _sandbox_row(cat: sandbox_side.Category) -> Row:
    served = {vt for vt in vehicles.VEHICLE_TYPES if cat.id in sandbox_side.typed_categories(vt)}
    return {
        "path": cat.path,
        "kind": cat.kind.value,
        "supported": cat.supported,
        "registered_v3": cat.is_registered_vehicle(3),
        "registered_v4": cat.is_registered_vehicle(4),
        "category_fields_v3": cat.requires_category_fields(3),
        "category_fields_v4": cat.requires_category_fields(4),
        "vehicle_type": cat.vehicle_type,
        "typed_paths": frozenset(served),
    }


def _differences() -> dict[tuple[int, str], tuple[object, object]]:
    """(category_id, attribute) -> (sandbox's value, syncd's value), where they differ."""
    found: dict[tuple[int, str], tuple[object, object]] = {}
    ours, theirs = sandbox_side.CATEGORIES, syncd_side.CATEGORIES
    for cid in sorted(ours.keys() | theirs.keys()):
        if cid not in ours or cid not in theirs:
            found[cid, "id"] = (
                "listed" if cid in ours else "absent",
                "listed" if cid in theirs else "absent",
            )
            continue
        mine, yours = _sandbox_row(ours[cid]), _syncd_row(theirs[cid])
        for attribute, value in mine.items():
            if value != yours[attribute]:
                found[cid, attribute] = (value, yours[attribute])
    return found


def _shown(value: object) -> object:
    return sorted(map(str, value)) if isinstance(value, frozenset) else value


def test_every_difference_from_syncd_is_listed() -> None:
    """Every attribute where the sandbox's table and syncd's disagree is listed in DELIBERATE."""
    unlisted = [
        f"category {cid} {attribute}: sandbox {_shown(mine)!r}, syncd {_shown(yours)!r}"
        for (cid, attribute), (mine, yours) in _differences().items()
        if (cid, attribute) not in DELIBERATE
    ]
    assert not unlisted, "unlisted differences:\n" + "\n".join(unlisted)


def test_every_listed_difference_still_exists() -> None:
    """Each difference listed in DELIBERATE is still a difference, so the list stays honest."""
    stale = [
        f"category {cid} {attribute}"
        for cid, attribute in DELIBERATE
        if (cid, attribute) not in _differences()
    ]
    assert not stale, "listed differences that no longer exist:\n" + "\n".join(stale)


def test_every_typed_path_accepts_a_category() -> None:
    """Each routed typed v4 path accepts a category, and no category names an unrouted one."""
    empty = sorted(vt for vt in vehicles.VEHICLE_TYPES if not sandbox_side.typed_categories(vt))
    unrouted = sorted(
        {vt for cat in sandbox_side.CATEGORIES.values() for vt in cat.typed_paths}
        - set(vehicles.VEHICLE_TYPES)
    )
    assert (empty, unrouted) == ([], [])


def test_the_sandbox_imports_nothing_of_syncd_outside_itself() -> None:
    """No module of syncd.sandbox imports a syncd module outside syncd.sandbox."""
    package = Path(sandbox_side.__file__).parent
    outside = []
    for source in sorted(package.rglob("*.py")):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            names += [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
            outside += [
                f"{source.name}: {name}"
                for name in names
                if name.split(".")[0] == "syncd" and name.split(".")[:2] != ["syncd", "sandbox"]
            ]
    assert not outside, "\n".join(outside)
