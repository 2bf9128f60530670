"""Tables in and out: URL lists, CSV/TSV, JSON Lines and Parquet for ``filter``, and the
Arrow batch API for pipelines (docs/pipelines.md).

``decide_column``, ``annotate_table`` and ``annotate_batches`` need pyarrow (``pip install crawlcheck[arrow]``),
imported when they are called, not when this package is.
"""

from __future__ import annotations

from crawlcheck.tables.arrow import annotate_batches, annotate_table, decide_column, decision_schema
from crawlcheck.tables.batch import Decided, decide_rows
from crawlcheck.tables.columns import ADDED_COLUMNS

__all__ = [
    "ADDED_COLUMNS",
    "Decided",
    "annotate_batches",
    "annotate_table",
    "decide_column",
    "decide_rows",
    "decision_schema",
]
