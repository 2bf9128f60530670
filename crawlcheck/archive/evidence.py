"""Name the archive record behind every finding of a report made from archived captures.

contract.md ("Additions"): a finding read from a web archive names the archive record
(its WARC-Record-ID) in its evidence. The evaluator knows URLs, not records, so this runs
after it: each finding, agent line and fetch whose source is a capture gets that
capture's record appended (:meth:`~crawlcheck.model.ArchiveRecord.describe`).
"""

from __future__ import annotations

from dataclasses import replace

from crawlcheck.model import ArchiveRecord, Fetched, SiteFetches, SiteReport

__all__ = ["cite_evidence", "cite_records", "records_by_url"]


def records_by_url(fetches: SiteFetches) -> dict[str, ArchiveRecord]:
    """Return URL → archive record for every fetch of *fetches* read from an archive."""
    docs: list[Fetched | None] = [
        fetches.robots,
        fetches.ai_txt,
        fetches.tdmrep,
        fetches.llms_txt,
        *fetches.pages,
        *fetches.licenses,
    ]
    found: dict[str, ArchiveRecord] = {}
    for doc in docs:
        if doc is None or doc.record is None:
            continue
        for url in (doc.final_url, doc.url):
            if url:
                found.setdefault(url, doc.record)
    return found


def cite_records(report: SiteReport, fetches: SiteFetches) -> SiteReport:
    """Return *report* with the archive record appended to each evidence it applies to.

    >>> from crawlcheck.model import Effect, Finding
    >>> record = ArchiveRecord(file="a.warc", offset=9, record_id="<urn:r>", date="2024")
    >>> doc = Fetched(url="http://e.com/robots.txt", status=200, record=record)
    >>> finding = Finding(signal="robots.txt", source=doc.url, effect=Effect.RESERVE,
    ...     purposes=("ai-train",), agents=("GPTBot",), scope="/", evidence="line 2: Disallow: /")
    >>> report = SiteReport(site="e.com", origin="http://e.com", verdicts=(), agents=(),
    ...     findings=(finding,), fetches=(), problems=())
    >>> cite_records(report, SiteFetches(site="e.com", origin="http://e.com", robots=doc)
    ...     ).findings[0].evidence
    'line 2: Disallow: / [archive record <urn:r> (a.warc offset 9, 2024)]'
    """
    records = records_by_url(fetches)
    if not records:
        return report
    findings = tuple(
        replace(f, evidence=cite_evidence(f.evidence, records.get(f.source)))
        for f in report.findings
    )
    robots = fetches.robots
    robots_record = robots.record if robots is not None else None
    agents = tuple(
        replace(a, evidence=cite_evidence(a.evidence, robots_record)) if a.evidence else a
        for a in report.agents
    )
    return replace(report, findings=findings, agents=agents)


def cite_evidence(evidence: str, record: ArchiveRecord | None) -> str:
    """Return *evidence* with *record* appended (as it is when there is none)."""
    if record is None:
        return evidence
    return f"{evidence} [{record.describe()}]"
