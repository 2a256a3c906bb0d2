"""Core: guessing a starting mapping from a sample export's column names and values.

Pure: no I/O here. :func:`guess` recognises common Swedish and English names
(``regnr``, ``märke``, ``miltal``, ``make``, ``price``, ``g:image_link``, ...) and
(``names.py``) turns each into a rule of the mapping, with a value map for the distinct fuel
and gearbox values found. Every rule carries a note saying what was guessed;
``starter.py`` writes the result as TOML for a person to review.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from syncd.core.map.names import (
    FUELS,
    GEARBOXES,
    GENERIC,
    GONE,
    HIDDEN,
    NAMES,
    PUBLISH,
    STATUS,
)

_MAX_MAPPED_VALUES = 40


@dataclass(frozen=True, slots=True)
class Guess:
    """One suggested rule: the target, the rule as a TOML-ready table, and a note."""

    target: str
    rule: dict[str, Any] | str
    note: str = ""


@dataclass(slots=True)
class Suggestion:
    """What :func:`guess` suggests: rules in order, value maps, a record filter, and the
    columns no rule reads."""

    rules: list[Guess] = field(default_factory=list)
    maps: dict[str, dict[str, Any]] = field(default_factory=dict)
    map_notes: dict[str, dict[str, str]] = field(default_factory=dict)
    skip: list[dict[str, Any]] = field(default_factory=list)
    unused: list[str] = field(default_factory=list)
    group: bool = False


def normalise(name: str) -> str:
    """``Märke`` -> ``marke``, ``Regular price`` -> ``regularprice``, ``g:id`` -> ``gid``."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", folded.lower().split("#")[0])


def _segments(source: str) -> list[str]:
    return [s for s in re.split(r"[./]", source.lstrip("@")) if s]


def _keys(column: str) -> tuple[str, str, str]:
    """The column's name to match: whole, its last part, its parent (when the last
    part is generic: ``images.url`` is ``images``)."""
    parts = [normalise(p) for p in _segments(column)] or [""]
    parent = parts[-2] if len(parts) > 1 and parts[-1] in GENERIC else ""
    last = "" if len(parts) > 1 and parts[-1] in GENERIC else parts[-1]
    return normalise(column.replace("/", "").replace(".", "")), last, parent


def _match(columns: Sequence[str]) -> dict[str, str]:
    """target -> column: by the whole name first, then its last part, then its parent."""
    found: dict[str, str] = {}
    used: set[str] = set()
    keys = {c: _keys(c) for c in columns if "#" not in c}
    for level in range(3):
        for target, names in NAMES:
            for column, key in keys.items():
                if target not in found and column not in used and key[level] in names:
                    found[target] = column
                    used.add(column)
    return found


_VEHICLE_SIGNS = (
    "category_fields.registration_number",
    "category_fields.vin",
    "category_fields.condition.mileage.value",
    "category_fields.powertrain.fuels",
)
_FIRST = ("source_id", "dealer_code", "category_id")


def guess(columns: Mapping[str, Sequence[str]]) -> Suggestion:
    """A starting mapping for records with these columns (name -> the values seen)."""
    found = _match(list(columns))
    result = Suggestion(group="dealer_code" in found)
    vehicle = any(sign in found for sign in _VEHICLE_SIGNS)
    rules = [_rule(t, found[t], columns[found[t]], result) for t, _ in NAMES if t in found]
    if "source_id" not in found:
        rules.append(_source_id(found, columns))
    rules.append(_category(vehicle))
    if not vehicle:
        rules += _not_a_vehicle(found)
    if "category_fields.condition.mileage.value" in found:
        rules.append(Guess("category_fields.condition.mileage.unit", {"const": "km"}))
    result.rules = sorted(rules, key=lambda g: _FIRST.index(g.target) if g.target in _FIRST else 3)
    _filter(result, columns, set(found.values()))
    used = set(found.values()) | {s["source"] for s in result.skip}
    result.unused = [c for c in columns if c not in used and "#" not in c]
    return result


def _source_id(found: Mapping[str, str], columns: Mapping[str, Sequence[str]]) -> Guess:
    for fallback in ("category_fields.registration_number", "category_fields.vin", "title"):
        if fallback in found:
            name = fallback.split(".")[-1]
            return Guess("source_id", found[fallback], f"guessed: no id column, so the {name}")
    first = next(iter(columns), "")
    return Guess("source_id", first, "TODO: guessed; a column whose value never changes")


def _category(vehicle: bool) -> Guess:
    if vehicle:
        note = "guessed: cars; vans are 1021 (a cases rule on the body type picks)"
        return Guess("category_id", {"const": 1020}, note)
    note = "TODO: the category id (README links the seed's category table)"
    return Guess("category_id", {"const": 0}, note)


def _not_a_vehicle(found: Mapping[str, str]) -> list[Guess]:
    """Outside registered vehicles a title and the contact are required."""
    rules = []
    if "title" not in found:
        parts = [found[t] for t in ("category_fields.brand", "category_fields.model") if t in found]
        if parts:
            template = " ".join(f"{{{p}}}" for p in parts)
            rules.append(Guess("title", {"template": template}, "guessed: brand and model"))
    for target in ("location.zipcode", "contact.name", "contact.phone", "contact.email"):
        if target not in found:
            rules.append(Guess(target, {"const": ""}, "TODO: the dealer's"))
    return rules


def _rule(target: str, column: str, values: Sequence[str], result: Suggestion) -> Guess:
    seen = [v for v in values if v.strip()]
    html = any("<" in v and ">" in v for v in seen)
    if target in {"source_id", "url"}:
        return Guess(target, column)
    if target == "dealer_code":
        result.maps["dealer"] = dict.fromkeys(_distinct(seen), "")
        note = "TODO: this dealer's dealer_code"
        result.map_notes["dealer"] = dict.fromkeys(_distinct(seen), note)
        return Guess(
            target, {"source": column, "transforms": [{"map": "dealer"}]}, "a dealer group"
        )
    if target in ("title", "body"):
        text = ["html_text"] if html else ["collapse"] if target == "title" else ["trim"]
        return Guess(target, {"source": column, "transforms": text})
    if target.startswith("price"):
        currency = any(re.search(r"[A-Za-z]{3}\b|kr|:-", v) for v in seen)
        steps: list[Any] = ["amount"] if currency else ["int"]
        where = target if currency else f"{target}.amount"
        return Guess(where, {"source": column, "transforms": steps})
    if target == "image_urls":
        return Guess(target, {"source": column, "transforms": _image_steps(seen, values)})
    if target == "contact.phone":
        return Guess(target, {"source": column, "transforms": ["phone"]})
    if target == "contact.email":
        return Guess(target, {"source": column, "transforms": ["email"]})
    if target in ("category_fields.brand", "category_fields.model"):
        return Guess(target, {"source": column, "transforms": ["slug"]})
    if target == "category_fields.model_year":
        return Guess(target, {"source": column, "transforms": ["int"]})
    if target == "category_fields.in_traffic_date":
        return Guess(target, {"source": column, "transforms": ["date"]})
    if target == "category_fields.registration_number":
        return Guess(
            target, {"source": column, "transforms": [{"regex_replace": ["[\\s-]", ""]}, "upper"]}
        )
    if target == "category_fields.condition.mileage.value":
        return _mileage(column, seen)
    if target == "category_fields.powertrain.fuels":
        return _value_map(result, name="fuel", target=target, column=column, seen=seen, known=FUELS)
    if target == "category_fields.powertrain.transmission":
        return _value_map(
            result, name="gearbox", target=target, column=column, seen=seen, known=GEARBOXES
        )
    return Guess(target, column)


def _image_steps(seen: Sequence[str], values: Sequence[str]) -> list[Any]:
    steps: list[Any] = ["drop_empty"] if len(seen) < len(values) else []
    for separator in (", ", ",", "|", ";", " "):
        if any(separator in v.strip() for v in seen):
            steps.append({"split": separator})
            break
    if any(v.strip().endswith("/") for v in seen):
        steps.append({"drop": "/$"})  # empty image slots holding the bare directory URL
    return [*steps, {"take": 38}]


def _mileage(column: str, seen: Sequence[str]) -> Guess:
    target = "category_fields.condition.mileage.value"
    if any(re.search(r"[A-Za-z]", v) for v in seen):
        return Guess(target, {"source": column, "transforms": ["unit"]}, "the unit is in the value")
    name = normalise(column)
    swedish = "mil" in name and "mile" not in name
    unit, note = (
        ("mil", "guessed: Swedish mil (1 mil = 10 km)") if swedish else ("km", "guessed: km")
    )
    return Guess(target, {"source": column, "transforms": [{"unit": unit}]}, note)


def _value_map(
    result: Suggestion,
    *,
    name: str,
    target: str,
    column: str,
    seen: Sequence[str],
    known: Mapping[str, Any],
) -> Guess:
    table: dict[str, Any] = {}
    notes: dict[str, str] = {}
    for value in _distinct(seen)[:_MAX_MAPPED_VALUES]:
        mapped = _lookup(value, known)
        if mapped is None:
            table[value] = "other"
            notes[value] = "TODO: not recognised"
        else:
            table[value] = mapped[0] if len(mapped) == 1 else list(mapped)
            if normalise(value) not in known:
                notes[value] = "guessed"
    result.maps[name] = table
    result.map_notes[name] = notes
    return Guess(target, {"source": column, "transforms": [{"map": name}]})


def _lookup(value: str, known: Mapping[str, Any]) -> tuple[str, ...] | None:
    whole = normalise(value)
    if whole in known:
        hit = known[whole]
        return hit if isinstance(hit, tuple) else (hit,)
    parts = [normalise(p) for p in re.split(r"[/,+&_\s-]+", value) if normalise(p)]
    found: list[str] = []
    for part in parts:
        hit = known.get(part)
        if hit is None:
            continue
        for one in hit if isinstance(hit, tuple) else (hit,):
            if one not in found:
                found.append(one)
    return tuple(found) if found else None


def _filter(result: Suggestion, columns: Mapping[str, Sequence[str]], used: set[str]) -> None:
    """Skip rules for a status column with sold values and a publish flag that is off."""
    for column, values in columns.items():
        last = _segments(column)[-1] if _segments(column) else ""
        if column in used or "#" in column:
            continue
        distinct = _distinct(values)
        if normalise(last) in STATUS:
            gone = [v for v in distinct if v.lower() in GONE]
        elif normalise(last) in PUBLISH or normalise(last).startswith("visa"):
            gone = [v for v in distinct if v.lower() in HIDDEN]
        else:
            continue
        if gone:
            result.skip.append({"source": column, "equals": gone})


def _distinct(values: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(v.strip() for v in values if v.strip()))
