"""An API answer that is not the API's JSON (a proxy's page) ends `run-once` with exit 7."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

TOKEN = "eyJhbGciOiJIUzI1NiJ9.garbled-test-token.signature"
PAGE = "<html><body><h1>Welcome to the hotel Wi-Fi</h1>\u202e spoofed\n</body></html>"


class _Portal(BaseHTTPRequestHandler):
    """Answers every request 200 with an HTML page, as a captive portal or proxy does."""

    def _page(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        body = PAGE.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PATCH = do_DELETE = _page

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the test reads syncd's output, not the portal's."""


@pytest.fixture
def portal() -> Iterator[str]:
    """A local HTTP server on 127.0.0.1 that answers HTML to everything."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Portal)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/pro-import-api"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_an_html_page_instead_of_json_is_a_temporary_failure(tmp_path: Path, portal: str) -> None:
    """Exit 7 (retry later), the status and the page's first bytes escaped, no token."""
    feed = tmp_path / "feed.json"
    feed.write_text(
        json.dumps(
            [
                {
                    "source_id": "a",
                    "category_id": 2048,
                    "title": "Bord",
                    "body": "Ek.",
                    "price": [{"type": "list", "amount": 100}],
                    "contact": {"name": "B", "phone": "0701234567", "email": "b@example.com"},
                }
            ]
        ),
        encoding="utf-8",
    )
    (tmp_path / "syncd.toml").write_text(
        f'[database]\nurl = "sqlite:///mirror.db"\n[api]\nbase_url = "{portal}"\n'
        'retry_attempts = 1\n[[feeds]]\nsettle_seconds = 0\npath = "feed.json"\n',
        encoding="utf-8",
    )
    result = subprocess.run(
        [sys.executable, "-m", "syncd", "--config", "syncd.toml", "run-once", "--json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "SYNCD_CONFIG": "", "SYNCD_API_TOKEN": TOKEN},
    )
    assert result.returncode == 7, (result.stdout, result.stderr[-2000:])
    assert "text/html" in result.stderr
    assert "Welcome to the hotel" in result.stderr
    assert "\u202e" not in result.stderr
    assert TOKEN not in result.stdout + result.stderr
