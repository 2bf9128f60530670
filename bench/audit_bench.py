"""Benchmark: crawlcheck's site crawl against plain Scrapy fetching the very same URLs.

For each N, N simple sites are generated in memory and served by the fixture web
(tests/webfixture.py, loopback only). ``crawl_sites`` audits them (robots.txt first,
site files, home page, sampled pages, politeness on); then a bare Scrapy spider with the
same concurrency fetches exactly the URLs crawlcheck requested, in one go (the floor).
Both run in a child process and are timed wall-clock, child start-up included. Peak
memory is the child process's peak RSS (VmHWM).

    /work/venv/bin/python bench/audit_bench.py            # N = 50, 200, 800
    /work/venv/bin/python bench/audit_bench.py 100 400    # other sizes
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from crawlcheck.crawl.options import CrawlOptions
from crawlcheck.crawl.runner import crawl_sites
from crawlcheck.demo.sites import SiteDef

# The fixture web lives with the tests (it is not shipped in the wheel).
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from webfixture import FixtureWeb, parse_site

PAGES = 5


def make_sites(count: int) -> list[SiteDef]:
    """Return *count* simple sites: robots.txt, a home page linking 6 pages, 5 pages."""
    sites = []
    for number in range(count):
        links = "".join(f'<a href="/p{i}">p{i}</a>' for i in range(1, PAGES + 1))
        resources: dict[str, Any] = {
            "/robots.txt": {"body": "User-agent: *\nDisallow: /private/\n"},
            "/": {
                "body": f"<html><body>{links}<a href='/private/x'>x</a></body></html>",
                "content_type": "text/html",
            },
        }
        for i in range(1, PAGES + 1):
            resources[f"/p{i}"] = {
                "body": f"<html><body>page {i}</body></html>",
                "content_type": "text/html",
            }
        sites.append(parse_site({"host": f"s{number}.bench.example", "resources": resources}))
    return sites


class PeakRss:
    """Watch this process's children and keep the highest VmHWM (peak RSS) seen, in KiB."""

    def __init__(self) -> None:
        self.peak_kib = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _watch(self) -> None:
        me = str(os.getpid())
        while not self._stop.wait(0.05):
            for entry in Path("/proc").iterdir():
                if not entry.name.isdigit():
                    continue
                try:
                    status = (entry / "status").read_text()
                except OSError:
                    continue
                fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
                if fields.get("PPid", "").strip() == me and "VmHWM" in fields:
                    self.peak_kib = max(self.peak_kib, int(fields["VmHWM"].split()[0]))


def run_crawlcheck(web: FixtureWeb, hosts: list[str]) -> tuple[float, int, int]:
    """Return (seconds, results, peak RSS KiB) of crawl_sites over *hosts*."""
    options = CrawlOptions(proxy=web.proxy_url, pages=PAGES)
    with PeakRss() as rss:
        start = time.perf_counter()
        results = sum(1 for _ in crawl_sites([f"http://{h}" for h in hosts], options))
        seconds = time.perf_counter() - start
    return seconds, results, rss.peak_kib


def run_plain(web: FixtureWeb, urls: list[str]) -> tuple[float, int]:
    """Return (seconds, peak RSS KiB) of plain Scrapy fetching *urls* (child process)."""
    job = json.dumps({"proxy": web.proxy_url, "urls": urls, "concurrency": 64, "per_host": 2})
    with PeakRss() as rss:
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, __file__, "--plain"],
            input=job.encode(),
            check=True,
            stdout=subprocess.DEVNULL,
        )
        seconds = time.perf_counter() - start
    return seconds, rss.peak_kib


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
            "TELNETCONSOLE_ENABLED": False,
        }
    )
    process.crawl(Plain)
    process.start()


def bench(count: int) -> dict[str, float]:
    """Run both crawls over *count* sites; return their numbers."""
    sites = make_sites(count)
    with FixtureWeb(sites) as web:
        cc_seconds, results, cc_rss = run_crawlcheck(web, [s.host for s in sites])
        assert results == count, (results, count)
        urls = [f"http://{r.host}{r.path}" for r in web.requests]
        web.clear_log()
        plain_seconds, plain_rss = run_plain(web, urls)
    return {
        "sites": count,
        "requests": len(urls),
        "crawlcheck_sites_per_s": count / cc_seconds,
        "plain_sites_per_s": count / plain_seconds,
        "ratio": plain_seconds / cc_seconds,
        "crawlcheck_peak_rss_mib": cc_rss / 1024,
        "plain_peak_rss_mib": plain_rss / 1024,
    }


def main(argv: list[str]) -> int:
    """Print one line per N."""
    if argv[:1] == ["--plain"]:
        plain_main()
        return 0
    sizes = [int(arg) for arg in argv] or [50, 200, 800]
    print(
        "sites requests  crawlcheck/s  plain-scrapy/s  ratio  crawlcheck-peak-RSS  plain-peak-RSS"
    )
    for count in sizes:
        row = bench(count)
        print(
            f"{row['sites']:5.0f} {row['requests']:8.0f}  {row['crawlcheck_sites_per_s']:12.1f}"
            f"  {row['plain_sites_per_s']:14.1f}  {row['ratio']:5.2f}"
            f"  {row['crawlcheck_peak_rss_mib']:15.1f} MiB  {row['plain_peak_rss_mib']:10.1f} MiB",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
