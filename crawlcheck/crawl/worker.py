"""The crawl's child process: ``python -m crawlcheck.crawl.worker`` (started by the runner).

Input on stdin, one JSON value per line: ``{"mode": "sites"|"urls", "options": {...},
"count": N}``, then N JSON strings, one per site or URL. Output on stdout, one JSON object
per line: ``{"kind": "site"|"url", "data": ...}`` as each result is ready (the spider's
items, collected through Scrapy's ``item_scraped`` signal), and ``{"kind": "done"}`` last. Anything else the process prints goes to stderr, so stray
output can never corrupt the stream. When stdin reaches end-of-file (the parent exited or
gave up) the process ends at once.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from typing import IO, Any

from crawlcheck.crawl.options import CrawlOptions
from crawlcheck.crawl.settings import scrapy_settings

#: Exit status when the parent went away mid-crawl.
ORPHANED = 75


class _Output:
    """Write result lines to the real stdout, one flush per line."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream
        self._lock = threading.Lock()
        self.count = 0

    def write(self, message: dict[str, Any]) -> None:
        line = json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        with self._lock:
            try:
                self._stream.write(line + b"\n")
                self._stream.flush()
            except (BrokenPipeError, ValueError):
                os._exit(ORPHANED)  # the parent stopped reading: nobody wants the rest

    def item(self, item: dict[str, Any], **_: Any) -> None:
        """Write one of the spider's result items (an ``item_scraped`` handler)."""
        self.count += 1
        self.write(item)


def read_job(stdin: IO[bytes]) -> tuple[str, CrawlOptions, list[str]]:
    """Return (mode, options, targets): the header line, then as many targets as it says."""
    header = json.loads(stdin.readline())
    targets = [str(json.loads(stdin.readline())) for _ in range(int(header["count"]))]
    return str(header["mode"]), CrawlOptions.from_json(header["options"]), targets


def _exit_when_orphaned(fd: int) -> None:
    """Block until stdin ends (the parent is gone or gave up), then exit at once."""
    # The raw descriptor, not sys.stdin: a thread blocked inside a buffered reader
    # would abort the interpreter's shutdown.
    while os.read(fd, 65536):
        pass
    os._exit(ORPHANED)


def main() -> int:
    """Run one job from stdin and stream its results to stdout."""
    output = _Output(os.fdopen(os.dup(1), "wb"))
    os.dup2(2, 1)  # print() and stray writes now go to stderr
    sys.stdout = sys.stderr
    stdin = sys.stdin.buffer
    mode, options, targets = read_job(stdin)
    threading.Thread(target=_exit_when_orphaned, args=(stdin.fileno(),), daemon=True).start()

    from scrapy import signals
    from scrapy.crawler import CrawlerProcess

    # Installed as crawlcheck.spiders from spiders/ (pyproject package-dir); mypy sees the
    # source tree, where the package is called spiders.
    from crawlcheck.spiders.site import SiteSpider  # type: ignore[import-not-found,unused-ignore]

    process = CrawlerProcess(scrapy_settings(options))
    crawler = process.create_crawler(SiteSpider)
    crawler.signals.connect(output.item, signal=signals.item_scraped)
    process.crawl(crawler, targets=targets, options=options, mode=mode)
    process.start()
    if output.count != len(targets):
        # Every target yields exactly one result; fewer means the crawl broke (see stderr).
        print(f"crawl ended with {output.count} of {len(targets)} results", file=sys.stderr)
        return 1
    output.write({"kind": "done"})
    return 0


if __name__ == "__main__":
    sys.exit(main())
