"""Tests for ``crawlcheck check``: in process through cli.main, and once as a real process."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from webfixture import FixtureWeb, load_sites

from crawlcheck.cli import main

SITES = Path(__file__).parent / "data" / "urlcheck" / "sites.yaml"


@pytest.fixture(scope="module")
def web() -> Iterator[FixtureWeb]:
    with FixtureWeb(load_sites(SITES)) as server:
        yield server


@pytest.fixture(autouse=True)
def private_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Keep every run's cache out of the user's home."""
    monkeypatch.setenv("CRAWLCHECK_CACHE", str(tmp_path / "cache.sqlite3"))


@pytest.fixture
def proxied(web: FixtureWeb, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Route the crawl through the fixture web; keep the cache in tmp_path."""
    for name in ("no_proxy", "NO_PROXY", "https_proxy", "HTTPS_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("http_proxy", web.proxy_url)
    return tmp_path / "cache.sqlite3"


def test_text_lists_site_reasons_then_the_page(
    proxied: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", "http://open.example/noai-header"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[:2] == [
        "http://open.example/noai-header",
        "decision: reserved  (purpose ai-train, any catalogued agent)",
    ]
    site, page = out.split("the page itself:")
    assert "site-level files (fetched now):\n  (nothing applies)" in site
    assert "x-robots-tag" in page
    assert "header X-Robots-Tag: noai" in page
    assert "from http://open.example/noai-header" in page
    assert proxied.exists()  # CRAWLCHECK_CACHE is honoured


def test_json_with_agent_and_site_level_reason(
    proxied: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["check", "http://gptbot.example/x", "--agent", "GPTBot", "--format", "json"])
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert data["decision"] == "reserved"
    assert data["agent"] == "GPTBot"
    reason = data["reasons"][0]
    assert reason["signal"] == "robots.txt"
    assert reason["effect"] == "reserve"
    assert reason["source"] == "http://gptbot.example/robots.txt"
    assert reason["evidence"].startswith("line 2: Disallow: /")
    # ClaudeBot has no group of its own; the page is a 404, so its signals are unknown.
    assert (
        main(["check", "http://gptbot.example/x", "--agent", "ClaudeBot", "--format", "json"]) == 0
    )
    other = json.loads(capsys.readouterr().out)
    assert other["decision"] == "unknown"
    assert other["problems"][0]["code"] == "page.http-error"


def test_unreachable_robots_is_unknown_with_exit_0(
    proxied: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", "http://down.example/", "--no-cache"]) == 0
    out = capsys.readouterr().out
    assert "decision: unknown" in out
    assert "robots.unreachable" in out
    assert not proxied.exists()  # --no-cache keeps nothing


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["check", "not a url"], "URL 'not a url': contains whitespace"),
        (["check", "ftp://example.com/"], "scheme 'ftp'"),
        (["check", "https://example.com/", "--purpose", "training"], "invalid choice"),
        (["check", "https://example.com/", "--timeout", "0"], "--timeout"),
        (["check", "https://example.com/", "--cache", "x", "--no-cache"], "not allowed with"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1


def test_another_programs_database_as_cache_is_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    theirs = tmp_path / "theirs.db"
    with sqlite3.connect(theirs) as db:
        db.execute("CREATE TABLE customers (name TEXT)")
    before = theirs.read_bytes()
    assert main(["check", "https://example.com/", "--cache", str(theirs)]) == 2
    err = capsys.readouterr().err
    assert str(theirs) in err
    assert err.count("\n") == 1
    assert theirs.read_bytes() == before


def test_real_process_end_to_end(web: FixtureWeb, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k.lower() not in ("no_proxy", "https_proxy")}
    env["http_proxy"] = web.proxy_url
    run = subprocess.run(
        [sys.executable, "-m", "crawlcheck", "check", "http://tdm.example/books/9",
         "--cache", str(tmp_path / "c.sqlite3"), "--purpose", "tdm"],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert "decision: reserved  (purpose tdm, any catalogued agent)" in run.stdout
    assert "tdmrep.json" in run.stdout
    assert "from http://tdm.example/.well-known/tdmrep.json" in run.stdout
