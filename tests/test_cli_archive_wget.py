"""Archives written by a real crawler: GNU Wget's ``--warc-file`` against the fixture web.

Wget (Debian's, installed by CI) fetches a site's files and home page through the fixture
web's proxy and writes its own WARC (request, response, metadata and a log resource);
``audit --from-warc`` of that file must agree with a network audit of the same site, and
``snapshot build --from-warc`` must hold its capture.
"""

from __future__ import annotations

import datetime
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from cliproc import run_cli
from webfixture import FixtureWeb, load_sites

FIXTURES = Path(__file__).parent / "fixtureweb"
SITES = {
    "http://www.daily-chronicle.example": "daily-chronicle",
    "http://archive.northwind-library.example": "northwind-library",
}
PATHS = ("/robots.txt", "/ai.txt", "/.well-known/tdmrep.json", "/llms.txt", "/")

pytestmark = pytest.mark.skipif(shutil.which("wget") is None, reason="GNU Wget not installed")


@pytest.fixture(scope="module")
def web() -> Iterator[FixtureWeb]:
    sites = [s for name in SITES.values() for s in load_sites(FIXTURES / f"{name}.yaml")]
    with FixtureWeb(sites) as served:
        yield served


@pytest.fixture(scope="module")
def wget_archive(web: FixtureWeb, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("wget")
    urls = [origin + path for origin in SITES for path in PATHS]
    env = dict(os.environ, http_proxy=web.proxy_url, no_proxy="")
    done = subprocess.run(
        [
            "wget",
            "-q",
            "-e",
            "robots=off",
            "--tries=1",
            "--timeout=5",
            f"--warc-file={folder / 'crawl'}",
            "-O",
            os.devnull,
            *urls,
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    # Exit 8: some answers were HTTP errors (the 404s of absent files), as expected.
    assert done.returncode in (0, 8), done.stderr
    archive = folder / "crawl.warc.gz"
    assert archive.stat().st_size > 0
    return archive


def test_wget_archive_audits_as_the_network_does(web: FixtureWeb, wget_archive: Path) -> None:
    live = run_cli(
        [
            "audit",
            *SITES,
            "--pages",
            "0",
            "--media-sample",
            "0",
            "--timeout",
            "5",
            "--format",
            "json",
        ],
        web.proxy_url,
    )
    assert live.returncode == 0, live.stderr
    archived = run_cli(["audit", *SITES, "--format", "json", "--from-warc", str(wget_archive)])
    assert archived.returncode == 0, archived.stderr
    before = {s["origin"]: s for s in json.loads(live.stdout)["sites"]}
    after = {s["origin"]: s for s in json.loads(archived.stdout)["sites"]}
    assert sorted(after) == sorted(before)
    for origin, site in before.items():
        again = after[origin]
        verdicts = dict(site["verdicts"])
        if origin == "http://archive.northwind-library.example":
            # robots.txt keeps crawlcheck itself off every page, so the network audit cannot
            # read the home page and tdm is unknown; wget ignored robots.txt and the archive
            # holds the home page, so the archive audit reads its (absent) TDM signals.
            assert verdicts["tdm"] == "unknown"
            verdicts["tdm"] = "not-reserved"
        assert again["verdicts"] == verdicts, origin
        assert {a: v["robots"] for a, v in again["agents"].items()} == {
            a: v["robots"] for a, v in site["agents"].items()
        }
        assert len(again["findings"]) == len(site["findings"])
        for finding in again["findings"]:
            assert "[archive record <urn:uuid:" in finding["evidence"]


def test_wget_archive_builds_a_snapshot(wget_archive: Path, tmp_path: Path) -> None:
    out = tmp_path / "snap"
    result = run_cli(["snapshot", "build", "-o", str(out), "--from-warc", str(wget_archive)])
    assert result.returncode == 0, result.stderr
    assert "2 origin(s)" in result.stderr
    decided = run_cli(
        [
            "check",
            "http://archive.northwind-library.example/x",
            "--snapshot",
            str(out),
            "--at",
            datetime.datetime.now(datetime.UTC).isoformat(),
            "--format",
            "json",
        ]
    )
    assert decided.returncode == 0, decided.stderr
    assert json.loads(decided.stdout)["decision"] == "reserved"
