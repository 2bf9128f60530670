"""Report renderers: pure functions from site reports to text.

Five formats (docs/reports.md): ``json`` (canonical, schema ``crawlcheck.report/1``),
``jsonl`` (one site per line, written as each site finishes), ``csv`` (spreadsheet-safe;
one row per site, or the ``long`` layout),
``html`` (one self-contained page) and ``md`` (a summary for CI job pages).

>>> from crawlcheck.report import FORMATS
>>> FORMATS
('json', 'jsonl', 'csv', 'html', 'md')
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from importlib.resources import files
from typing import Any

from crawlcheck.errors import UsageError
from crawlcheck.model import SiteReport
from crawlcheck.report import csv_report, html_report, json_report, jsonl_report, markdown
from crawlcheck.report.document import (
    AGENT_STATES,
    SCHEMA_ID,
    VERDICTS,
    ReportMeta,
    report_to_dict,
    scrub,
    site_to_dict,
)

__all__ = [
    "AGENT_STATES",
    "CSV_LAYOUTS",
    "FORMATS",
    "RENDERERS",
    "SCHEMA_ID",
    "VERDICTS",
    "ReportMeta",
    "load_schema",
    "render",
    "render_site_jsonl",
    "report_to_dict",
    "site_to_dict",
]

Renderer = Callable[[Sequence[SiteReport], ReportMeta], str]

#: Format name → renderer, in the order ``--format`` lists them.
RENDERERS: dict[str, Renderer] = {
    "json": json_report.render,
    "jsonl": jsonl_report.render,
    "csv": csv_report.render,
    "html": html_report.render,
    "md": markdown.render,
}

FORMATS: tuple[str, ...] = tuple(RENDERERS)

#: CSV layouts, the default first (``render(..., csv_layout=...)``, docs/reports.md "CSV").
CSV_LAYOUTS: tuple[str, ...] = csv_report.LAYOUTS


def render(
    fmt: str, reports: Sequence[SiteReport], meta: ReportMeta, *, csv_layout: str = "site"
) -> str:
    """Return *reports* rendered as *fmt*; raise UsageError naming an unknown format.

    *csv_layout* picks the CSV layout (``CSV_LAYOUTS``: ``site``, one row per site, or
    ``long``, rows per purpose and agent); other formats ignore it.
    """
    renderer = RENDERERS.get(fmt)
    if renderer is None:
        raise UsageError(f"unknown report format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if fmt == "csv":
        return scrub(csv_report.render(reports, meta, layout=csv_layout))
    return scrub(renderer(reports, meta))


def render_site_jsonl(report: SiteReport) -> str:
    """Return one site as one JSONL line, newline-terminated, to write as soon as it finishes."""
    return scrub(jsonl_report.render_site(report))


def load_schema() -> dict[str, Any]:
    """Return the JSON Schema (draft 2020-12) of ``crawlcheck.report/1``, as shipped."""
    raw = files("crawlcheck.report").joinpath("report.schema.json").read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(raw)
    return schema
