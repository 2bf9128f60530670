"""Every place a user meets an image or document, end to end through the fixture web.

``audit`` (its media sample, folded into the verdicts), ``filter --media``, ``check`` on a
media URL and ``crawlcheck media URL`` run as real subprocesses of the CLI through
``http_proxy``; the Scrapy add-on runs a third-party-style crawl (tests/scrapy_addon_crawl.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from media_web import (
    BLOCKED_CDN,
    GALLERY,
    HOST,
    MediaFiles,
    gallery_sites,
    media_sites,
)
from webfixture import FixtureWeb

from crawlcheck.crawl.media_reads import FIRST_READ
from crawlcheck.report import load_schema

HERE = Path(__file__).parent


@pytest.fixture(scope="module")
def files(media_files: MediaFiles) -> MediaFiles:
    return media_files


@pytest.fixture(scope="module")
def web(files: MediaFiles, shared_data: Path) -> Iterator[FixtureWeb]:
    with FixtureWeb([*media_sites(files, shared_data), *gallery_sites(files)]) as served:
        yield served


def cli(
    web: FixtureWeb, *args: str, stdin: str | None = None, cache: Path | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "http_proxy": web.proxy_url, "no_proxy": ""}
    if cache is not None:
        env["CRAWLCHECK_CACHE"] = str(cache)
    return subprocess.run(
        [sys.executable, "-m", "crawlcheck", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=180,
        check=False,
    )


# -- audit ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def gallery(web: FixtureWeb) -> dict[str, Any]:
    web.clear_log()
    result = cli(web, "audit", f"http://{GALLERY}", "--format", "json", "--timeout", "5")
    assert result.returncode == 0, result.stderr
    report: dict[str, Any] = json.loads(result.stdout)
    jsonschema.validate(report, load_schema())
    return dict(report["sites"][0])


def test_the_audit_samples_images_and_documents_from_its_pages(gallery: dict[str, Any]) -> None:
    sampled = {m["url"]: m for m in gallery["media_sampled"]}
    assert list(sampled) == [
        f"http://{GALLERY}/hero.jpg",  # the home page's og:image first
        f"http://{BLOCKED_CDN}/x.jpg",  # then /about's first image: one per page in turn
        f"http://{HOST}/photo.jpg",
        f"http://{GALLERY}/missing.jpg",
        f"http://{GALLERY}/docs/report.pdf",  # a linked document is always in the sample
    ]
    photo = sampled[f"http://{HOST}/photo.jpg"]
    assert photo["found_on"] == f"http://{GALLERY}/"
    assert photo["how"] == "img"
    assert photo["media_type"] == "image/jpeg"
    assert photo["states"]["ai-train"] == "reserved"
    assert photo["requests"] == 1
    assert photo["bytes_fetched"] == FIRST_READ < photo["size"] / 100
    pdf = sampled[f"http://{GALLERY}/docs/report.pdf"]
    assert pdf["how"] == "link"
    assert pdf["states"]["tdm"] == "reserved"
    assert pdf["bytes_fetched"] < pdf["size"] / 5
    blocked = sampled[f"http://{BLOCKED_CDN}/x.jpg"]
    assert "robots.txt of its host" in blocked["skipped"]
    assert blocked["requests"] == 0
    missing = sampled[f"http://{GALLERY}/missing.jpg"]
    assert missing["status"] == 404
    assert missing["problems"] == ["media.http-error"]


def test_media_hosts_robots_txt_is_fetched_and_obeyed(
    web: FixtureWeb, gallery: dict[str, Any]
) -> None:
    asked = [(r.host, r.path) for r in web.requests]
    assert (BLOCKED_CDN, "/robots.txt") in asked
    assert (BLOCKED_CDN, "/x.jpg") not in asked
    assert asked.index((HOST, "/robots.txt")) < asked.index((HOST, "/photo.jpg"))


def test_sampled_reservations_make_a_verdict_partial_with_the_sample_named(
    gallery: dict[str, Any],
) -> None:
    assert gallery["verdicts"]["ai-train"] == "partial"
    assert gallery["verdicts"]["tdm"] == "partial"
    [reason] = gallery["verdict_reasons"]["ai-train"]
    assert reason.startswith(
        "2 of 3 sampled images and documents (application/pdf, image/jpeg) reserve ai-train "
        "(IPTC Data Mining, TDMRep XMP)"
    )
    assert reason.endswith("; 1 more could not be read, 1 not fetched (robots.txt of its host…)")


def test_unreadable_samples_are_problems_not_a_site_unknown(gallery: dict[str, Any]) -> None:
    assert gallery["verdicts"]["search"] == "not-reserved"
    assert any(
        "sampled image(s)/document(s) read" in r for r in gallery["verdict_reasons"]["search"]
    )
    problems = {(p["code"], p["source"]): p for p in gallery["problems"]}
    assert problems[("media.unreadable", f"http://{GALLERY}/missing.jpg")]["level"] == "warning"
    assert problems[("media.not-sampled", f"http://{BLOCKED_CDN}/x.jpg")]["level"] == "info"
    findings = [f for f in gallery["findings"] if f["signal"] == "iptc-data-mining"]
    assert findings[0]["source"] == f"http://{HOST}/photo.jpg"
    kinds = [f["kind"] for f in gallery["fetches"]]
    assert kinds.count("media") == 4  # the skipped one was never fetched


# -- filter --media, check, media URL ---------------------------------------------------------


def test_filter_media_decides_each_image_url_and_fails_closed(
    web: FixtureWeb, tmp_path: Path
) -> None:
    paths = [
        "/photo.jpg",
        "/plain.jpg",
        "/gone.jpg",
        "/cut.jpg",
        "/nocc/photo.jpg",
        "/page.html",
    ]
    urls = [f"http://{HOST}{p}" for p in paths]
    result = cli(
        web,
        "filter",
        "--media",
        "--format",
        "jsonl",
        stdin="\n".join(urls) + "\n",
        cache=tmp_path / "c.sqlite3",
    )
    assert result.returncode == 0, result.stderr
    decisions = {d["url"]: d for d in map(json.loads, result.stdout.splitlines())}
    assert {u: d["decision"] for u, d in decisions.items()} == {
        urls[0]: "reserved",
        urls[1]: "allowed",
        urls[2]: "unknown",  # 404: what it embeds is unknown
        urls[3]: "unknown",  # truncated inside its XMP
        urls[4]: "unknown",  # robots.txt keeps crawlcheck (only) out: never read
        urls[5]: "allowed",  # not an image: only the site's files speak
    }
    assert decisions[urls[0]]["reasons"][0]["signal"] == "iptc-data-mining"


def test_check_on_a_media_url_reads_what_it_embeds(web: FixtureWeb, tmp_path: Path) -> None:
    url = f"http://{HOST}/photo.jpg"
    web.clear_log()
    result = cli(web, "check", url, "--format", "json", cache=tmp_path / "c.sqlite3")
    assert result.returncode == 0, result.stderr
    decision = json.loads(result.stdout)
    assert decision["decision"] == "reserved"
    assert [r["signal"] for r in decision["reasons"]] == ["iptc-data-mining"]
    # Fetched as a page (no Range); its Content-Type made it a media read.
    assert {r.header("Range") for r in web.requests if r.path == "/photo.jpg"} == {None}


def test_media_command_reads_urls_next_to_paths(
    web: FixtureWeb, files: MediaFiles, tmp_path: Path
) -> None:
    url = f"http://{HOST}/late.png"
    gone = f"http://{HOST}/gone.jpg"
    photo = str(files["photo.jpg"])
    result = cli(web, "media", url, photo, gone, "--format", "json", "--fail-on", "unknown")
    assert result.returncode == 1  # the gate: gone.jpg is unknown
    assert result.stderr == f"crawlcheck: media: {gone}: unknown (tdm is unknown)\n"
    first, second, third = json.loads(result.stdout)["files"]
    assert first["url"] == url
    assert "path" not in first
    assert first["states"]["ai-train"] == "reserved"
    assert first["bytes_read"] < first["size"] / 20
    assert second["path"] == photo
    assert third["url"] == gone
    assert third["problems"][0]["code"] == "media.http-error"


# -- the Scrapy add-on ------------------------------------------------------------------------


def test_the_addon_drops_media_whose_metadata_reserves_them(web: FixtureWeb) -> None:
    urls = [f"http://{HOST}{p}" for p in ("/photo.jpg", "/plain.jpg", "/cut.jpg", "/iptc.jpg")]
    config = {"urls": urls, "proxy": web.proxy_url, "settings": {}}
    env = {k: v for k, v in os.environ.items() if k.lower() not in ("http_proxy", "no_proxy")}
    run = subprocess.run(
        [sys.executable, str(HERE / "scrapy_addon_crawl.py"), json.dumps(config)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    seen = json.loads(run.stdout)
    assert [item["url"] for item in seen["items"]] == [urls[1]]
    assert seen["items"][0]["decision"] == "allowed"  # the decision is in response.meta
    assert sorted(seen["dropped"]) == sorted([urls[0], urls[2], urls[3]])
    stats = seen["stats"]
    assert stats["crawlcheck/media/read"] == 4
    assert stats["crawlcheck/media/reserved"] == 2
    assert stats["crawlcheck/media/unknown"] == 1
    assert stats["crawlcheck/media/allowed"] == 1
    assert stats["crawlcheck/media/dropped"] == 3
    responses = [e for e in seen["events"] if e["stage"] == "response"]
    assert {e["url"]: e["decision"] for e in responses}[urls[0]] == "reserved"
