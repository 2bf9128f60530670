"""The columns a decision adds to a table, and their JSON form: defined once, for every writer.

The names and their order are those of :func:`crawlcheck.report.document.decision_to_dict`
after ``url``, so a URL list written as JSON Lines is byte for byte what ``filter --format
jsonl`` always wrote, and a table gains the same fields in every format.
"""

from __future__ import annotations

import json
from typing import Any

from crawlcheck.errors import UsageError
from crawlcheck.model import UrlDecision
from crawlcheck.report.document import decision_to_dict

__all__ = ["ADDED_COLUMNS", "added_json", "added_values", "refuse_collisions"]

#: The columns every table output gains, in order.
ADDED_COLUMNS: tuple[str, ...] = ("decision", "reasons", "purpose", "agent", "problems")


def added_values(decision: UrlDecision) -> dict[str, Any]:
    """Return the added columns' values of *decision* (reasons and problems as lists)."""
    data = decision_to_dict(decision)
    return {name: data[name] for name in ADDED_COLUMNS}


def added_json(decision: UrlDecision) -> str:
    """Return the added columns as JSON members: ``"decision": …, …, "problems": […]``."""
    return json.dumps(added_values(decision), ensure_ascii=False)[1:-1]


def refuse_collisions(columns: tuple[str, ...], name: str) -> None:
    """Raise a UsageError when the input already has a column the output adds."""
    taken = [c for c in ADDED_COLUMNS if c in columns]
    if taken:
        raise UsageError(
            f"-i: '{name}' already has a column {taken[0]!r}, which the output adds "
            f"({', '.join(ADDED_COLUMNS)}): rename or drop it first"
        )
