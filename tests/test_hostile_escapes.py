"""Terminal escapes from a hostile site never reach the user's terminal or files raw.

A robots.txt whose ``User-agent:`` line carries ESC/OSC sequences and C1 controls, and a page
whose headers do, are read by ``robots``, ``check`` (text and JSON) and ``audit`` (csv, md):
no C0 control but tab and newline, and no C1 control, may appear in what they write.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from webfixture import FixtureWeb, parse_site

#: OSC "set window title", a CSI colour, BEL, and the C1 CSI (U+009B) in UTF-8.
ESCAPES = "\x1b]0;owned\x07\x1b[31m\x9b2J"
HOST = "escapes.hostile.test"
ROBOTS = f"User-agent: Evil{ESCAPES}Bot\nDisallow: /\n\nUser-agent: GPTBot{ESCAPES}\nDisallow: /\n"
#: What must never be written: C0 controls but tab, newline and carriage return; DEL; C1.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\x80-\x9f]")


@pytest.fixture(scope="module")
def web() -> Iterator[FixtureWeb]:
    site = parse_site(
        {
            "host": HOST,
            "resources": {
                "/robots.txt": {"body": ROBOTS},
                "*": {
                    "body": f"<html><head><title>T{ESCAPES}</title></head></html>",
                    "headers": {"X-Robots-Tag": f"noai{ESCAPES}", "Content-Usage": ESCAPES},
                },
            },
        }
    )
    with FixtureWeb([site]) as served:
        yield served


def run(web: FixtureWeb, home: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k.lower() not in ("http_proxy", "https_proxy", "no_proxy", "all_proxy")
    }
    env["http_proxy"] = web.proxy_url
    env["XDG_CACHE_HOME"] = str(home)
    return subprocess.run(
        [sys.executable, "-m", "crawlcheck", *args],
        capture_output=True,
        env=env,
        timeout=120,
        check=False,
    )


def assert_no_controls(result: subprocess.CompletedProcess[bytes]) -> None:
    for name, data in (("stdout", result.stdout), ("stderr", result.stderr)):
        text = data.decode("utf-8", "replace")
        found = CONTROL.search(text)
        assert found is None, f"{name} has {found.group(0)!r}: {text[:2000]!r}"
    assert b"Traceback" not in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["robots", "{file}"],
        ["robots", "{file}", "--agent", "GPTBot", "http://escapes.hostile.test/x"],
        ["check", "http://escapes.hostile.test/x", "--no-cache", "--timeout", "15"],
        ["check", "http://escapes.hostile.test/x", "--no-cache", "--format", "json"],
        ["audit", "http://escapes.hostile.test", "--format", "csv", "--timeout", "15"],
        ["audit", "http://escapes.hostile.test", "--format", "md", "--timeout", "15"],
    ],
    ids=["robots-table", "robots-urls", "check-text", "check-json", "audit-csv", "audit-md"],
)
def test_no_control_character_is_written(web: FixtureWeb, tmp_path: Path, args: list[str]) -> None:
    robots = tmp_path / "robots.txt"
    robots.write_text(ROBOTS, encoding="utf-8")
    result = run(web, tmp_path, *(a.format(file=robots) for a in args))
    assert result.returncode in (0, 1), result.stderr
    assert_no_controls(result)
