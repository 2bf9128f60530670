"""A datatrove filter step: documents whose URL is not kept go to the exclusion writer.

::

    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.readers import ParquetReader
    from datatrove.pipeline.writers import JsonlWriter
    from crawlcheck.pipelines.datatrove import CrawlcheckFilter

    LocalPipelineExecutor(
        pipeline=[
            ParquetReader("data/"),
            CrawlcheckFilter(agent="GPTBot", exclusion_writer=JsonlWriter("excluded/")),
            JsonlWriter("kept/"),
        ],
        tasks=8,
    ).run()

Every document gains ``metadata["crawlcheck"]``: its ``decision``, ``reasons``,
``purpose``, ``agent`` and ``problems`` (the columns ``filter`` adds to a table). An
excluded document also gets datatrove's ``filter_reason`` (its decision), and the step's
stats count each decision (``reserved``, ``allowed``, ``unknown``, ``malformed``) beside
datatrove's ``dropped_reserved``/``dropped_unknown``. The URL is ``metadata["url"]`` unless
``url_key`` says otherwise (a dotted path reaches a nested key). The step pickles as its
settings and opens its checker once per task, in the process that runs the task.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Unpack

from crawlcheck.decide.checker import CheckerOptions, UrlChecker
from crawlcheck.errors import UsageError
from crawlcheck.pipelines._settings import StepSettings, kept_by
from crawlcheck.tables.batch import decide_rows
from crawlcheck.tables.columns import added_values
from crawlcheck.tables.writers import is_malformed

try:
    from datatrove.data import Document, DocumentsPipeline
    from datatrove.pipeline.filters.base_filter import BaseFilter
    from datatrove.pipeline.writers.disk_base import DiskWriter
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise UsageError(f"the datatrove step needs {exc.name}: install crawlcheck[datatrove]") from exc

__all__ = ["CrawlcheckFilter"]

#: Documents decided together (their URLs grouped by origin).
BATCH_SIZE = 1000


class CrawlcheckFilter(BaseFilter):  # type: ignore[misc]  # datatrove is untyped
    """Keep documents whose URL's decision is kept (default: ``allowed``); drop the rest."""

    name = "🤖 crawlcheck"

    def __init__(
        self,
        agent: str | None = None,
        purpose: str = "ai-train",
        *,
        keep: Iterable[str] | str = ("allowed",),
        url_key: str = "url",
        metadata_key: str = "crawlcheck",
        exclusion_writer: DiskWriter | None = None,
        batch_size: int = BATCH_SIZE,
        **settings: Unpack[CheckerOptions],
    ) -> None:
        super().__init__(exclusion_writer, batch_size)
        self.step = StepSettings(agent, purpose, keep, settings, "CrawlcheckFilter")
        self.url_key = url_key
        self.metadata_key = metadata_key
        self._checker: UrlChecker | None = None

    def run(self, data: DocumentsPipeline, rank: int = 0, world_size: int = 1) -> DocumentsPipeline:
        """Filter the documents of one task, with one checker for the task."""
        step = self.step
        with UrlChecker(step.agent, step.purpose, **step.settings) as checker:
            self._checker = checker
            try:
                yield from super().run(data, rank, world_size)
            finally:
                self._checker = None

    def _url(self, document: Document) -> object:
        metadata: dict[str, Any] = document.metadata
        if self.url_key in metadata:
            return metadata[self.url_key]
        value: object = metadata
        for part in self.url_key.split("."):
            if not isinstance(value, dict):
                return None
            value = value.get(part)
        return value

    def filter_batch(self, batch: list[Document]) -> list[bool | tuple[bool, str]]:
        """Decide a batch of documents together; return keep, or (False, decision)."""
        if self._checker is None:
            raise UsageError("CrawlcheckFilter decides inside its run(): use it in a pipeline")
        decided = decide_rows(self._checker, [self._url(doc) for doc in batch])
        results: list[bool | tuple[bool, str]] = []
        for row, document in enumerate(batch):
            outcome = decided.decision(row)
            document.metadata[self.metadata_key] = added_values(outcome)
            self.stat_update(str(outcome.decision))
            if is_malformed(outcome):
                self.stat_update("malformed")
            if kept_by(self.step.keep, outcome):
                results.append(True)
            else:
                results.append((False, str(outcome.decision)))
        return results

    def filter(self, doc: Document) -> bool | tuple[bool, str]:
        """Decide one document (datatrove calls :meth:`filter_batch` with batches)."""
        return self.filter_batch([doc])[0]
