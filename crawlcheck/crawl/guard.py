"""A downloader middleware that keeps crawlcheck's own fetches off non-public addresses (SSRF).

The rule is :mod:`crawlcheck.addresses`; :func:`request_refusal` is where it meets Scrapy,
for both fetchers: crawlcheck's spider marks every request it makes with :data:`SITE_META`
(the origin being audited) and :class:`AddressGuard` judges them after the proxy is chosen;
the add-on's middleware judges each site-file and licence request it makes for a user's
crawl before sending it. A user's own requests are never judged.

Every hop of a redirect is a request of its own (both follow redirects by hand), so each
hop is judged. A refused request fails with :class:`BlockedAddressError`, which
:func:`crawlcheck.crawl.failures.failure_code` reads as ``blocked-address``.

Names: an IP address in any spelling, a localhost or private-use name and a cloud metadata
name are refused whoever resolves them. Any other name is resolved here, through the
resolver Scrapy connects with, only when the request goes out without a proxy (a proxy
resolves names itself, where crawlcheck cannot see the answer). Every address of the answer
must be public. Scrapy's DNS cache keeps that answer for the connection that follows, so
a name cannot resolve to a public address for the check and to a private one for the
connection (DNS rebinding) while the cache keeps it; crawlcheck's crawl sizes the cache
(``DNSCACHE_SIZE``) so that no entry is evicted during a crawl.
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit
from urllib.request import getproxies, proxy_bypass

from scrapy.exceptions import IgnoreRequest
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IResolutionReceiver
from zope.interface import implementer

from crawlcheck.addresses import (
    address_refusal,
    is_audited_origin,
    literal_address,
    url_refusal,
)

if TYPE_CHECKING:
    from typing import Self

    from scrapy.crawler import Crawler
    from scrapy.http import Request

__all__ = [
    "ALLOW_SETTING",
    "GUARD_ORDER",
    "SITE_META",
    "AddressGuard",
    "BlockedAddressError",
    "env_proxy_applies",
    "request_refusal",
]

#: ``request.meta`` key: the origin audited on whose behalf the request is made.
SITE_META = "crawlcheck_site"
#: The Scrapy setting that lifts the rule (``--allow-private-addresses``).
ALLOW_SETTING = "CRAWLCHECK_ALLOW_PRIVATE_ADDRESSES"
#: After ``HttpProxyMiddleware`` (750), so ``meta["proxy"]`` says whether a proxy is used.
GUARD_ORDER = 760


class BlockedAddressError(IgnoreRequest):
    """A request crawlcheck refused: its host is (or resolves to) a non-public address."""

    def __init__(self, url: str, why: str) -> None:
        super().__init__(f"{url}: {why}")
        self.url = url
        self.why = why


class AddressGuard:
    """Refuse marked requests to non-public addresses (see the module docstring)."""

    def __init__(self, crawler: Crawler, *, allow_private: bool) -> None:
        self.crawler = crawler
        self.allow_private = allow_private

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        """Return the guard, allowing everything when ``ALLOW_SETTING`` is true."""
        return cls(crawler, allow_private=crawler.settings.getbool(ALLOW_SETTING, False))

    async def process_request(self, request: Request) -> None:
        """Raise :class:`BlockedAddressError` when *request* may not be sent."""
        site = request.meta.get(SITE_META)
        if site is None or self.allow_private:
            return
        reason = await request_refusal(request.url, site, proxied=bool(request.meta.get("proxy")))
        if reason is not None:
            stats = self.crawler.stats
            if stats is not None:
                stats.inc_value("crawlcheck/blocked_address")
            raise BlockedAddressError(request.url, reason)


async def request_refusal(url: str, site: str, *, proxied: bool) -> str | None:
    """Return why *url*, fetched for the audit of origin *site*, must not be, else None.

    The name is resolved (as the connection will resolve it) only when *proxied* is false.
    """
    reason = url_refusal(url, site)
    if reason is not None or proxied or is_audited_origin(url, site):
        return reason
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return None
    if not host or literal_address(host) is not None:
        return None
    for text in await maybe_deferred_to_future(_resolve(host)):
        try:
            address = ipaddress.ip_address(text.split("%", 1)[0])
        except ValueError:
            continue
        refusal = address_refusal(address)
        if refusal is not None:
            return f"{host} resolves to {text}, {refusal}"
    return None


def env_proxy_applies(crawler: Crawler, url: str) -> bool:
    """Return True when Scrapy's ``HttpProxyMiddleware`` will send *url* through a proxy
    taken from the environment (``http_proxy``, ``https_proxy``, ``no_proxy``)."""
    settings = crawler.settings
    name = "scrapy.downloadermiddlewares.httpproxy.HttpProxyMiddleware"
    enabled = settings.getbool("HTTPPROXY_ENABLED", True)
    for key in ("DOWNLOADER_MIDDLEWARES", "DOWNLOADER_MIDDLEWARES_BASE"):
        orders = {_dotted(k): v for k, v in settings.getdict(key).items()}
        if name in orders:
            enabled = enabled and orders[name] is not None
            break
    if not enabled:
        return False
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme in getproxies() and not (parts.hostname and proxy_bypass(parts.hostname))


def _dotted(component: object) -> str:
    if isinstance(component, str):
        return component
    return f"{getattr(component, '__module__', '')}.{getattr(component, '__qualname__', '')}"


def _resolve(host: str) -> Deferred[list[str]]:
    """Return the addresses of *host* from the reactor's resolver (Scrapy's, cached)."""
    from twisted.internet import reactor

    found: list[str] = []
    done: Deferred[list[str]] = Deferred()

    @implementer(IResolutionReceiver)
    class _Receiver:
        def resolutionBegan(self, resolution: object) -> None:
            pass

        def addressResolved(self, address: Any) -> None:
            found.append(str(address.host))

        def resolutionComplete(self) -> None:
            if not done.called:
                done.callback(found)

    reactor.nameResolver.resolveHostName(_Receiver(), host, 0)
    return done
