"""URL decisions in Ray Data (or any ``map_batches``): a callable class over Arrow batches.

::

    import ray
    from crawlcheck.distributed import CrawlcheckDecisions

    (ray.data.read_parquet("s3://bucket/urls/")
        .map_batches(CrawlcheckDecisions, fn_constructor_kwargs={"snapshot": "s3://bucket/snap"},
                     batch_format="pyarrow", concurrency=8)
        .write_parquet("s3://bucket/decided/"))

Ray Data constructs the class once per worker actor: the snapshot is opened there, once,
and read shard by shard as origins need it (never loaded whole; a URL's shards are copied
once into the node's cache). Each batch is decided with the Arrow batch API
(:func:`crawlcheck.tables.annotate_table`: grouped by origin, one plan per origin) and comes
back as the same rows with ``decision``, ``reasons``, ``problems``, ``purpose`` and
``agent`` added. Nothing here imports Ray: the class is a plain callable, so it works in
any framework that maps Arrow batches.
"""

from __future__ import annotations

from typing import Any, Unpack

from crawlcheck.decide.checker import CheckerOptions, UrlChecker
from crawlcheck.tables.arrow import annotate_table, require_pyarrow

__all__ = ["CrawlcheckDecisions"]


class CrawlcheckDecisions:
    """``map_batches(CrawlcheckDecisions, fn_constructor_kwargs={...}, batch_format="pyarrow")``.

    ``snapshot=`` (one of *settings*) is the origin snapshot to decide from (a directory or
    fsspec URL every worker can read; docs/snapshots.md): with it no worker touches the
    network. Without it each worker fetches the origins it meets (give a shared
    ``cache=PATH`` then). *column*, *agent*, *purpose* and *settings* are :func:`~crawlcheck.tables.
    annotate_table`'s and :class:`~crawlcheck.decide.checker.UrlChecker`'s.
    """

    def __init__(
        self,
        column: str | None = "url",
        agent: str | None = None,
        purpose: str = "ai-train",
        **settings: Unpack[CheckerOptions],
    ) -> None:
        require_pyarrow("CrawlcheckDecisions")
        self.column = column
        self._checker = UrlChecker(agent, purpose, **settings)

    def __call__(self, batch: Any) -> Any:
        """Return *batch* (a pyarrow Table, or pandas DataFrame) with the decision columns."""
        return annotate_table(batch, self.column, origins=self._checker)

    def close(self) -> None:
        """Close the worker's checker (its snapshot and cache)."""
        self._checker.close()
