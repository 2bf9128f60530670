"""The report's record of every fetch of a site audit (``fetches[]``)."""

from __future__ import annotations

from crawlcheck.model import Fetched, FetchRecord, SiteFetches


def fetch_records(fetches: SiteFetches) -> tuple[FetchRecord, ...]:
    """Return one record per fetch of *fetches*, site files first, then pages, then licences."""
    kinds: list[tuple[str, Fetched | None]] = [
        (site_file.signal.value, doc) for site_file, doc in fetches.site_files()
    ]
    kinds += [("page", page) for page in fetches.pages]
    kinds += [("license", doc) for doc in fetches.licenses]
    kinds += [("media", media.fetched) for media in fetches.media]
    return tuple(fetch_record(doc, kind) for kind, doc in kinds if doc is not None)


def fetch_record(doc: Fetched, kind: str) -> FetchRecord:
    """Return the report's record of one fetch."""
    answered = doc.status is not None
    return FetchRecord(
        url=doc.url,
        kind=kind,
        status=doc.status,
        final_url=doc.final_url or doc.url,
        sha256=doc.sha256 if answered else None,
        fetched_at=doc.fetched_at,
        error=doc.error,
        content_type=doc.content_type,
        size=len(doc.body),
        redirects=doc.redirects,
        elapsed_ms=doc.elapsed_ms,
        truncated=doc.truncated,
    )
