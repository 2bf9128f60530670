"""Benchmark: ``crawlcheck audit`` against plain Scrapy fetching the very same URLs.

N generated sites (``s0.bench.test`` … ) are served by Debian's nginx on 127.0.0.1 as
virtual hosts of one generated configuration (``apt-get install -y nginx``); nginx is
started and stopped here, by its pid, and answers proxy-form requests
(``GET http://s1.bench.test/robots.txt``), so both crawlers reach every site through
``--proxy`` and the server stays out of the measurement (one nginx worker serves far
more requests per second than either crawler makes). Each site: robots.txt, a home page
linking 5 pages and one disallowed path, the 5 pages; ai.txt, tdmrep.json, llms.txt and
sitemap.xml are 404.

One round runs the real command line, ``python -m crawlcheck audit -i FILE --format jsonl
--proxy URL``, reading its output line by line as it comes (when each site's report
arrives), then a bare Scrapy spider with the same concurrency fetching exactly the URLs
crawlcheck requested (read back from nginx's access log) in one go: the floor. Both are
timed wall-clock, start-up included; ratio = plain seconds / crawlcheck seconds (above 1:
crawlcheck is faster). Peak memory is VmHWM (peak RSS) of the CLI process and of the
crawl process it starts. The numbers are medians over the rounds.

    python bench/audit_bench.py                    # N = 10000, 3 rounds
    python bench/audit_bench.py 1000 4000 --rounds 5
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PAGES = 5
CONCURRENCY = 64
PER_HOST = 2
NGINX = "/usr/sbin/nginx"


# ---------------------------------------------------------------- the server


class Nginx:
    """nginx on 127.0.0.1 serving every ``s<N>.bench.test`` from one generated site tree."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="crawlcheck-bench-"))
        self.port = _free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self._taken = 0

    @property
    def proxy_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def access_log(self) -> Path:
        return self.dir / "access.log"

    def __enter__(self) -> Nginx:
        self.dir.chmod(0o755)  # nginx's worker runs as an unprivileged user
        root = self.dir / "root"
        root.mkdir(mode=0o755)
        (root / "robots.txt").write_text("User-agent: *\nDisallow: /private/\n")
        links = "".join(f'<a href="/p{i}">p{i}</a>' for i in range(1, PAGES + 1))
        (root / "index.html").write_text(
            f"<html><body>{links}<a href='/private/x'>x</a></body></html>"
        )
        for i in range(1, PAGES + 1):
            (root / f"p{i}").write_text(f"<html><body>page {i}</body></html>")
        conf = self.dir / "nginx.conf"
        conf.write_text(
            f"""
worker_processes 1;
daemon off;
pid {self.dir}/nginx.pid;
error_log {self.dir}/error.log error;
events {{ worker_connections 4096; }}
http {{
    default_type text/html;
    log_format urls '$host$request_uri';
    access_log {self.access_log} urls buffer=64k flush=1s;
    keepalive_requests 1000000;
    server {{
        listen 127.0.0.1:{self.port};
        server_name ~^s[0-9]+\\.bench\\.test$;
        root {root};
    }}
    server {{
        listen 127.0.0.1:{self.port} default_server;
        return 421;
    }}
}}
"""
        )
        self.proc = subprocess.Popen(
            [NGINX, "-c", str(conf), "-p", str(self.dir)], stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"nginx did not start ({self.dir}/error.log)") from None
                time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None:
            self.proc.send_signal(signal.SIGQUIT)  # graceful stop of this master and its worker
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)

    def take_log(self) -> list[str]:
        """Return the URLs requested since the last call (nginx flushes its log every second)."""
        time.sleep(1.5)
        if not self.access_log.exists():
            return []
        with self.access_log.open() as log:
            log.seek(self._taken)
            text = log.read()
            self._taken = log.tell()
        return [f"http://{line}" for line in text.split()]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


# ---------------------------------------------------------------- measuring


class PeakRss:
    """Keep the highest VmHWM (peak RSS, KiB) of one process and of its children."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.own_kib = 0
        self.children_kib = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _watch(self) -> None:
        while not self._stop.wait(0.1):
            self.own_kib = max(self.own_kib, _vm_hwm(self.pid))
            for child in _children(self.pid):
                self.children_kib = max(self.children_kib, _vm_hwm(child))


def _vm_hwm(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _children(pid: int) -> list[int]:
    try:
        tasks = Path(f"/proc/{pid}/task").iterdir()
        found: list[int] = []
        for task in tasks:
            text = (task / "children").read_text()
            found.extend(int(child) for child in text.split())
        return found
    except OSError:
        return []


@dataclass
class Run:
    seconds: float
    arrivals: list[float]
    """Seconds from start at which each site's report line arrived."""
    cli_peak_mib: float
    crawl_peak_mib: float


def run_crawlcheck(web: Nginx, sites_file: Path, count: int) -> Run:
    """Run ``crawlcheck audit`` (JSONL) and time every report line as it arrives."""
    command = [
        sys.executable,
        "-m",
        "crawlcheck",
        "audit",
        "-i",
        str(sites_file),
        "--format",
        "jsonl",
        "--proxy",
        web.proxy_url,
        "--pages",
        str(PAGES),
        "--concurrency",
        str(CONCURRENCY),
    ]
    start = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    rss = PeakRss(proc.pid)
    arrivals: list[float] = []
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.strip():
            arrivals.append(time.perf_counter() - start)
    code = proc.wait()
    seconds = time.perf_counter() - start
    rss.stop()
    if code != 0 or len(arrivals) != count:
        raise RuntimeError(f"crawlcheck exited {code} with {len(arrivals)} of {count} reports")
    return Run(seconds, arrivals, rss.own_kib / 1024, rss.children_kib / 1024)


def run_plain(web: Nginx, urls: list[str]) -> tuple[float, float]:
    """Return (seconds, peak RSS MiB) of plain Scrapy fetching *urls* (a child process)."""
    job = json.dumps(
        {"proxy": web.proxy_url, "urls": urls, "concurrency": CONCURRENCY, "per_host": PER_HOST}
    )
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, __file__, "--plain"],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
    )
    rss = PeakRss(proc.pid)
    proc.communicate(job.encode())
    seconds = time.perf_counter() - start
    rss.stop()
    if proc.returncode != 0:
        raise RuntimeError(f"plain Scrapy exited {proc.returncode}")
    return seconds, rss.own_kib / 1024


def plain_main() -> None:
    """Fetch the URLs on stdin with a bare Scrapy spider (the floor)."""
    import scrapy
    from scrapy.crawler import CrawlerProcess

    job = json.loads(sys.stdin.read())

    class Plain(scrapy.Spider):
        name = "plain"

        async def start(self) -> Any:
            for url in job["urls"]:
                yield scrapy.Request(
                    url, meta={"proxy": job["proxy"]}, dont_filter=True, callback=self.parse
                )

        def parse(self, response: Any) -> None:
            return None

    process = CrawlerProcess(
        {
            "LOG_LEVEL": "WARNING",
            "CONCURRENT_REQUESTS": job["concurrency"],
            "CONCURRENT_REQUESTS_PER_DOMAIN": job["per_host"],
            "HTTPERROR_ALLOW_ALL": True,
            "REDIRECT_ENABLED": False,
            "ROBOTSTXT_OBEY": False,
            "TELNETCONSOLE_ENABLED": False,
        }
    )
    process.crawl(Plain)
    process.start()


# ---------------------------------------------------------------- reporting


def steadiness(arrivals: list[float], seconds: float) -> dict[str, float]:
    """Return how evenly reports arrived: first, longest gap, and the share per tenth of the run.

    ``spread`` is the smallest share of reports that arrived in any tenth of the run after the
    first report, against an even 10%: a crawl that streams steadily keeps it near 10%, one
    that stalls and then bursts has tenths with 0%.
    """
    first = arrivals[0]
    span = max(seconds - first, 1e-9)
    tenths = [0] * 10
    for moment in arrivals:
        tenths[min(9, int((moment - first) / span * 10))] += 1
    gaps = [b - a for a, b in itertools.pairwise(arrivals)]
    return {
        "first_s": first,
        "longest_gap_s": max(gaps, default=0.0),
        "min_tenth_pct": 100 * min(tenths) / len(arrivals),
        "max_tenth_pct": 100 * max(tenths) / len(arrivals),
    }


def bench(count: int, rounds: int) -> dict[str, Any]:
    """Run *rounds* of both crawls over *count* sites; return the medians and every run."""
    with tempfile.TemporaryDirectory() as tmp, Nginx() as web:
        sites_file = Path(tmp) / "sites.txt"
        sites_file.write_text("".join(f"http://s{n}.bench.test\n" for n in range(count)))
        runs: list[Run] = []
        plain: list[tuple[float, float]] = []
        requests = 0
        for _ in range(rounds):
            web.take_log()
            runs.append(run_crawlcheck(web, sites_file, count))
            urls = web.take_log()
            requests = len(urls)
            plain.append(run_plain(web, urls))
            web.take_log()
            last, floor = runs[-1], plain[-1][0]
            shape = steadiness(last.arrivals, last.seconds)
            print(  # each round as it ends: a long run shows progress
                f"round {len(runs)}: {count / last.seconds:.1f} sites/s, plain "
                f"{count / floor:.1f}/s, ratio {floor / last.seconds:.2f}, first "
                f"{shape['first_s']:.1f} s, longest gap {shape['longest_gap_s']:.1f} s, "
                f"CLI {last.cli_peak_mib:.0f} MiB, crawl {last.crawl_peak_mib:.0f} MiB",
                file=sys.stderr,
                flush=True,
            )
    ratios = [p[0] / r.seconds for r, p in zip(runs, plain, strict=True)]
    shapes = [steadiness(r.arrivals, r.seconds) for r in runs]
    return {
        "sites": count,
        "requests": requests,
        "rounds": rounds,
        "crawlcheck_sites_per_s": statistics.median(count / r.seconds for r in runs),
        "plain_sites_per_s": statistics.median(count / p[0] for p in plain),
        "ratio": statistics.median(ratios),
        "ratios": ratios,
        "first_result_s": statistics.median(s["first_s"] for s in shapes),
        "longest_gap_s": statistics.median(s["longest_gap_s"] for s in shapes),
        "min_tenth_pct": statistics.median(s["min_tenth_pct"] for s in shapes),
        "max_tenth_pct": statistics.median(s["max_tenth_pct"] for s in shapes),
        "cli_peak_mib": statistics.median(r.cli_peak_mib for r in runs),
        "crawl_peak_mib": statistics.median(r.crawl_peak_mib for r in runs),
        "plain_peak_mib": statistics.median(p[1] for p in plain),
        "arrival_deciles_s": [
            [
                round(r.arrivals[min(len(r.arrivals) - 1, len(r.arrivals) * k // 10)], 1)
                for k in range(1, 11)
            ]
            for r in runs
        ],
    }


def main(argv: list[str]) -> int:
    """Print one table row per N (medians), and the detail of every run as JSON on stderr."""
    if argv[:1] == ["--plain"]:
        plain_main()
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[10_000])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    if not os.access(NGINX, os.X_OK):
        print(f"{NGINX} not found: apt-get install -y nginx", file=sys.stderr)
        return 2
    print(
        "| sites | requests | crawlcheck sites/s | plain Scrapy sites/s | ratio | first report "
        "| longest gap | reports per tenth of the run (min-max) | CLI peak RSS | crawl peak RSS "
        "| plain peak RSS |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for count in args.sizes:
        row = bench(count, args.rounds)
        print(
            f"| {row['sites']:,} | {row['requests']:,} | {row['crawlcheck_sites_per_s']:.1f} "
            f"| {row['plain_sites_per_s']:.1f} | {row['ratio']:.2f} "
            f"| {row['first_result_s']:.1f} s | {row['longest_gap_s']:.1f} s "
            f"| {row['min_tenth_pct']:.1f}-{row['max_tenth_pct']:.1f}% "
            f"| {row['cli_peak_mib']:.0f} MiB | {row['crawl_peak_mib']:.0f} MiB "
            f"| {row['plain_peak_mib']:.0f} MiB |",
            flush=True,
        )
        print(json.dumps(row), file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
