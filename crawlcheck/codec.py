"""Turn :class:`Fetched` and :class:`SiteFetches` into JSON and back (bodies in base64).

This is the wire format between the crawl worker and :mod:`crawlcheck.crawl.runner`, and
the per-origin cache's row format; it round-trips every field exactly.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

from crawlcheck.model import Fetched, SiteFetches

_FILE_FIELDS = ("robots", "ai_txt", "tdmrep", "llms_txt")


def fetched_to_json(doc: Fetched) -> dict[str, Any]:
    """Return *doc* as a JSON-ready mapping."""
    return {
        "url": doc.url,
        "status": doc.status,
        "headers": [list(pair) for pair in doc.headers],
        "body": base64.b64encode(doc.body).decode("ascii"),
        "final_url": doc.final_url,
        "redirects": [list(hop) for hop in doc.redirects],
        "error": doc.error,
        "fetched_at": doc.fetched_at,
        "elapsed_ms": doc.elapsed_ms,
        "truncated": doc.truncated,
    }


def fetched_from_json(data: Mapping[str, Any]) -> Fetched:
    """Return the :class:`Fetched` that :func:`fetched_to_json` made *data* from."""
    return Fetched(
        url=str(data["url"]),
        status=None if data["status"] is None else int(data["status"]),
        headers=tuple((str(name), str(value)) for name, value in data["headers"]),
        body=base64.b64decode(data["body"], validate=True),
        final_url=str(data["final_url"]),
        redirects=tuple((int(status), str(url)) for status, url in data["redirects"]),
        error=None if data["error"] is None else str(data["error"]),
        fetched_at=str(data["fetched_at"]),
        elapsed_ms=None if data["elapsed_ms"] is None else float(data["elapsed_ms"]),
        truncated=bool(data["truncated"]),
    )


def site_to_json(site: SiteFetches) -> dict[str, Any]:
    """Return *site* as a JSON-ready mapping."""
    data: dict[str, Any] = {
        "site": site.site,
        "origin": site.origin,
        "pages": [fetched_to_json(doc) for doc in site.pages],
        "licenses": [fetched_to_json(doc) for doc in site.licenses],
        "skipped": [list(pair) for pair in site.skipped],
        "started_at": site.started_at,
        "finished_at": site.finished_at,
    }
    for name in _FILE_FIELDS:
        doc = getattr(site, name)
        data[name] = None if doc is None else fetched_to_json(doc)
    return data


def site_from_json(data: Mapping[str, Any]) -> SiteFetches:
    """Return the :class:`SiteFetches` that :func:`site_to_json` made *data* from."""
    files = {
        name: None if data[name] is None else fetched_from_json(data[name]) for name in _FILE_FIELDS
    }
    return SiteFetches(
        site=str(data["site"]),
        origin=str(data["origin"]),
        robots=files["robots"],
        ai_txt=files["ai_txt"],
        tdmrep=files["tdmrep"],
        llms_txt=files["llms_txt"],
        pages=tuple(fetched_from_json(doc) for doc in data["pages"]),
        licenses=tuple(fetched_from_json(doc) for doc in data["licenses"]),
        skipped=tuple((str(url), str(reason)) for url, reason in data["skipped"]),
        started_at=str(data["started_at"]),
        finished_at=str(data["finished_at"]),
    )
