"""The status page in a real browser: headless Chromium loads it from the daemon's server.

Chromium is Debian's package (``apt-get install chromium``; ``.ci/run`` installs it),
driven by its command line, no driver and no downloaded browser. The screenshot is
kept as a test artifact: ``tests/artifacts/status-page.png`` (git-ignored), its path
printed by the test (``pytest -s`` or ``-rA`` shows it).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.integration.daemon.statuspage_mirror import CONTACT, served_status_page
from tests.pages import ads_by_dealer, tables
from tests.processes import Processes

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
SCREENSHOT = ARTIFACTS / "status-page.png"
BROWSER_TIMEOUT = 120.0  # a cold start on a loaded 2-core machine can take tens of seconds
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

pytestmark = pytest.mark.skipif(
    not os.access(CHROMIUM, os.X_OK),
    reason=f"{CHROMIUM} is missing: apt-get install chromium (.ci/run installs it)",
)


def chromium(processes: Processes, profile: Path, *args: str) -> str:
    """Run headless Chromium with a throwaway profile and no network of its own; its stdout."""
    result = processes.run(
        [
            str(CHROMIUM),
            "--headless",
            "--no-sandbox",  # root in CI: the setuid sandbox refuses to start
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            f"--user-data-dir={profile}",
            "--window-size=1280,1500",
            *args,
        ],
        timeout=BROWSER_TIMEOUT,
        env={**os.environ, "HOME": str(profile)},
    )
    assert result.returncode == 0, result.stderr.decode(errors="replace")[-2000:]
    return str(result.stdout.decode())


def test_chromium_shows_the_mirrors_numbers_and_a_screenshot_is_kept(
    tmp_path: Path, processes: Processes
) -> None:
    """The DOM Chromium builds shows the counts the mirror holds; the page is screenshot."""
    profile = tmp_path / "chromium-profile"
    ARTIFACTS.mkdir(exist_ok=True)
    SCREENSHOT.unlink(missing_ok=True)
    (tmp_path / "syncd").mkdir()
    with served_status_page(tmp_path / "syncd") as served:
        dom = chromium(processes, profile, "--dump-dom", served.url)
        chromium(processes, profile, f"--screenshot={SCREENSHOT}", served.url)
    ads = ads_by_dealer(dom)
    assert (ads["D1"]["live"], ads["D1"]["rejected"], ads["D1"]["total"]) == ("5", "1", "6")
    assert (ads["D2"]["failed"], ads["D2"]["deleted"]) == ("1", "1")
    assert ads["all dealers"]["total"] == "10"
    found = tables(dom)
    assert {row[1] for row in found["failing"][1:]} == {"sofa-5", "car-2"}
    assert found["withheld"][1][:3] == ["D1", "3", "sofa-2, sofa-3, sofa-4"]
    assert [row[4] for row in found["runs"][1:]] == ["running", "failed", "guarded", "success"]
    assert "4 runs and 14 API requests" in dom
    assert "<script" not in dom  # the hostile message stayed text, it was never run
    for value in CONTACT:
        assert value not in dom
    shot = SCREENSHOT.read_bytes()
    assert shot.startswith(PNG_MAGIC)
    assert len(shot) > 20_000  # a page of tables and bars, not a blank frame
    print(f"status page screenshot: {SCREENSHOT}")
