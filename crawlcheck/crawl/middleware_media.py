"""The add-on's media reading: what a downloaded image or document embeds, as a decision input.

Used by :class:`crawlcheck.crawl.middleware.CrawlcheckMiddleware` after download
(``CRAWLCHECK_MEDIA``, docs/scrapy-addon.md). A 2xx response is an image or document when
its Content-Type says so (``image/*``, PDF, EPUB), or, for a type that says nothing
(absent, ``application/octet-stream``), when its first bytes do. Its body is read by the
same planner as ``crawlcheck media`` (every byte is already downloaded: no range request),
a remote C2PA manifest it names is fetched through the crawl (1 MiB at most), and the
result becomes :class:`~crawlcheck.media.signals.MediaSignals` for
:func:`crawlcheck.decide.decide_url`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from crawlcheck.crawl.adapters import header_pairs
from crawlcheck.crawl.media_reads import MANIFEST_CAP, sniff_media
from crawlcheck.media import ByteView, Limits, MediaResult, manifest_links, plan
from crawlcheck.media.signals import MediaSignals, media_signals
from crawlcheck.model import Fetched, Problem, Signal

if TYPE_CHECKING:
    from scrapy.http import Response

    from crawlcheck.ruleset import Ruleset

__all__ = ["MEDIA_META", "read_media_response"]

#: ``response.meta`` key holding the :class:`~crawlcheck.media.MediaResult` of a media response.
MEDIA_META = "crawlcheck_media"
#: The planner's limits for a downloaded body: no C2PA validation unless a permission needs it.
_LIMITS = Limits(c2pa_validation="when-needed")

FetchFile = Callable[[str, int], Awaitable[Fetched]]


def is_media_response(response: Response) -> bool:
    """Return True when a response is an image or document (its type, else its first bytes)."""
    content_type = response.headers.get(b"Content-Type") or b""
    kind = content_type.decode("latin-1").split(";", 1)[0].strip().lower()
    return bool(sniff_media(kind, response.body[:64]))


async def read_media_response(
    response: Response, ruleset: Ruleset, fetch: FetchFile
) -> tuple[MediaResult, MediaSignals]:
    """Return what a downloaded image or document embeds, and its decision input.

    *fetch* downloads a remote C2PA manifest (URL, cap) through the crawl. A body cut short
    (Scrapy's ``DOWNLOAD_MAXSIZE``, a lost connection) is read against its declared size,
    so that what is missing is unknown, never absent.
    """
    size: int | None = len(response.body)
    if {"download_stopped", "dataloss"} & set(response.flags):
        declared = (response.headers.get(b"Content-Length") or b"").strip()
        size = int(declared) if declared.isdigit() else None
    view = ByteView.of(response.body, size=size)
    url = response.url
    result = _answer(view, url, ruleset, None)
    if result.c2pa in ("absent", "remote"):
        headers = header_pairs(response.headers)[0]
        named = (*manifest_links(headers, url), *result.remote_manifests)
        if named:
            doc = await fetch(named[0], MANIFEST_CAP)
            if doc.ok and not doc.truncated and doc.error is None:
                result = _answer(view, url, ruleset, doc.body)
            else:
                why = doc.error or (f"HTTP status {doc.status}" if not doc.ok else "too large")
                problem = Problem(
                    code="c2pa.remote-manifest-unread",
                    message=f"the file names a remote C2PA manifest {named[0]}, not read "
                    f"({why}): what it states is unknown",
                    source=url,
                    level="error",
                    signal=Signal.C2PA_TRAINING_MINING,
                )
                result = replace(result, problems=(*result.problems, problem))
    return result, media_signals(result, url)


def _answer(view: ByteView, url: str, ruleset: Ruleset, manifest: bytes | None) -> MediaResult:
    """Return the planner's answer on what was downloaded; what is missing is unknown."""
    outcome = plan(view, source=url, ruleset=ruleset, limits=_LIMITS, remote_manifest=manifest)
    if isinstance(outcome, MediaResult):
        return outcome
    # A body cut short: the planner asks for bytes that were never downloaded.
    final = plan(
        view,
        source=url,
        ruleset=ruleset,
        limits=replace(_LIMITS, budget=0),
        remote_manifest=manifest,
    )
    assert isinstance(final, MediaResult)  # a zero budget answers every request itself
    problem = Problem(
        code="media.incomplete",
        message=f"the download stopped after {view.held:,} of {view.size:,} bytes, and "
        f"{outcome.range.reason or 'the metadata'} lies beyond: unknown",
        source=url,
        level="error",
    )
    kept = tuple(p for p in final.problems if p.code != "media.budget")
    return replace(final, problems=(*kept, problem))
