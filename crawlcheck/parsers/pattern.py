"""robots.txt path patterns exactly as Google's reference parser reads and matches them.

Shared by robots.txt, ai.txt, Content-Usage rules, tdmrep.json ``location`` and RSL
``<content url>`` (all of which reuse the RFC 9309 §2.2.3 matching conventions).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

_HEXDIGITS = frozenset(b"0123456789abcdefABCDEF")

Matcher = Callable[[str], bool]


def escape_pattern(raw: bytes) -> str:
    """Return *raw* as Google's ``MaybeEscapePattern`` canonicalises it.

    Octets with the high bit set are percent-encoded and existing ``%xx`` escapes are
    upper-cased (``/SanJosé`` → ``/SanJos%C3%A9``, ``%aa`` → ``%AA``). Nothing is decoded:
    Google's parser does not decode ``%62`` to ``b``, although RFC 9309 §2.2.2 says
    unreserved characters should be (documented in docs/signals/robots.md).

    >>> escape_pattern("/á%2f".encode())
    '/%C3%A1%2F'
    """
    if raw.isascii() and b"%" not in raw:
        return raw.decode("ascii")
    out = bytearray()
    i = 0
    n = len(raw)
    while i < n:
        ch = raw[i]
        if ch == 0x25 and i + 2 < n and raw[i + 1] in _HEXDIGITS and raw[i + 2] in _HEXDIGITS:
            out += raw[i : i + 3].upper()
            i += 3
            continue
        if ch & 0x80:
            out += b"%%%02X" % ch
        else:
            out.append(ch)
        i += 1
    return out.decode("ascii")


def path_of(url: str) -> str:
    """Return the path, params and query of *url* as Google's ``GetPathParamsQuery`` does.

    The URL is used as given (callers pass it already percent-encoded); the fragment is
    dropped and the result always starts with ``/``.

    >>> path_of("http://example.com/a/b?c=d#frag")
    '/a/b?c=d'
    >>> path_of("example.com?a")
    '/?a'
    """
    if url[:1] == "/" and url[1:2] != "/":
        # Already a path (the common case for callers that extracted it once): no scheme
        # can start before the first "/", so only a fragment is left to drop.
        hash_pos = url.find("#")
        return url if hash_pos < 0 else url[:hash_pos]
    # The common case, http(s) with a path: what the general reading below gives when no
    # "?", ";" or "#" comes before the first "/" after the scheme. One regex for a URL of
    # usual length; for a long one, find() the fragment (the regex would step through it).
    if len(url) <= 256:
        found = _HTTP_PATH.match(url)
        if found is not None:
            return found.group(1)
    else:
        found = _HTTP_AUTHORITY.match(url)
        if found is not None:
            start = found.end()
            hash_pos = url.find("#", start)
            return url[start:] if hash_pos < 0 else url[start:hash_pos]
    return _general_path_of(url)


_HTTP_PATH = re.compile(r"https?://[^/?;#]*(/[^#]*)", re.DOTALL)
_HTTP_AUTHORITY = re.compile(r"https?://[^/?;#]*(?=/)")


def _general_path_of(url: str) -> str:
    """Return :func:`path_of` for any URL: robots.cc GetPathParamsQuery step by step."""
    search_start = 2 if url.startswith("//") else 0
    if url.startswith(("https://", "http://")):
        # No "/", "?" or ";" can come before "://" here: the scheme ends where it says.
        protocol_end = url.index("://") + 3
    else:
        early = _PATH_START.search(url, search_start)
        protocol_end = url.find("://", search_start)
        if protocol_end == -1 or (early is not None and early.start() < protocol_end):
            # If path, param or query starts before "://", it does not mark a scheme.
            protocol_end = search_start
        else:
            protocol_end += 3
    found = _PATH_START.search(url, protocol_end)
    if found is None:
        return "/"
    path_start = found.start()
    hash_pos = url.find("#", search_start)
    if hash_pos != -1 and hash_pos < path_start:
        return "/"
    path_end = len(url) if hash_pos == -1 else hash_pos
    if url[path_start] != "/":
        return "/" + url[path_start:path_end]
    return url[path_start:path_end]


_PATH_START = re.compile("[/?;]")


@lru_cache(maxsize=65536)
def compile_pattern(pattern: str) -> Matcher:
    """Return a predicate telling whether a path matches *pattern* (Google's ``Matches``).

    The pattern is anchored at the start of the path; ``*`` matches any run of
    characters; ``$`` is special only as the last character (RFC 9309 §2.2.3). Matching
    places each literal segment at its leftmost possible position, which is optimal, so
    the cost is linear in the path for every segment — never exponential, whatever a
    hostile file writes (a backtracking regex would hang on ``/*a*a*a…*b``).

    >>> compile_pattern("/*.pdf$")("/a/b.pdf")
    True
    >>> compile_pattern("/*.pdf$")("/a/b.pdf?x=1")
    False
    """
    anchored = pattern.endswith("$")
    body = pattern[:-1] if anchored else pattern
    if "*" not in body:
        if anchored:
            return body.__eq__
        return lambda path: path.startswith(body)
    first, *middle, last = body.split("*")
    middle = [segment for segment in middle if segment]
    if anchored:
        return lambda path: _match_anchored(path, first, middle, last)
    if last:
        middle.append(last)
    if not middle:  # "/head*": a prefix
        return lambda path: path.startswith(first)
    if len(middle) == 1:  # the common "/head*text" needs no loop
        segment, start = middle[0], len(first)
        return lambda path: path.startswith(first) and path.find(segment, start) >= 0
    return lambda path: _match_prefix(path, first, middle)


def _match_prefix(path: str, first: str, segments: list[str]) -> bool:
    if not path.startswith(first):
        return False
    pos = len(first)
    for segment in segments:
        found = path.find(segment, pos)
        if found < 0:
            return False
        pos = found + len(segment)
    return True


def _match_anchored(path: str, first: str, segments: list[str], last: str) -> bool:
    end = len(path) - len(last)
    if end < len(first) or not path.startswith(first) or not path.endswith(last):
        return False
    pos = len(first)
    for segment in segments:
        found = path.find(segment, pos, end)
        if found < 0:
            return False
        pos = found + len(segment)
    return True


def matches(pattern: str, path: str) -> bool:
    """Return True when *path* matches the robots.txt *pattern*."""
    return compile_pattern(pattern)(path)
