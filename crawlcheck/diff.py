"""What changed between two audit reports: per site, verdicts, agent states and findings.

Reports are read as the JSON document (``crawlcheck.report/1``) or JSONL (one ``sites[]``
object per line); sites are matched by ``origin``. A finding is the same finding in both
reports when its signal, source path, agents, scope and key agree; it *changed* when its
effect, value or purposes differ (a moved line number alone is not a change). Pure
functions over parsed JSON; only :func:`load_report` reads a file (docs/diff.md).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from crawlcheck.errors import UsageError
from crawlcheck.model import PURPOSES
from crawlcheck.report.document import SCHEMA_ID

__all__ = [
    "FindingChange",
    "Gate",
    "ReportDiff",
    "SiteDiff",
    "diff_reports",
    "gate_matches",
    "load_report",
]

#: --fail-on words that name a kind of change rather than a verdict.
CHANGE_KINDS = ("any", "verdicts", "agents", "findings", "sites")
#: Largest report file read (a report of 100k sites is far below it).
MAX_REPORT_BYTES = 2 << 30


@dataclass(frozen=True, slots=True)
class FindingChange:
    """A finding that appeared (``old`` None), disappeared (``new`` None) or changed."""

    old: Mapping[str, Any] | None
    new: Mapping[str, Any] | None


@dataclass(frozen=True, slots=True)
class SiteDiff:
    """How one site (one origin) differs between the two reports."""

    origin: str
    status: str
    """``changed``, ``unchanged``, ``added`` (only in NEW) or ``removed`` (only in OLD)."""
    verdicts: tuple[tuple[str, str | None, str | None], ...] = ()
    """(purpose, old, new) for every purpose whose verdict differs (None: site absent)."""
    agents: tuple[tuple[str, str | None, str | None], ...] = ()
    """(token, old, new) for every agent whose robots.txt state differs."""
    findings: tuple[FindingChange, ...] = ()


@dataclass(frozen=True, slots=True)
class ReportDiff:
    """Every site's difference, in NEW's order, then the removed sites in OLD's order."""

    sites: tuple[SiteDiff, ...] = field(default_factory=tuple)

    def changed(self) -> list[SiteDiff]:
        """Return the sites that differ in any way (added and removed included)."""
        return [s for s in self.sites if s.status != "unchanged"]

    def counts(self) -> dict[str, int]:
        """Return the number of sites per status, every status present."""
        counts = dict.fromkeys(("changed", "added", "removed", "unchanged"), 0)
        for site in self.sites:
            counts[site.status] += 1
        return counts


@dataclass(frozen=True, slots=True)
class Gate:
    """One ``--fail-on`` condition."""

    kind: str
    """``any``/``verdicts``/``agents``/``findings``/``sites``, ``verdict`` or ``agent``."""
    subject: str | None = None
    """The purpose (``verdict``) or agent token (``agent``); None: any."""
    value: str | None = None
    """The verdict or agent state a site must newly have."""


def load_report(path: str) -> list[dict[str, Any]]:
    """Return the ``sites[]`` objects of a JSON or JSONL report; UsageError naming *path*."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_REPORT_BYTES + 1)
    except OSError as exc:
        raise UsageError(f"cannot read report '{path}': {exc.strerror or exc}") from exc
    if len(raw) > MAX_REPORT_BYTES:
        raise UsageError(f"report '{path}' is larger than {MAX_REPORT_BYTES:,} bytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UsageError(f"report '{path}' is not UTF-8 text (a snapshot or binary file?)") from exc
    sites = _sites(text, path)
    for number, site in enumerate(sites, 1):
        if not isinstance(site, dict) or not isinstance(site.get("origin", site.get("site")), str):
            raise UsageError(f"report '{path}': site {number} has no origin")
    return sites


def _sites(text: str, path: str) -> list[Any]:
    stripped = text.strip()
    if not stripped:
        raise UsageError(f"report '{path}' is empty")
    try:
        whole = json.loads(stripped)
    except ValueError:
        whole = None
    if isinstance(whole, dict) and "sites" in whole:
        if whole.get("schema") != SCHEMA_ID or not isinstance(whole["sites"], list):
            raise UsageError(f"report '{path}' is not a {SCHEMA_ID} report")
        return list(whole["sites"])
    if isinstance(whole, dict):
        return [whole]  # a JSONL report of one site
    lines: list[Any] = []
    for number, line in enumerate(stripped.splitlines(), 1):
        if not line.strip():
            continue
        try:
            lines.append(json.loads(line))
        except ValueError as exc:
            raise UsageError(
                f"report '{path}' line {number} is not JSON (expected a {SCHEMA_ID} JSON "
                "document or JSONL)"
            ) from exc
    return lines


def diff_reports(old: Sequence[Mapping[str, Any]], new: Sequence[Mapping[str, Any]]) -> ReportDiff:
    """Return how the sites of *new* differ from those of *old*, matched by origin."""
    before = _by_origin(old)
    after = _by_origin(new)
    sites = [_site_diff(origin, before.get(origin), site) for origin, site in after.items()]
    sites += [
        _site_diff(origin, site, None) for origin, site in before.items() if origin not in after
    ]
    return ReportDiff(sites=tuple(sites))


def _by_origin(sites: Iterable[Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    found: dict[str, Mapping[str, Any]] = {}
    for site in sites:
        found.setdefault(str(site.get("origin") or site.get("site")), site)
    return found


def _site_diff(
    origin: str, old: Mapping[str, Any] | None, new: Mapping[str, Any] | None
) -> SiteDiff:
    verdicts = _pairs(_mapping(old, "verdicts"), _mapping(new, "verdicts"), PURPOSES)
    agents = _pairs(_agent_states(old), _agent_states(new), ())
    findings = _finding_changes(_list(old, "findings"), _list(new, "findings"))
    if old is None or new is None:
        status = "added" if old is None else "removed"
    else:
        status = "changed" if verdicts or agents or findings else "unchanged"
    return SiteDiff(
        origin=origin,
        status=status,
        verdicts=verdicts,
        agents=agents,
        findings=findings,
    )


def _mapping(site: Mapping[str, Any] | None, key: str) -> dict[str, str]:
    value = site.get(key) if site is not None else None
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


def _list(site: Mapping[str, Any] | None, key: str) -> list[Mapping[str, Any]]:
    value = site.get(key) if site is not None else None
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _agent_states(site: Mapping[str, Any] | None) -> dict[str, str]:
    value = site.get("agents") if site is not None else None
    if not isinstance(value, dict):
        return {}
    return {str(k): str(v.get("robots")) for k, v in value.items() if isinstance(v, dict)}


def _pairs(
    old: Mapping[str, str], new: Mapping[str, str], first: Sequence[str]
) -> tuple[tuple[str, str | None, str | None], ...]:
    names = [*first, *sorted((set(old) | set(new)) - set(first), key=str.casefold)]
    return tuple(
        (name, old.get(name), new.get(name))
        for name in names
        if old.get(name) != new.get(name) and (name in old or name in new)
    )


def _identity(finding: Mapping[str, Any]) -> tuple[str, ...]:
    """Return what makes two findings the same statement (the source's path, not origin)."""
    source = str(finding.get("source", ""))
    parts = urlsplit(source)
    where = (
        (parts.path or "/") + (f"?{parts.query}" if parts.query else "") if parts.scheme else source
    )
    agents = finding.get("agents")
    agent_text = ",".join(str(a) for a in agents) if isinstance(agents, list) else str(agents)
    return (
        str(finding.get("signal", "")),
        where,
        agent_text,
        str(finding.get("scope", "")),
        str(finding.get("key", "")),
    )


def _meaning(finding: Mapping[str, Any]) -> tuple[str, ...]:
    purposes = finding.get("purposes")
    purpose_text = ",".join(str(p) for p in purposes) if isinstance(purposes, list) else ""
    return (str(finding.get("effect", "")), str(finding.get("value", "")), purpose_text)


def _finding_changes(
    old: list[Mapping[str, Any]], new: list[Mapping[str, Any]]
) -> tuple[FindingChange, ...]:
    pending: dict[tuple[str, ...], list[Mapping[str, Any]]] = {}
    for finding in old:
        pending.setdefault(_identity(finding), []).append(finding)
    changes: list[FindingChange] = []
    for finding in new:
        same = pending.get(_identity(finding))
        if not same:
            changes.append(FindingChange(old=None, new=finding))
            continue
        # Prefer an old finding with the same meaning, so reordering is not a change.
        match = next((f for f in same if _meaning(f) == _meaning(finding)), same[0])
        same.remove(match)
        if _meaning(match) != _meaning(finding):
            changes.append(FindingChange(old=match, new=finding))
    changes += [FindingChange(old=f, new=None) for left in pending.values() for f in left]
    return tuple(changes)


def gate_matches(gate: Gate, site: SiteDiff) -> bool:
    """Return True when *site*'s difference is one *gate* fails on."""
    if gate.kind == "any":
        return site.status != "unchanged"
    if gate.kind == "sites":
        return site.status in ("added", "removed")
    if gate.kind == "verdicts":
        return bool(site.verdicts)
    if gate.kind == "agents":
        return bool(site.agents)
    if gate.kind == "findings":
        return bool(site.findings)
    changes = site.verdicts if gate.kind == "verdict" else site.agents
    return any(
        new == gate.value and (gate.subject is None or name.casefold() == gate.subject.casefold())
        for name, _, new in changes
    )
