"""A snapshot read as a report: each origin's capture in force, evaluated like an audit's site.

``crawlcheck diff OLD NEW`` compares two snapshots (or two moments of one snapshot's
history) with the same rules as two reports: each origin's site-level files are evaluated
by :func:`crawlcheck.evaluate.evaluate_site` (no pages: a snapshot holds none) and
rendered as the report's ``sites[]`` object, findings citing the archive records they were
read from (docs/diff.md, "Snapshots").
"""

from __future__ import annotations

import datetime
import math
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from crawlcheck.model import PURPOSES, Problem
from crawlcheck.report.document import problem_to_dict, site_to_dict
from crawlcheck.ruleset import Ruleset
from crawlcheck.snapshot.format import MANIFEST
from crawlcheck.snapshot.reader import Capture, Lookup, Snapshot
from crawlcheck.snapshot.remote import is_url

__all__ = ["is_snapshot", "snapshot_sites"]


def is_snapshot(location: str) -> bool:
    """Return True when *location* names a snapshot (its directory, manifest or a URL)."""
    if is_url(location):
        return True
    path = Path(location).expanduser()
    return (path.is_dir() and (path / MANIFEST).is_file()) or path.name == MANIFEST


def snapshot_sites(
    location: str | os.PathLike[str],
    ruleset: Ruleset,
    *,
    at: datetime.datetime | None = None,
    window: datetime.timedelta | None = None,
) -> list[dict[str, Any]]:
    """Return each origin of the snapshot as a report's ``sites[]`` object, by origin.

    The capture in force is the newest (at or before *at*, when given: then each file
    older than *window* before *at* counts as absent, as decisions at a time do). An
    origin whose capture cannot be read is a site with every verdict unknown.
    """
    from crawlcheck.archive.evidence import cite_records
    from crawlcheck.archive.moment import age_out, outside_window
    from crawlcheck.evaluate import evaluate_site

    sites: list[dict[str, Any]] = []
    with Snapshot(location, max_age=math.inf) as snapshot:
        for item in _in_force(snapshot.iter_captures(), at):
            if isinstance(item, Lookup):
                sites.append(_damaged(item))
                continue
            fetches = item.fetches
            notes: tuple[Problem, ...] = ()
            if at is not None and window is not None:
                fetches, aged = age_out(item.fetches, at, window)
                notes = outside_window(item.fetches, aged, window)
            report = cite_records(evaluate_site(fetches, ruleset), fetches)
            site = site_to_dict(report)
            site["problems"] = [*site.get("problems", []), *map(problem_to_dict, notes)]
            site["captured_at"] = datetime.datetime.fromtimestamp(
                item.fetched_at, datetime.UTC
            ).isoformat(timespec="seconds")
            sites.append(site)
    return sites


def _in_force(
    items: Iterator[Capture | Lookup], at: datetime.datetime | None
) -> Iterator[Capture | Lookup]:
    """Yield each origin's newest capture (at or before *at*); items come by origin, time."""
    limit = math.inf if at is None else at.timestamp()
    held: Capture | Lookup | None = None
    for item in items:
        if held is not None and held.origin != item.origin:
            yield held
            held = None
        if isinstance(item, Lookup) or item.fetched_at <= limit:
            held = item
    if held is not None:
        yield held


def _damaged(lookup: Lookup) -> dict[str, Any]:
    problem = lookup.problem or Problem(code="snapshot.damaged", message="unreadable", source="")
    return {
        "site": lookup.origin,
        "origin": lookup.origin,
        "verdicts": dict.fromkeys(PURPOSES, "unknown"),
        "agents": {},
        "findings": [],
        "problems": [problem_to_dict(problem)],
    }
