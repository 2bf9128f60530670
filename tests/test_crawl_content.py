"""Tests for crawlcheck.crawl.content and .failures: decoding bodies, error codes, origins."""

from __future__ import annotations

import gzip
import zlib

import pytest
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    ResponseDataLossError,
)
from twisted.internet.error import ConnectionLost, DNSLookupError, TimeoutError
from twisted.python.failure import Failure
from twisted.web._newclient import ResponseNeverReceived

from crawlcheck.clock import now
from crawlcheck.crawl.content import content_codings, decode_body
from crawlcheck.crawl.failures import failure_code
from crawlcheck.urls import site_origin

URL = "https://e.com/robots.txt"


@pytest.mark.parametrize(
    ("site", "origin"),
    [
        ("example.com", "https://example.com"),
        ("Example.COM.", "https://example.com."),
        ("example.com:8443", "https://example.com:8443"),
        ("http://example.com:80/path?q", "http://example.com"),
        ("https://user:pw@example.com:443/", "https://example.com"),
        ("HTTP://EXAMPLE.com:8080", "http://example.com:8080"),
        ("bücher.de", "https://xn--bcher-kva.de"),
        ("http://[::1]:8080/", "http://[::1]:8080"),
        ("", None),
        ("not a site", None),
        ("ftp://example.com", None),
        ("http://", None),
        ("http://example.com:99999", None),
    ],
)
def test_site_origin(site: str, origin: str | None) -> None:
    assert site_origin(site) == origin


def test_decode_body_undoes_gzip_and_deflate() -> None:
    text = b"User-agent: *\nDisallow: /\n"
    assert decode_body(gzip.compress(text), ["gzip"], 1000) == (text, False, None)
    assert decode_body(zlib.compress(text), ["deflate"], 1000) == (text, False, None)
    raw = zlib.compressobj(wbits=-15)
    assert decode_body(raw.compress(text) + raw.flush(), ["deflate"], 1000)[0] == text
    assert decode_body(text, ["identity"], 1000) == (text, False, None)


def test_decode_body_caps_a_compression_bomb() -> None:
    bomb = gzip.compress(b"\0" * 50_000_000)
    body, cut, error = decode_body(bomb, ["gzip"], 1000)
    assert (len(body), cut, error) == (1000, True, None)


TEXT = b"User-agent: *\nAllow: /public/site.css\nDisallow: /\n" * 50
#: Without a timestamp, so test ids are the same in every process (pytest-xdist compares them).
GZ = gzip.compress(TEXT, mtime=0)


@pytest.mark.parametrize(
    ("body", "codings"),
    [
        (GZ[: len(GZ) // 2], ["gzip"]),  # cut in half
        (GZ[:-4], ["gzip"]),  # no trailer
        (b"\x1f\x8b", ["gzip"]),  # the magic and nothing else
        (b"\x1f\x8b" + bytes(range(200)), ["gzip"]),  # garbage after the magic
        (GZ + b"trailing garbage", ["gzip"]),
        (zlib.compress(TEXT)[:40], ["deflate"]),
        (GZ, ["zstd"]),  # a coding crawlcheck never asked for
        (GZ, ["gzip", "br-unknown"]),
        (GZ, ["gzip, gzip"]),  # said twice, applied once
    ],
)
def test_a_body_that_does_not_decode_to_its_end_is_an_error(
    body: bytes, codings: list[str]
) -> None:
    content, _, error = decode_body(body, codings, 500 * 1024)
    assert error == "content-encoding"
    assert content == body[: 500 * 1024]  # kept as received, never as "empty"


def test_every_coding_in_one_field_is_undone_in_order() -> None:
    twice = gzip.compress(gzip.compress(TEXT))
    assert decode_body(twice, ["gzip, gzip"], 10_000) == (TEXT, False, None)
    assert decode_body(twice, ["gzip", "gzip"], 10_000) == (TEXT, False, None)
    assert content_codings(["gzip, identity", " x-gzip "]) == ["gzip", "identity", "x-gzip"]
    members = gzip.compress(TEXT[:100]) + gzip.compress(TEXT[100:])  # RFC 1952: members
    assert decode_body(members, ["gzip"], 10_000) == (TEXT, False, None)


def test_a_download_stopped_at_the_cap_decodes_as_a_cut_prefix() -> None:
    text = bytes(range(256)) * 400
    stopped = gzip.compress(text, mtime=0)[:300]
    body, cut, error = decode_body(stopped, ["gzip"], len(text), partial=True)
    assert error is None
    assert not cut
    assert 0 < len(body) < len(text)
    assert text.startswith(body)
    assert decode_body(stopped, ["gzip"], len(text))[2] == "content-encoding"


@pytest.mark.parametrize(
    ("exc", "code"),
    [
        (DownloadTimeoutError("t"), "timeout"),
        (TimeoutError(), "timeout"),
        (CannotResolveHostError("x"), "dns"),
        (DNSLookupError(), "dns"),
        (DownloadConnectionRefusedError(), "connection"),
        (ResponseNeverReceived([Failure(ConnectionLost())]), "connection"),
        (ResponseDataLossError(), "incomplete"),
        (ValueError("?"), "error"),
    ],
)
def test_failure_code(exc: BaseException, code: str) -> None:
    assert failure_code(exc) == code


def test_failure_code_looks_inside_wrappers() -> None:
    wrapper = DownloadFailedError("failed")
    wrapper.__cause__ = DownloadTimeoutError("inner")
    assert failure_code(wrapper) == "timeout"


def test_now_is_rfc3339_utc() -> None:
    stamp = now()
    assert stamp.endswith("Z")
    assert stamp[10] == "T"
    assert len(stamp) == 24
