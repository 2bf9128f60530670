"""CSV: one row per site and purpose and one row per site and agent, safe to open in a spreadsheet.

Spreadsheets run a cell that starts with ``=``, ``+``, ``-`` or ``@`` as a formula
(OWASP "CSV Injection"), and some also do so after a leading tab or carriage return. A
website controls much of what lands in these cells (evidence lines, reasons quoting
them), so every such cell is prefixed with an apostrophe, which spreadsheets display as
plain text. The JSON report keeps the exact text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from crawlcheck.model import SiteReport
from crawlcheck.report.document import (
    ReportMeta,
    ordered_agents,
    ordered_purposes,
    ordered_verdicts,
)

#: The header row, fixed for ``crawlcheck.report/1``; columns may be added at the end only.
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


def neutralise(cell: str) -> str:
    """Return *cell* prefixed with ``'`` when a spreadsheet would read it as a formula.

    >>> neutralise("=HYPERLINK(\\"http://x\\")")
    '\\'=HYPERLINK("http://x")'
    >>> neutralise("not-reserved")
    'not-reserved'
    """
    return "'" + cell if cell.startswith(FORMULA_TRIGGERS) else cell


def _rows(report: SiteReport) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    base = {"site": report.site, "origin": report.origin}
    for verdict in ordered_verdicts(report):
        rows.append(
            {
                **base,
                "row_type": "purpose",
                "purpose": verdict.purpose,
                "verdict": verdict.verdict,
                "reasons": LIST_SEPARATOR.join(verdict.reasons),
            }
        )
    for agent in ordered_agents(report):
        rows.append(
            {
                **base,
                "row_type": "agent",
                "agent": agent.token,
                "operator": agent.operator,
                "robots": agent.robots,
                "purposes": " ".join(ordered_purposes(agent.purposes)),
                "evidence": agent.evidence,
            }
        )
    return rows


def render(reports: Sequence[SiteReport], meta: ReportMeta) -> str:
    """Return the CSV report: a fixed header, then each site's purpose rows and agent rows.

    Every field is quoted (``csv.QUOTE_ALL``) so that embedded commas, quotes and line
    breaks survive; lines end with ``\\n`` (the csv module reads either ending).
    """
    del meta  # the CSV is a table of sites; run metadata lives in the JSON report
    out = io.StringIO()
    writer = csv.DictWriter(
        out, fieldnames=COLUMNS, quoting=csv.QUOTE_ALL, lineterminator="\n", restval=""
    )
    writer.writeheader()
    for report in reports:
        for row in _rows(report):
            writer.writerow({key: neutralise(value) for key, value in row.items()})
    return out.getvalue()
