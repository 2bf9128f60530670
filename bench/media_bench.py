"""Benchmark: embedded-metadata checks per second from local files, crawlcheck vs Pillow.

The peer reads each whole image the way a dataset builder would: ``PIL.Image.open(path)``,
``.load()`` (decodes every pixel, reads every chunk) and ``.getxmp()``. crawlcheck reads the
same files through its bounded-read planner (``crawlcheck.media.scan_path``: only the ranges
the metadata needs, plus the whole file when a C2PA manifest must be validated) and
classifies every signal. Both run in this process on the same files; each rate is the
median of ``--repeat`` runs (at least 3), and the script prints the ratio to Pillow.

It also prints the bytes the planner needed per file against the file's size: as an HTTP
range fetcher would read (first read 16 KiB, C2PA validated only when a manifest would
permit: ``c2pa_validation="when-needed"``) and with the ``media`` command's defaults (first
read 64 KiB, every C2PA manifest validated, which reads the whole file).

Over loopback HTTP (``--http``, on by default): the same files served by the tests'
fixture web (real range support), ``--copies`` times each under different paths, spread over
64 hosts (an image list names many hosts; per host crawlcheck stays polite). crawlcheck reads every URL in one crawl (``crawlcheck.crawl.runner.fetch_resources``
with ``media="ranges"``: range requests driven by the planner, in the crawl's process,
per-host politeness, the process start included); the peer downloads each whole file
(``urllib``, 64 threads, as many as crawlcheck's requests in flight) and reads it with
Pillow as above. It prints checks per second for both, and the bytes crawlcheck received per
file against the file's size.

The corpus: the real published images of ../shared/data/media, and images generated here
(Pillow noise at web sizes, XMP written by ExifTool, one PNG with its XMP after the image
data, one signed C2PA JPEG). Usage::

    python bench/media_bench.py [--repeat R] [--scale S] [--copies N] [--no-http]
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from media_support import (  # noqa: E402
    VOCAB,
    data_mining,
    exiftool,
    jpeg_bytes,
    make_chain,
    png_move_text_after_idat,
    sign_asset,
    training_mining,
)
from PIL import Image  # noqa: E402
from webfixture import FixtureWeb, parse_site  # noqa: E402

from crawlcheck.crawl.options import CrawlOptions  # noqa: E402
from crawlcheck.crawl.runner import fetch_resources  # noqa: E402
from crawlcheck.media import Limits, scan_path  # noqa: E402
from crawlcheck.model import MediaFetch  # noqa: E402
from crawlcheck.ruleset import load_ruleset  # noqa: E402

SHARED = ROOT.parent / "shared" / "data" / "media"


def _corpus(folder: Path, scale: float) -> list[Path]:
    files = sorted(p for p in SHARED.glob("*/*") if p.suffix in (".jpg", ".png"))
    width, height = int(2000 * scale), int(1500 * scale)
    noise = Image.effect_noise((width, height), 60).convert("RGB")
    for ext, fmt, options in (
        ("jpg", "JPEG", {"quality": 90}),
        ("png", "PNG", {}),
        ("webp", "WEBP", {"quality": 85}),
        ("tif", "TIFF", {}),
        ("gif", "GIF", {}),
        ("pdf", "PDF", {}),
    ):
        path = folder / f"noise.{ext}"
        noise.save(path, fmt, **options)
        exiftool(path, data_mining(VOCAB + "DMI-PROHIBITED-AIMLTRAINING"))
        files.append(path)
    late = folder / "late.png"
    late.write_bytes(png_move_text_after_idat((folder / "noise.png").read_bytes()))
    files.append(late)
    signed, _ = sign_asset(
        make_chain(),
        jpeg_bytes(noise=True, size=(width // 2, height // 2)),
        "image/jpeg",
        [training_mining({"cawg.ai_training": {"use": "notAllowed"}})],
    )
    (folder / "signed.jpg").write_bytes(signed)
    files.append(folder / "signed.jpg")
    return files


def _pillow(path: Path) -> object:
    with Image.open(path) as image:
        image.load()
        return image.getxmp()


def _rate(check: Callable[[Path], object], files: list[Path], repeat: int) -> float:
    rates = []
    for _ in range(repeat):
        start = time.perf_counter()
        for path in files:
            check(path)
        rates.append(len(files) / (time.perf_counter() - start))
    return statistics.median(rates)


def main() -> None:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--scale", type=float, default=1.0, help="size of generated images")
    parser.add_argument("--copies", type=int, default=16, help="paths per file over HTTP")
    parser.add_argument(
        "--no-http", dest="http", action="store_false", help="skip the loopback HTTP part"
    )
    parser.add_argument(
        "--rate",
        type=float,
        action="append",
        default=[],
        metavar="BYTES_PER_S",
        help="also over loopback with every response sharing a link this fast (e.g. 12.5e6 "
        "for 100 Mbit/s)",
    )
    args = parser.parse_args()
    repeat = max(3, args.repeat)
    rules = load_ruleset()
    with tempfile.TemporaryDirectory() as tmp:
        files = _corpus(Path(tmp), args.scale)
        total = sum(p.stat().st_size for p in files)
        print(f"{len(files)} files, {total / 1e6:.1f} MB; median of {repeat} runs")
        readable = [p for p in files if p.suffix != ".pdf"]  # Pillow cannot open PDFs
        pillow = _rate(_pillow, readable, repeat)
        ours = _rate(lambda p: scan_path(p, ruleset=rules), readable, repeat)
        print(f"\nfiles Pillow opens ({len(readable)}):")
        print(f"  Pillow open+load+getxmp   {pillow:10.1f} files/s   1.00x")
        print(f"  crawlcheck scan_path      {ours:10.1f} files/s   {ours / pillow:.2f}x")
        no_c2pa = [p for p in readable if "c2pa" not in p.parts[-2] and p.name != "signed.jpg"]
        pillow = _rate(_pillow, no_c2pa, repeat)
        ours = _rate(lambda p: scan_path(p, ruleset=rules), no_c2pa, repeat)
        print(f"without the C2PA files ({len(no_c2pa)}):")
        print(f"  Pillow open+load+getxmp   {pillow:10.1f} files/s   1.00x")
        print(f"  crawlcheck scan_path      {ours:10.1f} files/s   {ours / pillow:.2f}x")
        print("\nbytes the planner needed: HTTP-like (16 KiB first, C2PA when needed) | defaults")
        shares: list[float] = []
        for path in files:
            size = path.stat().st_size
            http = Limits(first_read=16 * 1024, c2pa_validation="when-needed")
            small = scan_path(path, ruleset=rules, limits=http)
            default = scan_path(path, ruleset=rules)
            shares.append(small.bytes_read / size)
            states = small.state("ai-train")
            print(
                f"  {path.name[-48:]:<48} {size:>10,}  {small.bytes_read:>10,} "
                f"({small.bytes_read / size:6.1%})  {default.bytes_read:>10,}  ai-train {states}"
            )
        print(f"  median share read, HTTP-like: {statistics.median(shares):.1%}")
        if args.http:
            _http(files, repeat, args.copies, None)
            for rate in args.rate:
                _http(files, repeat, args.copies, rate)


#: Hosts the files are spread over, and requests in flight (crawlcheck's default concurrency;
#: per host crawlcheck keeps its politeness: 2 in flight, AutoThrottle).
HOSTS = 64
THREADS = 64


def _http(files: list[Path], repeat: int, copies: int, rate: float | None) -> None:
    """Print media checks per second over loopback HTTP, crawlcheck against the peer."""
    types = {".jpg": "image/jpeg", ".png": "image/png", ".webp": "image/webp"}
    types |= {".tif": "image/tiff", ".gif": "image/gif", ".pdf": "application/pdf"}
    served: list[tuple[str, str, Path]] = []
    sites: dict[str, dict[str, object]] = {}
    for copy in range(copies):
        for index, path in enumerate(files):
            host = f"h{(copy * len(files) + index) % HOSTS}.media-bench.test"
            route = f"/{copy}/{index}{path.suffix}"
            sites.setdefault(host, {"/robots.txt": {"body": "User-agent: *\nAllow: /\n"}})
            sites[host][route] = {"file": str(path), "content_type": types[path.suffix]}
            served.append((host, route, path))
    web = FixtureWeb([parse_site({"host": h, "resources": r}) for h, r in sites.items()])
    web.body_rate = rate
    with web:
        urls = {f"http://{host}{route}": path for host, route, path in served}
        options = CrawlOptions(proxy=web.proxy_url, media="ranges", concurrency=THREADS)
        readable = [u for u, p in urls.items() if p.suffix != ".pdf"]
        link = f"a {rate * 8 / 1e6:g} Mbit/s link shared by all" if rate else "no bandwidth limit"
        print(
            f"\nloopback HTTP, {link}: {len(readable)} URLs Pillow opens ({copies} copies of "
            f"each file, {HOSTS} hosts, {THREADS} requests in flight); median of {repeat} runs"
        )
        received: dict[str, int] = {}

        def crawl() -> None:
            for item in fetch_resources(readable, options):
                assert isinstance(item, MediaFetch), item
                received[item.url] = item.received

        def peer() -> None:
            opener = urllib.request.build_opener(
                urllib.request.ProxyHandler({"http": web.proxy_url})
            )

            def one(url: str) -> object:
                with opener.open(url, timeout=60) as response:
                    body = response.read()
                with Image.open(io.BytesIO(body)) as image:
                    image.load()
                    return image.getxmp()

            with ThreadPoolExecutor(THREADS) as pool:
                list(pool.map(one, readable))

        def start() -> None:  # the crawl process's start and one origin's robots.txt
            list(fetch_resources(readable[:1], options))

        theirs = _timed(peer, len(readable), repeat)
        ours = _timed(crawl, len(readable), repeat)
        startup = 1 / _timed(start, 1, repeat)
        steady = (len(readable) - 1) / (len(readable) / ours - startup)
        mine = sum(received.values())
        whole = sum(urls[u].stat().st_size for u in readable)
        print(
            f"  whole file + Pillow (urllib)  {theirs:8.1f} checks/s   1.00x   {whole:>12,} bytes"
        )
        print(
            f"  crawlcheck range reads        {ours:8.1f} checks/s   {ours / theirs:.2f}x   "
            f"{mine:>12,} bytes ({mine / whole:.1%})"
        )
        print(
            f"    of which the crawl process's start (a 1-URL crawl) {startup:.1f} s; "
            f"past it {steady:.1f} checks/s ({steady / theirs:.2f}x)"
        )
        print("\nbytes received per file over HTTP (crawlcheck, first copy):")
        shares = []
        firsts: dict[Path, str] = {}
        for url in readable:
            firsts.setdefault(urls[url], url)
        for url in firsts.values():
            size = urls[url].stat().st_size
            shares.append(received[url] / size)
            print(
                f"  {urls[url].name[-48:]:<48} {size:>10,}  {received[url]:>10,} "
                f"({received[url] / size:6.1%})"
            )
        print(f"  median share received: {statistics.median(shares):.1%}")


def _timed(run: Callable[[], None], count: int, repeat: int) -> float:
    rates = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        rates.append(count / (time.perf_counter() - start))
    return statistics.median(rates)


if __name__ == "__main__":
    main()
