"""The canonical report: one JSON document, schema ``crawlcheck.report/1``."""

from __future__ import annotations

from collections.abc import Sequence

from crawlcheck.model import SiteReport
from crawlcheck.report.document import ReportMeta, report_to_dict
from crawlcheck.safe_text import dumps


def render(reports: Sequence[SiteReport], meta: ReportMeta) -> str:
    """Return the JSON report: UTF-8 text, indent 2, trailing newline.

    Characters are written as themselves, except those a terminal would obey or that
    readers take as line breaks (C1, DEL, U+2028/U+2029, bidi and zero-width controls),
    which are ``\\uXXXX`` escapes (:func:`crawlcheck.safe_text.dumps`): same value, inert text.
    """
    return dumps(report_to_dict(reports, meta), indent=2) + "\n"
