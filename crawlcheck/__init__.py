"""crawlcheck: is this content reserved from AI training — by which signal, for whom, for what?

The public API (contract.md, "Python API")::

    robots = crawlcheck.parse_robots(body)
    robots.allows("GPTBot", "https://example.com/x")
    reports = crawlcheck.audit(["example.com"])
    decision = crawlcheck.check_url("https://example.com/x", agent="GPTBot")

and the types they return, and the vocabulary of their answers.
"""

from __future__ import annotations

# First: it chooses the build (compiled or sources) before any compiled module is imported.
from crawlcheck import _compiled  # noqa: F401
from crawlcheck._version import __version__
from crawlcheck.crawl.options import CrawlOptions
from crawlcheck.decide.checker import UrlChecker, check_url, check_urls
from crawlcheck.errors import CrawlcheckError, CrawlWorkerError, RuleFileError, UsageError
from crawlcheck.model import (
    AgentReport,
    Effect,
    Finding,
    Problem,
    Purpose,
    RobotsState,
    Signal,
    SiteReport,
    SiteVerdict,
    UrlDecision,
    UrlVerdict,
    Verdict,
)
from crawlcheck.parsers.robots import RobotsTxt, parse_robots
from crawlcheck.ruleset import Ruleset, load_ruleset
from crawlcheck.site_audit import audit

__all__ = [
    "AgentReport",
    "CrawlOptions",
    "CrawlWorkerError",
    "CrawlcheckError",
    "Effect",
    "Finding",
    "Problem",
    "Purpose",
    "RobotsState",
    "RobotsTxt",
    "RuleFileError",
    "Ruleset",
    "Signal",
    "SiteReport",
    "SiteVerdict",
    "UrlChecker",
    "UrlDecision",
    "UrlVerdict",
    "UsageError",
    "Verdict",
    "__version__",
    "audit",
    "check_url",
    "check_urls",
    "load_ruleset",
    "parse_robots",
]
