"""Scrapy settings for crawlcheck's polite crawl, built from :class:`CrawlOptions`.

Plain data (no Scrapy import): the worker hands the mapping to Scrapy. Why each value is
what it is, is in docs/crawl.md ("Politeness").
"""

from __future__ import annotations

from typing import Any

from crawlcheck.crawl.options import CrawlOptions

#: Host names whose DNS answers Scrapy keeps for a crawl: more than a crawl meets, so that
#: an answer checked by the address guard is the one connected to (crawlcheck.crawl.guard).
DNS_CACHE_SIZE = 1_000_000

#: Exceptions worth one more try: timeouts and connection failures only. A DNS failure is
#: not transient enough to repeat, and an incomplete body is recorded as the site sent it.
RETRY_EXCEPTIONS = (
    "scrapy.exceptions.DownloadTimeoutError",
    "scrapy.exceptions.DownloadConnectionRefusedError",
    "scrapy.exceptions.DownloadFailedError",
    "twisted.internet.error.TimeoutError",
    "twisted.internet.error.TCPTimedOutError",
    "twisted.internet.error.ConnectError",
    "twisted.internet.error.ConnectionRefusedError",
    "twisted.internet.error.ConnectionDone",
    "twisted.internet.error.ConnectionLost",
    "twisted.web._newclient.ResponseNeverReceived",
)
#: The download handler for http and https (named, not imported: no Scrapy import here).
HTTP_HANDLER = "crawlcheck.crawl.download.PooledHTTPDownloadHandler"
#: AutoThrottle's first per-host delay; it then follows the host's latency.
AUTOTHROTTLE_START_DELAY = 0.0


def scrapy_settings(options: CrawlOptions) -> dict[str, Any]:
    """Return the Scrapy settings that make a crawl behave as *options* and docs/crawl.md say."""
    return {
        "BOT_NAME": "crawlcheck",
        "USER_AGENT": options.user_agent,
        # crawlcheck reads robots.txt itself, exactly per RFC 9309 §2.3.1; Scrapy's
        # middleware parses 5xx bodies as rules and allows everything on network errors.
        "ROBOTSTXT_OBEY": False,
        "COOKIES_ENABLED": False,
        "REFERER_ENABLED": False,
        # Every redirect hop is recorded by the spider (RFC 9309 §2.3.1.2 for robots.txt).
        "REDIRECT_ENABLED": False,
        "METAREFRESH_ENABLED": False,
        "HTTPERROR_ALLOW_ALL": True,
        "CONCURRENT_REQUESTS": max(1, options.concurrency),
        "CONCURRENT_REQUESTS_PER_DOMAIN": max(1, options.per_host),
        "DOWNLOAD_DELAY": 0,
        "AUTOTHROTTLE_ENABLED": True,
        "AUTOTHROTTLE_START_DELAY": AUTOTHROTTLE_START_DELAY,
        "AUTOTHROTTLE_MAX_DELAY": max(1.0, options.timeout),
        "AUTOTHROTTLE_TARGET_CONCURRENCY": float(max(1, options.per_host)),
        "DOWNLOAD_TIMEOUT": options.timeout,
        "DNS_TIMEOUT": max(1, round(options.timeout)),
        # Bodies are capped by the spider (bytes_received + StopDownload), and content
        # encodings are undone by it with the same cap; Scrapy's limits would fail instead.
        "DOWNLOAD_MAXSIZE": 0,
        "DOWNLOAD_WARNSIZE": 0,
        "COMPRESSION_ENABLED": False,
        "DEFAULT_REQUEST_HEADERS": {
            "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
            "Accept-Language": "en",
            "Accept-Encoding": "gzip, deflate",
        },
        "RETRY_ENABLED": options.retries > 0,
        "RETRY_TIMES": max(0, options.retries),
        "RETRY_HTTP_CODES": [503],
        "RETRY_EXCEPTIONS": list(RETRY_EXCEPTIONS),
        "RETRY_GIVE_UP_LOG_LEVEL": "INFO",
        "HTTPPROXY_ENABLED": True,
        "CRAWLCHECK_ALLOW_PRIVATE_ADDRESSES": options.allow_private_addresses,
        "DNSCACHE_ENABLED": True,
        "DNSCACHE_SIZE": DNS_CACHE_SIZE,
        "TELNETCONSOLE_ENABLED": False,
        "LOG_LEVEL": "WARNING",
        # Callbacks return a handful of requests and no items; Scrapy starts this many
        # asyncio tasks per callback output, so the default 100 costs more than the crawl.
        "CONCURRENT_ITEMS": 4,
        "SCHEDULER_PRIORITY_QUEUE": "scrapy.pqueues.DownloaderAwarePriorityQueue",
        "REACTOR_THREADPOOL_MAXSIZE": 20,
        "DOWNLOADER_MIDDLEWARES": {
            "crawlcheck.crawl.guard.AddressGuard": 760,  # after HttpProxyMiddleware (750)
            "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
            "scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware": None,
        },
        "EXTENSIONS": {"scrapy.extensions.logstats.LogStats": None},
        # Reuses connections to a proxy (crawlcheck.crawl.download says why).
        "DOWNLOAD_HANDLERS": {"http": HTTP_HANDLER, "https": HTTP_HANDLER},
    }
