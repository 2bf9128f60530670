"""Tests for crawlcheck.crawl.settings: politeness defaults, and Scrapy accepts them."""

from __future__ import annotations

from scrapy.settings import Settings
from scrapy.utils.misc import load_object

from crawlcheck.crawl.options import CrawlOptions
from crawlcheck.crawl.settings import scrapy_settings


def test_polite_defaults() -> None:
    settings = scrapy_settings(CrawlOptions())
    assert settings["ROBOTSTXT_OBEY"] is False
    robots_mw = "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware"
    assert settings["DOWNLOADER_MIDDLEWARES"][robots_mw] is None
    assert settings["CONCURRENT_REQUESTS_PER_DOMAIN"] == 2
    assert settings["AUTOTHROTTLE_ENABLED"] is True
    assert settings["COOKIES_ENABLED"] is False
    assert settings["DOWNLOAD_TIMEOUT"] == 15.0
    assert (settings["RETRY_TIMES"], settings["RETRY_HTTP_CODES"]) == (1, [503])
    assert settings["USER_AGENT"].startswith("crawlcheck/")
    assert settings["TELNETCONSOLE_ENABLED"] is False


def test_options_reach_the_settings() -> None:
    options = CrawlOptions(concurrency=7, per_host=1, timeout=3.0, retries=0, user_agent="x")
    settings = scrapy_settings(options)
    assert (settings["CONCURRENT_REQUESTS"], settings["CONCURRENT_REQUESTS_PER_DOMAIN"]) == (7, 1)
    assert (settings["DOWNLOAD_TIMEOUT"], settings["USER_AGENT"]) == (3.0, "x")
    assert settings["RETRY_ENABLED"] is False


def test_every_retry_exception_exists() -> None:
    settings = Settings(scrapy_settings(CrawlOptions()))
    for path in settings.getlist("RETRY_EXCEPTIONS"):
        assert isinstance(load_object(path), type), path
