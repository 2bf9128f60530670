"""URLs and origins: one canonical ``scheme://host[:port]`` for the whole package."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

__all__ = ["origin_of", "same_origin", "site_origin"]


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
    """Return the ``scheme://host[:port]`` of an http(s) *url*, or None."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    host = parts.hostname
    if scheme not in ("http", "https") or not host:
        return None
    if ":" in host:
        netloc = f"[{host}]"
    else:
        try:
            netloc = host.encode("idna").decode("ascii")
        except UnicodeError:
            return None
    if port is not None and port != {"http": 80, "https": 443}[scheme]:
        netloc = f"{netloc}:{port}"
    return urlunsplit((scheme, netloc, "", "", ""))


def same_origin(url: str, origin: str) -> bool:
    """Return True when *url* belongs to *origin* (scheme, host and port)."""
    return origin_of(url) == origin
