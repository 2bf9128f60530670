"""Line syntax of robots.txt-style files, byte for byte as Google's reference parser reads it.

Used by robots.txt and ai.txt. Each physical line becomes one :class:`RobotsLine`; nothing
here knows about groups or matching.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import NamedTuple

from crawlcheck.parsers.pattern import escape_pattern

#: RFC 9309 §2.5: crawlers must read at least 500 KiB; Google stops exactly there.
MAX_BYTES = 500 * 1024
#: Bytes a fetcher keeps of robots.txt: the read limit and one more, so that :func:`prepare`
#: can tell a file that ends at the limit from one the limit cuts, and drop a cut line.
FETCH_BYTES = MAX_BYTES + 1
#: Google keeps at most 2083 * 8 - 1 bytes of a line and drops the rest of it.
MAX_LINE_BYTES = 2083 * 8 - 1

_BOM = b"\xef\xbb\xbf"
_LINE_END_BYTES = frozenset(b"\r\n")
_WHITESPACE = re.compile(r"[ \t]+")
_AGENT_CHARS = re.compile(r"[A-Za-z_-]*")

# Google's kAllowFrequentTypos: keys accepted by prefix, case-insensitively (robots.cc).
_USER_AGENT_KEYS = ("user-agent", "useragent", "user agent")
_DISALLOW_KEYS = ("disallow", "dissallow", "dissalow", "disalow", "diasllow", "disallaw")
_SITEMAP_KEYS = ("sitemap", "site-map")


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


class RobotsLine(NamedTuple):
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


@dataclass(frozen=True, slots=True, kw_only=True)
class PreparedBody:
    """The bytes Google's parser reads, decoded once, and facts about the bytes they came from."""

    body: bytes
    """After the read limit and the byte-order mark."""
    text: str
    """*body* decoded as UTF-8; undecodable bytes kept as surrogate escapes (``surrogateescape``)."""
    had_bom: bool
    truncated: bool
    """The body was longer than the read limit; the rest, and the line cut there, were ignored."""
    valid_utf8: bool


def prepare(body: bytes, max_bytes: int | None = MAX_BYTES) -> PreparedBody:
    """Return *body* cut at the read limit, without its byte-order mark (RFC 9309 §2.5).

    A line the limit cuts in two is dropped whole: its first half could say something the
    whole line does not (``Allow: /public/site.css`` cut to ``Allow: /``).

    >>> prepare(b"Disallow: /\\nAllow: /public/site.css\\n", max_bytes=21).body
    b'Disallow: /\\n'
    """
    # Google skips any prefix of the UTF-8 BOM at the very start of the file.
    bom_len = 0
    while bom_len < 3 and bom_len < len(body) and body[bom_len] == _BOM[bom_len]:
        bom_len += 1
    truncated = max_bytes is not None and len(body) > max_bytes
    if truncated and max_bytes is not None:
        if body[max_bytes] in _LINE_END_BYTES:
            body = body[:max_bytes]
        else:
            last_break = max(body.rfind(b"\n", 0, max_bytes), body.rfind(b"\r", 0, max_bytes))
            body = body[: last_break + 1]
    body = body[bom_len:]
    try:
        text = body.decode("utf-8")
        valid_utf8 = True
    except UnicodeDecodeError:
        text = body.decode("utf-8", errors="surrogateescape")
        valid_utf8 = False
    return PreparedBody(
        body=body, text=text, had_bom=bom_len == 3, truncated=truncated, valid_utf8=valid_utf8
    )


def physical_lines(text: str) -> list[str]:
    """Return the lines of *text*: CR, LF and CRLF each end one (robots.cc ParseRobotsTxt)."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.split("\n")


def cut_line(raw: str) -> tuple[str, bool]:
    """Return (*raw* as Google's line buffer keeps it, whether it was too long).

    Google keeps the first :data:`MAX_LINE_BYTES` bytes of a line, and the reference parser
    works on C strings, so a NUL byte ends the line.
    """
    too_long = len(raw) > MAX_LINE_BYTES // 4 and _utf8_len(raw) > MAX_LINE_BYTES
    if too_long:
        raw = _cut(raw)
    if "\0" in raw:
        raw = raw[: raw.index("\0")]
    return raw, too_long


def iter_lines(body: bytes, *, blanks: bool) -> Iterator[RobotsLine]:
    """Yield the lines of a prepared body; blank and comment-only lines only if *blanks*.

    The body is decoded with ``surrogateescape`` when it is not valid UTF-8, so every byte
    survives: patterns are escaped from the original octets (robots.cc MaybeEscapePattern)
    and undecodable bytes show as U+FFFD only in the displayed text.
    """
    try:
        text = body.decode("utf-8")
        clean = True
    except UnicodeDecodeError:
        text = body.decode("utf-8", errors="surrogateescape")
        clean = False
    for number, whole in enumerate(physical_lines(text), start=1):
        raw, too_long = cut_line(whole)
        shown_text = raw if clean else displayable(raw)
        content = (raw[: raw.index("#")] if "#" in raw else raw).strip(_ASCII_SPACE)
        if not content:
            if blanks or too_long:
                yield RobotsLine(number, shown_text, LineKind.BLANK, too_long=too_long)
            continue
        key_value = key_and_value(content)
        if key_value is None:
            yield RobotsLine(number, shown_text, LineKind.INVALID, too_long=too_long)
            continue
        key, value, missing_colon = key_value
        kind, typo = classify_key(key)
        # Google escapes every value but user-agent and sitemap (NeedEscapeValueForKey).
        if kind is LineKind.USER_AGENT or kind is LineKind.SITEMAP:
            shown = value
        else:
            shown = escape_value(value)
        if not clean:
            key, value = displayable(key), displayable(value)
        yield RobotsLine(number, shown_text, kind, key, shown, value, typo, missing_colon, too_long)


def escape_value(value: str) -> str:
    """Return a rule's value as the pattern Google matches (robots.cc MaybeEscapePattern)."""
    if value.isascii() and "%" not in value:
        return value
    return escape_pattern(value.encode("utf-8", errors="surrogateescape"))


_ASCII_SPACE = " \t\n\r\x0b\x0c"  # absl::ascii_isspace, not Unicode whitespace


def _utf8_len(text: str) -> int:
    return len(text.encode("utf-8", errors="surrogateescape"))


def _cut(text: str) -> str:
    """Return *text* cut to Google's line limit, counted in bytes."""
    kept = text.encode("utf-8", errors="surrogateescape")[:MAX_LINE_BYTES]
    return kept.decode("utf-8", errors="surrogateescape")


def displayable(text: str) -> str:
    """Return *text* with escaped undecodable bytes shown as U+FFFD."""
    if text.isascii():
        return text
    return text.encode("utf-8", errors="surrogateescape").decode("utf-8", errors="replace")


def key_and_value(line: str) -> tuple[str, str, bool] | None:
    """Split a stripped, comment-free line into key and value (robots.cc GetKeyAndValueFrom)."""
    missing_colon = False
    sep = line.find(":")
    if sep < 0:
        if " " not in line and "\t" not in line:
            return None  # one word: not a record
        # Google accepts whitespace instead of the colon, but only between exactly two words.
        match = _WHITESPACE.search(line)
        if match is None:
            return None
        sep = match.start()
        if _WHITESPACE.search(line, sep + len(match.group(0))):
            return None
        missing_colon = True
    key = line[:sep].strip(_ASCII_SPACE)
    if not key:
        return None
    return key, line[sep + 1 :].strip(_ASCII_SPACE), missing_colon


@lru_cache(maxsize=1024)
def classify_key(key: str) -> tuple[LineKind, bool]:
    """Return (what a line with *key* is, whether *key* is an accepted typo) (robots.cc)."""
    # ASCII-only lower-casing, as absl::StartsWithIgnoreCase compares.
    lowered = (
        key.lower()
        if key.isascii()
        else key.encode("utf-8", "surrogateescape").lower().decode("utf-8", "surrogateescape")
    )
    if lowered.startswith(_USER_AGENT_KEYS):
        return LineKind.USER_AGENT, not lowered.startswith("user-agent")
    if lowered.startswith("allow"):
        return LineKind.ALLOW, False
    if lowered.startswith(_DISALLOW_KEYS):
        return LineKind.DISALLOW, not lowered.startswith("disallow")
    if lowered.startswith(_SITEMAP_KEYS):
        return LineKind.SITEMAP, not lowered.startswith("sitemap")
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
    if value.isalpha() and value.isascii():
        return value
    match = _AGENT_CHARS.match(value)
    return match.group(0) if match else ""
