"""``audit --from-warc`` and ``snapshot build --from-warc`` on published sample archives.

The shared data holds archives written by other tools (``media/warc``: wget via IIPC's
webarchive-commons, Common Crawl's whirlwind sample with its WAT, warcio's examples; sources
and licences in the shared data's manifest). Nothing is decided ``not-reserved`` without a
robots.txt capture, and every finding names its record.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cliproc import run_cli

SAMPLES = (
    "iipc_webarchive-commons__IAH-urls-wget.warc.gz",
    "commoncrawl_whirlwind-python__whirlwind.warc.gz",
    "webrecorder_warcio__example.warc.gz",
    "webrecorder_warcio__example-iana.org-chunked.warc",
)


@pytest.mark.parametrize("name", SAMPLES)
def test_sample_archives_audit_fail_closed_with_records(shared_data: Path, name: str) -> None:
    archive = shared_data / "media" / "warc" / name
    result = run_cli(["audit", "--format", "json", "--from-warc", str(archive)])
    assert result.returncode == 0, result.stderr
    sites = json.loads(result.stdout)["sites"]
    assert sites
    for site in sites:
        robots = next(f for f in site["fetches"] if f["kind"] == "robots.txt")
        if robots["error"] is not None or robots["status"] is None:
            # No readable robots.txt capture: never a permission.
            assert "not-reserved" not in site["verdicts"].values(), site["origin"]
        for finding in site["findings"]:
            assert "[archive " in finding["evidence"], finding


def test_the_wget_sample_follows_its_stored_robots_redirect(shared_data: Path) -> None:
    archive = shared_data / "media" / "warc" / SAMPLES[0]
    result = run_cli(
        ["audit", "http://www.archive.org", "--format", "json", "--from-warc", str(archive)]
    )
    assert result.returncode == 0, result.stderr
    (site,) = json.loads(result.stdout)["sites"]
    robots = next(f for f in site["fetches"] if f["kind"] == "robots.txt")
    assert robots["final_url"] == "http://archive.org/robots.txt"
    assert robots["redirects"]
    assert site["agents"]["GPTBot"]["robots"] == "restricted"


def test_every_sample_builds_one_snapshot(shared_data: Path, tmp_path: Path) -> None:
    archives = [str(shared_data / "media" / "warc" / name) for name in SAMPLES]
    out = tmp_path / "snap"
    result = run_cli(["snapshot", "build", "-o", str(out), "--from-warc", *archives])
    assert result.returncode == 0, result.stderr
    manifest = json.loads((out / "snapshot.json").read_text())
    assert manifest["origins"] >= 1
    assert manifest["fetched_from"].startswith("2013-10-21")
