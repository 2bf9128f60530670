"""Turn :class:`Fetched` and :class:`SiteFetches` into JSON and back (bodies in base64).

This is the wire format between the crawl worker and :mod:`crawlcheck.crawl.runner`, and
the per-origin cache's row format; it round-trips every field exactly. With *digests*, each
body's sha256 is stored too, and reading it back checks it, so a damaged copy is noticed.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

from crawlcheck.model import (
    SITE_FILES,
    ArchiveRecord,
    Effect,
    Fetched,
    Finding,
    MediaFetch,
    MediaResult,
    Problem,
    RangeRead,
    Signal,
    SiteFetches,
)


def fetched_to_json(doc: Fetched, *, digests: bool = False) -> dict[str, Any]:
    """Return *doc* as a JSON-ready mapping (with its body's sha256 if *digests*)."""
    data: dict[str, Any] = {
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
    if doc.ranges:  # only media reads have ranges: other rows stay as they were
        data["ranges"] = [list(span) for span in doc.ranges]
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
        ranges=tuple((int(start), int(end)) for start, end in data.get("ranges", ())),
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
    if site.media:  # rows of audits without media sampling stay as they were
        data["media"] = [media_fetch_to_json(m, digests=digests) for m in site.media]
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
        media=tuple(media_fetch_from_json(m) for m in data.get("media", ())),
    )


# -- media reads (crawlcheck.crawl's results for images and documents)


def media_fetch_to_json(media: MediaFetch, *, digests: bool = False) -> dict[str, Any]:
    """Return *media* as a JSON-ready mapping (the planner's result included)."""
    return {
        "url": media.url,
        "fetched": None
        if media.fetched is None
        else fetched_to_json(media.fetched, digests=digests),
        "result": None if media.result is None else media_result_to_json(media.result),
        "reads": [
            {
                "asked": read.asked,
                "status": read.status,
                "content_range": read.content_range,
                "received": read.received,
                "error": read.error,
            }
            for read in media.reads
        ],
        "found_on": media.found_on,
        "how": media.how,
        "skipped": media.skipped,
    }


def media_fetch_from_json(data: Mapping[str, Any]) -> MediaFetch:
    """Return the :class:`MediaFetch` that :func:`media_fetch_to_json` made *data* from."""
    return MediaFetch(
        url=str(data["url"]),
        fetched=None if data["fetched"] is None else fetched_from_json(data["fetched"]),
        result=None if data["result"] is None else media_result_from_json(data["result"]),
        reads=tuple(
            RangeRead(
                asked=str(read["asked"]),
                status=None if read["status"] is None else int(read["status"]),
                content_range=str(read["content_range"]),
                received=int(read["received"]),
                error=None if read["error"] is None else str(read["error"]),
            )
            for read in data["reads"]
        ),
        found_on=str(data["found_on"]),
        how=str(data["how"]),
        skipped=str(data["skipped"]),
    )


def media_result_to_json(result: MediaResult) -> dict[str, Any]:
    """Return a planner result as a JSON-ready mapping (round-trips every field)."""
    return {
        "source": result.source,
        "media_type": result.media_type,
        "size": result.size,
        "bytes_read": result.bytes_read,
        "findings": [finding_to_json(f) for f in result.findings],
        "problems": [problem_to_json(p) for p in result.problems],
        "notes": list(result.notes),
        "c2pa": result.c2pa,
        "remote_manifests": list(result.remote_manifests),
    }


def media_result_from_json(data: Mapping[str, Any]) -> MediaResult:
    """Return the :class:`MediaResult` that :func:`media_result_to_json` made *data* from."""
    return MediaResult(
        source=str(data["source"]),
        media_type=str(data["media_type"]),
        size=None if data["size"] is None else int(data["size"]),
        bytes_read=int(data["bytes_read"]),
        findings=tuple(finding_from_json(f) for f in data["findings"]),
        problems=tuple(problem_from_json(p) for p in data["problems"]),
        notes=tuple(str(n) for n in data["notes"]),
        c2pa=str(data["c2pa"]),
        remote_manifests=tuple(str(u) for u in data["remote_manifests"]),
    )


def finding_to_json(finding: Finding) -> dict[str, Any]:
    """Return *finding* as a JSON-ready mapping (every field, for a round trip)."""
    return {
        "signal": finding.signal.value,
        "source": finding.source,
        "effect": finding.effect.value,
        "purposes": list(finding.purposes),
        "agents": list(finding.agents),
        "scope": finding.scope,
        "evidence": finding.evidence,
        "line": finding.line,
        "key": finding.key,
        "value": finding.value,
    }


def finding_from_json(data: Mapping[str, Any]) -> Finding:
    """Return the :class:`Finding` that :func:`finding_to_json` made *data* from."""
    return Finding(
        signal=Signal(data["signal"]),
        source=str(data["source"]),
        effect=Effect(data["effect"]),
        purposes=tuple(str(p) for p in data["purposes"]),
        agents=tuple(str(a) for a in data["agents"]),
        scope=str(data["scope"]),
        evidence=str(data["evidence"]),
        line=None if data["line"] is None else int(data["line"]),
        key=str(data["key"]),
        value=str(data["value"]),
    )


def problem_to_json(problem: Problem) -> dict[str, Any]:
    """Return *problem* as a JSON-ready mapping (every field, for a round trip)."""
    return {
        "code": problem.code,
        "message": problem.message,
        "source": problem.source,
        "line": problem.line,
        "level": problem.level,
        "signal": None if problem.signal is None else problem.signal.value,
    }


def problem_from_json(data: Mapping[str, Any]) -> Problem:
    """Return the :class:`Problem` that :func:`problem_to_json` made *data* from."""
    return Problem(
        code=str(data["code"]),
        message=str(data["message"]),
        source=str(data["source"]),
        line=None if data["line"] is None else int(data["line"]),
        level=str(data["level"]),
        signal=None if data["signal"] is None else Signal(data["signal"]),
    )
