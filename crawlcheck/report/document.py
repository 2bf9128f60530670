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
from enum import StrEnum
from typing import Any, TypeVar, cast

from crawlcheck._version import __version__
from crawlcheck.model import (
    PURPOSES,
    AgentReport,
    Effect,
    FetchRecord,
    Finding,
    MediaRecord,
    Problem,
    Purpose,
    RobotsState,
    Signal,
    SiteReport,
    SiteVerdict,
    UrlDecision,
    Verdict,
)
from crawlcheck.safe_text import HIDDEN as _HIDDEN

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
#: Defined with the terminal's set in one place, :mod:`crawlcheck.safe_text`.
HIDDEN = _HIDDEN


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


def site_from_dict(data: object) -> SiteReport:
    """Return the :class:`SiteReport` a ``sites[]`` object describes: :func:`site_to_dict` undone.

    ``site_to_dict(site_from_dict(d)) == d`` for every object crawlcheck wrote. Raises
    ValueError naming the first key that is missing or of the wrong type (the input is a
    file: an ``audit`` checkpoint, a saved report).
    """
    site = _Reader(data, "site")
    verdicts = site.mapping("verdicts")
    reasons = site.mapping("verdict_reasons")
    return SiteReport(
        site=site.text("site"),
        origin=site.text("origin"),
        verdicts=tuple(
            Verdict(
                purpose=_enum(Purpose, purpose),
                verdict=SiteVerdict(_text(verdict, f"verdicts.{purpose}")),
                reasons=_texts(reasons.get(purpose, []), f"verdict_reasons.{purpose}"),
            )
            for purpose, verdict in verdicts.items()
        ),
        agents=tuple(
            _agent_from_dict(token, _Reader(value, f"agents.{token}"))
            for token, value in site.mapping("agents").items()
        ),
        findings=tuple(
            _finding_from_dict(_Reader(v, "findings[]")) for v in site.items("findings")
        ),
        fetches=tuple(_fetch_from_dict(_Reader(v, "fetches[]")) for v in site.items("fetches")),
        problems=tuple(
            _problem_from_dict(_Reader(v, "problems[]")) for v in site.items("problems")
        ),
        skipped=tuple(
            (r.text("url"), r.text("reason"))
            for r in (_Reader(v, "skipped[]") for v in site.items("skipped"))
        ),
        started_at=site.text("started_at"),
        finished_at=site.text("finished_at"),
        inputs=_texts(site.items("inputs"), "inputs"),
        media=tuple(
            _media_from_dict(_Reader(v, "media_sampled[]"))
            for v in (site.items("media_sampled") if "media_sampled" in site.data else [])
        ),
    )


def _media_from_dict(r: _Reader) -> MediaRecord:
    states = r.mapping("states")
    return MediaRecord(
        url=r.text("url"),
        found_on=r.text("found_on"),
        how=r.text("how"),
        media_type=r.text("media_type"),
        content_type=r.text("content_type"),
        status=r.number("status"),
        error=r.optional_text("error"),
        size=r.number("size"),
        bytes_fetched=r.number("bytes_fetched") or 0,
        requests=r.number("requests") or 0,
        states=tuple((p, _text(v, f"{r.where}.states.{p}")) for p, v in states.items()),
        c2pa=r.text("c2pa"),
        skipped=r.text("skipped"),
        problems=_texts(r.get("problems"), f"{r.where}.problems"),
    )


class _Reader:
    """Typed access to one JSON object; a wrong shape is a ValueError naming the key."""

    def __init__(self, data: object, where: str) -> None:
        if not isinstance(data, dict):
            raise ValueError(f"{where}: expected an object")
        self.data: dict[str, Any] = data
        self.where = where

    def get(self, key: str) -> object:
        if key not in self.data:
            raise ValueError(f"{self.where}.{key}: missing")
        return self.data[key]

    def text(self, key: str) -> str:
        return _text(self.get(key), f"{self.where}.{key}")

    def optional_text(self, key: str) -> str | None:
        value = self.get(key)
        return None if value is None else _text(value, f"{self.where}.{key}")

    def number(self, key: str) -> int | None:
        value = self.get(key)
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
            raise ValueError(f"{self.where}.{key}: expected an integer")
        return value

    def mapping(self, key: str) -> dict[str, Any]:
        value = self.get(key)
        if not isinstance(value, dict):
            raise ValueError(f"{self.where}.{key}: expected an object")
        return value

    def items(self, key: str) -> list[Any]:
        value = self.get(key)
        if not isinstance(value, list):
            raise ValueError(f"{self.where}.{key}: expected a list")
        return value


def _text(value: object, where: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{where}: expected a string")
    return value


def _texts(value: object, where: str) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise ValueError(f"{where}: expected a list")
    return tuple(_text(v, where) for v in value)


_E = TypeVar("_E", bound=StrEnum)


def _enum(kind: type[_E], value: str) -> _E:
    """Return *value* as a member of *kind*, or the string itself (a newer writer's name)."""
    try:
        return kind(value)
    except ValueError:
        return cast(_E, value)


def _agent_from_dict(token: str, r: _Reader) -> AgentReport:
    return AgentReport(
        token=token,
        robots=RobotsState(r.text("robots")),
        purposes=_texts(r.get("purposes"), f"{r.where}.purposes"),
        operator=r.text("operator"),
        evidence=r.text("evidence"),
        group=r.text("group"),
    )


def _finding_from_dict(r: _Reader) -> Finding:
    return Finding(
        signal=_enum(Signal, r.text("signal")),
        source=r.text("source"),
        effect=Effect(r.text("effect")),
        purposes=_texts(r.get("purposes"), f"{r.where}.purposes"),
        agents=_texts(r.get("agents"), f"{r.where}.agents"),
        scope=r.text("scope"),
        evidence=r.text("evidence"),
        line=r.number("line"),
        key=r.text("key"),
        value=r.text("value"),
    )


def _fetch_from_dict(r: _Reader) -> FetchRecord:
    elapsed = r.get("elapsed_ms")
    if elapsed is not None and (not isinstance(elapsed, int | float) or isinstance(elapsed, bool)):
        raise ValueError(f"{r.where}.elapsed_ms: expected a number")
    hops = [_Reader(hop, f"{r.where}.redirects[]") for hop in r.items("redirects")]
    return FetchRecord(
        url=r.text("url"),
        kind=r.text("kind"),
        status=r.number("status"),
        final_url=r.text("final_url"),
        sha256=r.optional_text("sha256"),
        fetched_at=r.text("fetched_at"),
        error=r.optional_text("error"),
        content_type=r.text("content_type"),
        size=r.number("size") or 0,
        redirects=tuple((hop.number("status") or 0, hop.text("location")) for hop in hops),
        elapsed_ms=elapsed,
        truncated=bool(r.get("truncated")),
    )


def _problem_from_dict(r: _Reader) -> Problem:
    signal = r.data.get("signal")
    return Problem(
        code=r.text("code"),
        message=r.text("message"),
        source=r.text("source"),
        line=r.number("line"),
        level=r.text("level"),
        signal=None if signal is None else _enum(Signal, _text(signal, f"{r.where}.signal")),
    )


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


def unreachable_reason(report: SiteReport) -> str | None:
    """Return why *report*'s site could not be reached at all, or None if anything answered.

    A site is unreachable when robots.txt got no usable answer (a network failure or a 5xx,
    RFC 9309 §2.3.1.4) and no other fetch of the site got an HTTP answer below 500 either:
    its verdicts are ``unknown`` for want of any answer, not because of what it said.
    """
    if any(f.status is not None and f.status < 500 for f in report.fetches):
        return None
    robots = next((f for f in report.fetches if f.kind == "robots.txt"), None)
    if robots is None:
        return "nothing was fetched"
    failure = robots.error or f"HTTP {robots.status}"
    others = len(report.fetches) - 1
    tail = f"; none of the {others} other fetches got an answer" if others else ""
    return f"robots.txt: {failure}{tail}"
