"""Tests for crawlcheck.crawl.outcome: RFC 9309 §2.3.1 access, origins, decoding, errors."""

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

from crawlcheck.crawl.outcome import decode_body, failure_code, now
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


def test_decode_body_caps_a_compression_bomb_and_reads_a_cut_stream() -> None:
    bomb = gzip.compress(b"\0" * 50_000_000)
    body, cut, error = decode_body(bomb, ["gzip"], 1000)
    assert (len(body), cut, error) == (1000, True, None)
    text = bytes(range(256)) * 400
    partial = gzip.compress(text, mtime=0)[:300]
    body, cut, error = decode_body(partial, ["gzip"], len(text))
    assert error is None
    assert not cut
    assert 0 < len(body) < len(text)
    assert text.startswith(body)


def test_decode_body_keeps_what_it_cannot_decode() -> None:
    assert decode_body(b"not gzip", ["gzip"], 100) == (b"not gzip", False, "content-encoding")
    assert decode_body(b"x", ["zstd-unknown"], 100) == (b"x", False, "content-encoding")


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
