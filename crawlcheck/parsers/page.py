"""Every page-level signal of one response: its headers, and its HTML when it is a page.

Headers: ``X-Robots-Tag``, ``Content-Usage`` (aipref attach §3), ``Content-Signal``,
``tdm-reservation``/``tdm-policy`` and ``Link`` (RSL). HTML: robots meta tags, TDMRep meta,
``<link rel=license>`` and the same-origin links used to sample more pages. Only a 2xx
response carries signals: an error page states nothing about the content.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, replace

from crawlcheck.model import Fetched, Observation, Problem, Signal
from crawlcheck.parsers.aipref import parse_content_usage_header
from crawlcheck.parsers.contentsignal import parse_content_signal_header
from crawlcheck.parsers.directives import parse_meta_robots, parse_x_robots_tag
from crawlcheck.parsers.html import HtmlDocument, parse_html
from crawlcheck.parsers.rsl import LicenseLink, license_links
from crawlcheck.parsers.tdmrep import TdmStatement, tdm_from_headers, tdm_from_meta
from crawlcheck.parsers.text import looks_like_html
from crawlcheck.urls import origin_of

_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})


@dataclass(frozen=True, slots=True, kw_only=True)
class PageSignals:
    """What one response says about its own content."""

    url: str
    status: int | None
    read: bool
    """A whole 2xx response whose signals were read (False: they are all unknown)."""
    observations: tuple[Observation, ...]
    """X-Robots-Tag, meta robots, Content-Usage and Content-Signal, in that order."""
    problems: tuple[Problem, ...]
    """Each tagged with the signal it concerns; with level ``error`` that signal is unknown,
    and an untagged error (the HTML could not be parsed) makes every page signal unknown."""
    html: HtmlDocument | None
    """The parsed page; None unless the response is HTML."""
    tdm_header: TdmStatement | None = None
    tdm_meta: TdmStatement | None = None
    license_links: tuple[LicenseLink, ...] = ()
    links: tuple[str, ...] = ()
    """Same-origin ``<a href>`` targets, for sampling more pages."""


def parse_page(doc: Fetched, crawler_names: Collection[str] = ()) -> PageSignals:
    """Return every page-level signal of *doc*; never raises.

    *crawler_names* are extra ``<meta name=…>`` values that scope robots directives to a
    crawler (the agent catalogue's tokens).

    >>> doc = Fetched(url="https://e.com/", status=200,
    ...               headers=(("Content-Type", "text/html"), ("X-Robots-Tag", "noai")),
    ...               body=b'<meta name="robots" content="noimageai"><a href="/a">a</a>')
    >>> page = parse_page(doc)
    >>> [(o.signal.value, o.key) for o in page.observations], page.links
    ([('x-robots-tag', 'noai'), ('meta-robots', 'noimageai')], ('https://e.com/a',))
    """
    failure = _failure(doc)
    if failure is not None:
        return PageSignals(
            url=doc.url,
            status=doc.status,
            read=False,
            observations=(),
            problems=(failure,),
            html=None,
        )
    observations: list[Observation] = []
    problems: list[Problem] = []

    def keep(found: Iterable[Problem], signal: Signal | None) -> None:
        problems.extend(replace(p, signal=signal) if signal else p for p in found)

    found, issues = parse_x_robots_tag(doc)
    observations.extend(found)
    keep(issues, Signal.X_ROBOTS_TAG)

    html: HtmlDocument | None = None
    tdm_meta: TdmStatement | None = None
    links: tuple[str, ...] = ()
    if _is_html(doc):
        page_url = doc.final_url or doc.url
        html = parse_html(doc.body, page_url, doc.header("Content-Type"))
        keep(html.problems, None)
        found, issues = parse_meta_robots(html.metas, doc.url, crawler_names)
        observations.extend(found)
        keep(issues, Signal.META_ROBOTS)
        tdm_meta, issues = tdm_from_meta(html.meta_pairs(), doc.url)
        keep(issues, Signal.TDM_META)
        links = _same_origin(html.anchors, page_url)

    usage = parse_content_usage_header(doc)
    observations.extend(usage.observations)
    keep(usage.problems, Signal.CONTENT_USAGE)

    found, issues = parse_content_signal_header(doc)
    observations.extend(found)
    keep(issues, Signal.CONTENT_SIGNAL)

    tdm_header, issues = tdm_from_headers(doc)
    keep(issues, Signal.TDM_HEADER)

    return PageSignals(
        url=doc.url,
        status=doc.status,
        read=True,
        observations=tuple(observations),
        problems=tuple(problems),
        html=html,
        tdm_header=tdm_header,
        tdm_meta=tdm_meta,
        license_links=license_links(doc, html),
        links=links,
    )


def _failure(doc: Fetched) -> Problem | None:
    """Return the problem of a response that carries no signals (error or non-2xx)."""
    if doc.status is None or doc.error is not None:
        return Problem(
            code="page.fetch-failed",
            message=f"the page could not be fetched ({doc.error or 'no response'}): "
            "its signals are unknown",
            source=doc.url,
            level="error",
        )
    if doc.truncated and doc.ok and _is_html(doc):
        # As for a site file (crawlcheck.access): a body cut at the size cap is never read
        # as if whole, since the part not read may carry a reservation (a robots meta late
        # in a huge <head>, say). Only an HTML body is read for signals: an image's or a
        # PDF's page signals are its headers, read whole (what it embeds is the media
        # reader's, with its own budget).
        return Problem(
            code="page.too-large",
            message=f"the page is larger than the {len(doc.body):,} bytes read: what the rest "
            "says is unknown, so its signals were not read",
            source=doc.url,
            level="error",
        )
    if not doc.ok:
        return Problem(
            code="page.http-error",
            message=f"HTTP status {doc.status}: an error response states nothing about the "
            "page, its signals were not read",
            source=doc.url,
        )
    return None


def _is_html(doc: Fetched) -> bool:
    content_type = doc.content_type
    if content_type in _HTML_TYPES:
        return True
    # No Content-Type: sniff like a browser would (HTML §"MIME type sniffing", simplified).
    return not content_type and looks_like_html(doc.body)


def _same_origin(anchors: tuple[str, ...], page_url: str) -> tuple[str, ...]:
    origin = origin_of(page_url)
    if origin is None:
        return ()
    return tuple(url for url in anchors if origin_of(url) == origin)
