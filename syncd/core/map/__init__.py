"""Core: the declarative mapping from a dealer's own export to the Pro Import API's ad.

Pure: no I/O here. ``model.py`` holds the frozen values (and the neutral
:data:`Record` every reader produces), ``spec.py`` checks a mapping written in
the config, ``apply.py`` maps one record, ``feed.py`` a whole file, and
``registry.py`` names the transforms (``text.py``, ``numbers.py``, ``dates.py``,
``lists.py``). See ``docs/mapping.md``.
"""

from __future__ import annotations

from syncd.core.map.apply import apply, skipped
from syncd.core.map.feed import for_dealer, map_records, missing_sources, raw_records
from syncd.core.map.model import MappedRecord, Mapping, Record, SpecError, TransformError
from syncd.core.map.spec import parse_mapping

__all__ = [
    "MappedRecord",
    "Mapping",
    "Record",
    "SpecError",
    "TransformError",
    "apply",
    "for_dealer",
    "map_records",
    "missing_sources",
    "parse_mapping",
    "raw_records",
    "skipped",
]
