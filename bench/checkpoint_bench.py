"""Benchmark: what ``audit -o``'s checkpoint costs per site, against the audit itself.

Audits the fixture web's sites once (tests/webfixture.py, loopback) to get real reports,
then times writing all of them to a checkpoint (one JSON line each, flushed: what
``audit`` does as each site finishes) and reading them back (``--resume``). Prints the
milliseconds per site, median of RUNS, next to the audit's own seconds per site measured
in the same run.

    python bench/checkpoint_bench.py          # 5 runs
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

from crawlcheck.checkpoint import Checkpoint
from crawlcheck.crawl.options import CrawlOptions
from crawlcheck.site_audit import audit_targets, iter_audit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from webfixture import FixtureWeb  # noqa: E402


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    with FixtureWeb(paths=[ROOT / "tests" / "fixtureweb"]) as web:
        targets = audit_targets(
            f"http://{s.host}" for s in web.sites.values() if (s.expect or {}).get("verdicts")
        )
        start = time.perf_counter()
        options = CrawlOptions(proxy=web.proxy_url, timeout=3.0)
        reports = list(iter_audit(targets, options))
        audit_seconds = time.perf_counter() - start
    writes: list[float] = []
    reads: list[float] = []
    with tempfile.TemporaryDirectory() as directory:
        output = str(Path(directory) / "report.json")
        for _ in range(runs):
            start = time.perf_counter()
            checkpoint = Checkpoint.open(output, resume=False)
            for report in reports:
                checkpoint.add(report)
            checkpoint.close()
            writes.append(time.perf_counter() - start)
            start = time.perf_counter()
            back = Checkpoint.open(output, resume=True)
            reads.append(time.perf_counter() - start)
            assert len(back.kept) == len(reports)
            back.finish()
    count = len(reports)
    per_write = statistics.median(writes) / count * 1000
    per_read = statistics.median(reads) / count * 1000
    per_site = audit_seconds / count * 1000
    print(f"{count} sites; audit (parallel crawl): {per_site:.0f} ms per site")
    print(f"checkpoint write: {per_write:.2f} ms per site ({per_write / per_site:.2%} of that)")
    print(f"checkpoint read back (--resume): {per_read:.2f} ms per site")


if __name__ == "__main__":
    main()
