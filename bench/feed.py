"""Benchmark: parsing a 100 000-ad feed file, JSON and JSON Lines.

Times ``syncd.feeds.native.parse_json`` / ``parse_jsonl`` (UTF-8 check, parse,
and the strict-JSON check for duplicated keys) on the bytes of a file of
``bench/plan.py``'s realistic ads, the file already in memory, against the
parsing without that check (``before``: what the reader did until issue 10),
rounds interleaved so that a busy machine slows both alike. Prints the best of
five, CPU time, for a clean feed (the common case) and for one where a single
item has a duplicated key (the slow path that locates it).

Run: .venv/bin/python bench/feed.py
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).parent))
from plan import ad

from syncd.core.models import Origin, RawRecord
from syncd.feeds import native

N = 100_000
ROUNDS = 5
PATH = Path("bench.json")


def feeds() -> dict[str, bytes]:
    """The four inputs: JSON and JSONL, clean and with one duplicated key."""
    ads = [ad(i, changed=False) for i in range(N)]
    lines = [orjson.dumps(a) for a in ads]
    clean_json = b"[" + b",".join(lines) + b"]"
    clean_jsonl = b"\n".join(lines) + b"\n"
    dup = lines[N // 2].replace(b'"body":', b'"body":"x","body":', 1)
    lines[N // 2] = dup
    return {
        "json": clean_json,
        "jsonl": clean_jsonl,
        "json, 1 duplicate": b"[" + b",".join(lines) + b"]",
        "jsonl, 1 duplicate": b"\n".join(lines) + b"\n",
    }


Parse = Callable[[Path, bytes], tuple[RawRecord, ...]]


def before_json(path: Path, data: bytes) -> tuple[RawRecord, ...]:
    """The JSON parse without the duplicate check (UTF-8 check, orjson, records)."""
    data.decode("utf-8")
    doc = orjson.loads(data)
    items = doc["ads"] if isinstance(doc, dict) else doc
    where = str(path)
    return tuple(RawRecord(Origin(where, index=i), item) for i, item in enumerate(items))


def before_jsonl(path: Path, data: bytes) -> tuple[RawRecord, ...]:
    """The JSON Lines parse without the duplicate check."""
    data.decode("utf-8")
    where = str(path)
    return tuple(
        RawRecord(Origin(where, line=n), orjson.loads(line))
        for n, line in enumerate(data.split(b"\n"), start=1)
        if line.strip()
    )


def best(parses: tuple[Parse, Parse], data: bytes) -> tuple[float, float]:
    """(before, after): the best CPU seconds of ROUNDS interleaved parses of each."""
    cpu = [float("inf"), float("inf")]
    for _ in range(ROUNDS):
        for k, parse in enumerate(parses):
            start = time.process_time()
            records = parse(PATH, data)
            cpu[k] = min(cpu[k], time.process_time() - start)
            assert len(records) == N
    return cpu[0], cpu[1]


def main() -> None:
    """Print the figures for each input."""
    print(
        f"{'feed (' + str(N) + ' ads)':>24} {'MB':>6} {'before s':>9} {'after s':>8} {'ratio':>6}"
    )
    for name, data in feeds().items():
        jsonl = name.startswith("jsonl")
        parses = (before_jsonl, native.parse_jsonl) if jsonl else (before_json, native.parse_json)
        old, new = best(parses, data)
        print(f"{name:>24} {len(data) / 1e6:>6.1f} {old:>9.3f} {new:>8.3f} {new / old:>6.2f}")


if __name__ == "__main__":
    main()
