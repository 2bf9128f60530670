"""The HTML report's site list: one summary row per site, its details as embedded JSON.

Each site is a ``<details>`` element whose ``<summary>`` is its row (site, four verdicts,
reservations, problems), written here as HTML. What opens below it (verdict reasons,
agents, findings, problems, fetch log) is written as JSON into a ``<script
type="application/json" id="d-N">`` data block after the page's script, and ``report.js``
builds it, with text nodes only, when the row is opened. A browser therefore lays out the
rows of 5,000 sites, not the tables of 5,000 sites, and the list can be filtered while the
data blocks are still being read: the page opens in a few seconds (docs/reports.md "HTML").

The data is compact (arrays in a fixed order, agents by their index in one shared
catalogue); its shape is private to this module and ``report.js``:

- catalogue: ``[[token, operator, [purpose…]], …]``
- site: ``{"v": verdicts, "a": agents, "f": findings, "p": problems, "x": fetches,
  "s": skipped, "t": [started_at, finished_at], "o": origin}`` with
  ``v = [[purpose, verdict, [reason…]], …]``,
  ``a = [[state, evidence, group, [catalogue index…]], …]`` (agents with a group of their
  own one per row, the others folded by state, evidence and group),
  ``f = [[effect, signal, key, value, [purpose…], [agent…], scope, source, line, evidence,
  size], …]`` (grouped by statement, reservations first; an agent is a catalogue index
  or a string), ``p = [[level, code, message, source, line], …]``,
  ``x = [[kind, url, final_url ("" when it is url), status, [[status, location], …], content_type, size,
  truncated, sha256, fetched_at, elapsed_ms, error], …]``, ``s = [[url, reason], …]``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from crawlcheck.model import PURPOSES, AgentReport, Effect, Finding, SiteReport
from crawlcheck.report._html import script_json, text
from crawlcheck.report.digest import group_findings, site_counts
from crawlcheck.report.document import (
    VERDICTS,
    ordered_agents,
    ordered_purposes,
    ordered_verdicts,
)

_EFFECT_ORDER = {Effect.RESERVE: 0, Effect.PERMIT: 1, Effect.INFO: 2}

CatalogueKey = tuple[str, str, tuple[str, ...]]


class Catalogue:
    """The agents of every site in one list, so that a site names them by index."""

    def __init__(self, reports: Sequence[SiteReport]) -> None:
        self.index: dict[CatalogueKey, int] = {}
        self.by_token: dict[str, int] = {}
        for report in reports:
            for agent in report.agents:
                key = (agent.token, agent.operator, agent.purposes)
                if key not in self.index:
                    self.index[key] = len(self.index)
                    self.by_token.setdefault(agent.token, self.index[key])

    def of(self, agent: AgentReport) -> int:
        """Return the index of *agent*."""
        return self.index[(agent.token, agent.operator, agent.purposes)]

    def data(self) -> list[list[Any]]:
        """Return the catalogue as the page's script reads it."""
        return [
            [token, operator, ordered_purposes(purposes)]
            for token, operator, purposes in self.index
        ]


def _evidence_text(finding: Finding) -> str:
    # Evidence.describe() starts with "line N: "; the details show the line on its own.
    prefix = f"line {finding.line}: "
    if finding.line is not None and finding.evidence.startswith(prefix):
        return finding.evidence[len(prefix) :]
    return finding.evidence


def _agents(report: SiteReport, catalogue: Catalogue) -> list[list[Any]]:
    # Agents robots.txt names are what the publisher wrote about: one row each. The others
    # (most of the catalogue) share their state and evidence: one folded row per kind.
    agents = ordered_agents(report)
    rows: list[list[Any]] = [
        [a.robots, a.evidence, a.group, [catalogue.of(a)]] for a in agents if a.group == "own"
    ]
    folded: dict[tuple[str, str, str], list[int]] = {}
    for agent in agents:
        if agent.group != "own":
            key = (agent.robots, agent.evidence, agent.group)
            folded.setdefault(key, []).append(catalogue.of(agent))
    rows += [
        [state, evidence, group, members] for (state, evidence, group), members in folded.items()
    ]
    return rows


def _findings(report: SiteReport, catalogue: Catalogue) -> list[list[Any]]:
    groups = sorted(
        group_findings(report.findings), key=lambda g: _EFFECT_ORDER.get(g.finding.effect, 3)
    )
    rows = []
    for group in groups:
        f = group.finding
        agents: list[int | str] = [catalogue.by_token.get(a, a) for a in f.agents]
        rows.append(
            [
                str(f.effect),
                f.signal,
                f.key,
                f.value,
                ordered_purposes(f.purposes),
                agents,
                f.scope,
                f.source,
                f.line,
                _evidence_text(f),
                group.size,
            ]
        )
    return rows


def site_data(report: SiteReport, catalogue: Catalogue) -> dict[str, Any]:
    """Return what the page's script needs to build one site's details."""
    return {
        "v": [[v.purpose, v.verdict, list(v.reasons)] for v in ordered_verdicts(report)],
        "a": _agents(report, catalogue),
        "f": _findings(report, catalogue),
        "p": [[p.level, p.code, p.message, p.source, p.line] for p in report.problems],
        "x": [
            [
                f.kind,
                f.url,
                "" if f.final_url == f.url else f.final_url,
                f.status,
                [[status, location] for status, location in f.redirects],
                f.content_type,
                f.size,
                f.truncated,
                f.sha256,
                f.fetched_at,
                f.elapsed_ms,
                f.error,
            ]
            for f in report.fetches
        ],
        "s": [[url, reason] for url, reason in report.skipped],
        "t": [report.started_at, report.finished_at],
        "o": report.origin,
    }


def _verdict_index(verdict: str) -> int:
    return VERDICTS.index(verdict) if verdict in VERDICTS else len(VERDICTS)


def _problems_cell(problems: dict[str, int]) -> str:
    parts = []
    for level, noun in (("error", "error"), ("warning", "warning")):
        count = problems.get(level, 0)
        if count:
            parts.append(
                f'<span class="level-{level}">{count:,} {noun}{"" if count == 1 else "s"}</span>'
            )
    return " ".join(parts) or '<span class="muted">none</span>'


def site_row(number: int, report: SiteReport) -> str:
    """Return one site's row: a ``<details>`` whose ``<summary>`` is the site at a glance."""
    counts = site_counts(report)
    verdicts = [report.verdict(p) for p in PURPOSES]
    cells = "".join(
        f'<span class="c-v"><span class="lbl">{purpose} </span>'
        f'<span class="badge v-{v if v in VERDICTS else "other"}">{text(v)}</span></span>'
        for purpose, v in zip(PURPOSES, verdicts, strict=True)
    )
    origin = ""
    if report.origin != report.site:
        origin = f'<bdi class="origin">{text(report.origin)}</bdi>'
    order = "".join(str(_verdict_index(v)) for v in verdicts)
    errors, warnings = counts.problems.get("error", 0), counts.problems.get("warning", 0)
    return (
        f'<details class="site" id="site-{number}" data-v="{order}" data-r="{counts.reservations}"'
        f' data-e="{errors}" data-w="{warnings}">'
        f'<summary><span class="c-site"><bdi class="name">{text(report.site)}</bdi> {origin}</span>'
        f"{cells}"
        f'<span class="c-n"><span class="lbl">reservations </span>{counts.reservations:,}</span>'
        f'<span class="c-p"><span class="lbl">problems </span>{_problems_cell(counts.problems)}</span>'
        "</summary></details>\n"
    )


def site_data_block(number: int, report: SiteReport, catalogue: Catalogue) -> str:
    """Return the data block the script builds site *number*'s details from."""
    data = script_json(site_data(report, catalogue))
    return f'<script type="application/json" id="d-{number}">{data}</script>\n'
