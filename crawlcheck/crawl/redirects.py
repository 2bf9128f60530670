"""Following redirects by hand, so that every hop is recorded (RFC 9309 §2.3.1.2).

One rule for crawlcheck's own spider and for the add-on's middleware: which statuses
redirect, how many hops are followed, and when a chain has failed.
"""

from __future__ import annotations

from urllib.parse import urljoin

from w3lib.url import safe_url_string

from crawlcheck.crawl.failures import REDIRECT_INVALID, REDIRECT_LOOP, TOO_MANY_REDIRECTS
from crawlcheck.urls import origin_of, without_fragment

#: Status codes that redirect when they carry a Location (RFC 9110 §15.4).
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
#: RFC 9309 §2.3.1.2: crawlers SHOULD follow at least five consecutive redirects.
MAX_REDIRECTS = 5


def next_hop(
    url: str,
    status: int,
    location: str | None,
    redirects: list[tuple[int, str]],
    visited: list[str],
) -> tuple[str | None, str | None]:
    """Return (*target*, *error*) for the response to *url*: the hop to follow, or why not.

    ``(None, None)``: not a redirect. A redirect's hop is appended to *redirects*, and a
    target to follow to *visited*; a chain longer than :data:`MAX_REDIRECTS`, a loop, or a
    target that is no usable http(s) URL ends it with an error code.

    >>> hops: list[tuple[int, str]] = []
    >>> next_hop("http://e.test/a", 301, "/b#x", hops, ["http://e.test/a"]), hops
    (('http://e.test/b', None), [(301, 'http://e.test/b')])
    """
    if status not in REDIRECT_STATUSES:
        return None, None
    if location is None:
        return None, REDIRECT_INVALID
    target = without_fragment(safe_url_string(urljoin(url, location.strip())))
    redirects.append((status, target))
    if origin_of(target) is None:
        return None, REDIRECT_INVALID
    if len(redirects) > MAX_REDIRECTS:
        return None, TOO_MANY_REDIRECTS
    if target in visited:
        return None, REDIRECT_LOOP
    visited.append(target)
    return target, None
