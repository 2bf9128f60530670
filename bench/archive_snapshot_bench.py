"""Benchmark: web archives read into an origin snapshot, against bare FastWARC iteration.

``snapshot build --from-warc`` reads only site-level files (robots.txt, ai.txt,
tdmrep.json, llms.txt), skipping every other record unread, keeps every capture of each
origin and writes one snapshot row per capture time. Its floor is FastWARC's bare
iteration of the same file (record type and WARC-Target-URI only: ``warc_bench.py``'s
``bare`` mode). Two archives, gzip per record, written with FastWARC's writer:

- ``crawl``: warc_bench.py's synthetic crawl: per site a request and a response for
  /robots.txt, /ai.txt (404), /.well-known/tdmrep.json (404) and the home page (8-40 KB of
  HTML), and a metadata record: 9 records per site, a third of them site-level files;
- ``history``: a robots.txt history (the shape of Common Crawl's robots.txt subset and
  of retroactive-compliance studies): per origin 12 monthly captures of robots.txt, ai.txt
  and tdmrep.json, with a request record each: every response is a site-level file, so
  all of it goes into the snapshot (the worst case for the snapshot, the best for the floor).

Columns: the median of ``--runs`` (default 3) runs in one process; records/s counts every
record of the file (requests, metadata and skipped pages included), as the floor does.

    .venv/bin/python bench/archive_snapshot_bench.py
    .venv/bin/python bench/archive_snapshot_bench.py --sites 5000 --origins 1000 --runs 5
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from warc_bench import fastwarc_read, median_seconds, write_with_fastwarc

MONTHS = 12


def write_history(path: Path, origins: int) -> int:
    """Write *origins* x 12 monthly captures of three site files; return the record count."""
    from fastwarc import GzipWriter, WarcRecord, WarcRecordType

    count = 0
    with open(path, "wb") as raw:
        for month in range(1, MONTHS + 1):
            date = f"2023-{month:02d}-01T00:00:00Z"
            for n in range(origins):
                origin = f"https://o{n}.history.example"
                robots = b"User-agent: *\nDisallow: /private/\n"
                if (n + month) % 4 == 0:
                    robots += b"\nUser-agent: GPTBot\nDisallow: /\n"
                files = (
                    ("/robots.txt", 200, robots),
                    ("/ai.txt", 404, b"not found"),
                    ("/.well-known/tdmrep.json", 404, b"not found"),
                )
                for file_path, status, body in files:
                    url = origin + file_path
                    request = f"GET {file_path} HTTP/1.1\r\nHost: {origin[8:]}\r\n\r\n".encode()
                    head = (
                        f"HTTP/1.1 {status} X\r\nContent-Type: text/plain\r\n"
                        f"Content-Length: {len(body)}\r\n\r\n"
                    ).encode()
                    for kind, block, content_type in (
                        (WarcRecordType.request, request, "application/http; msgtype=request"),
                        (
                            WarcRecordType.response,
                            head + body,
                            "application/http; msgtype=response",
                        ),
                    ):
                        record = WarcRecord()
                        record.init_headers(kind)
                        record.headers["WARC-Target-URI"] = url
                        record.headers["WARC-Date"] = date
                        record.headers["Content-Type"] = content_type
                        record.set_bytes_content(block)
                        # One gzip member per record, as warcio and Common Crawl write them.
                        member = GzipWriter(raw)
                        record.write(member, checksum_data=True)
                        member.finish()
                        count += 1
    return count


def snapshot_build(path: Path, out: Path) -> int:
    """Build a snapshot of *path* into *out* (removed first); return the rows written."""
    from crawlcheck.archive.snapshot import build_from_archives

    shutil.rmtree(out, ignore_errors=True)
    manifest, _ = build_from_archives([str(path)], out)
    return manifest.captures


def site_files_index(path: Path) -> int:
    """Read the site-level files of *path* into the capture index; return the origins."""
    from crawlcheck.archive.snapshot import index_site_files

    return len(index_site_files([str(path)]).origins())


def main() -> None:
    """Write both archives, time the floor and the snapshot build on each, print a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=2000, help="sites of the crawl archive")
    parser.add_argument("--origins", type=int, default=500, help="origins of the history")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as tmp:
        archives = {
            "crawl": (Path(tmp, "crawl.warc.gz"), write_with_fastwarc),
            "history": (Path(tmp, "history.warc.gz"), write_history),
        }
        sizes = {"crawl": args.sites, "history": args.origins}
        print(f"runs={args.runs} (median seconds; records/s over every record of the file)")
        print(f"{'archive':9} {'reader':28} {'seconds':>8} {'records/s':>10} {'vs floor':>9}")
        for name, (path, write) in archives.items():
            records = write(path, sizes[name])
            floor, _ = median_seconds(lambda p=path: fastwarc_read(p, "bare"), args.runs)
            index, _ = median_seconds(lambda p=path: site_files_index(p), args.runs)
            out = Path(tmp, f"{name}-snapshot")
            build, rows = median_seconds(lambda p=path, o=out: snapshot_build(p, o), args.runs)
            for label, seconds in (
                ("fastwarc bare (floor)", floor),
                ("site files indexed", index),
                ("snapshot build --from-warc", build),
            ):
                print(
                    f"{name:9} {label:28} {seconds:7.3f}s {records / seconds:9.0f}/s "
                    f"{seconds / floor:8.1f}x"
                )
            size = path.stat().st_size / 1e6
            print(f"  ({records} records, {size:.1f} MB compressed; {rows} snapshot rows)")
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
