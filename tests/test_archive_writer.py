"""crawlcheck.archive.writer: evidence WARCs that validate and read back to the same audit."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from loopback_site import LoopbackSite, Route

from crawlcheck.archive.index import CaptureIndex
from crawlcheck.archive.writer import EvidenceWriter, Exchange, exchanges_of
from crawlcheck.evaluate import evaluate_site
from crawlcheck.model import Fetched, SiteFetches, SiteReport
from crawlcheck.parsers.robots import FETCH_BYTES
from crawlcheck.ruleset import load_ruleset

HTML = {"Content-Type": "text/html; charset=utf-8"}


def page(title: str, head: str = "", links: str = "") -> bytes:
    return (
        f"<!doctype html><html><head><title>{title}</title>{head}</head>"
        f"<body><h1>{title}</h1>{links}</body></html>"
    ).encode()


def routes() -> dict[str, Route]:
    links = "".join(f'<a href="/p{i}">p{i}</a>' for i in range(1, 4)) + '<a href="/old">o</a>'
    return {
        "/robots.txt": Route(
            body=b"User-agent: *\nContent-Signal: search=yes, ai-train=no\nAllow: /\n\n"
            b"User-agent: GPTBot\nDisallow: /private/\n"
        ),
        "/ai.txt": Route(body=b"User-agent: *\nDisallow: *.jpg\n"),
        "/.well-known/tdmrep.json": Route(
            headers={"Content-Type": "application/json"},
            body=b'[{"location": "/p2", "tdm-reservation": 1}]',
        ),
        "/": Route(headers=HTML, body=page("home", '<meta name="robots" content="noai">', links)),
        "/p1": Route(headers={**HTML, "X-Robots-Tag": "noimageai"}, body=page("p1")),
        "/p2": Route(headers=HTML, body=page("p2")),
        "/p3": Route(status=500, headers=HTML, body=page("oops")),
        "/old": Route(status=301, headers={"Location": "/p1"}),
    }


@pytest.fixture(scope="module")
def crawled() -> Iterator[SiteFetches]:
    """One real crawl of the loopback site (crawlcheck's own crawl, in its child process)."""
    from crawlcheck.crawl.options import CrawlOptions
    from crawlcheck.crawl.runner import crawl_sites

    with LoopbackSite(routes()).running() as site:
        (result,) = crawl_sites([site.origin], CrawlOptions(timeout=10, retries=0))
        yield result


def without_times(report: SiteReport) -> SiteReport:
    fetches = tuple(replace(f, fetched_at="", elapsed_ms=None) for f in report.fetches)
    return replace(report, fetches=fetches, started_at="", finished_at="")


def comparable(doc: Fetched | None) -> Fetched | None:
    """Return *doc* as the archive must give it back: no record, no elapsed time."""
    return None if doc is None else replace(doc, record=None, elapsed_ms=None)


def test_a_crawled_site_reads_back_to_the_same_fetches_and_report(
    crawled: SiteFetches, tmp_path: Path
) -> None:
    assert len(crawled.pages) >= 4  # home, p1..p3, /old → /p1
    path = tmp_path / "evidence.warc.gz"
    with EvidenceWriter(str(path)) as writer:
        writer.write_site(crawled)
    index = CaptureIndex.build([str(path)])
    assert index.problems == []
    back = index.site_at(crawled.origin, site=crawled.site).fetches
    for slot in ("robots", "ai_txt", "tdmrep", "llms_txt"):
        assert comparable(getattr(back, slot)) == comparable(getattr(crawled, slot)), slot
    assert [comparable(d) for d in back.pages] == [comparable(d) for d in crawled.pages]
    assert [comparable(d) for d in back.licenses] == [comparable(d) for d in crawled.licenses]
    ruleset = load_ruleset([])
    assert without_times(evaluate_site(back, ruleset)) == without_times(
        evaluate_site(crawled, ruleset)
    )


def test_evidence_archive_is_valid_warc_1_1_with_digests(
    crawled: SiteFetches, tmp_path: Path
) -> None:
    path = tmp_path / "evidence.warc.gz"
    with EvidenceWriter(str(path)) as writer:
        writer.write_site(crawled)
    # warcio's checker recomputes every block and payload digest.
    check = subprocess.run(
        [sys.executable, "-m", "warcio.cli", "check", "-v", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert "digest pass" in check.stdout
    assert "fail" not in check.stdout
    from fastwarc import ArchiveIterator

    kinds: list[str] = []
    for record in ArchiveIterator(str(path), parse_http=False):
        kinds.append(str(record.headers.get("WARC-Type")))
        assert record.headers.get("WARC-Block-Digest")
        if kinds[-1] == "response":
            assert record.headers.get("WARC-Payload-Digest")
            assert record.headers.get("WARC-Concurrent-To")
    assert kinds[0] == "warcinfo"
    assert {"request", "response", "metadata"} <= set(kinds)


def test_failed_fetches_and_redirect_failures_round_trip(tmp_path: Path) -> None:
    origin = "https://e.example"
    stamp = "2026-01-01T00:00:00.000Z"
    timeout = Fetched(url=f"{origin}/ai.txt", final_url=f"{origin}/ai.txt", error="timeout")
    loop = Fetched(
        url=f"{origin}/",
        status=301,
        headers=(("Location", f"{origin}/"),),
        final_url=f"{origin}/a",
        redirects=((301, f"{origin}/a"), (301, f"{origin}/")),
        error="redirect-loop",
    )
    cut = Fetched(
        url=f"{origin}/robots.txt",
        status=200,
        body=b"User-agent: *\nDisallow: /x\n" + b"#" * (FETCH_BYTES - 27),  # as the crawl keeps it
        final_url=f"{origin}/robots.txt",
        truncated=True,
    )
    site = SiteFetches(
        site="e.example",
        origin=origin,
        robots=replace(cut, fetched_at=stamp),
        ai_txt=replace(timeout, fetched_at=stamp),
        pages=(replace(loop, fetched_at=stamp),),
    )
    path = tmp_path / "e.warc.gz"
    with EvidenceWriter(str(path)) as writer:
        writer.write_site(site)
    back = CaptureIndex.build([str(path)]).site_at(origin).fetches
    assert comparable(back.robots) == comparable(site.robots)
    assert comparable(back.ai_txt) == comparable(site.ai_txt)
    assert [comparable(d) for d in back.pages] == [comparable(d) for d in site.pages]


def test_exchanges_of_a_redirected_fetch() -> None:
    doc = Fetched(
        url="https://e.example/",
        status=200,
        headers=(("Content-Encoding", "gzip"),),
        body=b"<html></html>",
        final_url="https://e.example/home",
        redirects=((302, "https://e.example/home"),),
    )
    hop, final = exchanges_of(doc, kind="page")
    assert (hop.url, hop.status, hop.response_headers) == (
        "https://e.example/",
        302,
        (("Location", "https://e.example/home"),),
    )
    assert (final.url, final.decoded, final.kind) == ("https://e.example/home", True, "")
    assert hop.kind == "page"


def test_raw_exchanges_keep_their_content_encoding(tmp_path: Path) -> None:
    import gzip

    body = b"User-agent: *\nDisallow: /\n"
    path = tmp_path / "raw.warc.gz"
    with EvidenceWriter(str(path)) as writer:
        writer.write(
            Exchange(
                url="https://e.example/robots.txt",
                at="2026-01-01T00:00:00.000Z",
                request_headers=(("User-Agent", "crawlcheck/test"),),
                status=200,
                reason="OK",
                response_headers=(("Content-Encoding", "gzip"),),
                body=gzip.compress(body),
                kind="robots.txt",
            )
        )
    (capture,) = CaptureIndex.build([str(path)]).history("https://e.example/robots.txt")
    assert capture.fetched.body == body
    assert capture.fetched.headers == (("Content-Encoding", "gzip"),)
