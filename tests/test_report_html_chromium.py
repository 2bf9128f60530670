"""The HTML report as a real browser shows it: headless Chromium reads the DOM and screenshots it.

Needs Debian's chromium at /usr/bin/chromium (``apt-get install -y chromium``); skipped,
with that reason, when it is absent. ``CRAWLCHECK_UPDATE_GOLDEN=1`` also refreshes
docs/report-screenshot.png from this run.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
from pathlib import Path

import lxml.html
import pytest
from test_report_samples import JS_URL, META, SAMPLES, SCRIPT, UPDATE_GOLDEN

from crawlcheck.model import PURPOSES
from crawlcheck.report import VERDICTS, render

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOT = Path(__file__).parent.parent / "docs" / "report-screenshot.png"

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="/usr/bin/chromium is absent; install it with: apt-get install -y chromium",
)


def _chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    profile = tmp_path / "profile"
    profile.mkdir(exist_ok=True)
    command = [
        str(CHROMIUM),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        *args,
    ]
    env = {**os.environ, "HOME": str(tmp_path)}
    return subprocess.run(command, capture_output=True, text=True, timeout=180, env=env, check=True)


@pytest.fixture(scope="module")
def report_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("html") / "report.html"
    path.write_text(render("html", SAMPLES, META), encoding="utf-8")
    return path


def test_reader_sees_summary_verdicts_and_hostile_text_as_text(
    report_file: Path, tmp_path: Path
) -> None:
    dom = _chromium(tmp_path, "--dump-dom", report_file.as_uri()).stdout
    tree = lxml.html.document_fromstring(dom)
    # The summary table, one row per site, each verdict as the reader sees it.
    rows = tree.xpath('//table[@class="summary"]/tbody/tr')
    assert len(rows) == len(SAMPLES)
    for row, report in zip(rows, SAMPLES, strict=True):
        cells = [c.text_content() for c in row.xpath('td[contains(@class, "verdict")]')]
        assert cells == [report.verdict(p) for p in PURPOSES]
    legend = tree.xpath('//div[@class="legend"]')[0].text_content()
    assert all(v in legend for v in VERDICTS)
    # Hostile site text arrived as text nodes, not as elements the browser built.
    content = tree.text_content()
    assert SCRIPT in content
    assert "<img src=x onerror=alert(1)>" in content
    assert SAMPLES[3].site in content
    assert tree.xpath("//script | //img | //iframe | //object") == []
    assert not [a for a in tree.iter("a") if "javascript" in (a.get("href") or "").lower()]
    assert JS_URL in content
    assert "لا تستخدم هذا المحتوى" in content


def test_screenshot(report_file: Path, tmp_path: Path) -> None:
    png = tmp_path / "report.png"
    _chromium(tmp_path, f"--screenshot={png}", "--window-size=1280,2000", report_file.as_uri())
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (1280, 2000)
    assert len(data) > 50_000  # a rendered page, not a blank one
    if UPDATE_GOLDEN:
        shutil.copyfile(png, SCREENSHOT)
