"""JSON Lines: one ``sites[]`` object per line, written as each site finishes."""

from __future__ import annotations

import json
from collections.abc import Sequence

from crawlcheck.model import SiteReport
from crawlcheck.report.document import ReportMeta, site_to_dict
from crawlcheck.safe_text import json_safe


def render_site(report: SiteReport) -> str:
    """Return *report* as one JSON line, newline-terminated.

    ``json.dumps`` escapes control characters, so a newline in site text never splits
    the line; NEL, U+2028 and U+2029 are escaped too, for readers (Python's
    ``str.splitlines``, JavaScript) that treat them as line breaks, and so are the other
    characters a terminal would obey (:func:`crawlcheck.safe_text.json_safe`).
    """
    line = json.dumps(site_to_dict(report), ensure_ascii=False, separators=(",", ":"))
    return json_safe(line) + "\n"


def render(reports: Sequence[SiteReport], meta: ReportMeta) -> str:
    """Return every site as one line each; *meta* is not part of the JSONL format."""
    del meta  # contract: "jsonl writes one sites[] object per line" and nothing else
    return "".join(render_site(r) for r in reports)
