"""Tests for ``crawlcheck filter``, run as a real process against the fixture web."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from webfixture import FixtureWeb, load_sites

from crawlcheck.commands.filter import parse_keep
from crawlcheck.errors import UsageError

SITES = Path(__file__).parent / "data" / "urlcheck" / "sites.yaml"

INPUT = """\
# a comment, then a blank line

http://gptbot.example/a
http://open.example/a
not a url
http://down.example/x
  http://tdm.example/books/1  \r
http://tdm.example/blog
ftp://open.example/
http://open.example/noai-header
"""


@pytest.fixture(scope="module")
def web() -> Iterator[FixtureWeb]:
    with FixtureWeb(load_sites(SITES)) as server:
        yield server


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("filter") / "cache.sqlite3"


def run_filter(
    web: FixtureWeb, cache: Path | None, *args: str, stdin: str | bytes = INPUT
) -> subprocess.CompletedProcess[bytes]:
    env = {k: v for k, v in os.environ.items() if k.lower() not in ("no_proxy", "https_proxy")}
    env["http_proxy"] = web.proxy_url
    cache_args = ["--no-cache"] if cache is None else ["--cache", str(cache)]
    return subprocess.run(
        [sys.executable, "-m", "crawlcheck", "filter", *cache_args, *args],
        input=stdin.encode() if isinstance(stdin, str) else stdin,
        capture_output=True,
        env=env,
        timeout=120,
        check=False,
    )


def test_default_keeps_allowed_in_input_order(web: FixtureWeb, cache: Path) -> None:
    run = run_filter(web, cache)
    assert run.returncode == 0, run.stderr
    assert run.stdout.decode().splitlines() == [
        "http://open.example/a",
        "http://tdm.example/blog",
        "http://open.example/noai-header",  # its own header is read only with --pages
    ]
    summary, malformed = run.stderr.decode().splitlines()
    assert summary.startswith("crawlcheck: filter: 8 URLs in ")
    assert ": 2 reserved, 3 allowed (kept), 1 unknown, 2 malformed (never kept); " in summary
    assert summary.endswith(" from the cache)")
    assert "; 4 origins (" in summary
    err = malformed
    assert "2 malformed line(s) in <stdin> skipped" in err
    assert "'not a url': contains whitespace" in err


def test_keep_several_and_cache_hit(web: FixtureWeb, cache: Path) -> None:
    run_filter(web, cache)  # make sure the cache is warm whatever ran first
    web.clear_log()
    run = run_filter(web, cache, "--keep", "reserved,unknown")
    assert run.returncode == 0, run.stderr
    assert run.stdout.decode().splitlines() == [
        "http://gptbot.example/a",
        "http://down.example/x",
        "http://tdm.example/books/1",
    ]
    # Every origin came from the cache, except down.example's (503 is kept 1 hour,
    # but it is served: nothing at all was requested).
    assert web.requests == []
    both = run_filter(web, cache, "--keep", "unknown", "--keep", "allowed")
    assert "http://down.example/x" in both.stdout.decode().splitlines()


def test_jsonl_writes_every_url_with_reasons(web: FixtureWeb, cache: Path) -> None:
    run = run_filter(web, cache, "--format", "jsonl", "--agent", "GPTBot")
    assert run.returncode == 0, run.stderr
    rows = [json.loads(line) for line in run.stdout.decode().splitlines()]
    assert [(r["url"], r["decision"]) for r in rows] == [
        ("http://gptbot.example/a", "reserved"),
        ("http://open.example/a", "allowed"),
        ("not a url", "unknown"),
        ("http://down.example/x", "unknown"),
        ("http://tdm.example/books/1", "reserved"),
        ("http://tdm.example/blog", "allowed"),
        ("ftp://open.example/", "unknown"),
        ("http://open.example/noai-header", "allowed"),
    ]
    reason = rows[0]["reasons"][0]
    assert set(reason) >= {"signal", "effect", "purposes", "evidence", "source"}
    assert (reason["signal"], reason["effect"], reason["purposes"]) == (
        "robots.txt",
        "reserve",
        ["ai-train"],
    )
    assert rows[2]["problems"][0]["code"] == "url.malformed"
    assert rows[3]["problems"][0]["code"] == "robots.unreachable"


def test_pages_read_each_url(web: FixtureWeb, tmp_path: Path) -> None:
    urls = "http://open.example/a\nhttp://open.example/noai-header\nhttp://open.example/noai-meta\n"
    run = run_filter(web, None, "--pages", "-i", "-", "--keep", "allowed", stdin=urls)
    assert run.returncode == 0, run.stderr
    assert run.stdout.decode().splitlines() == ["http://open.example/a"]


def test_input_file_and_non_utf8_line(web: FixtureWeb, cache: Path, tmp_path: Path) -> None:
    path = tmp_path / "urls.txt"
    path.write_bytes(b"http://open.example/a\nhttp://open.example/\xff\nhttp://tdm.example/blog\n")
    run = run_filter(web, cache, "-i", str(path), "--format", "jsonl", stdin="")
    assert run.returncode == 0, run.stderr
    rows = [json.loads(line) for line in run.stdout.decode().splitlines()]
    assert [r["decision"] for r in rows] == ["allowed", "unknown", "allowed"]
    assert rows[1]["url"] == "http://open.example/\\xff"
    assert "not UTF-8" in run.stderr.decode()


def test_output_to_a_closed_pipe_is_quiet(web: FixtureWeb, cache: Path, tmp_path: Path) -> None:
    urls = tmp_path / "many.txt"
    urls.write_text("".join(f"http://open.example/p{i}\n" for i in range(30_000)))
    env = {k: v for k, v in os.environ.items() if k.lower() not in ("no_proxy", "https_proxy")}
    env["http_proxy"] = web.proxy_url
    cmd = [sys.executable, "-m", "crawlcheck", "filter", "--cache", str(cache), "-i", str(urls)]
    with subprocess.Popen(
        cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
    ) as proc:
        assert proc.stdout is not None
        assert proc.stderr is not None
        first = proc.stdout.readline()
        proc.stdout.close()  # like `| head -1`
        err = proc.stderr.read()
        assert proc.wait(timeout=120) == 0
    assert first == b"http://open.example/p0\n"
    assert b"Traceback" not in err
    assert b"Broken pipe" not in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-i", "/nonexistent/urls.txt"], "-i: cannot read '/nonexistent/urls.txt'"),
        (["--keep", "maybe"], "--keep: unknown decision 'maybe'"),
        (["--concurrency", "0"], "--concurrency"),
        (["--format", "xml"], "invalid choice"),
    ],
)
def test_bad_options_exit_2(web: FixtureWeb, args: list[str], message: str) -> None:
    run = run_filter(web, None, *args, stdin="")
    assert run.returncode == 2
    err = run.stderr.decode()
    assert message in err
    assert err.count("\n") == 1


def test_parse_keep() -> None:
    assert parse_keep([]) == {"allowed"}
    assert parse_keep(["reserved, UNKNOWN", "allowed"]) == {"allowed", "reserved", "unknown"}
    with pytest.raises(UsageError):
        parse_keep(["all"])
