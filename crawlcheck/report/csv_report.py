"""CSV: the sheet auditors open, one row per site; or the long form, a row per purpose and agent.

Two layouts (docs/reports.md "CSV"):

- ``site`` (the default): one row per site with a verdict column per purpose, agent
  counts by robots.txt state, the number of reservations, problems by level, and the
  verdicts' reasons;
- ``long``: per site, one row per purpose then one row per catalogued agent.

Every cell is made safe to open. Spreadsheets run a cell that starts with ``=``, ``+``,
``-`` or ``@`` as a formula (OWASP "CSV Injection"), and some also after a leading tab or
carriage return; a website controls much of what lands in these cells, so such a cell is
prefixed with an apostrophe, which spreadsheets display as plain text. Control and
direction-changing characters (ESC, C1 controls, bidi overrides, zero-width characters)
would act on a terminal that prints the file or reorder what a reader sees, so each is
written as ``<U+XXXX>``. The JSON report keeps the exact text.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence

from crawlcheck.errors import UsageError
from crawlcheck.model import PURPOSES, SiteReport
from crawlcheck.report.digest import site_counts
from crawlcheck.report.document import (
    HIDDEN,
    ReportMeta,
    ordered_agents,
    ordered_purposes,
    ordered_verdicts,
)

#: The layouts ``render`` takes; the first is the default.
LAYOUTS: tuple[str, ...] = ("site", "long")

#: ``site`` layout: the header row, fixed for ``crawlcheck.report/1`` (append only).
SITE_COLUMNS: tuple[str, ...] = (
    "site",
    "origin",
    *PURPOSES,
    "agents_disallowed",
    "agents_restricted",
    "agents_allowed",
    "agents_unreachable",
    "reservations",
    "errors",
    "warnings",
    "notes",
    "robots_txt_status",
    "pages_read",
    "fetched_at",
    *(f"reasons_{p}" for p in PURPOSES),
)

#: ``long`` layout: the header row, fixed for ``crawlcheck.report/1`` (append only).
COLUMNS: tuple[str, ...] = (
    "site",
    "origin",
    "row_type",
    "purpose",
    "verdict",
    "reasons",
    "agent",
    "operator",
    "robots",
    "purposes",
    "evidence",
)

#: Characters that make a spreadsheet read a cell as a formula when they come first.
FORMULA_TRIGGERS: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")

#: How a list (reasons) is joined into one cell.
LIST_SEPARATOR = "; "


def _visible(match: re.Match[str]) -> str:
    char = match.group()
    # A carriage return is part of a line break inside a quoted cell (RFC 4180).
    return char if char == "\r" else f"<U+{ord(char):04X}>"


def neutralise(cell: str) -> str:
    """Return *cell* safe to open: hidden characters shown, a formula start defused.

    >>> neutralise("=HYPERLINK(\\"http://x\\")")
    '\\'=HYPERLINK("http://x")'
    >>> neutralise("not-reserved")
    'not-reserved'
    >>> neutralise("\\x1b[31mred")
    '<U+001B>[31mred'
    """
    cell = HIDDEN.sub(_visible, cell)
    return "'" + cell if cell.startswith(FORMULA_TRIGGERS) else cell


def _long_rows(report: SiteReport) -> Iterable[dict[str, str]]:
    base = {"site": report.site, "origin": report.origin}
    for verdict in ordered_verdicts(report):
        yield {
            **base,
            "row_type": "purpose",
            "purpose": verdict.purpose,
            "verdict": verdict.verdict,
            "reasons": LIST_SEPARATOR.join(verdict.reasons),
        }
    for agent in ordered_agents(report):
        yield {
            **base,
            "row_type": "agent",
            "agent": agent.token,
            "operator": agent.operator,
            "robots": agent.robots,
            "purposes": " ".join(ordered_purposes(agent.purposes)),
            "evidence": agent.evidence,
        }


def _site_rows(report: SiteReport) -> Iterable[dict[str, str]]:
    counts = site_counts(report)
    verdicts = {v.purpose: v for v in ordered_verdicts(report)}
    row = {"site": report.site, "origin": report.origin}
    row.update({p: verdicts[p].verdict for p in PURPOSES})
    row.update({f"agents_{state}": str(n) for state, n in counts.agents.items()})
    row["reservations"] = str(counts.reservations)
    row["errors"] = str(counts.problems.get("error", 0))
    row["warnings"] = str(counts.problems.get("warning", 0))
    row["notes"] = str(counts.problems.get("info", 0))
    row["robots_txt_status"] = counts.robots_status
    row["pages_read"] = str(counts.pages_read)
    row["fetched_at"] = counts.fetched_at
    row.update({f"reasons_{p}": LIST_SEPARATOR.join(verdicts[p].reasons) for p in PURPOSES})
    yield row


def render(reports: Sequence[SiteReport], meta: ReportMeta, *, layout: str = "site") -> str:
    """Return the CSV report in *layout* (``site`` or ``long``); UsageError naming another.

    Every field is quoted (``csv.QUOTE_ALL``) so that embedded commas, quotes and line
    breaks survive; lines end with ``\\n`` (the csv module reads either ending). Columns a
    row does not use are empty; an agent state outside the vocabulary gets no column.
    """
    del meta  # the CSV is a table of sites; run metadata lives in the JSON report
    if layout == "site":
        columns, rows = SITE_COLUMNS, _site_rows
    elif layout == "long":
        columns, rows = COLUMNS, _long_rows
    else:
        raise UsageError(f"unknown CSV layout {layout!r}; choose one of {', '.join(LAYOUTS)}")
    out = io.StringIO()
    writer = csv.DictWriter(
        out,
        fieldnames=columns,
        quoting=csv.QUOTE_ALL,
        lineterminator="\n",
        restval="",
        extrasaction="ignore",
    )
    writer.writeheader()
    for report in reports:
        for row in rows(report):
            writer.writerow({key: neutralise(value) for key, value in row.items()})
    return out.getvalue()
