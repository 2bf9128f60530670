"""The crawl's HTTP download handler: Scrapy's HTTP/1.1 handler, keeping proxy connections.

Scrapy's handler keeps at most ``CONCURRENT_REQUESTS_PER_DOMAIN`` idle connections per
connection-pool key, and every plain-http request sent through one proxy shares one key
(the proxy's address). With more requests in flight than that, each response's
connection is closed on return and the next request opens a new one: through a proxy,
nearly one TCP connection per request. Keeping as many idle connections as the crawl has
requests in flight lets them be reused. Without a proxy nothing changes: a key is one
host, and a host never has more connections than its download slot allows
(``CONCURRENT_REQUESTS_PER_DOMAIN``).
"""

from __future__ import annotations

from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy.crawler import Crawler


class PooledHTTPDownloadHandler(HTTP11DownloadHandler):
    """Scrapy's HTTP/1.1 handler with room for every request in flight in its pool."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        settings = crawler.settings
        self._pool.maxPersistentPerHost = max(
            settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN"),
            settings.getint("CONCURRENT_REQUESTS"),
        )
