"""The HTML report's overview: verdicts per purpose and AI operators kept out, as bar charts.

A bar is a row of segments whose lengths are ``flex-grow`` values; the page's CSP admits no
``style`` attributes, so each length is a rule of the (hashed) style sheet, built from
integers and fixed class names only. A bar never speaks alone: its segments are
patterned as well as coloured, and every number is written out next to it, as a button
that filters the site list (``report.js``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from crawlcheck.model import PURPOSES, SiteReport
from crawlcheck.report._html import attr, text
from crawlcheck.report.digest import OperatorTally, operator_tallies
from crawlcheck.report.document import VERDICTS, verdict_counts

#: Operators shown as bars; the rest are listed under "all operators".
TOP_OPERATORS = 12


@dataclass(slots=True)
class Lengths:
    """The style rules that give bar segments their lengths (``.gN{flex-grow:M}``)."""

    rules: list[str] = field(default_factory=list)

    def segment(self, value: int) -> str:
        """Return the class name of a segment *value* units long."""
        name = f"g{len(self.rules)}"
        self.rules.append(f".{name}{{flex-grow:{int(value)}}}")
        return name

    def css(self) -> str:
        """Return the rules, one per line."""
        return "".join(f"{rule}\n" for rule in self.rules)


def _percent(part: int, whole: int) -> str:
    if not whole:
        return "0%"
    share = 100 * part / whole
    return f"{share:.0f}%" if share >= 1 or share == 0 else "<1%"


def _verdict_bars(reports: Sequence[SiteReport], lengths: Lengths) -> str:
    counts = verdict_counts(reports)
    total = len(reports)
    rows = []
    for index, purpose in enumerate(PURPOSES):
        segments = []
        legend = []
        for verdict in VERDICTS:
            count = counts[purpose][verdict]
            if count:
                segments.append(
                    f'<span class="seg v-{verdict} {lengths.segment(count)}">'
                    f"<span>{count:,}</span></span>"
                )
            legend.append(
                f'<button type="button" class="count" data-purpose="{index}"'
                f' data-verdict="{attr(verdict)}"{" disabled" if not count else ""}>'
                f'<span class="swatch v-{verdict}"></span>{verdict} '
                f'<b>{count:,}</b> <span class="muted">({_percent(count, total)})</span>'
                "</button>"
            )
        rows.append(
            f'<div class="chart-row"><div class="chart-label">{purpose}</div>'
            f'<div class="bar" aria-hidden="true">{"".join(segments)}</div>'
            f'<div class="chart-legend">{"".join(legend)}</div></div>\n'
        )
    return (
        '<figure class="chart" aria-labelledby="chart-verdicts">\n'
        '<figcaption id="chart-verdicts"><b>Verdicts per purpose</b> — sites per verdict, '
        "of all sites; pick a number to list those sites</figcaption>\n"
        f"{''.join(rows)}</figure>"
    )


def _verb(count: int, verb: str) -> str:
    """Return *verb* agreeing with *count* sites: "1 disallows", "2 disallow".

    >>> _verb(1, "keep some out"), _verb(3, "restrict it")
    ('keeps some out', 'restrict it')
    """
    if count != 1:
        return verb
    first, _, rest = verb.partition(" ")
    return f"{first}s {rest}".rstrip()


def _operator_row(tally: OperatorTally, counted: int, lengths: Lengths) -> str:
    rest = counted - tally.all_disallowed - tally.some_kept_out
    segments = "".join(
        f'<span class="seg {css} {lengths.segment(value)}"></span>'
        for css, value in (
            ("op-name", tally.by_name),
            ("op-default", tally.by_default),
            ("op-some", tally.some_kept_out),
            ("op-rest", rest),
        )
        if value
    )
    agents = len(tally.agents)
    parts = []
    if tally.all_disallowed:
        every = "its agent" if agents == 1 else f"all {agents} of its agents"
        how = "by name"
        if not tally.by_name:
            how = "through * only"
        elif tally.by_default:
            how = f"{tally.by_name:,} by name"
        count = tally.all_disallowed
        parts.append(f"<b>{count:,}</b> {_verb(count, 'disallow')} {every} ({how})")
    if tally.some_kept_out:
        count = tally.some_kept_out
        some = "restrict it" if agents == 1 else f"keep some of its {agents} agents out"
        parts.append(f"<b>{count:,}</b> {_verb(count, some)}")
    words = " · ".join(parts)
    return (
        f'<div class="chart-row"><div class="chart-label" title="{attr(", ".join(tally.agents))}">'
        f"{text(tally.operator)}</div>"
        f'<div class="bar" aria-hidden="true">{segments}</div>'
        f'<div class="chart-legend">{words}</div></div>\n'
    )


def _operator_bars(reports: Sequence[SiteReport], lengths: Lengths) -> str:
    tallies, counted = operator_tallies(reports)
    title = "<b>AI operators kept out by robots.txt</b>"
    if not counted:
        return (
            f'<figure class="chart"><figcaption>{title}</figcaption>'
            '<p class="empty">No robots.txt could be read.</p></figure>'
        )
    shown = [t for t in tallies if t.all_disallowed or t.some_kept_out][:TOP_OPERATORS]
    top = "".join(_operator_row(t, counted, lengths) for t in shown)
    if not shown:
        top = '<p class="empty">No site disallows or restricts any catalogued AI agent.</p>'
    rows = "".join(
        f'<tr><td>{text(t.operator)}</td><td class="mono">{text(", ".join(t.agents))}</td>'
        f'<td class="num">{t.by_name:,}</td><td class="num">{t.by_default:,}</td>'
        f'<td class="num">{t.some_kept_out:,}</td></tr>\n'
        for t in tallies
    )
    sites = "site" if counted == 1 else "sites"
    return (
        '<figure class="chart" aria-labelledby="chart-operators">\n'
        f'<figcaption id="chart-operators">{title} — of the {counted:,} {sites} whose '
        "robots.txt was read, how many disallow all of an operator's catalogued agents "
        '<span class="key"><span class="swatch op-name"></span>naming at least one</span> '
        '<span class="key"><span class="swatch op-default"></span>through '
        "<code>User-agent: *</code> only</span>, or "
        '<span class="key"><span class="swatch op-some"></span>keep some of them out</span>'
        "</figcaption>\n"
        f"{top}"
        f"<details><summary>All {len(tallies):,} operators in the agent catalogue</summary>\n"
        '<table class="operators"><thead><tr><th>operator</th><th>agents</th>'
        '<th class="num">all out, by name</th><th class="num">all out, by *</th>'
        '<th class="num">some out</th>'
        f"</tr></thead><tbody>\n{rows}</tbody></table></details>\n</figure>"
    )


def overview(reports: Sequence[SiteReport], lengths: Lengths) -> str:
    """Return the overview section: the two charts, side by side when there is room."""
    if not reports:
        return ""
    return (
        '<section class="overview" aria-labelledby="overview">\n'
        '<h2 id="overview">Overview</h2>\n<div class="charts">\n'
        f"{_verdict_bars(reports, lengths)}\n{_operator_bars(reports, lengths)}\n"
        "</div>\n</section>"
    )
