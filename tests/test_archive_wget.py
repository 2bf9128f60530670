"""Archives written by GNU wget (--warc-file) of a loopback site whose robots.txt changes."""

from __future__ import annotations

import datetime
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from loopback_site import LoopbackSite, Route

from crawlcheck.archive.index import CaptureIndex
from crawlcheck.evaluate import evaluate_site
from crawlcheck.ruleset import load_ruleset

BEFORE = b"User-agent: *\nAllow: /\n"
AFTER = b"User-agent: GPTBot\nDisallow: /\n\nUser-agent: *\nAllow: /\n"
HOME = b'<!doctype html><html><head><title>w</title></head><body><a href="/a">a</a></body></html>'

pytestmark = pytest.mark.skipif(shutil.which("wget") is None, reason="needs GNU wget (Debian)")


def wget(origin: str, warc: Path, workdir: Path) -> None:
    """Crawl *origin* one level deep with wget, recording a WARC (robots.txt comes first)."""
    subprocess.run(
        [
            "wget",
            "--quiet",
            "--no-proxy",
            "--recursive",
            "--level=1",
            "--tries=1",
            "--timeout=10",
            f"--directory-prefix={workdir}",
            f"--warc-file={warc.with_suffix('').with_suffix('')}",
            "--no-warc-keep-log",
            f"{origin}/",
        ],
        check=True,
        timeout=60,
    )


def test_two_wget_captures_give_each_time_its_own_robots_txt(tmp_path: Path) -> None:
    routes = {
        "/robots.txt": Route(body=BEFORE),
        "/": Route(headers={"Content-Type": "text/html"}, body=HOME),
        "/a": Route(headers={"Content-Type": "text/html"}, body=HOME),
    }
    first, second = tmp_path / "one.warc.gz", tmp_path / "two.warc.gz"
    with LoopbackSite(routes).running() as site:
        wget(site.origin, first, tmp_path / "w1")
        routes["/robots.txt"] = Route(body=AFTER)
        # WARC-Date has one-second resolution: start the second capture in a later second
        # so the two are ordered by time, not only by archive order.
        time.sleep(1.1)
        wget(site.origin, second, tmp_path / "w2")
        origin = site.origin
    index = CaptureIndex.build([str(first), str(second)])
    assert index.problems == []
    one, two = index.history(f"{origin}/robots.txt")
    assert (one.fetched.body, two.fetched.body) == (BEFORE, AFTER)
    assert one.at < two.at
    ruleset = load_ruleset([])

    def gptbot(at: datetime.datetime) -> str:
        report = evaluate_site(index.site_at(origin, at).fetches, ruleset)
        return {a.token: a.robots for a in report.agents}["GPTBot"]

    assert gptbot(one.at) == "allowed"
    assert gptbot(two.at) == "disallowed"
    assert gptbot(one.at - (two.at - one.at)) == "unreachable"  # before any capture
    # wget stored request and response records: the response is the evidence.
    decided = dict(index.site_at(origin, two.at).decided_by)
    (record,) = decided[f"{origin}/robots.txt"]
    assert record.file == str(second)
    assert record.record_id.startswith("<urn:uuid:")
