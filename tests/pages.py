"""Reads the status page's HTML back into tables of cell texts, for the page's tests."""

from __future__ import annotations

from html.parser import HTMLParser


class Tables(HTMLParser):
    """Every ``<table>`` of a page by its class: rows of cell texts (header row first)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: dict[str, list[list[str]]] = {}
        self._table: list[list[str]] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self._table = self.tables.setdefault(dict(attrs).get("class") or "", [])
        elif tag == "tr" and self._table is not None:
            self._table.append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._table is not None:
            self._table[-1].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def tables(html: str) -> dict[str, list[list[str]]]:
    """The page's tables by class."""
    parser = Tables()
    parser.feed(html)
    parser.close()
    return parser.tables


def ads_by_dealer(html: str) -> dict[str, dict[str, str]]:
    """The 'ads by state' table as {dealer: {column: cell}}."""
    head, *rows = tables(html)["ads"]
    return {row[0]: dict(zip(head[1:], row[1:], strict=True)) for row in rows}
