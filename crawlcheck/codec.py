"""Turn :class:`Fetched` and :class:`SiteFetches` into JSON and back (bodies in base64).

This is the wire format between the crawl worker and :mod:`crawlcheck.crawl.runner`, and
the per-origin cache's row format; it round-trips every field exactly. With *digests*, each
body's sha256 is stored too, and reading it back checks it, so a damaged copy is noticed.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

from crawlcheck.model import SITE_FILES, ArchiveRecord, Fetched, SiteFetches


def fetched_to_json(doc: Fetched, *, digests: bool = False) -> dict[str, Any]:
    """Return *doc* as a JSON-ready mapping (with its body's sha256 if *digests*)."""
    data = {
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
        "record": None if doc.record is None else _record_to_json(doc.record),
    }
    if digests:
        data["sha256"] = doc.sha256
    return data


def fetched_from_json(data: Mapping[str, Any]) -> Fetched:
    """Return the :class:`Fetched` that :func:`fetched_to_json` made *data* from.

    Raises ValueError (or KeyError/TypeError on a wrong shape) when the data is damaged,
    including a body that no longer matches its stored sha256.
    """
    doc = Fetched(
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
        record=_record_from_json(data.get("record")),
    )
    if "sha256" in data and doc.sha256 != data["sha256"]:
        raise ValueError(f"the body of {doc.url} does not match its sha256")
    return doc


def _record_to_json(record: ArchiveRecord) -> dict[str, Any]:
    return {
        "file": record.file,
        "offset": record.offset,
        "record_id": record.record_id,
        "date": record.date,
        "record_type": record.record_type,
        "refers_to": record.refers_to,
    }


def _record_from_json(data: Mapping[str, Any] | None) -> ArchiveRecord | None:
    # Rows written before archive records existed have no "record" key.
    if data is None:
        return None
    return ArchiveRecord(
        file=str(data["file"]),
        offset=int(data["offset"]),
        record_id=str(data["record_id"]),
        date=str(data["date"]),
        record_type=str(data["record_type"]),
        refers_to=str(data["refers_to"]),
    )


def site_to_json(site: SiteFetches, *, digests: bool = False) -> dict[str, Any]:
    """Return *site* as a JSON-ready mapping (with every body's sha256 if *digests*)."""
    data: dict[str, Any] = {
        "site": site.site,
        "origin": site.origin,
        "pages": [fetched_to_json(doc, digests=digests) for doc in site.pages],
        "licenses": [fetched_to_json(doc, digests=digests) for doc in site.licenses],
        "skipped": [list(pair) for pair in site.skipped],
        "blocked": [list(pair) for pair in site.blocked],
        "started_at": site.started_at,
        "finished_at": site.finished_at,
    }
    for site_file, doc in site.site_files():
        data[site_file.field] = None if doc is None else fetched_to_json(doc, digests=digests)
    return data


def site_from_json(data: Mapping[str, Any]) -> SiteFetches:
    """Return the :class:`SiteFetches` that :func:`site_to_json` made *data* from."""
    files = {
        f.field: None if data[f.field] is None else fetched_from_json(data[f.field])
        for f in SITE_FILES
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
        # Rows written before the address guard have no "blocked".
        blocked=tuple((str(url), str(why)) for url, why in data.get("blocked", ())),
        started_at=str(data["started_at"]),
        finished_at=str(data["finished_at"]),
    )
