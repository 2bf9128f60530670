"""Measure crawlcheck on tables: Parquet → Parquet against pyarrow alone, the batch API
against per-URL check_urls. Ratios from one run, each the median of several.

No network: the synthetic site files of bench/filter_bench.py go into a throw-away cache
(warm), and a Parquet file of N URLs over M origins (with an id and a text column beside
the URLs) is written once. Then, each ``--repeat`` times:

1. **Parquet → Parquet**: ``crawlcheck filter -i urls.parquet -o out.parquet`` (every row
   with its decision and reasons), against the floor — a script reading the same file
   batch by batch with pyarrow and writing every batch back (no decision). Both run as
   child processes, timed by wall clock and by their CPU time.
2. **Batch API**: ``decide_column(table["url"], origins=checker)`` against the same checker's
   per-URL ``check(table["url"].to_pylist())`` (the site files parsed once, beforehand, for
   both), in this process, by CPU time.

    python bench/tables_bench.py                      # 1M URLs over 10k origins, 3 runs
    python bench/tables_bench.py --urls 200000 --origins 2000 --repeat 5

The machine may be shared: the load average is printed before and after, and only ratios
measured in the same run are worth comparing.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from filter_bench import fill_cache, synthetic_urls

from crawlcheck.decide.checker import UrlChecker
from crawlcheck.tables import decide_column

FLOOR = """
import sys
import pyarrow.parquet as pq
source = pq.ParquetFile(sys.argv[1])
with pq.ParquetWriter(sys.argv[2], source.schema_arrow) as writer:
    for batch in source.iter_batches(batch_size=10_000):
        writer.write_batch(batch)
"""


def write_input(path: Path, urls: list[str]) -> None:
    """Write the URL table: id, url, and a short text column like a dataset's."""
    rng = random.Random(2)
    words = ["alpha", "beta", "gamma", "delta", "river", "stone", "paper", "light"]
    table = pa.table(
        {
            "id": pa.array(range(len(urls)), pa.int64()),
            "url": pa.array(urls, pa.string()),
            "caption": pa.array([" ".join(rng.choices(words, k=12)) for _ in urls]),
        }
    )
    pq.write_table(table, path, row_group_size=100_000)


def run_child(command: list[str]) -> tuple[float, float]:
    """Run *command*; return (wall seconds, CPU seconds of the child)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def cpu_time(action: Callable[[], object]) -> float:
    """Return the CPU seconds this process spends on *action*."""
    start = time.process_time()
    action()
    return time.process_time() - start


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.1f} {five:.1f} {fifteen:.1f} on {os.cpu_count()} cores"


def main() -> int:
    """Run the benchmark and print the numbers."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--urls", type=int, default=1_000_000)
    parser.add_argument("--origins", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--agent", default=None)
    args = parser.parse_args()
    print(f"start: {load()}")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        cache = root / "cache.sqlite3"
        fill_cache(cache, args.origins)
        urls = list(synthetic_urls(args.urls, args.origins))
        source = root / "urls.parquet"
        write_input(source, urls)
        print(
            f"input: {args.urls:,} URLs over {args.origins:,} origins, "
            f"{source.stat().st_size / 2**20:.1f} MiB Parquet; cache warm"
        )
        agent = ["--agent", args.agent] if args.agent else []
        filter_cmd = [sys.executable, "-m", "crawlcheck", "filter", "--cache", str(cache)]
        floor_cmd = [sys.executable, "-c", FLOOR, str(source)]

        floors, ours = [], []
        for n in range(args.repeat):
            floors.append(run_child([*floor_cmd, str(root / f"floor{n}.parquet")]))
            out = root / f"out{n}.parquet"
            ours.append(run_child([*filter_cmd, *agent, "-i", str(source), "-o", str(out)]))
        decided = pq.read_table(root / "out0.parquet", columns=["decision"])
        counts = {r["values"]: r["counts"] for r in decided["decision"].value_counts().to_pylist()}
        print(f"decisions: {counts}")

        def rate(samples: list[tuple[float, float]], index: int) -> float:
            return args.urls / statistics.median(s[index] for s in samples)

        print("\nParquet -> Parquet (child processes, median of", args.repeat, "runs)")
        for label, index in (("wall clock", 0), ("CPU time", 1)):
            floor_rate, our_rate = rate(floors, index), rate(ours, index)
            print(
                f"  {label:<10}  pyarrow read+write {floor_rate:>12,.0f} rows/s   "
                f"crawlcheck filter {our_rate:>10,.0f} rows/s   "
                f"ratio {our_rate / floor_rate:.3f}"
            )

        column = pq.read_table(source, columns=["url"])["url"]
        batch_api, per_url = [], []
        with UrlChecker(args.agent, cache=cache) as checker:
            decide_column(column, origins=checker)  # every origin's files parsed, both sides
            for _ in range(args.repeat):
                batch_api.append(cpu_time(lambda: decide_column(column, origins=checker)))
                per_url.append(cpu_time(lambda: sum(1 for _ in checker.check(column.to_pylist()))))
        ours_rate = args.urls / statistics.median(batch_api)
        theirs_rate = args.urls / statistics.median(per_url)
        print(f"\nBatch API (CPU time, median of {args.repeat} runs)")
        print(
            f"  decide_column {ours_rate:>10,.0f} URLs/s   check() per URL {theirs_rate:>10,.0f} "
            f"URLs/s   ratio {ours_rate / theirs_rate:.2f}"
        )
    print(f"\nend: {load()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
