"""Images and documents read over real HTTP by the crawl: bounded range requests, fallbacks.

One crawl (``fetch_resources`` with ``media="ranges"``) reads every URL of the media web
(tests/media_web.py) through the fixture web, which honours, ignores or changes ranges and
logs every request and the body bytes it wrote. The tests check what each file was found
to embed, which requests were made, and that the bytes fetched stay far below the file.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from media_web import CDN, CHANGING, HOST, LYING, NORANGE, MediaFiles, media_sites
from webfixture import FixtureWeb, RequestRecord

from crawlcheck.crawl.media_reads import FIRST_READ, MEDIA_BUDGET, MediaRead
from crawlcheck.crawl.options import CrawlOptions
from crawlcheck.crawl.runner import fetch_resources
from crawlcheck.model import Fetched, MediaFetch
from crawlcheck.ruleset import load_ruleset

PATHS = {
    HOST: [
        "/photo.jpg",
        "/plain.jpg",
        "/late.png",
        "/huge-late.png",
        "/report.pdf",
        "/iptc.jpg",
        "/cut.jpg",
        "/empty.jpg",
        "/signed.jpg",
        "/remote.jpg",
        "/nocc/photo.jpg",
        "/gone.jpg",
        "/page.html",
        "/octet",
        "/endless.jpg",
        "/moved.jpg",
    ],
    NORANGE: ["/photo.jpg", "/plain.jpg", "/late.png", "/huge-late.png", "/report.pdf"],
    CHANGING: ["/iptc.jpg", "/late.png"],
    LYING: ["/late.png", "/photo.jpg", "/plain.png"],
}


@pytest.fixture(scope="module")
def files(media_files: MediaFiles) -> MediaFiles:
    return media_files


@pytest.fixture(scope="module")
def web(files: MediaFiles, shared_data: Path) -> Iterator[FixtureWeb]:
    with FixtureWeb(media_sites(files, shared_data)) as served:
        yield served


@pytest.fixture(scope="module")
def range_crawl(web: FixtureWeb) -> tuple[dict[str, MediaFetch | Fetched], list[RequestRecord]]:
    """Read every URL once, in one crawl; return what it read and the requests it made."""
    urls = [web.url(host, path) for host, paths in PATHS.items() for path in paths]
    options = CrawlOptions(proxy=web.proxy_url, media="ranges", timeout=10, retries=0)
    before = len(web.requests)
    found = {item.url: item for item in fetch_resources(urls, options)}
    assert sorted(found) == sorted(urls)
    return found, web.requests[before:]


@pytest.fixture(scope="module")
def results(
    range_crawl: tuple[dict[str, MediaFetch | Fetched], list[RequestRecord]],
) -> dict[str, MediaFetch | Fetched]:
    """Every URL read once, in one crawl."""
    return range_crawl[0]


def read(results: dict[str, MediaFetch | Fetched], host: str, path: str) -> MediaFetch:
    item = results[f"http://{host}{path}"]
    assert isinstance(item, MediaFetch), item
    assert item.result is not None
    return item


def requests_for(web: FixtureWeb, host: str, path: str) -> list[str | None]:
    """Return the Range header of each request for *path*, a transport's resend dropped.

    Twisted resends a request whose kept-alive connection the server had closed just
    before (nothing was received for it): the server then logs the same request twice.
    """
    asked = [r.header("Range") for r in web.requests if r.host == host and r.path == path]
    return [a for i, a in enumerate(asked) if i == 0 or a != asked[i - 1]]


# -- ranges honoured ------------------------------------------------------------------------


def test_a_photo_is_read_from_its_first_16_kib(
    results: dict[str, MediaFetch | Fetched], web: FixtureWeb, files: MediaFiles
) -> None:
    media = read(results, HOST, "/photo.jpg")
    assert media.result is not None
    assert media.result.state("ai-train") == "reserved"
    assert media.result.media_type == "image/jpeg"
    size = files["photo.jpg"].stat().st_size
    assert media.result.size == size
    assert requests_for(web, HOST, "/photo.jpg") == ["bytes=0-16383"]
    assert [(r.asked, r.status) for r in media.reads] == [("bytes=0-16383", 206)]
    assert media.reads[0].content_range == f"bytes 0-16383/{size}"
    # The evidence: the bytes received, where they are in the file, and how many.
    assert media.fetched is not None
    assert media.fetched.ranges == ((0, FIRST_READ),)
    assert len(media.fetched.body) == FIRST_READ == media.received
    assert media.received < size / 100
    # The server's side: it wrote 16 KiB per request (the fixture web counts body bytes).
    assert web.bytes_sent(HOST, "/photo.jpg") < size / 50


def test_metadata_after_the_image_data_is_fetched_from_the_tail(
    range_crawl: tuple[dict[str, MediaFetch | Fetched], list[RequestRecord]],
    web: FixtureWeb,
    files: MediaFiles,
) -> None:
    results, made = range_crawl
    for name in ("late.png", "huge-late.png"):
        media = read(results, HOST, f"/{name}")
        assert media.result is not None
        assert media.result.state("ai-train") == "reserved", name
        size = files[name].stat().st_size
        # The range crawl's requests only (a later test's page fetch asks for huge-late.png
        # too), without a transport's resend of the first one (see requests_for).
        mine = [r for r in made if r.path == f"/{name}" and r.host == HOST]
        asked = [r.header("Range") for r in mine]
        assert asked[0] == "bytes=0-16383"
        followups = [r for r in mine[1:] if r.header("Range") != asked[0]]
        assert followups
        # Every follow-up carries the first response's ETag: two versions are never mixed.
        assert all(r.header("If-Range") for r in followups)
        assert media.received < size * 0.05, (name, media.received, size)
        assert web.bytes_sent(HOST, f"/{name}") < size * 0.1


def test_a_pdf_is_read_from_its_head_and_its_tail(
    results: dict[str, MediaFetch | Fetched], files: MediaFiles
) -> None:
    media = read(results, HOST, "/report.pdf")
    assert media.result is not None
    assert media.result.media_type == "application/pdf"
    assert media.result.state("tdm") == "reserved"
    assert media.result.state("ai-train") == "reserved"
    size = files["report.pdf"].stat().st_size
    assert media.fetched is not None
    assert media.fetched.ranges[-1][1] == size  # the tail, where the newest XMP is
    assert media.received < size * 0.2


def test_the_iptc_reference_image_is_reserved_for_generative_training(
    results: dict[str, MediaFetch | Fetched],
) -> None:
    media = read(results, HOST, "/iptc.jpg")
    assert media.result is not None
    assert media.result.state("ai-train") == "reserved"
    found = [f for f in media.result.findings if f.signal == "iptc-data-mining"]
    assert any(f.value.endswith("DMI-PROHIBITED-GENAIMLTRAINING") for f in found)
    assert {f.source for f in found} == {"http://pics.media.test/iptc.jpg"}


def test_a_file_without_metadata_is_not_reserved(
    results: dict[str, MediaFetch | Fetched], files: MediaFiles
) -> None:
    media = read(results, HOST, "/plain.jpg")
    assert media.result is not None
    assert set(media.result.states().values()) == {"not-reserved"}
    assert media.received <= 2 * FIRST_READ < files["plain.jpg"].stat().st_size / 20


def test_a_c2pa_reservation_needs_only_the_manifest(
    results: dict[str, MediaFetch | Fetched], files: MediaFiles
) -> None:
    media = read(results, HOST, "/signed.jpg")
    assert media.result is not None
    assert media.result.state("ai-train") == "reserved"
    assert media.result.c2pa == "unvalidated"  # a reservation counts whatever the validation
    assert media.received < files["signed.jpg"].stat().st_size / 4


def test_a_remote_manifest_named_by_a_link_header_is_fetched(
    results: dict[str, MediaFetch | Fetched], web: FixtureWeb
) -> None:
    media = read(results, HOST, "/remote.jpg")
    assert media.result is not None
    assert media.result.state("ai-train") == "reserved"
    assert [f.key for f in media.result.findings] == ["cawg.ai_generative_training"]
    assert requests_for(web, HOST, "/manifests/remote.c2pa") == [None]


def test_a_redirect_to_another_origin_waits_for_its_robots_txt(
    results: dict[str, MediaFetch | Fetched], web: FixtureWeb
) -> None:
    media = read(results, HOST, "/moved.jpg")
    assert media.result is not None
    assert media.result.state("ai-train") == "reserved"
    assert media.fetched is not None
    assert media.fetched.redirects == ((301, f"http://{CDN}/photo.jpg"),)
    assert media.fetched.final_url == f"http://{CDN}/photo.jpg"
    asked = [(r.host, r.path) for r in web.requests]
    assert asked.index((CDN, "/robots.txt")) < asked.index((CDN, "/photo.jpg"))


# -- what cannot be read is unknown, never allowed ------------------------------------------


@pytest.mark.parametrize(
    ("path", "code"),
    [
        ("/cut.jpg", "media.truncated"),
        ("/empty.jpg", "media.truncated"),
        ("/gone.jpg", "media.http-error"),
    ],
)
def test_unreadable_files_are_unknown(
    results: dict[str, MediaFetch | Fetched], path: str, code: str
) -> None:
    media = read(results, HOST, path)
    assert media.result is not None
    assert set(media.result.states().values()) == {"unknown"}
    assert code in [p.code for p in media.result.problems]


def test_an_empty_file_is_retried_with_the_size_of_a_416(web: FixtureWeb) -> None:
    assert requests_for(web, HOST, "/empty.jpg") == ["bytes=0-16383"]
    # 416 */0: the size is known, and it is empty: nothing more to ask.


def test_robots_txt_of_the_host_is_obeyed(
    results: dict[str, MediaFetch | Fetched], web: FixtureWeb
) -> None:
    item = results[f"http://{HOST}/nocc/photo.jpg"]
    assert isinstance(item, Fetched)
    assert item.error == "robots-disallowed"
    assert requests_for(web, HOST, "/nocc/photo.jpg") == []


def test_a_page_read_as_media_is_unsupported_not_reserved(
    results: dict[str, MediaFetch | Fetched],
) -> None:
    media = read(results, HOST, "/page.html")
    assert media.result is not None
    assert media.result.media_type == ""
    assert [p.code for p in media.result.problems] == ["media.unsupported"]


def test_a_type_that_says_nothing_is_sniffed_from_the_bytes(
    results: dict[str, MediaFetch | Fetched],
) -> None:
    media = read(results, HOST, "/octet")
    assert media.result is not None
    assert media.result.state("ai-train") == "reserved"


def test_an_endless_body_stops_at_once(results: dict[str, MediaFetch | Fetched]) -> None:
    media = read(results, HOST, "/endless.jpg")
    assert media.result is not None
    assert media.result.state("ai-train") == "unknown"
    # Of 50 MB, streamed (no range support): stopped within a few reads (Twisted 21.7, the
    # oldest supported, hands bodies over in 64 KiB pieces, later releases in 16 KiB ones).
    assert media.received <= 5 * FIRST_READ


# -- servers that refuse ranges: the body is streamed and cut when the planner has enough --


def test_ranges_refused_a_stream_is_cut_when_the_planner_answers(
    results: dict[str, MediaFetch | Fetched], files: MediaFiles
) -> None:
    media = read(results, NORANGE, "/photo.jpg")
    assert media.result is not None
    assert media.result.state("ai-train") == "reserved"
    assert [(r.asked, r.status) for r in media.reads] == [("bytes=0-16383", 200)]
    assert media.received < files["photo.jpg"].stat().st_size / 10


def test_ranges_refused_a_tail_within_the_budget_is_streamed_to(
    results: dict[str, MediaFetch | Fetched], files: MediaFiles
) -> None:
    media = read(results, NORANGE, "/late.png")
    assert media.result is not None
    assert media.result.state("ai-train") == "reserved"
    assert media.received == files["late.png"].stat().st_size < MEDIA_BUDGET


def test_ranges_refused_a_tail_past_the_budget_is_unknown(
    results: dict[str, MediaFetch | Fetched], files: MediaFiles
) -> None:
    media = read(results, NORANGE, "/huge-late.png")
    assert files["huge-late.png"].stat().st_size > MEDIA_BUDGET
    assert media.result is not None
    assert media.result.state("ai-train") == "unknown"
    assert "media.ranges-refused" in [p.code for p in media.result.problems]
    assert media.received <= MEDIA_BUDGET + 256 * 1024  # stopped at once, not read to the end


def test_a_file_that_changes_between_requests_is_read_again_then_unknown(
    results: dict[str, MediaFetch | Fetched],
) -> None:
    media = read(results, CHANGING, "/late.png")
    assert media.result is not None
    codes = [p.code for p in media.result.problems]
    assert "media.restarted" in codes
    # Read again from the whole-file answer: never bytes of two versions mixed.
    assert media.result.state("ai-train") in ("reserved", "unknown")
    assert [r.status for r in media.reads][:2] == [206, 200]


def test_a_lying_content_length_is_unknown_unless_what_arrived_reserves(
    results: dict[str, MediaFetch | Fetched],
) -> None:
    # Content-Length promises 1 KiB more than is sent, then the connection closes.
    plain = read(results, LYING, "/plain.png")  # the end never comes: unknown
    assert plain.result is not None
    assert set(plain.result.states().values()) == {"unknown"}
    assert "media.incomplete" in [p.code for p in plain.result.problems]
    late = read(results, LYING, "/late.png")  # its XMP arrived before the lie: it counts
    assert late.result is not None
    assert late.result.state("ai-train") == "reserved"
    assert "media.incomplete" in [p.code for p in late.result.problems]
    photo = read(results, LYING, "/photo.jpg")  # the XMP is at the start: read before it
    assert photo.result is not None
    assert photo.result.state("ai-train") == "reserved"


# -- the state machine alone (responses a loopback server cannot easily be made to send) ----


def test_a_range_response_for_another_range_is_not_placed() -> None:
    read_ = MediaRead("http://e.test/a.jpg", ruleset=load_ruleset())
    read_.start()
    after = read_.on_response(
        status=206,
        headers=(("Content-Range", "bytes 100-16483/90000"),),
        body=b"\xff" * 16384,
        final_url="http://e.test/a.jpg",
        stopped=False,
    )
    assert after is None
    assert read_.result is not None
    assert read_.result.state("ai-train") == "unknown"
    assert [p.code for p in read_.result.problems] == ["media.bad-range"]


def test_an_encoded_body_is_not_read_as_the_file() -> None:
    read_ = MediaRead("http://e.test/a.jpg", ruleset=load_ruleset())
    read_.start()
    after = read_.on_response(
        status=206,
        headers=(("Content-Range", "bytes 0-9/10"), ("Content-Encoding", "gzip")),
        body=b"\x1f\x8b" + b"\x00" * 8,
        final_url="http://e.test/a.jpg",
        stopped=False,
    )
    assert after is None
    assert read_.result is not None
    assert "media.content-encoding" in [p.code for p in read_.result.problems]


def test_follow_ups_grow_and_stop_at_the_request_limit() -> None:
    # 3 MB of JPEG APP2 segments are walked header by header: more requests than allowed.
    read_ = MediaRead("http://e.test/a.jpg", ruleset=load_ruleset(), rounds=3)
    ask = read_.start()
    segment = b"\xff\xe2\xff\xff" + b"x" * 65533
    data = b"\xff\xd8" + segment * 48 + b"\xff\xd9"
    size = len(data)
    asked = []
    while ask is not None:
        first, last = (int(x) for x in ask.asked.removeprefix("bytes=").split("-"))
        last = min(last, size - 1)
        asked.append((first, last))
        ask = read_.on_response(
            status=206,
            headers=(("Content-Range", f"bytes {first}-{last}/{size}"),),
            body=data[first : last + 1],
            final_url="http://e.test/a.jpg",
            stopped=False,
        )
    assert len(asked) == 3
    assert [b - a + 1 for a, b in asked] == [16384, 16384, 32768]  # at least what is held
    assert read_.result is not None
    assert "media.too-many-reads" in [p.code for p in read_.result.problems]


# -- a page fetch that turns out to be an image (check, filter --pages --media) ---------------


@pytest.fixture(scope="module")
def sniffed(web: FixtureWeb, results: dict[str, MediaFetch | Fetched]) -> dict[str, object]:
    """Fetch a few URLs as pages (media="sniff"), after the range reads above."""
    urls = [web.url(HOST, p) for p in ("/huge-late.png", "/page.html", "/octet", "/moved.jpg")]
    options = CrawlOptions(proxy=web.proxy_url, media="sniff", timeout=10, retries=0)
    return {item.url: item for item in fetch_resources(urls, options)}


def test_a_page_fetch_of_an_image_becomes_a_media_read(
    sniffed: dict[str, object], files: MediaFiles
) -> None:
    huge = sniffed[f"http://{HOST}/huge-late.png"]
    assert isinstance(huge, MediaFetch)
    assert huge.result is not None
    assert huge.result.state("ai-train") == "reserved"
    # A plain GET streamed, stopped once the metadata was known to be at the end, then
    # the tail by range requests (the response offered them).
    assert huge.reads[0].asked == ""
    assert huge.reads[0].status == 200
    assert [r.status for r in huge.reads[1:]] == [206] * (len(huge.reads) - 1)
    assert huge.received < files["huge-late.png"].stat().st_size / 4
    octet = sniffed[f"http://{HOST}/octet"]  # application/octet-stream: sniffed by its bytes
    assert isinstance(octet, MediaFetch)
    assert octet.result is not None
    assert octet.result.state("ai-train") == "reserved"


def test_a_page_stays_a_page_and_a_redirect_to_an_image_is_followed(
    sniffed: dict[str, object],
) -> None:
    page = sniffed[f"http://{HOST}/page.html"]
    assert isinstance(page, Fetched)
    assert page.status == 200
    assert b"not an image" in page.body
    moved = sniffed[f"http://{HOST}/moved.jpg"]  # a page fetch: offsite hops are not followed
    assert isinstance(moved, Fetched)
    assert moved.error == "offsite-redirect"
