"""What a reader takes in first: grouped findings, per-site counts, per-operator tallies.

Pure functions over :class:`~crawlcheck.model.SiteReport`, shared by the CSV, HTML and
Markdown views so that "how many reservations" or "which operators are blocked" means one
thing everywhere. Nothing here changes the JSON report, which keeps every finding.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from crawlcheck.model import AgentReport, Effect, Finding, SiteReport
from crawlcheck.report.document import AGENT_STATES, ordered_purposes

#: Problem levels in order of severity (docs/reports.md "problems[]").
LEVELS: tuple[str, ...] = ("error", "warning", "info")

#: Operator names the agent catalogue uses when it does not know who runs a crawler.
_NO_OPERATOR = frozenset({"", "unknown"})


@dataclass(frozen=True, slots=True, kw_only=True)
class FindingGroup:
    """Findings that make one statement (one line, header or element) for several agents.

    ``User-agent: *`` + ``Disallow: /`` is one line, yet the evaluator reports it once per
    catalogued agent it reaches (165 findings); a reader wants it once, with the agents.
    """

    finding: Finding
    """The statement, with ``agents`` the union of the group's and ``purposes`` merged."""
    size: int
    """How many findings of the JSON report the group stands for."""


def _statement(finding: Finding) -> tuple[object, ...]:
    return (
        finding.signal,
        finding.source,
        finding.effect,
        finding.scope,
        finding.evidence,
        finding.line,
        finding.key,
        finding.value,
    )


def group_findings(findings: Iterable[Finding]) -> list[FindingGroup]:
    """Return *findings* merged by statement, in order of each statement's first finding.

    Findings that differ only in their agents and purposes are one statement; its agents
    keep their first-seen order and its purposes come in purpose order.
    """
    members: dict[tuple[object, ...], list[Finding]] = {}
    for finding in findings:
        members.setdefault(_statement(finding), []).append(finding)
    groups = []
    for group in members.values():
        first = group[0]
        if len(group) > 1:
            agents = tuple(dict.fromkeys(a for f in group for a in f.agents))
            purposes = tuple(ordered_purposes(tuple(p for f in group for p in f.purposes)))
            first = replace(first, agents=agents, purposes=purposes)
        groups.append(FindingGroup(finding=first, size=len(group)))
    return groups


def reservations(report: SiteReport) -> int:
    """Return the number of distinct reserving statements of *report* (grouped findings)."""
    reserving = (f for f in report.findings if f.effect == Effect.RESERVE)
    return len(group_findings(reserving))


@dataclass(frozen=True, slots=True, kw_only=True)
class SiteCounts:
    """The numbers a one-line view of a site shows (CSV ``site`` layout, HTML summary)."""

    agents: dict[str, int]
    """Agent state (``AGENT_STATES`` and any other) → number of catalogued agents."""
    reservations: int
    problems: dict[str, int]
    """Problem level (``LEVELS`` and any other) → number of problems."""
    robots_status: str
    """robots.txt's HTTP status, the fetch error, or ``""`` when it was not fetched."""
    pages_read: int
    """Pages (``kind == "page"``) that answered 2xx."""
    fetched_at: str
    """When the site's first response arrived (RFC 3339), else the audit's start."""


def site_counts(report: SiteReport) -> SiteCounts:
    """Return the counts of one site."""
    agents = dict.fromkeys(AGENT_STATES, 0)
    for agent in report.agents:
        agents[agent.robots] = agents.get(agent.robots, 0) + 1
    problems = dict.fromkeys(LEVELS, 0)
    for problem in report.problems:
        problems[problem.level] = problems.get(problem.level, 0) + 1
    robots = next((f for f in report.fetches if f.kind == "robots.txt"), None)
    if robots is None:
        robots_status = ""
    elif robots.status is not None:
        robots_status = str(robots.status)
    else:
        robots_status = robots.error or "no response"
    times = sorted(f.fetched_at for f in report.fetches if f.fetched_at)
    return SiteCounts(
        agents=agents,
        reservations=reservations(report),
        problems=problems,
        robots_status=robots_status,
        pages_read=sum(
            1
            for f in report.fetches
            if f.kind == "page" and f.status is not None and 200 <= f.status < 300
        ),
        fetched_at=times[0] if times else report.started_at,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class OperatorTally:
    """How many sites keep one operator's catalogued agents out, per robots.txt."""

    operator: str
    """Who runs the crawlers; an agent of no known operator is its own entry, by token."""
    agents: tuple[str, ...]
    """The operator's catalogued agent tokens, sorted."""
    by_name: int
    """Sites that disallow ``/`` for every one of its agents, naming at least one of them."""
    by_default: int
    """Sites that disallow ``/`` for every one of its agents without naming any (``*``)."""
    some_kept_out: int
    """Sites that disallow some of its agents, or restrict one in a group naming it, but do
    not disallow ``/`` for all of them."""

    @property
    def all_disallowed(self) -> int:
        """Sites whose robots.txt disallows ``/`` for every one of the operator's agents."""
        return self.by_name + self.by_default


def _kept_out(agent: AgentReport) -> bool:
    # A `*` group's path rules (Disallow: /admin) restrict every agent alike; they say
    # nothing about this operator (contract: "not an AI reservation").
    return agent.robots == "disallowed" or (agent.robots == "restricted" and agent.group == "own")


def _operator(operator: str, token: str) -> str:
    return f"{token} (operator unknown)" if operator.strip() in _NO_OPERATOR else operator


def operator_tallies(reports: Sequence[SiteReport]) -> tuple[list[OperatorTally], int]:
    """Return each operator's tally, most kept out first, and the number of sites counted.

    Only sites whose robots.txt was read count: an unreachable robots.txt makes every agent
    ``unreachable`` (RFC 9309 §2.3.1.4), which is no statement about any operator.
    """
    tokens: dict[str, set[str]] = {}
    names: dict[tuple[str, str], str] = {}
    tally: dict[str, list[int]] = {}  # operator -> [by name, by default, some]
    counted = 0
    for report in reports:
        states: dict[str, list[AgentReport]] = {}
        for agent in report.agents:
            name = names.get((agent.operator, agent.token))
            if name is None:
                name = names[(agent.operator, agent.token)] = _operator(agent.operator, agent.token)
                tokens.setdefault(name, set()).add(agent.token)
                tally.setdefault(name, [0, 0, 0])
            states.setdefault(name, []).append(agent)
        if all(a.robots == "unreachable" for members in states.values() for a in members):
            continue  # also when there are no agents at all
        counted += 1
        for name, members in states.items():
            if all(a.robots == "disallowed" for a in members):
                tally[name][0 if any(a.group == "own" for a in members) else 1] += 1
            elif any(_kept_out(a) for a in members):
                tally[name][2] += 1
    tallies = [
        OperatorTally(
            operator=name,
            agents=tuple(sorted(tokens[name], key=lambda t: (t.casefold(), t))),
            by_name=by_name,
            by_default=by_default,
            some_kept_out=some,
        )
        for name, (by_name, by_default, some) in tally.items()
    ]
    # Longest bar first: sites keeping the operator out at all, then out altogether.
    tallies.sort(
        key=lambda t: (
            -(t.all_disallowed + t.some_kept_out),
            -t.all_disallowed,
            -t.by_name,
            t.operator.casefold(),
        )
    )
    return tallies, counted
