"""crawlcheck: is this content reserved from AI training — by which signal, for whom, for what?

The public API (contract.md, "Python API")::

    robots = crawlcheck.parse_robots(body)
    robots.allows("GPTBot", "https://example.com/x")
    reports = crawlcheck.audit(["example.com"])
"""

from __future__ import annotations

from crawlcheck._version import __version__
from crawlcheck.errors import CrawlcheckError, RuleFileError, UsageError
from crawlcheck.parsers.robots import RobotsTxt, parse_robots
from crawlcheck.site_audit import audit
from crawlcheck.urlcheck import check_url, check_urls

__all__ = [
    "CrawlcheckError",
    "RobotsTxt",
    "RuleFileError",
    "UsageError",
    "__version__",
    "audit",
    "check_url",
    "check_urls",
    "parse_robots",
]
