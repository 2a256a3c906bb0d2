"""Core: a starting mapping written as TOML, with what was guessed in its comments.

Pure: no I/O here. :func:`starter_toml` writes a ``[[feeds]]`` table (path,
format and the reading options found), the columns with example values, and
the :class:`~syncd.core.map.guess.Suggestion` as ``[feeds.mapping]``: a text a
person reviews and pastes into ``syncd.toml``. It always loads as a valid
config feed; ``guessed`` and ``TODO`` comments mark what to check.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from syncd.core.map.guess import Suggestion

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_EXAMPLES = 3
_EXAMPLE_CHARS = 40


def key(name: str) -> str:
    """A TOML key: bare when it can be, else quoted."""
    return name if _BARE_KEY.fullmatch(name) else value(name)


def value(v: Any) -> str:
    """A TOML value (strings, numbers, booleans, lists and inline tables)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, list | tuple):
        return "[" + ", ".join(value(x) for x in v) + "]"
    if isinstance(v, Mapping):
        return "{ " + ", ".join(f"{key(k)} = {value(x)}" for k, x in v.items()) + " }"
    raise TypeError(f"no TOML for {type(v).__name__}")


def _line(text: str, note: str) -> str:
    return f"{text}  # {note}" if note else text


def _examples(values: Sequence[str]) -> str:
    seen = list(dict.fromkeys(v.strip() for v in values if v.strip()))[:_EXAMPLES]
    shown = [v if len(v) <= _EXAMPLE_CHARS else v[: _EXAMPLE_CHARS - 1] + "…" for v in seen]
    return " | ".join(" ".join(s.split()) for s in shown) or "(empty)"


def starter_toml(
    path: str,
    options: Mapping[str, Any],
    notes: Mapping[str, str],
    columns: Mapping[str, Sequence[str]],
    suggestion: Suggestion,
    *,
    records: int,
    source_key: str = "path",
) -> str:
    """The whole starting mapping; ``options``: format and reading options (``notes``
    say how each was found). ``source_key``: ``path`` (a file) or ``url`` (a URL feed,
    ``path`` its URL as it may be shown); ``notes`` may hold a note on it too."""
    fmt = options.get("format", "")
    out = [
        f"# A starting mapping for {path} ({fmt}, {records} records read), by `syncd map init`.",
        '# Review every line: "guessed" marks a guess, "TODO" what only you know.',
        "#",
        "# Sources found, with example values:",
    ]
    width = min(max((len(c) for c in columns), default=0), 30)
    out += [f"#   {c.ljust(width)}  {_examples(v)}" for c, v in columns.items()]
    out += ["", "[[feeds]]", _line(f"{source_key} = {value(path)}", notes.get(source_key, ""))]
    out += [_line(f"{key(k)} = {value(v)}", notes.get(k, "")) for k, v in options.items()]
    if suggestion.group:
        out.append("dealer_codes = []  # TODO: every dealer_code of this file (a dealer group)")
    else:
        out.append('dealer_code = ""  # TODO: the dealer (empty with a one-dealer token)')
    out += ["", "[feeds.mapping]"]
    if suggestion.skip:
        out.append(
            _line(f"skip = {value(suggestion.skip)}", "guessed: sold or hidden items left out")
        )
    for name, table in suggestion.maps.items():
        out += ["", f"[feeds.mapping.maps.{key(name)}]"]
        map_notes = suggestion.map_notes.get(name, {})
        out += [_line(f"{key(k)} = {value(v)}", map_notes.get(k, "")) for k, v in table.items()]
    out += ["", "[feeds.mapping.fields]"]
    out += [_line(f"{key(g.target)} = {value(g.rule)}", g.note) for g in suggestion.rules]
    if suggestion.unused:
        out += ["", "# Not mapped (add what the ads need): " + ", ".join(suggestion.unused)]
    return "\n".join(out) + "\n"
