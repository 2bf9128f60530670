"""Decide a batch of rows at once: one plan per origin, outcomes shared.

The rows of a table are decided together, not one by one: the values are read in one
pass (:func:`~crawlcheck.decide.checker.read_targets`), each origin's
:class:`~crawlcheck.decide.plans.Plan` is taken once from the checker (memory, cache or
one crawl for the missing), and then

* each row's decision is the one its origin's plan shares among the URLs its site
  files read alike (:func:`~crawlcheck.decide.shared_decision`): an origin whose plan
  answers alike for every path (:attr:`~crawlcheck.decide.Plan.uniform`) reads no path
  at all, and a combination of deciding rules is decided once.

Rows with the same decision, reasons and problems share one *outcome*, so writers turn
each distinct outcome into JSON or Arrow once and repeat it per row. With ``pages`` (or ``media``) every
URL is fetched anyway: the checker's own window does that, and outcomes are still shared.
"""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from crawlcheck.decide import Plan, decide_unknown, shared_decisions, why_undecided
from crawlcheck.decide.checker import UrlChecker, collector_paused, read_targets
from crawlcheck.model import Problem, UrlDecision

__all__ = ["Decided", "decide_rows"]


@dataclass(frozen=True, slots=True)
class Decided:
    """The decisions of a batch of rows: one outcome index per row, the distinct outcomes."""

    rows: tuple[int, ...]
    """Per row, in input order: the index of its outcome in ``outcomes``."""
    outcomes: tuple[UrlDecision, ...]
    """The distinct outcomes. An outcome's ``url`` is the first URL decided that way (maybe
    of an earlier batch): never print it for a row; :attr:`urls` holds each row's."""
    urls: tuple[str, ...]
    """Per row, the URL as read (a value that is not text: its text form; '' if none)."""
    purpose: str
    agent: str | None

    def __len__(self) -> int:
        return len(self.rows)

    def decision(self, row: int) -> UrlDecision:
        """Return the outcome of *row* (its ``url`` may be another row's)."""
        return self.outcomes[self.rows[row]]

    def counts(self) -> Counter[str]:
        """Return how many rows have each decision."""
        per_outcome = Counter(self.rows)
        counts: Counter[str] = Counter()
        for index, count in per_outcome.items():
            counts[self.outcomes[index].decision] += count
        return counts


class _Outcomes:
    """Distinct outcomes, keyed by the identity of their reasons and problems.

    Plans memoise their findings, so decisions on one rule share the same objects; keying
    by ``id`` is then exact and cheap. Every outcome kept holds its findings alive, so an
    id in a key is never reused by another object while the batch is built. A decision a
    plan shares (:func:`~crawlcheck.decide.shared_decision`) comes back as the same
    object for many rows: it is looked up by its own identity first (and held, so that
    identity stays its own).
    """

    def __init__(self) -> None:
        self.outcomes: list[UrlDecision] = []
        self._index: dict[tuple[object, ...], int] = {}
        self.seen: dict[int, tuple[UrlDecision, int]] = {}
        """Each decision added, by identity: (the decision, its outcome's index)."""

    def add(self, decision: UrlDecision) -> int:
        seen = self.seen.get(id(decision))
        if seen is not None:
            return seen[1]
        key = (
            decision.decision,
            *map(id, decision.reasons),
            None,
            *map(id, decision.problems),
        )
        index = self._index.get(key)
        if index is None:
            index = self._index[key] = len(self.outcomes)
            self.outcomes.append(decision)
        self.seen[id(decision)] = (decision, index)
        return index


def decide_rows(
    checker: UrlChecker,
    values: Sequence[object],
    unreadable: Mapping[int, Problem] | None = None,
    times: Sequence[datetime.datetime | Problem] | None = None,
) -> Decided:
    """Return the decisions of *values*, one per row, in order.

    *unreadable* maps rows that hold no URL at all (a line too long, a JSON line that is
    not an object) to why (a ``url.malformed`` problem): those rows are ``unknown``.
    *times* gives each row its own moment (``--at-column``; the checker's snapshot decides
    as of it), or the problem why the row has none (then it is ``unknown``).
    """
    unreadable = unreadable or {}
    rows = [0] * len(values)
    outcomes = _Outcomes()
    for row, why in unreadable.items():
        rows[row] = outcomes.add(decide_unknown("", checker.purpose, checker.agent, why))
    good = [row for row in range(len(values)) if row not in unreadable]
    urls: list[str] = [""] * len(values)
    question = (str(checker.purpose), checker.agent)
    if checker.fetches_urls:
        batch = [values[row] for row in good]
        decided = next(checker.windows(batch, len(batch)), []) if batch else []
        for row, decision in zip(good, decided, strict=True):
            rows[row] = outcomes.add(decision)
            urls[row] = decision.url
        return Decided(tuple(rows), tuple(outcomes.outcomes), tuple(urls), *question)

    texts, origins, paths, malformed = read_targets([values[row] for row in good])
    keys: list[Any] = origins
    if times is not None:
        # A row without a time of its own is unknown, whatever its URL.
        keys = [None] * len(good)
        for position, row in enumerate(good):
            moment = times[row]
            if isinstance(moment, Problem):
                malformed[position] = moment
            elif origins[position] is not None:
                keys[position] = (origins[position], moment)
    wanted = list(filter(None, dict.fromkeys(keys)))  # each origin (and moment) once
    plans: Mapping[Any, Plan | Problem] = (
        checker.plans(wanted) if times is None else checker.plans_at(wanted)
    )
    purpose, agent = checker.purpose, checker.agent
    indices: list[int] = []  # each good row's outcome, in order
    with collector_paused():
        found = shared_decisions(texts, keys, plans, paths)
        add, seen, append = outcomes.add, outcomes.seen, indices.append
        for position, shared in enumerate(found):
            if shared is None:  # no usable URL, or its origin has no plan: unknown
                reason = why_undecided(position, keys[position], plans, malformed)
                append(add(decide_unknown(texts[position], purpose, agent, reason)))
                continue
            known = seen.get(id(shared))
            append(known[1] if known is not None else add(shared))
    if not unreadable:  # every row is good, in order
        return Decided(tuple(indices), tuple(outcomes.outcomes), tuple(texts), *question)
    for position, row in enumerate(good):
        rows[row] = indices[position]
        urls[row] = texts[position]
    return Decided(tuple(rows), tuple(outcomes.outcomes), tuple(urls), *question)
