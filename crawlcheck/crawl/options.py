"""How crawlcheck crawls: the options of one crawl, and the limits every crawl shares."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from crawlcheck._version import __version__

#: The one User-Agent crawlcheck sends (contract: "Network").
DEFAULT_USER_AGENT = f"crawlcheck/{__version__} (+https://github.com/crawlcheck/crawlcheck)"
#: The robots.txt product token crawlcheck obeys for its own page fetches.
ROBOTS_TOKEN = "crawlcheck"
#: Licence documents fetched per site at most (robots.txt's first, then pages').
MAX_LICENSES = 3


@dataclass(frozen=True, slots=True, kw_only=True)
class CrawlOptions:
    """How to crawl: politeness, limits and network settings (docs/crawl.md)."""

    concurrency: int = 64
    """Requests in flight over all hosts."""
    per_host: int = 2
    """Requests in flight per host name."""
    timeout: float = 15.0
    """Seconds for one download (connect, headers and body)."""
    max_bytes: int = 1024 * 1024
    """Body bytes kept per response; a longer body is cut and marked ``truncated``."""
    pages: int = 5
    """Same-origin pages sampled besides the home page."""
    user_agent: str = DEFAULT_USER_AGENT
    proxy: str | None = None
    """Proxy URL for every request; None uses ``http_proxy``/``https_proxy``/``no_proxy``."""
    retries: int = 1
    """Extra attempts after a timeout, a connection failure or a 503."""
    media_sample: int = 5
    """Images and documents a site audit samples from its pages (0: none; docs/media.md)."""
    media: str = ""
    """Per-URL fetches (``fetch_urls``): ``""`` pages only; ``ranges``: read every URL as an
    image or document with range requests; ``sniff``: fetch it as a page, and read it as an
    image or document when the response is one (Content-Type, else its first bytes)."""
    media_budget: int = 4 * 1024 * 1024
    """Body bytes received per image or document over all its requests."""
    rules: tuple[str, ...] = ()
    """Extra rules files: the crawl's process classifies what media embed with them."""
    c2pa_trust: str | None = None
    """PEM text of C2PA trust anchors besides the SDK's (``--c2pa-trust``)."""
    fetch_pages: bool = True
    """Fetch the home page and sampled pages (False: site-level files only)."""
    fetch_site_files: bool = True
    """Fetch /ai.txt, /.well-known/tdmrep.json and /llms.txt."""
    allow_private_addresses: bool = False
    """Fetch what sites point to on loopback, private, link-local and metadata addresses too
    (crawlcheck.addresses; the audited origin itself is always fetched)."""

    def to_json(self) -> dict[str, Any]:
        """Return the options as a JSON-ready mapping (the worker's input)."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CrawlOptions:
        """Return the options *data* describes (unknown keys are ignored)."""
        known = {name: data[name] for name in cls.__dataclass_fields__ if name in data}
        if "rules" in known:  # a JSON list
            known["rules"] = tuple(str(path) for path in known["rules"])
        return cls(**known)
