"""``filter``'s live progress line and end-of-run summary: one small hook into its loop.

The loop calls :meth:`FilterTally.window` once per window of decisions (never per URL:
the decision loop runs at hundreds of thousands of URLs a second), and the checker calls
:meth:`FilterTally.fetched` as origins and pages are fetched, so a long first window
(``--pages``: every URL fetched) still shows movement. The summary names what was kept.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import TextIO

from crawlcheck.decide.checker import CheckerStats
from crawlcheck.model import UrlVerdict
from crawlcheck.progress import Progress
from crawlcheck.tables.batch import Decided

__all__ = ["FilterTally"]


class FilterTally:
    """Counts decisions as windows are written; draws progress on a terminal."""

    def __init__(self, stream: TextIO) -> None:
        self.progress = Progress("filter", " URLs", stream=stream)
        self.counts: Counter[str] = Counter()
        self.urls = 0
        self.started = time.monotonic()

    def fetched(self, stats: CheckerStats) -> None:
        """Show the checker's fetches so far (an ``on_fetch`` callback)."""
        pages = f", {stats.pages_fetched} pages" if stats.pages_fetched else ""
        self.progress.status(
            f"origins: {stats.origins_fetched} fetched, {stats.origins_cached} cached{pages}"
        )

    def window(self, decided: Decided) -> None:
        """Count one window of decided rows, once they are written."""
        self.counts.update(decided.counts())
        self.urls += len(decided)
        self.progress.advance(len(decided))

    def summary(
        self, *, kept: frozenset[str], malformed: int, stats: CheckerStats, every_url: bool
    ) -> str:
        """Return the end-of-run line: URLs, decisions (kept ones marked), origins."""
        self.progress.close()
        seconds = time.monotonic() - self.started
        parts = []
        for decision in UrlVerdict:
            count = self.counts[decision] - (malformed if decision is UrlVerdict.UNKNOWN else 0)
            mark = " (kept)" if decision in kept and not every_url else ""
            parts.append(f"{count:,} {decision}{mark}")
        if malformed:
            parts.append(f"{malformed:,} malformed (never kept)")
        origins = stats.origins_fetched + stats.origins_cached
        pages = f", {stats.pages_fetched:,} pages fetched" if stats.pages_fetched else ""
        written = "; every URL written" if every_url else ""
        return (
            f"filter: {self.urls:,} URLs in {seconds:.1f} s: {', '.join(parts)}{written}; "
            f"{origins:,} origins ({stats.origins_fetched:,} fetched, "
            f"{stats.origins_cached:,} from the cache){pages}"
        )
