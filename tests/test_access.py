"""Access results of site-file fetches: one classification for the crawl and the evaluator."""

from __future__ import annotations

import pytest

from crawlcheck.access import (
    FileAccess,
    RobotsAccess,
    file_access,
    file_outcome,
    robots_access,
    robots_outcome,
)
from crawlcheck.model import Fetched, Signal

ROBOTS_CASES = [
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
    (200, "headers-too-large", RobotsAccess.UNREACHABLE),
]


@pytest.mark.parametrize(("status", "error", "expected"), ROBOTS_CASES)
def test_robots_access(status: int | None, error: str | None, expected: RobotsAccess) -> None:
    doc = Fetched(url="http://e.example/robots.txt", status=status, error=error)
    assert robots_access(doc) is expected
    outcome = robots_outcome(doc, "http://e.example")
    assert outcome.access is expected
    assert outcome.reachable is (expected is not RobotsAccess.UNREACHABLE)
    assert outcome.reason


def test_robots_cut_at_the_limit_is_parsed_and_reported() -> None:
    doc = Fetched(url="http://e.example/robots.txt", status=200, body=b"x", truncated=True)
    outcome = robots_outcome(doc, "http://e.example")
    assert outcome.access is RobotsAccess.PARSED
    assert [p.code for p in outcome.problems] == ["robots.too-large"]


FILE_CASES = [
    (200, None, False, FileAccess.READ),
    (204, None, False, FileAccess.READ),
    (404, None, False, FileAccess.ABSENT),
    (410, None, False, FileAccess.ABSENT),
    (403, None, False, FileAccess.ABSENT),
    (200, None, True, FileAccess.UNREADABLE),  # cut at the size limit: never read as whole
    (301, None, False, FileAccess.UNREADABLE),  # a redirect that did not end
    (301, "redirect-loop", False, FileAccess.UNREADABLE),
    (500, None, False, FileAccess.UNREADABLE),
    (503, None, False, FileAccess.UNREADABLE),
    (None, "timeout", False, FileAccess.UNREADABLE),
    (None, "connection", False, FileAccess.UNREADABLE),
    (None, "incomplete", False, FileAccess.UNREADABLE),
    (200, "content-encoding", False, FileAccess.UNREADABLE),
]


@pytest.mark.parametrize(("status", "error", "cut", "expected"), FILE_CASES)
def test_other_site_files_have_two_answers_and_doubt(
    status: int | None, error: str | None, cut: bool, expected: FileAccess
) -> None:
    doc = Fetched(url="http://e.example/ai.txt", status=status, error=error, truncated=cut)
    assert file_access(doc) is expected
    outcome = file_outcome(doc, Signal.AI_TXT)
    assert outcome.access is expected
    if expected is FileAccess.UNREADABLE:
        problem = outcome.problem()
        assert problem.level == "error"
        assert problem.signal is Signal.AI_TXT
        assert "ai.txt could not be read" in problem.message
    else:
        assert outcome.reason == ""
