"""Line syntax of robots.txt-style files, byte for byte as Google's reference parser reads it.

Used by robots.txt and ai.txt. Each physical line becomes one :class:`RobotsLine`; nothing
here knows about groups or matching.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from crawlcheck.parsers._pattern import escape_pattern

#: RFC 9309 §2.5: crawlers must read at least 500 KiB; Google stops exactly there.
MAX_BYTES = 500 * 1024
#: Google keeps at most 2083 * 8 - 1 bytes of a line and drops the rest of it.
MAX_LINE_BYTES = 2083 * 8 - 1

_BOM = b"\xef\xbb\xbf"
_LINE_BREAK = re.compile(rb"\r\n|\r|\n")
_WHITESPACE = re.compile(rb"[ \t]")
_AGENT_CHARS = re.compile(r"[A-Za-z_-]*")

# Google's kAllowFrequentTypos: keys accepted by prefix, case-insensitively (robots.cc).
_USER_AGENT_KEYS = (b"user-agent", b"useragent", b"user agent")
_DISALLOW_KEYS = (b"disallow", b"dissallow", b"dissalow", b"disalow", b"diasllow", b"disallaw")
_SITEMAP_KEYS = (b"sitemap", b"site-map")


class LineKind(StrEnum):
    """What a line of a robots.txt-style file is."""

    BLANK = "blank"
    """Empty or only a comment."""
    INVALID = "invalid"
    """Text that is not ``key: value`` (Google ignores it)."""
    USER_AGENT = "user-agent"
    ALLOW = "allow"
    DISALLOW = "disallow"
    SITEMAP = "sitemap"
    OTHER = "other"
    """Any other ``key: value`` record (Content-Signal, Crawl-delay, …)."""


@dataclass(frozen=True, slots=True)
class RobotsLine:
    """One physical line and how Google's parser reads it."""

    number: int
    text: str
    """The line as written (decoded as UTF-8 with replacement), comment included."""
    kind: LineKind
    key: str = ""
    """The key as written (for OTHER lines, the record name)."""
    value: str = ""
    """The value: escaped like a path pattern for rule and OTHER lines, raw otherwise."""
    raw_value: str = ""
    """The value before any escaping."""
    typo: bool = False
    """The key is one of the misspellings Google accepts (``dissallow``, ``useragent``…)."""
    missing_colon: bool = False
    """Google accepted ``key value`` without a colon."""
    too_long: bool = False


@dataclass(frozen=True, slots=True)
class SplitResult:
    """The lines of a file, and facts about the bytes they came from."""

    lines: tuple[RobotsLine, ...]
    had_bom: bool
    truncated: bool
    """The body was longer than the read limit; the rest was ignored."""
    valid_utf8: bool


def split_lines(body: bytes, max_bytes: int | None = MAX_BYTES) -> SplitResult:
    """Return every line of *body* classified as Google's parser classifies it."""
    truncated = max_bytes is not None and len(body) > max_bytes
    if truncated and max_bytes is not None:
        body = body[:max_bytes]
    # Google skips any prefix of the UTF-8 BOM at the very start of the file.
    bom_len = 0
    while bom_len < 3 and bom_len < len(body) and body[bom_len] == _BOM[bom_len]:
        bom_len += 1
    had_bom = bom_len == 3
    body = body[bom_len:]
    try:
        body.decode("utf-8")
        valid_utf8 = True
    except UnicodeDecodeError:
        valid_utf8 = False
    lines = tuple(
        _parse_line(number, raw) for number, raw in enumerate(_LINE_BREAK.split(body), start=1)
    )
    return SplitResult(lines=lines, had_bom=had_bom, truncated=truncated, valid_utf8=valid_utf8)


def _parse_line(number: int, raw: bytes) -> RobotsLine:
    too_long = len(raw) > MAX_LINE_BYTES
    if too_long:
        raw = raw[:MAX_LINE_BYTES]
    # The reference parser works on C strings: a NUL byte ends the line.
    content = raw.split(b"\0", 1)[0]
    text = content.decode("utf-8", errors="replace")
    content = content.split(b"#", 1)[0].strip()
    if not content:
        return RobotsLine(number, text, LineKind.BLANK, too_long=too_long)
    key_value = _key_and_value(content)
    if key_value is None:
        return RobotsLine(number, text, LineKind.INVALID, too_long=too_long)
    key, value, missing_colon = key_value
    kind, typo = _classify(key)
    raw_value = value.decode("utf-8", errors="replace")
    # Google escapes every value but user-agent and sitemap (NeedEscapeValueForKey).
    shown = raw_value if kind in (LineKind.USER_AGENT, LineKind.SITEMAP) else escape_pattern(value)
    return RobotsLine(
        number,
        text,
        kind,
        key=key.decode("utf-8", errors="replace"),
        value=shown,
        raw_value=raw_value,
        typo=typo,
        missing_colon=missing_colon,
        too_long=too_long,
    )


def _key_and_value(line: bytes) -> tuple[bytes, bytes, bool] | None:
    """Split a stripped, comment-free line into key and value (robots.cc GetKeyAndValueFrom)."""
    missing_colon = False
    sep = line.find(b":")
    if sep < 0:
        # Google accepts whitespace instead of the colon, but only between exactly two words.
        space = _WHITESPACE.search(line)
        if space is None:
            return None
        sep = space.start()
        if _WHITESPACE.search(line[sep:].lstrip(b" \t")):
            return None
        missing_colon = True
    key = line[:sep].strip()
    if not key:
        return None
    return key, line[sep + 1 :].strip(), missing_colon


def _classify(key: bytes) -> tuple[LineKind, bool]:
    lowered = key.lower()
    if lowered.startswith(_USER_AGENT_KEYS):
        return LineKind.USER_AGENT, not lowered.startswith(b"user-agent")
    if lowered.startswith(b"allow"):
        return LineKind.ALLOW, False
    if lowered.startswith(_DISALLOW_KEYS):
        return LineKind.DISALLOW, not lowered.startswith(b"disallow")
    if lowered.startswith(_SITEMAP_KEYS):
        return LineKind.SITEMAP, not lowered.startswith(b"sitemap")
    return LineKind.OTHER, False


def is_global_agent(value: str) -> bool:
    """Return True for a ``*`` user-agent value (Google also accepts ``* anything``)."""
    return value[:1] == "*" and (len(value) == 1 or value[1] in " \t\n\v\f\r")


def product_token(value: str) -> str:
    """Return the part of a user-agent value Google compares: leading ``[A-Za-z_-]``.

    >>> product_token("Googlebot/2.1")
    'Googlebot'
    >>> product_token("AI2Bot")
    'AI'
    """
    match = _AGENT_CHARS.match(value)
    return match.group(0) if match else ""


def is_valid_product_token(token: str) -> bool:
    """Return True when *token* is an RFC 9309 product token Google can match as a whole."""
    return bool(token) and product_token(token) == token
