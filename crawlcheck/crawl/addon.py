"""The Scrapy add-on: one ``ADDONS`` entry turns crawlcheck's middleware on.

``ADDONS = {"crawlcheck.crawl.addon.CrawlcheckAddon": 0}`` in a project's settings.py
(docs/scrapy-addon.md). Scrapy's ``AddonManager`` builds the add-on with the crawler and
calls :meth:`CrawlcheckAddon.update_settings` before any component is created.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from crawlcheck.crawl.middleware import CrawlcheckMiddleware, ReceivedBodyMiddleware
from crawlcheck.crawl.middleware_settings import DEFAULTS

if TYPE_CHECKING:
    from scrapy.settings import BaseSettings

__all__ = ["MIDDLEWARE_ORDER", "RECEIVED_ORDER", "CrawlcheckAddon"]

#: Just after Scrapy's RobotsTxtMiddleware (100): a request robots.txt forbids is dropped
#: before crawlcheck spends a decision on it; before every other built-in middleware, so
#: a dropped request costs no cookies, headers, proxy or retry work.
MIDDLEWARE_ORDER = 110
#: Between Scrapy's HttpCompressionMiddleware (590) and RedirectMiddleware (600): responses
#: reach it before they are decoded, and only responses that are not redirects.
RECEIVED_ORDER = 595


class CrawlcheckAddon:
    """Enable :class:`~crawlcheck.crawl.middleware.CrawlcheckMiddleware` and its defaults."""

    def update_settings(self, settings: BaseSettings) -> None:
        """Enable the middleware and the ``CRAWLCHECK_*`` defaults at ``addon`` priority.

        A user's own value wins: a project setting has a higher priority than ``addon``,
        and a middleware order (or ``None``) already in ``DOWNLOADER_MIDDLEWARES`` stays.
        """
        settings.setdefault_in_component_priority_dict(
            "DOWNLOADER_MIDDLEWARES", CrawlcheckMiddleware, MIDDLEWARE_ORDER
        )
        settings.setdefault_in_component_priority_dict(
            "DOWNLOADER_MIDDLEWARES", ReceivedBodyMiddleware, RECEIVED_ORDER
        )
        for name, value in DEFAULTS.items():
            if value is not None:
                settings.set(name, value, priority="addon")
