"""Count the hostile suite's outcomes per surface, for the table at the end of the test run.

tests/test_hostile_surfaces.py records one line per (case, surface); tests/conftest.py's
``pytest_terminal_summary`` prints :func:`table` when anything was recorded, so a run ends
with "N cases x 4 surfaces, F fail-open".
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

#: Outcome classes: honest; allowed where it must not be; another dishonest answer
#: (e.g. unknown for a control whose answer is known); a known fail-open left as xfail.
HONEST = "honest"
FAIL_OPEN = "fail-open"
WRONG = "wrong"
EXPECTED_FAILURE = "xfail"


@dataclass(frozen=True, slots=True)
class Record:
    """One case on one surface: what crawlcheck answered and how that is classed."""

    case: str
    kind: str
    surface: str
    answers: tuple[str, ...]
    outcome: str


_RECORDS: dict[tuple[str, str], Record] = {}


def record(entry: Record) -> None:
    """Remember *entry* (a re-run of the same case and surface replaces it)."""
    _RECORDS[(entry.case, entry.surface)] = entry


def records() -> list[Record]:
    """Return everything recorded, in recording order."""
    return list(_RECORDS.values())


def table() -> list[str]:
    """Return the summary table as lines (empty when nothing was recorded)."""
    entries = records()
    if not entries:
        return []
    surfaces = list(dict.fromkeys(e.surface for e in entries))
    by_surface: dict[str, Counter[str]] = defaultdict(Counter)
    for entry in entries:
        by_surface[entry.surface][entry.outcome] += 1
    columns = (HONEST, FAIL_OPEN, WRONG, EXPECTED_FAILURE)
    lines = [
        f"{'surface':<10}{'cases':>7}" + "".join(f"{name:>11}" for name in columns),
    ]
    for surface in surfaces:
        counts = by_surface[surface]
        total = sum(counts.values())
        lines.append(
            f"{surface:<10}{total:>7}" + "".join(f"{counts[name]:>11}" for name in columns)
        )
    cases = len({e.case for e in entries})
    fail_open = sum(c[FAIL_OPEN] for c in by_surface.values())
    xfailed = sum(c[EXPECTED_FAILURE] for c in by_surface.values())
    lines.append(
        f"{cases} cases x {len(surfaces)} surfaces ({len(entries)} case-surface runs): "
        f"{fail_open} fail-open, {xfailed} known fail-open left as xfail"
    )
    for entry in entries:
        if entry.outcome != HONEST:
            lines.append(
                f"  {entry.outcome}: {entry.case} on {entry.surface}: {', '.join(entry.answers)}"
            )
    return lines
