"""Choose the snapshot format by measurement, and measure a worker's memory with a snapshot.

No network: N synthetic origins (robots.txt of several shapes, ai.txt / tdmrep.json /
llms.txt mostly 404 with HTML error pages, realistic response headers) are written both
ways, from the same rows, in the same run:

* **SQLite** — crawlcheck's format (:class:`crawlcheck.snapshot.SnapshotWriter`): one row
  per capture, the cache's JSON row zlib-compressed, an index on (origin, fetched_at);
* **Parquet** — the same columns with the row uncompressed (Parquet compresses columns
  itself, zstd), sorted by origin, 1,024 rows per row group, read with pyarrow: a lookup
  finds the row group by its min/max statistics and reads that group.

Measured: build time, file size, open cost (open + first lookup), random single-origin
lookup latency, batched lookups (1,000 origins a batch, as ``filter`` asks a window's
origins), and two processes looking up at once. Then the memory of a worker deciding URLs
of random origins through ``UrlChecker(snapshot=…)`` for snapshots of growing size.

    python bench/snapshot_bench.py --origins 1000000 --memory-sizes ""      # formats, 1M
    python bench/snapshot_bench.py --memory-only --memory-sizes 10000,100000,1000000 \
        --memory-urls 60000                                                # memory, to 1M
    python bench/snapshot_bench.py --origins 100000 --memory-sizes 10000,100000  # quicker

Results and the machine they were measured on: docs/snapshots.md, "Choosing the format".
"""

from __future__ import annotations

import argparse
import bisect
import json
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from crawlcheck.cache import decode_site, encode_site
from crawlcheck.model import Fetched, SiteFetches
from crawlcheck.snapshot import Snapshot, SnapshotWriter

RUNS = 3
FETCHED_AT = "2026-12-01T00:00:00.000Z"
_ROBOTS = (
    "User-agent: GPTBot\nDisallow: /\n\nUser-agent: *\nDisallow: /admin\nDisallow: /tmp/\n",
    "User-agent: *\nDisallow: /private/\nAllow: /private/public\n"
    "Content-Signal: ai-train=no, search=yes\n",
    "User-agent: CCBot\nUser-agent: ClaudeBot\nDisallow: /\n\n"
    "User-agent: Google-Extended\nDisallow: /books/\nDisallow: /*.pdf$\n\n"
    "User-agent: *\n"
    + "".join(f"Disallow: /section{n}/*/draft\n" for n in range(40))
    + "Allow: /section1/public\nContent-Usage: /articles/ train-ai=n\nSitemap: /sitemap.xml\n",
    "User-agent: *\nDisallow:\n",
    "User-agent: *\nDisallow: /search\nDisallow: /cart\nDisallow: /account\n"
    "Sitemap: https://example.com/sitemap.xml\n",
)
_PATHS = ("/", "/article/{n}", "/books/{n}/chapter", "/private/x{n}", "/admin/login")


def _headers(rng: random.Random, ctype: str, size: int) -> tuple[tuple[str, str], ...]:
    return (
        ("Date", "Tue, 01 Dec 2026 00:00:00 GMT"),
        ("Server", rng.choice(("nginx", "Apache", "cloudflare", "AmazonS3"))),
        ("Content-Type", ctype),
        ("Content-Length", str(size)),
        ("Cache-Control", rng.choice(("max-age=86400", "no-cache", "public, max-age=3600"))),
        ("ETag", f'"{rng.getrandbits(64):x}"'),
        ("Vary", "Accept-Encoding"),
    )


def _error_page(rng: random.Random, origin: str) -> bytes:
    """Return a 404 page: half a server's bare page, the rest a site's with a few links."""
    if rng.random() < 0.5:
        return b"<html><head><title>404 Not Found</title></head><body><center><h1>404 Not Found"
    links = "".join(
        f'<li><a href="{origin}/section{rng.randrange(50)}">Section {n}</a></li>'
        for n in range(rng.randrange(3, 12) if rng.random() < 0.8 else rng.randrange(20, 60))
    )
    return (
        f"<!doctype html><html><head><title>404 Not Found</title></head><body>"
        f"<h1>Page not found</h1><p>The page you asked for is not on {origin}.</p>"
        f"<ul>{links}</ul><footer>{rng.getrandbits(128):x}</footer></body></html>"
    ).encode()


def _fetched(url: str, status: int, body: bytes, ctype: str, rng: random.Random) -> Fetched:
    return Fetched(
        url=url,
        status=status,
        headers=_headers(rng, ctype, len(body)),
        body=body,
        final_url=url,
        fetched_at=FETCHED_AT,
        elapsed_ms=round(rng.uniform(20, 900), 1),
    )


def origin_name(index: int) -> str:
    """Return synthetic origin *index* (names sort in index order)."""
    return f"https://www.site{index:08d}.example.com"


def synthetic_site(index: int) -> SiteFetches:
    """Return the site-level files of synthetic origin *index* (deterministic)."""
    origin = origin_name(index)
    rng = random.Random(index)
    robots = _fetched(f"{origin}/robots.txt", 200, rng.choice(_ROBOTS).encode(), "text/plain", rng)
    files = {}
    for field, path in (
        ("ai_txt", "/ai.txt"),
        ("tdmrep", "/.well-known/tdmrep.json"),
        ("llms_txt", "/llms.txt"),
    ):
        if rng.random() < 0.1:
            body = b"User-agent: *\nDisallow: /images/\n"
            if field == "tdmrep":
                body = json.dumps([{"location": "/books/*", "tdm-reservation": 1}]).encode()
            files[field] = _fetched(f"{origin}{path}", 200, body, "text/plain", rng)
        else:
            page = _error_page(rng, origin)
            files[field] = _fetched(f"{origin}{path}", 404, page, "text/html", rng)
    return SiteFetches(
        site=origin,
        origin=origin,
        robots=robots,
        ai_txt=files["ai_txt"],
        tdmrep=files["tdmrep"],
        llms_txt=files["llms_txt"],
        started_at=FETCHED_AT,
        finished_at=FETCHED_AT,
    )


# -- building ----------------------------------------------------------------------------


def build_sqlite(path: Path, origins: int, shards: int = 1) -> float:
    """Write the SQLite snapshot; return seconds."""
    start = time.perf_counter()
    with SnapshotWriter(path, shards=shards, rules_digest="sha256:bench") as writer:
        for index in range(origins):
            writer.add(synthetic_site(index))
    return time.perf_counter() - start


def build_parquet(path: Path, origins: int) -> float:
    """Write the Parquet file (sorted by origin, 1,024-row groups, zstd); return seconds."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema(
        [
            ("origin", pa.string()),
            ("domain", pa.string()),
            ("fetched_at", pa.float64()),
            ("complete", pa.bool_()),
            ("crawlcheck_version", pa.string()),
            ("rules_digest", pa.string()),
            ("source", pa.string()),
            ("data", pa.large_binary()),
        ]
    )
    start = time.perf_counter()
    with pq.ParquetWriter(path, schema, compression="zstd") as writer:
        for first in range(0, origins, 1024):
            sites = [synthetic_site(i) for i in range(first, min(origins, first + 1024))]
            writer.write_table(
                pa.table(
                    {
                        "origin": [s.origin for s in sites],
                        "domain": ["example.com"] * len(sites),
                        "fetched_at": [1_796_083_200.0] * len(sites),
                        "complete": [True] * len(sites),
                        "crawlcheck_version": ["bench"] * len(sites),
                        "rules_digest": ["sha256:bench"] * len(sites),
                        "source": ["live"] * len(sites),
                        "data": [encode_site(s).encode() for s in sites],
                    },
                    schema=schema,
                ),
                row_group_size=1024,
            )
    return time.perf_counter() - start


# -- reading -----------------------------------------------------------------------------


class ParquetLookup:
    """Origin → SiteFetches from the sorted Parquet file: row group by statistics, then read."""

    def __init__(self, path: Path) -> None:
        import pyarrow.parquet as pq

        self.file = pq.ParquetFile(path)
        meta = self.file.metadata
        self.mins: list[str] = []
        self.maxs: list[str] = []
        for index in range(meta.num_row_groups):
            stats = meta.row_group(index).column(0).statistics
            self.mins.append(stats.min)
            self.maxs.append(stats.max)

    def lookup_many(self, origins: list[str]) -> dict[str, SiteFetches]:
        """Return the site files of each origin found, reading each row group once."""
        groups: dict[int, list[str]] = {}
        for origin in origins:
            index = bisect.bisect_right(self.mins, origin) - 1
            if index >= 0 and origin <= self.maxs[index]:
                groups.setdefault(index, []).append(origin)
        found = {}
        for index, wanted in groups.items():
            table = self.file.read_row_group(index, columns=["origin", "fetched_at", "data"])
            names = table.column("origin").to_pylist()
            data = table.column("data")
            for origin in wanted:
                row = bisect.bisect_left(names, origin)
                if row < len(names) and names[row] == origin:
                    found[origin] = decode_site(data[row].as_py().decode())
        return found


def _median_run(work: Callable[[], float]) -> float:
    return statistics.median(work() for _ in range(RUNS))


def _random_origins(count: int, origins: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [origin_name(rng.randrange(origins)) for _ in range(count)]


def lookup_child(fmt: str, path: str, count: int, origins: int, seed: int) -> None:
    """Look up *count* random origins one at a time; print lookups/s as JSON."""
    wanted = _random_origins(count, origins, seed)
    if fmt == "sqlite":
        with Snapshot(path, max_age=float("inf")) as snapshot:
            start = time.perf_counter()
            for origin in wanted:
                assert snapshot.lookup(origin).capture is not None
            elapsed = time.perf_counter() - start
    else:
        reader = ParquetLookup(Path(path))
        start = time.perf_counter()
        for origin in wanted:
            assert origin in reader.lookup_many([origin])
        elapsed = time.perf_counter() - start
    print(json.dumps({"per_second": count / elapsed}))


def _run_children(fmt: str, path: Path, count: int, origins: int, processes: int) -> float:
    """Return the lookups per second of *processes* children running at once, added up."""
    children = [
        subprocess.Popen(
            [
                sys.executable,
                __file__,
                "--lookup-child",
                fmt,
                str(path),
                str(count),
                str(origins),
                str(seed),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        for seed in range(processes)
    ]
    total = 0.0
    for child in children:
        out, _ = child.communicate()
        if child.returncode:
            raise SystemExit(f"lookup child failed ({child.returncode})")
        total += json.loads(out)["per_second"]
    return total


def measure_formats(folder: Path, origins: int) -> dict[str, dict[str, Any]]:
    """Build both formats and measure them; return the numbers by format."""
    sqlite_path = folder / "snap"
    parquet_path = folder / "snap.parquet"
    results: dict[str, dict[str, Any]] = {"sqlite": {}, "parquet": {}}
    raw = sum(len(encode_site(synthetic_site(i))) for i in range(0, origins, 100)) * 100
    print(f"{origins:,} origins; site-file rows as JSON: about {raw / 2**20:,.0f} MiB")

    results["sqlite"]["build_s"] = build_sqlite(sqlite_path, origins)
    results["sqlite"]["bytes"] = sum(p.stat().st_size for p in sqlite_path.iterdir())
    results["parquet"]["build_s"] = build_parquet(parquet_path, origins)
    results["parquet"]["bytes"] = parquet_path.stat().st_size

    probe = origin_name(origins // 2)

    def open_sqlite() -> float:
        start = time.perf_counter()
        with Snapshot(sqlite_path, max_age=float("inf")) as snapshot:
            assert snapshot.lookup(probe).capture is not None
        return time.perf_counter() - start

    def open_parquet() -> float:
        start = time.perf_counter()
        assert probe in ParquetLookup(parquet_path).lookup_many([probe])
        return time.perf_counter() - start

    results["sqlite"]["open_ms"] = _median_run(open_sqlite) * 1000
    results["parquet"]["open_ms"] = _median_run(open_parquet) * 1000

    singles = _random_origins(2000, origins, 7)
    batches = [_random_origins(1000, origins, 100 + n) for n in range(20)]
    with Snapshot(sqlite_path, max_age=float("inf")) as snapshot:

        def sqlite_single() -> float:
            start = time.perf_counter()
            for origin in singles:
                snapshot.lookup(origin)
            return (time.perf_counter() - start) / len(singles)

        def sqlite_batch() -> float:
            start = time.perf_counter()
            for batch in batches:
                snapshot.lookup_many(batch)
            return (time.perf_counter() - start) / (len(batches) * 1000)

        results["sqlite"]["lookup_us"] = _median_run(sqlite_single) * 1e6
        results["sqlite"]["batch_us"] = _median_run(sqlite_batch) * 1e6
    reader = ParquetLookup(parquet_path)

    def parquet_single() -> float:
        start = time.perf_counter()
        for origin in singles[:200]:
            reader.lookup_many([origin])
        return (time.perf_counter() - start) / 200

    def parquet_batch() -> float:
        start = time.perf_counter()
        for batch in batches[:5]:
            reader.lookup_many(batch)
        return (time.perf_counter() - start) / (5 * 1000)

    results["parquet"]["lookup_us"] = _median_run(parquet_single) * 1e6
    results["parquet"]["batch_us"] = _median_run(parquet_batch) * 1e6

    for fmt, path, count in (("sqlite", sqlite_path, 20000), ("parquet", parquet_path, 300)):
        one = _run_children(fmt, path, count, origins, 1)
        two = _run_children(fmt, path, count, origins, 2)
        results[fmt]["one_process_per_s"] = one
        results[fmt]["two_processes_per_s"] = two
    return results


def print_formats(results: dict[str, dict[str, Any]]) -> None:
    """Print the format table, SQLite against Parquet."""
    rows = (
        ("build", "build_s", "{:,.1f} s"),
        ("size", "bytes", "{:,.0f} MiB"),
        ("open + first lookup", "open_ms", "{:,.1f} ms"),
        ("random lookup, one origin", "lookup_us", "{:,.0f} µs"),
        ("random lookups, 1,000 a batch", "batch_us", "{:,.0f} µs/origin"),
        ("one process, lookups/s", "one_process_per_s", "{:,.0f}"),
        ("two processes at once, lookups/s", "two_processes_per_s", "{:,.0f}"),
    )
    print(f"\n{'':<34} {'SQLite':>20} {'Parquet':>20}  Parquet / SQLite")
    for label, key, form in rows:
        a, b = results["sqlite"][key], results["parquet"][key]
        if key == "bytes":
            a, b = a / 2**20, b / 2**20
        print(f"{label:<34} {form.format(a):>20} {form.format(b):>20}  {b / a:,.2f}x")


# -- memory of a deciding worker ----------------------------------------------------------


def _rss_mib() -> float:
    with open("/proc/self/statm") as handle:
        pages = int(handle.read().split()[1])
    return pages * resource.getpagesize() / 2**20


def _peak_mib() -> float:
    """Return this process's peak RSS (VmHWM: unlike ru_maxrss, not inherited over exec)."""
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def synthetic_urls(count: int, origins: int, seed: int = 1) -> Iterator[str]:
    """Yield *count* URLs of random origins among the first *origins*."""
    rng = random.Random(seed)
    for n in range(count):
        yield origin_name(rng.randrange(origins)) + rng.choice(_PATHS).format(n=n % 9973)


def memory_child(path: str, urls: int, origins: int, memory_origins: int) -> None:
    """Decide *urls* URLs of random origins from the snapshot; print RSS as JSON."""
    from crawlcheck.decide.checker import UrlChecker

    baseline = _rss_mib()
    checkpoints = {urls // 10, urls // 2, urls}
    samples = []
    counts: dict[str, int] = {}
    start = time.perf_counter()
    snapshot = Snapshot(path, max_age=float("inf"))
    with UrlChecker(snapshot=snapshot, memory_origins=memory_origins) as checker:
        # A smaller plan memory comes with a smaller window: a window's origins are all held.
        window = None if memory_origins >= 20_000 else 1_000
        for seen, decision in enumerate(checker.check(synthetic_urls(urls, origins), window), 1):
            counts[decision.decision] = counts.get(decision.decision, 0) + 1
            if seen in checkpoints:
                samples.append({"urls": seen, "rss_mib": round(_rss_mib(), 1)})
    peak = _peak_mib()
    print(
        json.dumps(
            {
                "baseline_mib": round(baseline, 1),
                "samples": samples,
                "peak_mib": round(peak, 1),
                "per_second": urls / (time.perf_counter() - start),
                "counts": counts,
            }
        )
    )


def measure_memory(folder: Path, sizes: list[int], urls: int, reuse: int) -> None:
    """Build a snapshot of each size; print a worker's RSS while it decides *urls* URLs.

    With the checker's defaults (plans of 20,000 origins kept, windows of 10,000 URLs),
    then for the largest snapshot with 2,000 and 1,000: the bound is the checker's memory
    of parsed plans, not the snapshot.
    """
    print(f"\nmemory of one worker deciding {urls:,} URLs of random origins (UrlChecker):")
    runs = [(size, 20_000) for size in sizes] + [(max(sizes), 2_000)]
    for size, memory_origins in runs:
        path = folder / f"memory-{size}"
        if (folder / "snap" / "snapshot.json").exists() and size == reuse:
            path = folder / "snap"  # the format measurement's snapshot, of the same size
        elif not (path / "snapshot.json").exists():
            build_sqlite(path, size)
        on_disk = sum(p.stat().st_size for p in path.iterdir()) / 2**20
        run = subprocess.run(
            [
                sys.executable,
                __file__,
                "--memory-child",
                str(path),
                str(urls),
                str(size),
                str(memory_origins),
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        result = json.loads(run.stdout.strip().splitlines()[-1])
        print(
            f"  {size:>9,} origins ({on_disk:,.0f} MiB on disk), plans kept for "
            f"{memory_origins:,} origins{'' if memory_origins >= 20_000 else ', 1,000-URL windows'}: after imports {result['baseline_mib']} MiB; "
            + ", ".join(f"{s['urls']:,} URLs {s['rss_mib']} MiB" for s in result["samples"])
            + f"; peak {result['peak_mib']} MiB; {result['per_second']:,.0f} URLs/s"
            + f"; {result['counts']}"
        )


def main() -> int:
    """Run the benchmark and print the numbers."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--origins", type=int, default=1_000_000)
    parser.add_argument("--memory-sizes", default="10000,100000,1000000")
    parser.add_argument("--memory-urls", type=int, default=300_000)
    parser.add_argument("--memory-only", action="store_true")
    parser.add_argument("--data", help="keep the built files in this directory")
    parser.add_argument("--lookup-child", nargs=5, help=argparse.SUPPRESS)
    parser.add_argument("--memory-child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.lookup_child:
        fmt, path, count, origins, seed = args.lookup_child
        lookup_child(fmt, path, int(count), int(origins), int(seed))
        return 0
    if args.memory_child:
        path, urls, origins, memory_origins = args.memory_child
        memory_child(path, int(urls), int(origins), int(memory_origins))
        return 0
    with tempfile.TemporaryDirectory(dir=args.data) as tmp:
        folder = Path(tmp)
        if not args.memory_only:
            print_formats(measure_formats(folder, args.origins))
        sizes = [int(s) for s in args.memory_sizes.split(",") if s]
        if sizes:
            measure_memory(folder, sizes, args.memory_urls, args.origins)
    return 0


if __name__ == "__main__":
    sys.exit(main())
