"""Drive the planner over a source of bytes: a local file (HTTP: crawl/media_reads.py).

:func:`drive` is the loop every source shares: read what the planner asks for (at least
``Limits.min_read`` bytes, never past the budget), hand it back, repeat. A source is any
callable ``read(start, end) -> bytes``. Local files use :func:`scan_path`; bytes already in
memory :func:`scan_bytes`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import replace

from crawlcheck.media.planner import Limits, NeedRange, plan
from crawlcheck.media.view import ByteView
from crawlcheck.model import MediaResult, Problem
from crawlcheck.ruleset import Ruleset, load_ruleset

#: Read rounds one file may take (each is one range request over HTTP).
MAX_ROUNDS = 64

ReadRange = Callable[[int, int], bytes]


def drive(
    read: ReadRange,
    size: int | None,
    *,
    source: str,
    ruleset: Ruleset | None = None,
    limits: Limits | None = None,
    scope: str = "file",
    trust_anchors: str | None = None,
    first: bytes | None = None,
) -> MediaResult:
    """Return the embedded signals of a file read through *read* (``[start, end)`` bytes).

    *first*: bytes from offset 0 already at hand (e.g. the first range response).
    """
    ruleset = ruleset or load_ruleset()
    limits = limits or Limits()
    view = ByteView(size=size)
    if first is None:
        first = read(0, limits.first_read if size is None else min(size, limits.first_read))
    view = view.with_bytes(0, first)
    for _ in range(MAX_ROUNDS):
        outcome = plan(
            view, source=source, ruleset=ruleset, limits=limits, scope=scope,
            trust_anchors=trust_anchors,
        )  # fmt: skip
        if not isinstance(outcome, NeedRange):
            return outcome
        view = _fetch(view, outcome, read, limits)
    final = plan(view, source=source, ruleset=ruleset, limits=replace(limits, budget=0))
    assert not isinstance(final, NeedRange)  # a zero budget answers every request itself
    rounds = Problem(
        code="media.too-many-reads",
        message=f"still needed more bytes after {MAX_ROUNDS} reads; the rest is unknown",
        source=source,
        level="error",
    )
    return replace(final, problems=(*final.problems, rounds))


def _fetch(view: ByteView, need: NeedRange, read: ReadRange, limits: Limits) -> ByteView:
    """Return *view* with the missing parts of the needed range read (rounded up)."""
    start, end = need.range.start, need.range.end
    size = view.size
    room = max(0, limits.budget - view.held)
    if end < 0:
        end = start + min(limits.min_read, room)
    # Round reads up (within the budget): at least min_read, and as much again as is held,
    # so a walk over many small blocks takes a logarithmic number of reads, not one per block.
    # The planner has checked that the range itself fits the budget.
    end = max(end, start + min(max(limits.min_read, view.held), room))
    if size is not None:
        end = min(end, size)
    pos = start
    while pos < end:
        held = view.held_from(pos)
        if held:
            pos += len(held)
            continue
        stop = min(end, _next_span(view, pos))
        data = read(pos, stop)
        if not data:  # the source ended early: the file is shorter than it said
            return view.with_size(pos)
        view = view.with_bytes(pos, data)
        pos += len(data)
    return view


def _next_span(view: ByteView, pos: int) -> int:
    later = [start for start, _ in view.spans if start > pos]
    return min(later) if later else 1 << 62


def scan_path(
    path: str | os.PathLike[str],
    *,
    ruleset: Ruleset | None = None,
    limits: Limits | None = None,
    source: str | None = None,
    trust_anchors: str | None = None,
) -> MediaResult:
    """Return the embedded signals of a local file, reading only the ranges needed.

    Raises OSError when the file cannot be opened (the caller's input, not its content).
    """
    name = os.fspath(path)
    with open(name, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size

        def read(start: int, end: int) -> bytes:
            handle.seek(start)
            return handle.read(max(0, end - start))

        return drive(
            read,
            size,
            source=source or name,
            ruleset=ruleset,
            limits=limits,
            trust_anchors=trust_anchors,
        )


def scan_bytes(
    data: bytes,
    *,
    source: str,
    ruleset: Ruleset | None = None,
    limits: Limits | None = None,
    trust_anchors: str | None = None,
) -> MediaResult:
    """Return the embedded signals of a file held in memory (read through the same planner)."""

    def read(start: int, end: int) -> bytes:
        return data[start:end]

    return drive(
        read, len(data), source=source, ruleset=ruleset, limits=limits, trust_anchors=trust_anchors
    )
