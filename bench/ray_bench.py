"""Ray against one process: snapshot building and URL decisions on 1 and 2 worker nodes.

Everything on loopback (tests/raycluster.py: a local cluster of a head with no CPUs and
worker nodes of one CPU each, Ray's own multi-node utilities; tests/webfixture.py: the
fixture web, N generated sites whose registrable domains have 1 to 3 hosts each):

* **snapshot build**: sites/s of ``build_snapshot`` in one process (the peer) against
  ``build_snapshot_on_ray`` on 1 and on 2 worker nodes;
* **decisions**: URLs/s of the Arrow batch API in one process (``annotate_batches`` over
  the Parquet file with a snapshot checker, written back as Parquet: the peer) against the
  Ray Data recipe of docs/scale.md (``read_parquet`` → ``map_batches(CrawlcheckDecisions)``
  → ``write_parquet``) with one actor on 1 node and two actors on 2 nodes (the actors
  ask for no CPU and are spread, so that nodes of one CPU still run the read and write
  tasks beside them);
* **memory per worker node**: the peak resident memory of each worker node's processes
  (Ray workers and their crawl processes), sampled every 0.2 s.

Each figure is the median of ``--runs`` runs (default 3). A cluster's start-up is not timed;
each Ray run includes connecting, scheduling and gathering results.

    python bench/ray_bench.py                      # 600 origins, 1,000,000 URLs
    python bench/ray_bench.py --origins 1200 --urls 1000000

Results and the machine they were measured on: docs/scale.md, "Measured".
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from raycluster import LocalCluster  # first: Ray on loopback before Ray is imported
from webfixture import FixtureWeb, parse_site

from crawlcheck.crawl.options import CrawlOptions
from crawlcheck.snapshot.build import build_snapshot

HOSTS = ("www", "news", "shop")
SUFFIXES = ("co.uk", "com.au", "org")
ROBOTS = (
    "User-agent: GPTBot\nDisallow: /\n",
    "User-agent: *\nDisallow: /private\nContent-Signal: ai-train=no\n",
    "User-agent: *\nAllow: /\n",
)


def origins(count: int) -> list[str]:
    found: list[str] = []
    domain = 0
    while len(found) < count:
        name = f"bench-{domain}.{SUFFIXES[domain % len(SUFFIXES)]}"
        found += [f"http://{h}.{name}" for h in HOSTS[: 1 + domain % len(HOSTS)]]
        domain += 1
    return found[:count]


def site(number: int, origin: str) -> Any:
    resources: dict[str, Any] = {"*": {"status": 404, "body": "not here"}}
    if number % 4:
        resources["/robots.txt"] = {"body": ROBOTS[number % len(ROBOTS)]}
    if number % 7 == 0:
        resources["/ai.txt"] = {"body": "User-Agent: *\nDisallow: /\n"}
    return parse_site({"host": origin.removeprefix("http://"), "resources": resources})


class MemorySampler:
    """Peak resident memory of each worker node's processes (raylet children, recursively)."""

    def __init__(self, cluster: LocalCluster) -> None:
        import psutil

        self.raylets = {
            name: psutil.Process(node.all_processes["raylet"][0].process.pid)
            for name, node in cluster.nodes.items()
        }
        self.peak = dict.fromkeys(self.raylets, 0)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        import psutil

        while not self._stop.wait(0.2):
            for name, raylet in self.raylets.items():
                total = 0
                try:
                    for child in raylet.children(recursive=True):
                        total += child.memory_info().rss
                except psutil.Error:
                    continue
                self.peak[name] = max(self.peak[name], total)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def median_seconds(work: Callable[[int], None], runs: int) -> float:
    times = []
    for run in range(runs):
        started = time.perf_counter()
        work(run)
        times.append(time.perf_counter() - started)
        print(f"    run {run + 1}: {times[-1]:.2f} s", flush=True)
    return statistics.median(times)


#: Parquet files the URLs are written as: Ray Data reads a file as a block at least, and an
#: actor decides whole blocks, so one file would keep the second actor idle.
URL_FILES = 8


def write_urls(folder: Path, sites: list[str], count: int) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    paths = ("/", "/private/x", "/a/b", "/news/2026/12/item")
    urls = [
        f"{sites[i % len(sites)]}{paths[(i // len(sites)) % len(paths)]}?n={i}"
        for i in range(count)
    ]
    folder.mkdir()
    step = -(-count // URL_FILES)
    for part in range(URL_FILES):
        table = pa.table({"url": urls[part * step : (part + 1) * step]})
        pq.write_table(table, folder / f"part-{part}.parquet", row_group_size=50_000)


def decide_one_process(urls: Path, snapshot: Path, out: Path) -> None:
    import pyarrow.parquet as pq

    from crawlcheck.decide.checker import UrlChecker
    from crawlcheck.tables import annotate_batches

    files = sorted(urls.glob("*.parquet"))
    batches = (b for f in files for b in pq.ParquetFile(f).iter_batches(50_000))
    with UrlChecker("GPTBot", snapshot=str(snapshot)) as checker:
        reader = annotate_batches(batches, origins=checker)
        with pq.ParquetWriter(out, reader.schema) as writer:
            for batch in reader:
                writer.write_batch(batch)


def decide_on_ray(urls: Path, snapshot: Path, out: Path, actors: int) -> None:
    import ray

    from crawlcheck.distributed import CrawlcheckDecisions

    (
        ray.data.read_parquet(str(urls))
        .map_batches(
            CrawlcheckDecisions,
            fn_constructor_kwargs={"snapshot": str(snapshot), "agent": "GPTBot"},
            batch_format="pyarrow",
            concurrency=actors,
            # Nodes of one CPU: the actors take none, so listing and writing tasks can run;
            # SPREAD puts one actor on each node.
            num_cpus=0,
            scheduling_strategy="SPREAD",
        )
        .write_parquet(str(out))
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--origins", type=int, default=600)
    parser.add_argument("--urls", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    import ray

    from crawlcheck.distributed import build_snapshot_on_ray

    sites = origins(args.origins)
    work = Path(tempfile.mkdtemp(prefix="ray-bench-"))
    print(
        f"{len(sites)} origins, {args.urls} URLs, median of {args.runs} runs; cores: {os.cpu_count()}"
    )
    results: dict[str, float] = {}
    memory: dict[str, dict[str, int]] = {}
    with FixtureWeb([site(n, o) for n, o in enumerate(sites)]) as web:
        options = CrawlOptions(proxy=web.proxy_url, timeout=10)
        print("snapshot build, one process:", flush=True)
        results["build-1p"] = median_seconds(
            lambda run: build_snapshot(sites, work / f"single-{run}", options=options), args.runs
        )
        snapshot = work / "single-0"
        urls = work / "urls"
        write_urls(urls, sites, args.urls)
        print("decisions, one process (Arrow batch API):", flush=True)
        results["decide-1p"] = median_seconds(
            lambda run: decide_one_process(urls, snapshot, work / f"decided-{run}.parquet"),
            args.runs,
        )
        for nodes in (1, 2):
            cluster = LocalCluster(web.port, workers=nodes, cpus=1)
            try:
                ray.init(address=cluster.address, logging_level="WARNING", log_to_driver=False)
                ray.data.DataContext.get_current().enable_progress_bars = False
                with MemorySampler(cluster) as sampler:
                    print(f"snapshot build, Ray, {nodes} worker node(s):", flush=True)
                    results[f"build-{nodes}n"] = median_seconds(
                        lambda run, n=nodes: build_snapshot_on_ray(
                            sites, work / f"ray{n}-{run}", address=None, options=options
                        ),
                        args.runs,
                    )
                memory[f"build-{nodes}n"] = dict(sampler.peak)
                with MemorySampler(cluster) as sampler:
                    print(f"decisions, Ray Data, {nodes} actor(s) on {nodes} node(s):", flush=True)
                    results[f"decide-{nodes}n"] = median_seconds(
                        lambda run, n=nodes: decide_on_ray(
                            urls, snapshot, work / f"ray-decided-{n}-{run}", n
                        ),
                        args.runs,
                    )
                memory[f"decide-{nodes}n"] = dict(sampler.peak)
            finally:
                ray.shutdown()
                cluster.close()
    print()
    print("| what | one process | Ray, 1 worker node | Ray, 2 worker nodes | 2 nodes / 1 node |")
    print("|---|---|---|---|---|")
    for what, unit, count in (("build", "sites/s", len(sites)), ("decide", "URLs/s", args.urls)):
        rate = {k: count / results[f"{what}-{k}"] for k in ("1p", "1n", "2n")}
        print(
            f"| {what} ({unit}) | {rate['1p']:,.0f} | {rate['1n']:,.0f} | {rate['2n']:,.0f} "
            f"| {rate['2n'] / rate['1n']:.2f}x |"
        )
    print()
    for key, peaks in memory.items():
        shown = ", ".join(f"{name} {peak / 2**20:.0f} MiB" for name, peak in peaks.items())
        print(f"peak memory per worker node, {key}: {shown}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
