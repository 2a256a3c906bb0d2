"""Core: the vehicle values the API accepts (brands, models, body types, fuels).

Pure: no I/O here. A plain value, filled from the API's vehicle lookup
endpoints by the adapter (``marketplaces/lookups.py``) and kept in a cache file;
core validation (``validate/vehicles.py``) takes it as an argument.
An empty list means "the API gave no list": that value is not checked.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class TypeValues:
    """The valid slugs of one vehicle type (``car``, ``motorcycle``, ...)."""

    brands: tuple[str, ...] = ()
    models: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # by brand
    body_types: tuple[str, ...] = ()
    fuels: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class VehicleValues:
    """Every vehicle type's valid slugs, as fetched at ``fetched_at`` from API ``api_version``."""

    fetched_at: datetime
    api_version: int
    types: Mapping[str, TypeValues] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready document (the cache file's content)."""
        return {
            "fetched_at": self.fetched_at.isoformat(),
            "api_version": self.api_version,
            "types": {
                name: {
                    "brands": list(t.brands),
                    "models": {b: list(m) for b, m in t.models.items()},
                    "body_types": list(t.body_types),
                    "fuels": list(t.fuels),
                }
                for name, t in self.types.items()
            },
        }

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> VehicleValues:
        """The value back from :meth:`to_json`'s document; KeyError/TypeError/ValueError
        when it is not one."""
        fetched_at = datetime.fromisoformat(doc["fetched_at"])
        if fetched_at.tzinfo is None:
            raise ValueError("fetched_at has no time zone")
        types = {
            str(name): TypeValues(
                brands=_strings(t["brands"]),
                models={str(b): _strings(m) for b, m in dict(t["models"]).items()},
                body_types=_strings(t["body_types"]),
                fuels=_strings(t["fuels"]),
            )
            for name, t in dict(doc["types"]).items()
        }
        return cls(fetched_at=fetched_at, api_version=int(doc["api_version"]), types=types)


def _strings(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise TypeError("expected a list of strings")
    return tuple(value)
