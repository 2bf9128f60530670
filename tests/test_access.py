"""robots.txt access results: one classification for the crawl and the evaluator."""

from __future__ import annotations

import pytest

from crawlcheck._evaluate_sources import robots_outcome
from crawlcheck.access import RobotsAccess, robots_access
from crawlcheck.model import Fetched

CASES = [
    (200, None, RobotsAccess.PARSED),
    (204, None, RobotsAccess.PARSED),
    (301, None, RobotsAccess.UNAVAILABLE),  # a redirect that could not be followed
    (401, None, RobotsAccess.UNAVAILABLE),
    (403, None, RobotsAccess.UNAVAILABLE),
    (404, None, RobotsAccess.UNAVAILABLE),
    (429, None, RobotsAccess.UNAVAILABLE),  # contract: 4xx = no rules (Google: unreachable)
    (500, None, RobotsAccess.UNREACHABLE),
    (503, None, RobotsAccess.UNREACHABLE),
    (None, "timeout", RobotsAccess.UNREACHABLE),
    (None, "dns", RobotsAccess.UNREACHABLE),
    (None, "incomplete", RobotsAccess.UNREACHABLE),
    (None, "too-many-redirects", RobotsAccess.UNAVAILABLE),
    (None, "redirect-loop", RobotsAccess.UNAVAILABLE),
    (302, "redirect-loop", RobotsAccess.UNAVAILABLE),
    (301, "redirect-invalid", RobotsAccess.UNAVAILABLE),
    (200, "content-encoding", RobotsAccess.UNREACHABLE),  # a body that cannot be decoded
]


@pytest.mark.parametrize(("status", "error", "expected"), CASES)
def test_crawl_and_evaluator_agree(status: int | None, error: str | None, expected: str) -> None:
    doc = Fetched(url="http://e.example/robots.txt", status=status, error=error)
    assert robots_access(doc) is expected
    assert robots_outcome(doc, "http://e.example").state == expected
