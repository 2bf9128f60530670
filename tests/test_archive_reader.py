"""crawlcheck.archive.reader: real archives (published samples, warcio/FastWARC writers, ARC)."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from warc_helpers import Rec, write_arc, write_fastwarc, write_warcio

from crawlcheck.archive.captures import FILE_MAX_BYTES, Capture
from crawlcheck.archive.reader import read_archive, read_record
from crawlcheck.model import Problem
from crawlcheck.parsers.robots import FETCH_BYTES
from crawlcheck.parsers.robots import MAX_BYTES as ROBOTS_MAX_BYTES


def _gzip(data: bytes) -> bytes:
    """gzip with no timestamp: test ids are equal in every process (pytest-xdist)."""
    return gzip.compress(data, mtime=0)


ROBOTS = b"User-agent: GPTBot\nDisallow: /\n"


def captures(path: Path | str) -> list[Capture]:
    return [item for item in read_archive(str(path)) if isinstance(item, Capture)]


def problems(path: Path | str) -> list[Problem]:
    return [item for item in read_archive(str(path)) if isinstance(item, Problem)]


@pytest.fixture
def warc_dir(shared_data: Path) -> Path:
    return shared_data / "media" / "warc"


def test_file_cap_matches_the_crawl() -> None:
    from crawlcheck.crawl.options import CrawlOptions

    assert CrawlOptions().max_bytes == FILE_MAX_BYTES


def test_wget_crawl_sample_yields_robots_redirect_and_target(warc_dir: Path) -> None:
    path = warc_dir / "iipc_webarchive-commons__IAH-urls-wget.warc.gz"
    found = {c.url: c for c in captures(path)}
    redirect = found["http://www.archive.org/robots.txt"].fetched
    assert redirect.status == 302
    assert redirect.header("Location") == "http://archive.org/robots.txt"
    robots = found["http://archive.org/robots.txt"].fetched
    assert robots.status == 200
    assert b"User-agent" in robots.body
    assert robots.record is not None
    assert robots.record.offset == 1841
    assert robots.record.record_id == "<urn:uuid:19AA6549-0B28-4674-BFF8-47ED07E2B48D>"
    assert robots.fetched_at == "2013-10-21T21:53:07.000Z"
    # wget's own resource records (metadata://) are not web captures.
    assert not any(url.startswith("metadata") for url in found)
    assert problems(path) == []


def test_common_crawl_page_is_decoded_with_its_meta_robots(warc_dir: Path) -> None:
    (page,) = captures(warc_dir / "commoncrawl_whirlwind-python__whirlwind.warc.gz")
    assert page.url == "https://an.wikipedia.org/wiki/Escopete"
    assert page.fetched.status == 200
    assert b'<meta name="robots" content="max-image-preview:standard">' in page.fetched.body
    assert page.fetched.error is None
    assert not page.fetched.truncated


def test_chunked_response_is_dechunked(warc_dir: Path) -> None:
    (page,) = captures(warc_dir / "webrecorder_warcio__example-iana.org-chunked.warc")
    assert page.fetched.status == 200
    assert page.fetched.body.startswith(b"<!doctype html>")
    assert page.fetched.body.rstrip().endswith(b"</html>")


def test_resource_record_is_a_capture_with_its_content_type(warc_dir: Path) -> None:
    (page,) = captures(warc_dir / "webrecorder_warcio__example-resource.warc.gz")
    assert page.fetched.status == 200
    assert page.fetched.content_type == "text/html"
    assert page.fetched.record is not None
    assert page.fetched.record.record_type == "resource"


def test_revisit_waits_for_its_payload(warc_dir: Path) -> None:
    found = captures(warc_dir / "webrecorder_warcio__example.warc.gz")
    response, revisit = found
    assert not response.revisit
    assert revisit.revisit
    assert revisit.fetched.error == "revisit-unresolved"
    assert revisit.payload_digest == response.payload_digest != ""


def test_wat_of_a_request_yields_no_capture(warc_dir: Path) -> None:
    path = warc_dir / "commoncrawl_whirlwind-python__whirlwind.warc.wat.gz"
    assert captures(path) == []
    assert problems(path) == []


@pytest.mark.parametrize("writer", [write_warcio, write_fastwarc])
def test_library_written_archives_read_the_same(tmp_path: Path, writer: object) -> None:
    records = [
        Rec(url="https://e.example/robots.txt", date="2025-01-01T00:00:00Z", body=ROBOTS),
        Rec(url="https://e.example/ai.txt", date="2025-01-01T00:00:01Z", status=404),
    ]
    path = writer(tmp_path / "a.warc.gz", records)  # type: ignore[operator]
    robots, ai = captures(path)
    assert (robots.fetched.status, robots.fetched.body) == (200, ROBOTS)
    assert ai.fetched.status == 404
    assert robots.at < ai.at
    again = read_record(robots.fetched.record)  # type: ignore[arg-type]
    assert isinstance(again, Capture)
    assert again.fetched == robots.fetched


@pytest.mark.parametrize("gz", [False, True])
def test_arc_files_are_read(tmp_path: Path, gz: bool) -> None:
    path = write_arc(
        tmp_path / ("a.arc.gz" if gz else "a.arc"),
        [
            Rec(url="http://old.example/robots.txt", date="2004-09-25T00:10:13Z", body=ROBOTS),
            Rec(url="http://old.example/", date="2004-09-25T00:10:14Z", status=404),
        ],
    )
    robots, home = captures(path)
    assert robots.fetched.body == ROBOTS
    assert robots.fetched.fetched_at == "2004-09-25T00:10:13.000Z"
    assert robots.fetched.record is not None
    assert robots.fetched.record.record_id == ""  # ARC records have no id
    assert home.fetched.status == 404
    again = read_record(robots.fetched.record)
    assert isinstance(again, Capture)
    assert again.fetched.body == ROBOTS


def test_warc_truncated_short_of_the_cap_is_incomplete_never_whole(tmp_path: Path) -> None:
    path = write_warcio(
        tmp_path / "t.warc.gz",
        [
            Rec(
                url="https://e.example/robots.txt",
                date="2025-01-01T00:00:00Z",
                body=b"User-agent: *\nAllow: /\n",
                warc_headers=(("WARC-Truncated", "time"),),
            )
        ],
    )
    (robots,) = captures(path)
    assert robots.fetched.error == "incomplete"
    assert robots.fetched.truncated
    assert [p.code for p in robots.problems] == ["archive.truncated"]


def test_warc_truncated_at_the_cap_is_read_like_the_crawl_cut(tmp_path: Path) -> None:
    body = b"User-agent: *\nDisallow: /x\n" + b"#" * ROBOTS_MAX_BYTES
    path = write_warcio(
        tmp_path / "t.warc.gz",
        [
            Rec(
                url="https://e.example/robots.txt",
                date="2025-01-01T00:00:00Z",
                body=body,
                warc_headers=(("WARC-Truncated", "length"),),
            )
        ],
    )
    (robots,) = captures(path)
    assert robots.fetched.error is None
    assert robots.fetched.truncated
    assert len(robots.fetched.body) == FETCH_BYTES


@pytest.mark.parametrize(
    ("raw", "error", "body"),
    [
        # a chunked stream that stops before its last chunk
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1a\r\nUser-agent: *\nDisall",
            "incomplete",
            b"User-agent: *\nDisall",
        ),
        # stored de-chunked with the header kept: read as it is
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nUser-agent: *\nDisallow: /\n",
            None,
            b"User-agent: *\nDisallow: /\n",
        ),
        # a body shorter than its Content-Length
        (b"HTTP/1.1 200 OK\r\nContent-Length: 90\r\n\r\nUser-agent: *\n", "incomplete", None),
        # gzip that is not gzip
        (b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n\r\nnot gzip", "content-encoding", None),
        # gzip, twice over
        (
            b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip, gzip\r\n\r\n" + _gzip(_gzip(ROBOTS)),
            None,
            ROBOTS,
        ),
        # a head ended by bare LFs keeps its body
        (b"HTTP/1.1 200 OK\nContent-Type: text/plain\n\n" + ROBOTS, None, ROBOTS),
        # no HTTP head at all
        (b"\x00\x01garbage without a blank line", "invalid-http", None),
    ],
)
def test_stored_http_defects_are_reported(
    tmp_path: Path, raw: bytes, error: str | None, body: bytes | None
) -> None:
    records = [Rec(url="https://e.example/robots.txt", date="2025-01-01T00:00:00Z", raw_http=raw)]
    (robots,) = captures(write_fastwarc(tmp_path / "h.warc.gz", records))
    assert robots.fetched.error == error
    if body is not None:
        assert robots.fetched.body == body


def test_bodies_are_capped_at_the_crawl_limits(tmp_path: Path) -> None:
    big = b"x" * (FILE_MAX_BYTES + 10)
    records = [
        Rec(url="https://e.example/", date="2025-01-01T00:00:00Z", body=big),
        Rec(url="https://e.example/robots.txt", date="2025-01-01T00:00:00Z", body=big),
    ]
    page, robots = captures(write_warcio(tmp_path / "big.warc.gz", records))
    assert (len(page.fetched.body), page.fetched.truncated) == (FILE_MAX_BYTES, True)
    assert (len(robots.fetched.body), robots.fetched.truncated) == (FETCH_BYTES, True)
    assert page.fetched.error is None


def _two_site_archive(tmp_path: Path) -> bytes:
    records = [
        Rec(url=f"https://s{i}.example/robots.txt", date="2025-01-01T00:00:00Z", body=ROBOTS)
        for i in range(4)
    ]
    return write_warcio(tmp_path / "ok.warc.gz", records).read_bytes()


def test_garbage_between_records_is_skipped_and_reading_goes_on(tmp_path: Path) -> None:
    data = _two_site_archive(tmp_path)
    members = data.split(b"\x1f\x8b\x08")[1:]
    damaged = b"\x1f\x8b\x08" + members[0] + b"garbage!" * 50 + b"\x1f\x8b\x08"
    damaged += b"\x1f\x8b\x08".join(members[1:])
    path = tmp_path / "damaged.warc.gz"
    path.write_bytes(damaged)
    items = list(read_archive(str(path)))
    urls = [i.url for i in items if isinstance(i, Capture)]
    assert urls == [f"https://s{i}.example/robots.txt" for i in range(4)]
    assert any(isinstance(i, Problem) and i.code == "archive.damaged" for i in items)


def test_a_file_cut_inside_a_record_marks_that_capture_incomplete(tmp_path: Path) -> None:
    records = [
        Rec(url="https://e.example/robots.txt", date="2025-01-01T00:00:00Z", body=ROBOTS * 500)
    ]
    data = write_warcio(tmp_path / "u.warc", records, gzip_records=False).read_bytes()
    path = tmp_path / "cut.warc"
    path.write_bytes(data[: len(data) // 2])
    (robots,) = captures(path)
    assert robots.fetched.error == "incomplete"
    assert [p.code for p in robots.problems] == ["archive.incomplete"]


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"", "archive.not-an-archive"),
        (b"hello, this is not a web archive\n", "archive.not-an-archive"),
        (bytes(range(256)) * 20, "archive.not-an-archive"),
        (_gzip(b"not a warc inside gzip"), "archive.not-an-archive"),
    ],
)
def test_non_archives_are_a_problem_not_a_crash(tmp_path: Path, content: bytes, code: str) -> None:
    path = tmp_path / "x.warc.gz"
    path.write_bytes(content)
    assert [p.code for p in problems(path)] == [code]


def test_missing_file_is_a_problem(tmp_path: Path) -> None:
    assert [p.code for p in problems(tmp_path / "nope.warc")] == ["archive.unreadable"]


@pytest.mark.parametrize(
    "raw",
    [
        "https://a.example",
        "https://a.example/x?y=1",
        "<https://a.example/robots.txt>",
        "https://A.example/",
        "https://a.example:443/",
        "http://a.example:8080/x",
        "https://a..b/",
        "http://a.example/x#f",
        "http://a.example/x?",
        "https://a.example?q",
        "https://bücher.example/",
        "ftp://a.example/",
        "dns:a.example",
    ],
)
def test_url_fast_path_agrees_with_origin_of(raw: str) -> None:
    from urllib.parse import urlsplit, urlunsplit

    from crawlcheck.archive.captures import normalise_url
    from crawlcheck.urls import origin_of

    text = raw.strip("<>")
    origin = origin_of(text)
    parts = urlsplit(text)
    expected = (
        None
        if origin is None
        else origin + urlunsplit(("", "", parts.path or "/", parts.query, ""))
    )
    assert normalise_url(raw) == expected
