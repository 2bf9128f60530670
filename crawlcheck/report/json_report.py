"""The canonical report: one JSON document, schema ``crawlcheck.report/1``."""

from __future__ import annotations

import json
from collections.abc import Sequence

from crawlcheck.model import SiteReport
from crawlcheck.report.document import ReportMeta, report_to_dict


def render(reports: Sequence[SiteReport], meta: ReportMeta) -> str:
    """Return the JSON report: UTF-8 text (not \\u escapes), indent 2, trailing newline."""
    return json.dumps(report_to_dict(reports, meta), ensure_ascii=False, indent=2) + "\n"
