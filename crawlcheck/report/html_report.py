"""HTML: one self-contained page an auditor reads at a glance; no JavaScript, no requests.

The page is ``report.html`` + ``report.css`` (package data, loaded with
``importlib.resources``) filled with ``string.Template``, which substitutes once, so a
``$`` in site text stays text. Site text is escaped by :mod:`crawlcheck.report._html`,
and a Content-Security-Policy of ``default-src 'none'; style-src 'unsafe-inline'`` means
that even a mistake there could neither run script nor load anything.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from importlib.resources import files
from string import Template

from crawlcheck.model import (
    PURPOSES,
    AgentReport,
    Effect,
    FetchRecord,
    Finding,
    Problem,
    SiteReport,
)
from crawlcheck.report._html import attr, badge, human_size, inline, link, text
from crawlcheck.report.document import (
    SCHEMA_ID,
    ReportMeta,
    ordered_agents,
    ordered_purposes,
    ordered_verdicts,
    verdict_counts,
)

VERDICT_CLASSES = {
    "reserved": "v-reserved",
    "partial": "v-partial",
    "not-reserved": "v-not-reserved",
    "unknown": "v-unknown",
}
AGENT_CLASSES = {
    "disallowed": "v-reserved",
    "restricted": "v-partial",
    "allowed": "v-not-reserved",
    "unreachable": "v-unknown",
}
_EFFECT_CLASSES = {"reserve": "effect-reserve", "permit": "effect-permit", "info": "effect-info"}
_LEVEL_CLASSES = {"error": "level-error", "warning": "level-warning", "info": "level-info"}
_STATEMENT_MAX = 40
_EFFECT_ORDER = {Effect.RESERVE: 0, Effect.PERMIT: 1, Effect.INFO: 2}

_LEGEND = (
    ("reserved", "reserved for every crawler, for the whole site"),
    ("partial", "reserved for some agents, paths, media types or pages"),
    ("not-reserved", "every signal was read; none reserves this purpose"),
    ("unknown", "could not be determined (robots.txt unreachable, fetches failed)"),
)
_AGENT_NOTE = (
    "Agent states come from robots.txt: <b>disallowed</b> (its group disallows /), "
    "<b>restricted</b> (some paths), <b>allowed</b> (nothing), <b>unreachable</b> "
    "(robots.txt answered 5xx or failed; RFC 9309 §2.3.1.4 says to assume complete "
    "disallow)."
)


@cache
def _resource(name: str) -> str:
    return files("crawlcheck.report").joinpath(name).read_text(encoding="utf-8")


def _table(
    headers: Sequence[str], widths: Sequence[int], rows: Sequence[str], css: str, foot: str = ""
) -> str:
    """Return a fixed-layout table; a header starting with ``#`` is a numeric column.

    Fixed layout with set column widths keeps a hostile 10,000-character line from
    widening the page: it wraps inside its cell instead.
    """
    cols = "".join(f'<col style="width:{w}%">' for w in widths)
    head = "".join(
        f'<th class="num">{h[1:]}</th>' if h.startswith("#") else f"<th>{h}</th>" for h in headers
    )
    return (
        f'<table class="{css}">\n<colgroup>{cols}</colgroup>\n<thead><tr>{head}</tr></thead>\n'
        f"<tbody>\n{''.join(rows)}</tbody>{foot}\n</table>"
    )


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _list(items: Sequence[str]) -> str:
    if not items:
        return '<span class="empty">none given</span>'
    return "<ul>" + "".join(f"<li>{text(i)}</li>" for i in items) + "</ul>"


def _legend() -> str:
    entries = "".join(
        f"<div>{badge(v, VERDICT_CLASSES)} {text(meaning)}</div>" for v, meaning in _LEGEND
    )
    return f'<div class="legend" aria-label="legend">{entries}</div>'


def _summary(reports: Sequence[SiteReport]) -> str:
    if not reports:
        return '<p class="empty">No sites were audited.</p>'
    rows = []
    for number, report in enumerate(reports, 1):
        cells = "".join(
            f'<td class="verdict {VERDICT_CLASSES.get(v, "v-other")}">{text(v)}</td>'
            for v in (report.verdict(p) for p in PURPOSES)
        )
        reserving = sum(1 for f in report.findings if f.effect == Effect.RESERVE)
        rows.append(
            f'<tr><td class="site"><a href="#site-{number}">{inline(report.site)}</a></td>'
            f'<td class="mono">{inline(report.origin)}</td>{cells}'
            f'<td class="num">{reserving}</td><td class="num">{len(report.problems)}</td></tr>\n'
        )
    counts = verdict_counts(reports)
    totals = "".join(
        "<td>"
        + " ".join(
            f'<span class="badge {VERDICT_CLASSES[v]}" title="{attr(v)}">{counts[p][v]}</span>'
            for v in VERDICT_CLASSES
            if counts[p][v]
        )
        + "</td>"
        for p in PURPOSES
    )
    sites = _plural(len(reports), "site")
    foot = (
        f'<tfoot><tr><th colspan="2">{sites} · sites per verdict</th>{totals}'
        "<td></td><td></td></tr></tfoot>"
    )
    table = _table(
        ["site", "origin", *PURPOSES, "#reserving findings", "#problems"],
        [21, 19, 11, 11, 11, 11, 9, 7],
        rows,
        "summary",
        foot,
    )
    return '<h2 id="summary">Summary</h2>\n' + table


def _verdicts(report: SiteReport) -> str:
    rows = [
        f"<tr><th>{text(v.purpose)}</th><td>{badge(v.verdict, VERDICT_CLASSES)}</td>"
        f"<td>{_list(v.reasons)}</td></tr>\n"
        for v in ordered_verdicts(report)
    ]
    return _table(["purpose", "verdict", "reasons"], [10, 13, 77], rows, "verdicts")


def _agents(report: SiteReport) -> str:
    agents = ordered_agents(report)
    if not agents:
        return '<p class="empty">No catalogued agents were evaluated.</p>'
    # Agents robots.txt names are what the publisher wrote about: one row each. The others
    # (most of the catalogue) share their state and evidence: one folded row per kind.
    named = [a for a in agents if a.group == "own"]
    rest: dict[tuple[str, str], list[AgentReport]] = {}
    for agent in agents:
        if agent.group != "own":
            rest.setdefault((agent.robots, agent.evidence), []).append(agent)
    rows = [
        f'<tr><td class="mono">{text(a.token)}</td><td>{text(a.operator)}</td>'
        f"<td>{text(', '.join(ordered_purposes(a.purposes)))}</td>"
        f"<td>{badge(a.robots, AGENT_CLASSES)}</td>"
        f'<td class="evidence">{text(a.evidence)}</td></tr>\n'
        for a in named
    ]
    for (state, evidence), members in rest.items():
        where = {"*": "fall to the * group", "none": "have no group"}.get(members[0].group, "")
        noun = "other agent" if named else "agent"
        label = f"{_plural(len(members), noun)} {where}".strip()
        tokens = ", ".join(a.token for a in members)
        rows.append(
            f'<tr><td colspan="3"><details><summary>{text(label)}</summary>'
            f'<p class="mono">{text(tokens)}</p></details></td>'
            f"<td>{badge(state, AGENT_CLASSES)}</td>"
            f'<td class="evidence">{text(evidence)}</td></tr>\n'
        )
    return _table(
        ["agent", "operator", "purposes", "robots.txt", "evidence"],
        [15, 12, 12, 11, 50],
        rows,
        "agents",
    )


def _evidence_text(finding: Finding) -> str:
    # Evidence.describe() starts with "line N: "; the line has its own column here.
    prefix = f"line {finding.line}: "
    if finding.line is not None and finding.evidence.startswith(prefix):
        return finding.evidence[len(prefix) :]
    return finding.evidence


def _findings(report: SiteReport) -> str:
    if not report.findings:
        return '<p class="empty">No findings.</p>'
    ordered = sorted(report.findings, key=lambda f: _EFFECT_ORDER.get(f.effect, 3))
    rows = []
    for f in ordered:
        statement = f"{f.key}={f.value}" if f.value else f.key
        if len(statement) > _STATEMENT_MAX:  # the evidence column has it in full
            statement = statement[: _STATEMENT_MAX - 1] + "…"
        line = f'<div class="line">line {f.line}</div>' if f.line is not None else ""
        rows.append(
            f'<tr><td class="{_EFFECT_CLASSES.get(str(f.effect), "")}">{text(f.effect)}</td>'
            f'<td>{text(f.signal)}<div class="mono muted">{text(statement)}</div></td>'
            f"<td>{text(', '.join(ordered_purposes(f.purposes)))}</td>"
            f'<td class="mono">{text(", ".join(f.agents))}</td>'
            f'<td class="mono">{text(f.scope)}</td>'
            f'<td class="mono">{link(f.source)}{line}</td>'
            f'<td class="evidence">{text(_evidence_text(f))}</td></tr>\n'
        )
    headers = ["effect", "signal", "purposes", "agents", "scope", "source", "evidence"]
    return _table(headers, [8, 12, 9, 13, 10, 19, 29], rows, "findings")


def _problem_where(problem: Problem) -> str:
    line = f'<div class="line">line {problem.line}</div>' if problem.line is not None else ""
    return link(problem.source) + line


def _problems(report: SiteReport) -> str:
    if not report.problems:
        return '<p class="empty">No problems.</p>'
    rows = [
        f'<tr><td class="{_LEVEL_CLASSES.get(p.level, "")}">{text(p.level)}</td>'
        f'<td class="mono">{text(p.code)}</td><td>{text(p.message)}</td>'
        f'<td class="mono">{_problem_where(p)}</td></tr>\n'
        for p in report.problems
    ]
    return _table(["level", "code", "message", "source"], [8, 18, 44, 30], rows, "problems")


def _status(fetch: FetchRecord) -> str:
    # 2xx read; 3xx/4xx are answers (a 404 ai.txt just means "no file"); 5xx and no
    # response are failures (RFC 9309 §2.3.1.4 for robots.txt).
    if fetch.status is None:
        return '<span class="status-bad">—</span>'
    if 200 <= fetch.status < 300:
        css = "status-ok"
    elif fetch.status < 500:
        css = "muted"
    else:
        css = "status-bad"
    return f'<span class="{css}">{fetch.status}</span>'


def _fetch_row(fetch: FetchRecord) -> str:
    url = link(fetch.url)
    if fetch.final_url and fetch.final_url != fetch.url:
        url += f'<div class="muted">→ {link(fetch.final_url)}</div>'
    hops = "".join(f"<li>{status} → {link(target)}</li>" for status, target in fetch.redirects)
    sha = (
        f'<span title="{attr(fetch.sha256)}">{text(fetch.sha256[:12])}…</span>'
        if fetch.sha256
        else ""
    )
    size = f'<span title="{fetch.size} bytes">{human_size(fetch.size)}</span>'
    if fetch.truncated:
        size += ' <span class="status-bad">truncated</span>'
    elapsed = f"{fetch.elapsed_ms:.0f} ms" if fetch.elapsed_ms is not None else ""
    return (
        f'<tr><td>{text(fetch.kind)}</td><td class="mono">{url}</td>'
        f'<td class="num">{_status(fetch)}</td><td class="mono">{"<ul>" + hops + "</ul>" if hops else ""}</td>'
        f'<td class="mono">{text(fetch.content_type)}</td><td class="num">{size}</td>'
        f'<td class="mono">{sha}</td><td class="mono">{text(fetch.fetched_at)}</td>'
        f'<td class="num">{elapsed}</td><td class="level-error">{text(fetch.error or "")}</td></tr>\n'
    )


def _fetches(report: SiteReport) -> str:
    if not report.fetches:
        return '<p class="empty">Nothing was fetched.</p>'
    headers = [
        "kind",
        "url",
        "#status",
        "redirects",
        "type",
        "#size",
        "sha256",
        "time",
        "#elapsed",
        "error",
    ]
    widths = [7, 20, 6, 14, 9, 7, 9, 13, 7, 8]
    table = _table(headers, widths, [_fetch_row(f) for f in report.fetches], "fetches")
    if report.skipped:
        items = "".join(
            f"<li>{link(url)} — {inline(reason)}</li>" for url, reason in report.skipped
        )
        table += f'\n<p>Pages not sampled:</p><ul class="skipped">{items}</ul>'
    return table


def _site(number: int, report: SiteReport) -> str:
    times = ""
    if report.started_at or report.finished_at:
        times = f" · audited {text(report.started_at)} to {text(report.finished_at)}"
    return (
        f'<section class="site" id="site-{number}">\n'
        f"<h2>{inline(report.site)}</h2>\n"
        f'<p class="site-meta">origin <span class="mono">{link(report.origin)}</span>{times}</p>\n'
        f"<h3>Verdicts</h3>\n{_verdicts(report)}\n"
        f'<h3>AI agents in robots.txt</h3>\n{_agents(report)}\n<p class="note">{_AGENT_NOTE}</p>\n'
        f"<h3>Findings</h3>\n{_findings(report)}\n"
        f"<h3>Problems</h3>\n{_problems(report)}\n"
        f"<h3>Fetch log</h3>\n{_fetches(report)}\n"
        "</section>"
    )


def render(reports: Sequence[SiteReport], meta: ReportMeta) -> str:
    """Return the HTML report: one self-contained page."""
    title = ", ".join(r.site for r in reports[:3]) + (" …" if len(reports) > 3 else "")
    meta_line = (
        f"Generated {text(meta.generated_at)} by crawlcheck {text(meta.crawlcheck_version)}"
        f" · AI agent catalogue: {inline(meta.catalogue_source)} ({text(meta.catalogue_date)},"
        f" {_plural(meta.catalogue_count, 'agent')}) · {_plural(len(reports), 'site')}"
    )
    if meta.command:
        meta_line += f'<br><span class="mono">{text(meta.command)}</span>'
    page = Template(_resource("report.html")).substitute(
        version=text(meta.crawlcheck_version),
        title=attr(title or "no sites"),  # <title> is RCDATA: no markup
        css=_resource("report.css"),
        meta=meta_line,
        schema=SCHEMA_ID,
        legend=_legend(),
        summary=_summary(reports),
        sites="\n".join(_site(n, r) for n, r in enumerate(reports, 1)),
    )
    return page
