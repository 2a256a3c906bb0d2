"""Adapter (feeds): judging a fetched feed's body: gzip decoded within the limit, HTML told.

Pure functions over bytes, used by ``http.py`` while it streams a body.
"""

from __future__ import annotations

import re
import zlib

from syncd.errors import FeedError

_HTML_STARTS = (b"<!doctype html", b"<html", b"<head", b"<body")
_HTML_ELEMENT = re.compile(rb"<(div|p|h[1-6]|center|pre|br|hr|b|i|span|font)[\s/>]")
_HTML_TYPES = ("text/html", "application/xhtml+xml")


class Gunzip:
    """A gzip stream decoded chunk by chunk, never past the bytes still allowed."""

    def __init__(self, where: str) -> None:
        self._where = where
        self._d = zlib.decompressobj(16 + zlib.MAX_WBITS)

    def feed(self, chunk: bytes, allowed: int) -> bytes:
        """The decoded bytes of ``chunk``; more than ``allowed`` means over the limit."""
        try:
            out = self._d.decompress(chunk, max(allowed, 0) + 1)
            while self._d.unconsumed_tail and len(out) <= allowed:
                out += self._d.decompress(self._d.unconsumed_tail, allowed - len(out) + 1)
        except zlib.error as exc:
            raise FeedError(f"{self._where}: not a valid gzip body ({exc})") from exc
        if self._d.unused_data:
            raise FeedError(f"{self._where}: data after the end of the gzip body")
        return out

    def finish(self) -> None:
        """FeedError unless the gzip stream ended whole."""
        if not self._d.eof:
            raise FeedError(f"{self._where}: the gzip body was cut short; nothing was sent")


def looks_like_html(body: bytes, content_type: str = "") -> bool:
    """True when the body is an HTML page: it starts (after a BOM, blanks and an XML
    declaration) with an HTML element, or it is served as HTML and holds ``<html`` or
    ``<body`` near its start.

    Assumption: a Content-Type of text/html alone proves nothing (a PHP export script
    sends it by default with its CSV or XML), and no feed format starts with an HTML
    element, so a page whose first element is ``<div>`` or ``<h1>`` is an error page.
    """
    head = body[:2048].removeprefix(b"\xef\xbb\xbf").lstrip().lower()
    if head.startswith(b"<?xml") and b"?>" in head:
        head = head[head.index(b"?>") + 2 :].lstrip()
    if head.startswith(_HTML_STARTS) or _HTML_ELEMENT.match(head):
        return True
    served_as_html = content_type.split(";", maxsplit=1)[0].strip().lower() in _HTML_TYPES
    return served_as_html and (b"<html" in head or b"<body" in head)
