"""What a robots.txt fetch means before a line is read (RFC 9309 §2.3.1).

One classification, used both by the crawl (to obey robots.txt for crawlcheck's own page
fetches) and by the evaluator (to say why verdicts are what they are), so the two never
disagree.
"""

from __future__ import annotations

from enum import StrEnum

from crawlcheck.model import Fetched

#: Fetched.error codes of a redirect chain that did not end (docs/crawl.md, "Errors").
REDIRECT_FAILURES = frozenset({"too-many-redirects", "redirect-loop", "redirect-invalid"})


class RobotsAccess(StrEnum):
    """The access result of a robots.txt fetch."""

    PARSED = "parsed"
    """2xx: the rules in the body apply (§2.3.1.1)."""
    UNAVAILABLE = "unavailable"
    """4xx, or redirects that do not end (§2.3.1.2 MAY; Google: as a 404): no rules apply."""
    UNREACHABLE = "unreachable"
    """5xx, a network failure or an incomplete response: assume complete disallow (§2.3.1.4)."""


def robots_access(robots: Fetched) -> RobotsAccess:
    """Return what the robots.txt response *robots* means for crawling.

    >>> robots_access(Fetched(url="https://e.com/robots.txt", status=404))
    <RobotsAccess.UNAVAILABLE: 'unavailable'>
    >>> robots_access(Fetched(url="https://e.com/robots.txt", error="timeout"))
    <RobotsAccess.UNREACHABLE: 'unreachable'>
    """
    if robots.error in REDIRECT_FAILURES:
        return RobotsAccess.UNAVAILABLE
    if robots.error is not None or robots.status is None:
        return RobotsAccess.UNREACHABLE
    if 200 <= robots.status < 300:
        return RobotsAccess.PARSED
    # A 3xx left over is a redirect that could not be followed (no usable Location).
    if 300 <= robots.status < 500:
        return RobotsAccess.UNAVAILABLE
    return RobotsAccess.UNREACHABLE
