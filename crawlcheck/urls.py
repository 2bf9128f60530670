"""URLs and origins: one reading of a URL for the whole package, and its equivalent paths.

Every part of crawlcheck that turns a URL into an origin (the crawl, the per-URL
decisions, the cache, the add-on) goes through :func:`origin_of`, so a URL is never
decided against one host and fetched from another. A URL that common parsers read
differently (a backslash before the path, which browsers and urllib3 read as ``/`` and
RFC 3986 parsers as part of the authority; a percent-encoded or otherwise invalid host)
is malformed: it has no origin, and a decision on it is ``unknown``.
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import quote_from_bytes, urlsplit, urlunsplit

__all__ = [
    "MAX_URL_LENGTH",
    "decision_paths",
    "malformed_reason",
    "origin_of",
    "origins_and_paths",
    "same_origin",
    "site_origin",
    "without_fragment",
]

#: Longer URLs are malformed input (browsers and crawlers commonly stop near 8 KiB).
MAX_URL_LENGTH = 8192
_DEFAULT_PORTS = {"http": 80, "https": 443}
_BAD_CHAR = re.compile(r"[\x00-\x20\x7f]")
#: A host name as DNS and every URL parser read it alike (underscores occur in the wild).
_HOST = re.compile(r"[a-z0-9_](?:[a-z0-9_.-]{0,251}[a-z0-9_])?\.?")
_SIMPLE_ORIGIN = re.compile(
    r"(https?)://([A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?)(?::([0-9]{1,5}))?(?=[/?#]|\Z)",
    re.IGNORECASE,
)


#: A plain URL (origins_and_paths): the characters every reading agrees on, no "%", "\\"
#: or "#"; the host as _SIMPLE_ORIGIN reads it (checked again there), the path after it.
_PLAIN_URL = re.compile(r"(https?://[A-Za-z0-9][A-Za-z0-9.-]*(?::[0-9]{1,5})?)(/[!\"$&-\[\]-~]*)")


def site_origin(site: str) -> str | None:
    """Return ``scheme://host[:port]`` for a bare host or an origin URL; None if unusable.

    A bare host is audited over https; a URL keeps its scheme and port (a default port is
    dropped); a path, query or user info is ignored; the host is lower-cased and IDNA-encoded.

    >>> site_origin("Example.COM"), site_origin("http://example.com:8080/x")
    ('https://example.com', 'http://example.com:8080')
    """
    text = site.strip()
    if not text or any(ch.isspace() for ch in text):
        return None
    if "://" not in text:
        text = f"https://{text}"
    return origin_of(text)


def origin_of(url: str) -> str | None:
    """Return the ``scheme://host[:port]`` of an absolute http(s) *url*, or None.

    >>> origin_of("HTTPS://Example.COM:443/a?b")
    'https://example.com'
    >>> origin_of("http://a.test\\\\@b.test/x") is None  # read as a.test or b.test: ambiguous
    True
    """
    found = _read(url)
    return found[0] if isinstance(found, tuple) else None


def origins_and_paths(values: list[object]) -> tuple[list[str | None], list[str | None]]:
    """Return :func:`origin_of` each value (None also for one that is not a string), and
    each URL's path where that is its only form.

    A path is given for a plain URL: http(s), a simple host, and a path of printable ASCII
    without ``%``, ``\\``, ``#`` or dot segments. Its path is then Google's reading of
    the URL (``path_of``) and its only :func:`decision_paths` form. None for any other
    value: its paths are read the general way.

    >>> origins_and_paths(["https://A.test/x?y", "https://a.test/%41", 7])
    (['https://a.test', 'https://a.test', None], ['/x?y', None, None])
    """
    origins: list[str | None] = []
    paths: list[str | None] = []
    add_origin, add_path = origins.append, paths.append
    plain, head_origin, read = _PLAIN_URL.fullmatch, _head_origin, _read
    for value in values:
        # One regex checks the characters and splits the URL (the common case, millions).
        if type(value) is str and len(value) <= MAX_URL_LENGTH:
            found = plain(value)
            if found is not None:
                head, path = found.groups()
                origin = head_origin(head)
                if type(origin) is tuple and "/." not in path:
                    add_origin(origin[0])
                    add_path(path)
                    continue
        whole = read(value)
        add_origin(whole[0] if type(whole) is tuple else None)
        add_path(None)
    return origins, paths


def malformed_reason(url: object) -> str | None:
    """Return why *url* is not a usable absolute http(s) URL, or None when it is one.

    >>> malformed_reason("ftp://example.com/")
    "not an http(s) URL: scheme 'ftp'"
    """
    found = _read(url)
    return None if isinstance(found, tuple) else found


def same_origin(url: str, origin: str) -> bool:
    """Return True when *url* belongs to *origin* (scheme, host and port)."""
    return origin_of(url) == origin


def without_fragment(url: str) -> str:
    """Return *url* without its ``#fragment``."""
    return url.split("#", 1)[0]


def _read(url: object) -> tuple[str] | str:
    """Return ``(origin,)`` for a usable URL, else the reason it is malformed."""
    if not isinstance(url, str):
        return f"not a string: {type(url).__name__}"
    if not url:
        return "empty"
    if len(url) > MAX_URL_LENGTH:
        return f"longer than {MAX_URL_LENGTH} characters"
    if _BAD_CHAR.search(url):
        return "contains whitespace or control characters"
    # What follows depends only on the scheme and authority, which millions of URLs share.
    end = url.find("/", 8)
    head = url if end < 0 else url[:end]
    found = _head_origin(head)
    return found if found is not None else _parsed_origin(url)


@lru_cache(maxsize=65536)
def _head_origin(head: str) -> tuple[str] | str | None:
    """Return the origin of a common ``scheme://host[:port]`` head; None for anything else."""
    simple = _SIMPLE_ORIGIN.match(head)
    if simple is None:
        return None
    scheme, host, digits = simple.group(1).lower(), simple.group(2).lower(), simple.group(3)
    number = None if digits is None else int(digits)
    if number is None or number == _DEFAULT_PORTS[scheme]:
        return (f"{scheme}://{host}",)
    if 0 < number < 65536:
        return (f"{scheme}://{host}:{number}",)
    return f"invalid port {digits}"


def _parsed_origin(url: str) -> tuple[str] | str:
    before_path = re.split(r"[?#]", url, maxsplit=1)[0]
    if "\\" in before_path:
        # WHATWG URL (browsers) and urllib3 read "\" as "/" here; RFC 3986 parsers
        # (urllib.parse, hence robots.txt matching) do not: the URL names two targets.
        return "contains a backslash, which URL parsers read differently ('/' or data)"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        return f"cannot be parsed: {exc}"
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        return f"not an http(s) URL: scheme {scheme!r}" if scheme else "not an absolute URL"
    host = parts.hostname or ""
    if not host:
        return "no host"
    if ":" in host:
        host = f"[{host}]"
    else:
        if not host.isascii():
            try:
                host = host.encode("idna").decode("ascii")
            except UnicodeError:
                return f"invalid host name {host!r}"
        if not _HOST.fullmatch(host):
            # e.g. a percent-encoded host, which browsers decode and RFC 3986 parsers keep.
            return f"invalid host name {host!r}"
    if port == 0:
        return "invalid port 0"
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        host = f"{host}:{port}"
    return (urlunsplit((scheme, host, "", "", "")),)


# -- equivalent paths ------------------------------------------------------------------

#: Percent-encoded unreserved characters (RFC 3986 §2.3): ``%41`` and ``A`` are the same URL.
_ENCODED_UNRESERVED = re.compile(r"%(?:[46][1-9A-Fa-f]|[57][0-9Aa]|3[0-9]|2[DdEe]|5[Ff]|7[Ee])")
#: Any percent-encoding with a lower-case hex digit (RFC 3986 §6.2.2.1: case-insensitive).
_LOWER_ESCAPE = re.compile(r"%(?:[0-9A-Fa-f][a-f]|[a-f][0-9A-Fa-f])")
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")


def decision_paths(path: str) -> tuple[str, ...]:
    """Return the forms of *path* that equivalent URLs take; the path as given comes first.

    The path as given is Google's reading (robots.cc matches the URL as passed). The path
    as a client sends it follows: WHATWG URL (browsers, Scrapy's w3lib) reads ``\\`` as
    ``/`` in an http(s) path, and every client percent-encodes non-ASCII characters as
    UTF-8, as RFC 9309 §2.2.2 also requires before matching. Of each, the equivalent forms:
    percent-encoded unreserved characters decoded (RFC 9309 §2.2.2, RFC 3986 §2.3; other
    escapes compared in upper case, §6.2.2.1), dot segments removed (RFC 3986 §5.2.4, as
    servers do). A URL is decided on every form, and the most restrictive answer wins.

    >>> decision_paths("/public/../private")
    ('/public/../private', '/private')
    >>> decision_paths("/%70rivate?q=%41")
    ('/%70rivate?q=%41', '/private?q=A')
    >>> decision_paths("/public\\\\..\\\\priv\u00e9")
    ('/public\\\\..\\\\privé', '/public/../priv%C3%A9', '/priv%C3%A9')
    """
    if "%" not in path and "/." not in path and "\\" not in path and path.isascii():
        return (path,)
    forms = [path]
    for base in dict.fromkeys((path, _as_sent(path))):
        decoded = _ENCODED_UNRESERVED.sub(lambda m: chr(int(m.group(0)[1:], 16)), base)
        decoded = _LOWER_ESCAPE.sub(lambda m: m.group(0).upper(), decoded)
        for candidate in (
            base,
            _without_dot_segments(base),
            decoded,
            _without_dot_segments(decoded),
        ):
            if candidate not in forms:
                forms.append(candidate)
    return tuple(forms)


def _as_sent(path: str) -> str:
    """Return *path* (with its query) as an HTTP client puts it on the wire.

    WHATWG URL §"path state": in a special scheme's path a ``\\`` is a ``/`` (the query
    keeps it); non-ASCII characters are percent-encoded as UTF-8 in path and query.
    """
    cut = path.find("?")
    base, query = (path, "") if cut < 0 else (path[:cut], path[cut:])
    sent = base.replace("\\", "/") + query
    if sent.isascii():
        return sent
    return _NON_ASCII.sub(
        lambda m: quote_from_bytes(m.group(0).encode("utf-8", "surrogatepass"), safe=""), sent
    )


def _without_dot_segments(path: str) -> str:
    """Return *path* (with its query) after RFC 3986 §5.2.4 "remove_dot_segments"."""
    cut = path.find("?")
    base, query = (path, "") if cut < 0 else (path[:cut], path[cut:])
    if "." not in base:
        return path
    output: list[str] = []
    segments = base.split("/")
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if segment == ".":
            if last:
                output.append("")
        elif segment == "..":
            if len(output) > 1:
                output.pop()
            if last:
                output.append("")
        else:
            output.append(segment)
    result = "/".join(output)
    if not result.startswith("/"):
        result = "/" + result
    return result + query
