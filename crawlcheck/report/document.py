"""The report as plain data: the JSON document every format is a view of.

contract.md "The JSON report" fixes the keys of ``crawlcheck.report/1``; keys may be added
here, never renamed. Ordering is stable so that two runs over the same responses give
byte-identical reports: verdicts in ``PURPOSES`` order, agents sorted by token, purposes
in ``PURPOSES`` order; findings, fetches, problems and skipped pages keep the order the
evaluator gave them (document by document, line by line, fetches as they happened).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from crawlcheck._version import __version__
from crawlcheck.model import (
    PURPOSES,
    AgentReport,
    FetchRecord,
    Finding,
    MediaRecord,
    Problem,
    RobotsState,
    SiteReport,
    SiteVerdict,
    UrlDecision,
    Verdict,
)

#: The value of the report's ``schema`` key.
SCHEMA_ID = "crawlcheck.report/1"

#: Site verdicts for one purpose (contract: "Vocabulary"), from most to least reserved.
VERDICTS: tuple[str, ...] = tuple(SiteVerdict)

#: How robots.txt treats one catalogued agent (contract: "Vocabulary").
AGENT_STATES: tuple[str, ...] = tuple(RobotsState)

_LONE_SURROGATE = re.compile("[\ud800-\udfff]")

#: Invisible or direction-changing characters a reader must see, not obey: C0/C1 controls
#: (but tab and newline), zero-width characters, bidi embeddings, overrides and isolates
#: (Unicode TR9 "Explicit Directional Formatting"), BOM. Views show each as ``U+XXXX``.
HIDDEN = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff]"
)


@dataclass(frozen=True, slots=True, kw_only=True)
class ReportMeta:
    """What a report says about the run itself rather than about any site."""

    generated_at: str
    """RFC 3339 time the report was written."""
    catalogue_source: str
    """Where the AI agent catalogue came from (a file path or URL)."""
    catalogue_date: str
    catalogue_count: int
    crawlcheck_version: str = __version__
    command: str | None = None
    """The command line or an options summary, when the caller wants it recorded."""


def scrub(text: str) -> str:
    """Return *text* with lone surrogates replaced by U+FFFD so that it encodes as UTF-8."""
    return _LONE_SURROGATE.sub("\ufffd", text)


def ordered_purposes(purposes: tuple[str, ...]) -> list[str]:
    """Return *purposes* without duplicates, known ones in ``PURPOSES`` order, others after.

    >>> ordered_purposes(("search", "tdm", "x", "tdm"))
    ['tdm', 'search', 'x']
    """
    unique = list(dict.fromkeys(purposes))
    known = [p.value for p in PURPOSES if p in unique]
    return known + sorted(p for p in unique if p not in PURPOSES)


def ordered_verdicts(report: SiteReport) -> list[Verdict]:
    """Return one verdict per purpose in ``PURPOSES`` order, then any others as given.

    A purpose the evaluator left out is ``unknown`` with a reason saying so, so that every
    report answers every question (contract: "Vocabulary").
    """
    given = {v.purpose: v for v in report.verdicts}
    ordered = [
        given.get(p) or Verdict(purpose=p, verdict=SiteVerdict.UNKNOWN, reasons=("not evaluated",))
        for p in PURPOSES
    ]
    ordered += [v for v in report.verdicts if v.purpose not in PURPOSES]
    return ordered


def ordered_agents(report: SiteReport) -> list[AgentReport]:
    """Return the agent reports sorted by token (case-insensitively, then exactly)."""
    return sorted(report.agents, key=lambda a: (a.token.casefold(), a.token))


def finding_to_dict(finding: Finding) -> dict[str, Any]:
    """Return the ``findings[]`` object of *finding*."""
    return {
        "signal": finding.signal,
        "source": finding.source,
        "effect": str(finding.effect),
        "purposes": ordered_purposes(finding.purposes),
        "agents": list(finding.agents),
        "scope": finding.scope,
        "evidence": finding.evidence,
        "line": finding.line,
        "key": finding.key,
        "value": finding.value,
    }


def fetch_to_dict(fetch: FetchRecord) -> dict[str, Any]:
    """Return the ``fetches[]`` object of *fetch*."""
    return {
        "url": fetch.url,
        "status": fetch.status,
        "final_url": fetch.final_url,
        "sha256": fetch.sha256,
        "fetched_at": fetch.fetched_at,
        "error": fetch.error,
        "kind": fetch.kind,
        "content_type": fetch.content_type,
        "size": fetch.size,
        "redirects": [{"status": status, "location": target} for status, target in fetch.redirects],
        "elapsed_ms": fetch.elapsed_ms,
        "truncated": fetch.truncated,
    }


def problem_to_dict(problem: Problem) -> dict[str, Any]:
    """Return the ``problems[]`` object of *problem* (``signal`` only when it names one)."""
    data: dict[str, Any] = {
        "code": problem.code,
        "message": problem.message,
        "source": problem.source,
        "line": problem.line,
        "level": problem.level,
    }
    if problem.signal is not None:
        data["signal"] = problem.signal.value
    return data


def decision_to_dict(decision: UrlDecision) -> dict[str, Any]:
    """Return the JSON object of a per-URL decision (``check --format json``, ``filter``)."""
    return {
        "url": decision.url,
        "decision": decision.decision,
        "reasons": [finding_to_dict(f) for f in decision.reasons],
        "purpose": decision.purpose,
        "agent": decision.agent,
        "problems": [problem_to_dict(p) for p in decision.problems],
    }


def agent_to_dict(agent: AgentReport) -> dict[str, Any]:
    """Return the value of ``agents[token]`` for *agent*."""
    return {
        "robots": agent.robots,
        "purposes": ordered_purposes(agent.purposes),
        "operator": agent.operator,
        "evidence": agent.evidence,
        "group": agent.group,
    }


def media_record_to_dict(record: MediaRecord) -> dict[str, Any]:
    """Return the ``media_sampled[]`` object of one sampled image or document."""
    return {
        "url": record.url,
        "found_on": record.found_on,
        "how": record.how,
        "media_type": record.media_type,
        "content_type": record.content_type,
        "status": record.status,
        "error": record.error,
        "size": record.size,
        "bytes_fetched": record.bytes_fetched,
        "requests": record.requests,
        "states": dict(record.states),
        "c2pa": record.c2pa,
        "skipped": record.skipped,
        "problems": list(record.problems),
    }


def site_to_dict(report: SiteReport) -> dict[str, Any]:
    """Return the JSON report's ``sites[]`` object for *report* (also one JSONL line)."""
    verdicts = ordered_verdicts(report)
    data: dict[str, Any] = {
        "site": report.site,
        "origin": report.origin,
        "verdicts": {v.purpose: v.verdict for v in verdicts},
        "verdict_reasons": {v.purpose: list(v.reasons) for v in verdicts},
        "agents": {a.token: agent_to_dict(a) for a in ordered_agents(report)},
        "findings": [finding_to_dict(f) for f in report.findings],
        "fetches": [fetch_to_dict(f) for f in report.fetches],
        "problems": [problem_to_dict(p) for p in report.problems],
        "skipped": [{"url": url, "reason": reason} for url, reason in report.skipped],
        "started_at": report.started_at,
        "finished_at": report.finished_at,
        "inputs": list(report.inputs or (report.site,)),
    }
    if report.media:  # only audits that sampled media have the key
        data["media_sampled"] = [media_record_to_dict(m) for m in report.media]
    return data


def report_to_dict(reports: Sequence[SiteReport], meta: ReportMeta) -> dict[str, Any]:
    """Return the whole ``crawlcheck.report/1`` document, sites in the order given."""
    return {
        "schema": SCHEMA_ID,
        "crawlcheck_version": meta.crawlcheck_version,
        "generated_at": meta.generated_at,
        "agents_catalogue": {
            "source": meta.catalogue_source,
            "date": meta.catalogue_date,
            "count": meta.catalogue_count,
        },
        "command": meta.command,
        "sites": [site_to_dict(r) for r in reports],
    }


def verdict_counts(reports: Sequence[SiteReport]) -> dict[str, dict[str, int]]:
    """Return purpose → verdict → number of sites, every purpose and verdict present."""
    counts: dict[str, dict[str, int]] = {p: dict.fromkeys(VERDICTS, 0) for p in PURPOSES}
    for report in reports:
        for verdict in ordered_verdicts(report):
            row = counts.setdefault(verdict.purpose, dict.fromkeys(VERDICTS, 0))
            row[verdict.verdict] = row.get(verdict.verdict, 0) + 1
    return counts
