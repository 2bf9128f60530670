"""Captures: one archived HTTP exchange as the parsers read it, with its place in time.

A :class:`Capture` wraps the :class:`~crawlcheck.model.Fetched` every parser takes, with
the parsed capture time and what revisit resolution needs. Limits are the crawl's, so an
archived robots.txt is read exactly as a fetched one (RFC 9309 §2.5: 500 KiB).
"""

from __future__ import annotations

import base64
import binascii
import datetime
import re
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from crawlcheck.model import SITE_FILES, Fetched, Problem
from crawlcheck.parsers.robots import FETCH_BYTES as ROBOTS_FETCH_BYTES
from crawlcheck.urls import origin_of

#: Body bytes kept for every file but robots.txt: the crawl's default (CrawlOptions.max_bytes).
FILE_MAX_BYTES = 1024 * 1024

#: Fetched.error codes an archive adds to the crawl's (docs/archives.md).
NO_CAPTURE = "no-capture"
"""No capture of the URL within the freshness window before the time asked about."""
REVISIT_UNRESOLVED = "revisit-unresolved"
"""A revisit record whose original payload is not in the archives read: body unknown."""

_SITE_PATHS = frozenset(site_file.path for site_file in SITE_FILES)
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_PLAIN_URL = re.compile(rf"(https?)://({_LABEL}(?:\.{_LABEL})*)(/[^#\s]*)?(?<!\?)\Z")


@dataclass(frozen=True, slots=True, kw_only=True)
class Capture:
    """One archived exchange: what the site served (``fetched``), and when (``at``)."""

    fetched: Fetched
    """URL, status, headers, decoded body (capped), WARC-Date, and the record it came from."""
    at: datetime.datetime
    """The capture time (WARC-Date), timezone-aware UTC."""
    payload_digest: str = ""
    """``WARC-Payload-Digest``, normalised (``sha1:`` + base32), for revisit resolution."""
    revisit_of: str = ""
    """For a revisit record: ``WARC-Refers-To`` (may be empty: then the digest is used)."""
    revisit: bool = False
    """A revisit record whose payload is still to be found (``fetched.error`` says so)."""
    problems: tuple[Problem, ...] = ()

    @property
    def url(self) -> str:
        """Return the captured URL (WARC-Target-URI, normalised)."""
        return self.fetched.url


@dataclass(frozen=True, slots=True, kw_only=True)
class FetchNote:
    """crawlcheck's own metadata record about one fetch of its evidence archive."""

    refers_to: str
    """WARC-Record-ID of the response the note is about."""
    kind: str
    """What the audit fetched it as: ``robots.txt``, ``page``, ``license``…"""
    order: int = 0
    """Position among the audit's fetches of that kind (pages: home page first)."""


def cap_for(url: str) -> int:
    """Return the body bytes kept for *url*: 500 KiB and a byte for robots.txt, else 1 MiB.

    The byte past robots.txt's read limit tells the parser whether the limit cuts a line.

    >>> cap_for("https://e.com/robots.txt"), cap_for("https://e.com/")
    (512001, 1048576)
    """
    if "/robots.txt" not in url:  # most URLs: no need to split
        return FILE_MAX_BYTES
    return ROBOTS_FETCH_BYTES if urlsplit(url).path == "/robots.txt" else FILE_MAX_BYTES


def is_site_file(url: str) -> bool:
    """Return True for the site-level files the audit reads (robots.txt, ai.txt…)."""
    parts = urlsplit(url)
    return parts.path in _SITE_PATHS and not parts.query


def normalise_url(raw: str) -> str | None:
    """Return an http(s) WARC-Target-URI as the index keys it; None for other schemes.

    Angle brackets (some WARC 1.1 writers add them) and the fragment are dropped; the
    origin is canonical (:func:`crawlcheck.urls.origin_of`); path and query are kept.

    >>> normalise_url("<HTTP://Example.COM:80/a?b#c>"), normalise_url("dns:example.com")
    ('http://example.com/a?b', None)
    """
    text = raw.strip()
    if text.startswith("<") and text.endswith(">"):
        text = text[1:-1].strip()
    plain = _PLAIN_URL.match(text)
    if plain is not None:
        # Already canonical (lower-case ASCII host, no port, no fragment): the common case,
        # and what origin_of would return unchanged.
        return text if plain.group(3) else text + "/"
    origin = origin_of(text)
    if origin is None:
        return None
    parts = urlsplit(text)
    return origin + urlunsplit(("", "", parts.path or "/", parts.query, ""))


def parse_warc_date(text: str) -> datetime.datetime | None:
    """Return a WARC-Date (ISO 8601, W3C profile, or ARC's 14 digits) as UTC; None if bad.

    >>> parse_warc_date("2024-05-18T01:58:10Z"), parse_warc_date("20040925001013")
    (datetime.datetime(2024, 5, 18, 1, 58, 10, tzinfo=datetime.timezone.utc), \
datetime.datetime(2004, 9, 25, 0, 10, 13, tzinfo=datetime.timezone.utc))
    """
    value = text.strip()
    try:
        if value.isdigit() and len(value) in (12, 14):
            stamp = datetime.datetime.strptime(value.ljust(14, "0"), "%Y%m%d%H%M%S")
        else:
            stamp = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=datetime.UTC)
    return stamp.astimezone(datetime.UTC)


def rfc3339(stamp: datetime.datetime) -> str:
    """Return *stamp* as the crawl writes times: UTC, milliseconds, ``Z``.

    >>> rfc3339(parse_warc_date("2024-05-18T01:58:10Z"))
    '2024-05-18T01:58:10.000Z'
    """
    return stamp.astimezone(datetime.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def normalise_digest(value: str) -> str:
    """Return a payload digest as ``algorithm:BASE32`` (hex digests converted), or ''.

    >>> normalise_digest("sha1:b1f949b4920c773fd9c863479ae9a788b948c7ad")
    'sha1:WH4UTNESBR3T7WOIMNDZV2NHRC4URR5N'
    """
    algorithm, sep, digest = value.strip().partition(":")
    if not sep or not digest:
        return ""
    algorithm = algorithm.lower()
    if len(digest) == 40 and all(c in "0123456789abcdefABCDEF" for c in digest):
        try:
            digest = base64.b32encode(binascii.unhexlify(digest)).decode("ascii")
        except binascii.Error:
            return ""
    return f"{algorithm}:{digest.upper()}"
