"""Markdown summary for CI job pages: a verdict table, counts, then each site's reservations.

Reservations are counted and listed per statement (:func:`~crawlcheck.report.digest.group_findings`):
a robots.txt line that disallows 165 agents is one line here, naming the first few agents.

Everything a website supplied is escaped for GitHub-flavoured Markdown: ``<``, ``>`` and
``&`` become entities (so no HTML reaches the page), Markdown punctuation that can open
emphasis, code, links, strikethrough or math is backslash-escaped, ``|`` is escaped so it
cannot split a table cell, and line breaks and control characters become spaces.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from crawlcheck.model import PURPOSES, Effect, Finding, Problem, SiteReport
from crawlcheck.report.digest import group_findings, site_counts
from crawlcheck.report.document import (
    VERDICTS,
    ReportMeta,
    ordered_purposes,
    ordered_verdicts,
    verdict_counts,
)
from crawlcheck.safe_text import safe_text

#: Longest evidence or reason shown before it is cut with an ellipsis (the JSON has it all).
MAX_TEXT = 160

_PUNCTUATION = re.compile(r"([\\`*_\[\]|~$])")
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
# Line breaks (the ones Python's splitlines knows) become spaces; every other control,
# bidi or zero-width character is shown as an escape by crawlcheck.safe_text.
_BREAKS = re.compile(r"[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]+")


def escape(text: str, limit: int | None = None) -> str:
    """Return *text* as inert Markdown on one line, cut to *limit* characters first.

    >>> escape("a|b <script> *x*")
    'a\\\\|b &lt;script&gt; \\\\*x\\\\*'
    """
    if limit is not None and len(text) > limit:
        text = text[: limit - 1] + "…"
    text = safe_text(_BREAKS.sub(" ", text))
    text = "".join(_ENTITIES.get(ch, ch) for ch in text)
    return _PUNCTUATION.sub(r"\\\1", text)


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], numeric_from: int) -> list[str]:
    align = ["---:" if i >= numeric_from else "---" for i in range(len(header))]
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


#: A finding naming more agents than this lists the first few and the count.
_AGENTS_LISTED = 8
_AGENTS_FIRST = 5


def _reserving(report: SiteReport) -> list[Finding]:
    # One line per statement: `User-agent: *` + `Disallow: /` is one line of robots.txt,
    # not one finding per catalogued agent it reaches.
    reserving = (f for f in report.findings if f.effect == Effect.RESERVE)
    return [group.finding for group in group_findings(reserving)]


def _problem_cell(report: SiteReport) -> str:
    # Info notes ("no ai.txt") are not problems; count what is wrong.
    counts = site_counts(report).problems
    parts = [
        f"{counts[level]} {level}{'' if counts[level] == 1 else 's'}"
        for level in ("error", "warning")
        if counts.get(level)
    ]
    return ", ".join(parts) or "none"


def _problem_summary(problems: Sequence[Problem]) -> str:
    if not problems:
        return "no problems"
    levels = [p.level for p in problems]
    parts = [
        f"{levels.count(lv)} {lv}{'s' if levels.count(lv) > 1 and lv != 'info' else ''}"
        for lv in ("error", "warning", "info")
        if lv in levels
    ]
    other = len(problems) - sum(levels.count(lv) for lv in ("error", "warning", "info"))
    if other:
        parts.append(f"{other} other")
    noun = "problem" if len(problems) == 1 else "problems"
    return f"{len(problems)} {noun} ({', '.join(parts)})"


def _finding_line(finding: Finding) -> str:
    agents = ", ".join(finding.agents) or "*"
    if len(finding.agents) > _AGENTS_LISTED:
        first = ", ".join(finding.agents[:_AGENTS_FIRST])
        agents = f"{len(finding.agents)} agents ({first}, …)"
    purposes = ", ".join(ordered_purposes(finding.purposes))
    return (
        f"- **{escape(finding.signal)}** for {escape(purposes)} · agents {escape(agents, 80)}"
        f" · scope {escape(finding.scope, 80)} · {escape(finding.evidence, MAX_TEXT)}"
        f" ({escape(finding.source, 120)})"
    )


def _site_section(report: SiteReport) -> list[str]:
    reserving = _reserving(report)
    lines = [
        f"### {escape(report.site)}",
        "",
        f"Origin {escape(report.origin)} · {len(report.findings)} findings"
        f" ({len(reserving)} reservations) · {_problem_summary(report.problems)}"
        f" · {len(report.fetches)} fetches",
        "",
    ]
    for verdict in ordered_verdicts(report):
        reasons = "; ".join(verdict.reasons)
        tail = f" — {escape(reasons, MAX_TEXT)}" if reasons else ""
        lines.append(f"- **{escape(verdict.purpose)}**: {escape(verdict.verdict)}{tail}")
    lines.append("")
    if reserving:
        lines += ["Reserving findings:", ""]
        lines += [_finding_line(f) for f in reserving]
    else:
        lines.append("No reserving findings.")
    lines.append("")
    return lines


def render(reports: Sequence[SiteReport], meta: ReportMeta) -> str:
    """Return the Markdown summary of *reports*."""
    lines = [
        "# crawlcheck report",
        "",
        f"crawlcheck {escape(meta.crawlcheck_version)} · generated {escape(meta.generated_at)}"
        f" · agent catalogue {escape(meta.catalogue_source)} ({escape(meta.catalogue_date)},"
        f" {meta.catalogue_count} agents) · {len(reports)} sites",
        "",
    ]
    if not reports:
        return "\n".join([*lines, "No sites were audited.", ""])
    summary_rows = [
        [
            escape(r.site),
            *(escape(r.verdict(p)) for p in PURPOSES),
            str(len(_reserving(r))),
            _problem_cell(r),
        ]
        for r in reports
    ]
    lines += _table(["site", *PURPOSES, "reservations", "problems"], summary_rows, 5)
    counts = verdict_counts(reports)
    count_rows = [[p, *(str(counts[p][v]) for v in VERDICTS)] for p in PURPOSES]
    lines += ["", "Sites per verdict:", ""]
    lines += _table(["purpose", *VERDICTS], count_rows, 1)
    lines += ["", "## Sites", ""]
    for report in reports:
        lines += _site_section(report)
    return "\n".join(lines)
