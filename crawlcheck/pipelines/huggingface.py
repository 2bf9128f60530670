"""A batched predicate for Hugging Face ``datasets``: keep the rows whose URL is kept.

::

    from datasets import load_dataset
    from crawlcheck.pipelines.huggingface import UrlPredicate

    ds = load_dataset("parquet", data_files="urls.parquet", split="train")
    kept = ds.filter(UrlPredicate("url", agent="GPTBot"), batched=True, num_proc=8)

With ``num_proc`` > 1 ``datasets`` pickles the predicate into every worker process; it
pickles as its settings, and each process opens its own checker on first use. The
processes share the cache file (SQLite in WAL mode, made for several processes), so an
origin fetched by one is read by the others when they meet it later; an origin two
processes meet at once may be fetched by both. A shared origin snapshot avoids all fetches.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import Any, Unpack

from crawlcheck.decide.checker import CheckerOptions, UrlChecker
from crawlcheck.errors import UsageError
from crawlcheck.pipelines._settings import StepSettings, kept_by
from crawlcheck.tables.batch import decide_rows

__all__ = ["UrlPredicate"]


class UrlPredicate:
    """``Dataset.filter(UrlPredicate(column), batched=True)``: True for the rows kept.

    *keep* names the decisions kept (default ``allowed``; a malformed URL is never kept);
    *settings* are :class:`~crawlcheck.decide.checker.UrlChecker`'s (``cache``, ``options``,
    ``ruleset``, ``pages``). Called with a batch (a mapping of columns, or the URL column's
    list when ``input_columns=[column]``), it returns one bool per row, in order.
    """

    def __init__(
        self,
        column: str = "url",
        agent: str | None = None,
        purpose: str = "ai-train",
        *,
        keep: Iterable[str] | str = ("allowed",),
        **settings: Unpack[CheckerOptions],
    ) -> None:
        self.column = column
        self.step = StepSettings(agent, purpose, keep, settings, "UrlPredicate")
        self._checker: UrlChecker | None = None
        self._pid = 0

    def __getstate__(self) -> dict[str, Any]:
        # What to open, never an open checker: each process opens its own.
        return {"column": self.column, "step": self.step}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.column = state["column"]
        self.step = state["step"]
        self._checker = None
        self._pid = 0

    def checker(self) -> UrlChecker:
        """Return this process's checker, opened on first use (again after a fork)."""
        if self._checker is None or self._pid != os.getpid():
            step = self.step
            self._checker = UrlChecker(step.agent, step.purpose, **step.settings)
            self._pid = os.getpid()
        return self._checker

    def close(self) -> None:
        """Close this process's checker (the predicate opens a new one if called again)."""
        if self._checker is not None and self._pid == os.getpid():
            self._checker.close()
        self._checker = None

    def __call__(self, batch: Mapping[str, Any] | list[Any]) -> list[bool]:
        if isinstance(batch, Mapping):
            if self.column not in batch:
                raise UsageError(
                    f"UrlPredicate: no column {self.column!r} in the batch; its columns: "
                    + ", ".join(repr(c) for c in batch)
                )
            values = list(batch[self.column])
        else:
            values = list(batch)
        decided = decide_rows(self.checker(), values)
        kept = [kept_by(self.step.keep, outcome) for outcome in decided.outcomes]
        return [kept[index] for index in decided.rows]
