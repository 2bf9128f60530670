"""Benchmark: FastWARC against warcio reading the same web archives (the library choice).

Two archives of the same synthetic crawl are written, gzip per record, one by each
library's own writer: per site a request and a response record for /robots.txt, /ai.txt
(404), /.well-known/tdmrep.json (404), the home page (HTML of 8-40 KB; one in four
gzip-encoded, one in four chunked) and a metadata record for the home page: 9 records per site.
Each library then reads both archives in three ways:

- ``bare``: iterate the records, read each one's type and WARC-Target-URI (no payload);
- ``payload``: also parse each response's HTTP head and read its payload as stored;
- ``decoded``: as ``payload``, with chunked Transfer-Encoding and Content-Encoding undone
  (what crawlcheck's reader needs).

Times are the median of ``--runs`` (default 5) runs, in one process, one after the other;
the ratio is warcio's time over FastWARC's on the same archive and mode.

A second table measures crawlcheck's own reading against its floor, FastWARC's bare
iteration of the same file: ``read_archive`` (every record to a capture: HTTP head,
de-chunking, decoding, caps), ``CaptureIndex.build`` (captures indexed by URL and time,
page bodies dropped, revisits resolved), and ``CaptureIndex.build(pages=False)`` (site-level
files only, other records skipped unread: what a snapshot of site files reads).

    .venv/bin/python bench/warc_bench.py              # 2000 sites (18,000 records)
    .venv/bin/python bench/warc_bench.py --sites 5000 --runs 3
"""

from __future__ import annotations

import argparse
import gzip
import io
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

WORDS = ("crawl", "archive", "robots", "reserved", "training", "consent", "notice", "page")


def html_page(rng: random.Random, site: int) -> bytes:
    """Return an HTML page of 8-40 KB with a meta robots tag on one site in five."""
    meta = '<meta name="robots" content="noai, noimageai">' if site % 5 == 0 else ""
    paragraphs = "".join(
        "<p>" + " ".join(rng.choice(WORDS) for _ in range(60)) + "</p>\n"
        for _ in range(rng.randint(20, 100))
    )
    return (
        f"<html><head><title>s{site}</title>{meta}</head><body>{paragraphs}</body></html>".encode()
    )


def chunked(body: bytes, size: int = 4096) -> bytes:
    """Return *body* in HTTP/1.1 chunked transfer coding."""
    out = io.BytesIO()
    for start in range(0, len(body), size):
        part = body[start : start + size]
        out.write(b"%x\r\n%s\r\n" % (len(part), part))
    out.write(b"0\r\n\r\n")
    return out.getvalue()


def exchanges(sites: int) -> list[tuple[str, int, list[tuple[str, str]], bytes]]:
    """Return the crawl as (url, status, headers, raw HTTP body) per response."""
    rng = random.Random(13)
    found: list[tuple[str, int, list[tuple[str, str]], bytes]] = []
    for site in range(sites):
        origin = f"https://s{site}.bench.example"
        robots = b"User-agent: *\nDisallow: /private/\n"
        if site % 3 == 0:
            robots += b"\nUser-agent: GPTBot\nDisallow: /\n"
        found.append((f"{origin}/robots.txt", 200, [("Content-Type", "text/plain")], robots))
        for path in ("/ai.txt", "/.well-known/tdmrep.json"):
            found.append((origin + path, 404, [("Content-Type", "text/html")], b"not found"))
        body = html_page(rng, site)
        headers = [("Content-Type", "text/html; charset=utf-8")]
        if site % 4 == 1:
            body = gzip.compress(body, mtime=0)
            headers.append(("Content-Encoding", "gzip"))
        if site % 4 == 2:
            body = chunked(body)
            headers.append(("Transfer-Encoding", "chunked"))
        else:
            headers.append(("Content-Length", str(len(body))))
        found.append((f"{origin}/", 200, headers, body))
    return found


def write_with_warcio(path: Path, sites: int) -> int:
    """Write the crawl with warcio's WARCWriter (gzip per record); return the record count."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    count = 0
    with path.open("wb") as handle:
        writer = WARCWriter(handle, gzip=True, warc_version="1.1")
        for url, status, headers, body in exchanges(sites):
            http = StatusAndHeaders(f"{status} X", headers, protocol="HTTP/1.1")
            response = writer.create_warc_record(
                url, "response", payload=io.BytesIO(body), http_headers=http
            )
            req_http = StatusAndHeaders(
                f"GET {url.split('/', 3)[-1] or '/'} HTTP/1.1",
                [("Host", url.split("/")[2])],
                is_http_request=True,
            )
            request = writer.create_warc_record(
                url, "request", payload=io.BytesIO(b""), http_headers=req_http
            )
            writer.write_request_response_pair(request, response)
            count += 2
            if url.endswith(".example/"):
                meta = writer.create_warc_record(
                    url,
                    "metadata",
                    payload=io.BytesIO(b"fetchTimeMs: 120\r\n"),
                    warc_content_type="application/warc-fields",
                )
                writer.write_record(meta)
                count += 1
    return count


def write_with_fastwarc(path: Path, sites: int) -> int:
    """Write the crawl with FastWARC's WarcRecord.write (gzip per record); return the count."""
    from fastwarc import GzipWriter, WarcRecord, WarcRecordType

    def record(kind: WarcRecordType, url: str, content: bytes, content_type: str) -> WarcRecord:
        rec = WarcRecord()
        rec.init_headers(kind)
        rec.headers["WARC-Target-URI"] = url
        rec.headers["Content-Type"] = content_type
        rec.set_bytes_content(content)
        return rec

    count = 0
    with path.open("wb") as raw:
        for url, status, headers, body in exchanges(sites):
            head = f"HTTP/1.1 {status} X\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers)
            host = url.split("/")[2]
            target = "/" + url.split("/", 3)[-1]
            kinds = [
                (
                    WarcRecordType.request,
                    f"GET {target} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode(),
                    "application/http; msgtype=request",
                ),
                (
                    WarcRecordType.response,
                    head.encode() + b"\r\n" + body,
                    "application/http; msgtype=response",
                ),
            ]
            if url.endswith(".example/"):
                kinds.append(
                    (WarcRecordType.metadata, b"fetchTimeMs: 120\r\n", "application/warc-fields")
                )
            for kind, content, content_type in kinds:
                # One gzip member per record, as warcio and Common Crawl write them.
                member = GzipWriter(raw)
                record(kind, url, content, content_type).write(member, checksum_data=True)
                member.finish()
                count += 1
    return count


def warcio_read(path: Path, mode: str) -> int:
    """Read *path* with warcio in *mode*; return bytes of payload read (0 for ``bare``)."""
    from warcio.archiveiterator import ArchiveIterator

    total = 0
    with path.open("rb") as handle:
        for rec in ArchiveIterator(handle):
            rec.rec_headers.get_header("WARC-Target-URI")
            if mode == "bare" or rec.rec_type != "response":
                continue
            rec.http_headers.get_statuscode()
            stream = rec.content_stream() if mode == "decoded" else rec.raw_stream
            total += len(stream.read())
    return total


def fastwarc_read(path: Path, mode: str) -> int:
    """Read *path* with FastWARC in *mode*; return bytes of payload read (0 for ``bare``)."""
    from fastwarc import ArchiveIterator, WarcRecordType

    total = 0
    decode = "all" if mode == "decoded" else "none"
    iterator = ArchiveIterator(str(path), parse_http=mode != "bare", auto_decode=decode)
    for rec in iterator:
        rec.headers.get("WARC-Target-URI")
        if mode == "bare" or rec.record_type != WarcRecordType.response:
            continue
        rec.http_headers.status_code  # noqa: B018 - parsed, as a reader would use it
        total += len(rec.reader.read())
    return total


def crawlcheck_read(path: Path) -> int:
    """Read *path* with crawlcheck's reader; return the number of captures."""
    from crawlcheck.archive.reader import read_archive

    return sum(1 for _ in read_archive(str(path)))


def index_build(path: Path, pages: bool = True) -> int:
    """Index *path* with crawlcheck's CaptureIndex; return the number of origins."""
    from crawlcheck.archive.index import CaptureIndex

    return len(CaptureIndex.build([str(path)], pages=pages).origins())


def median_seconds(func: Callable[[], int], runs: int) -> tuple[float, int]:
    """Return (median seconds over *runs* calls of *func*, its last result)."""
    times = []
    result = 0
    for _ in range(runs):
        start = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    """Write both archives, read each with both libraries in every mode, print a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        archives = {
            "warcio-written": Path(tmp, "a.warc.gz"),
            "fastwarc-written": Path(tmp, "b.warc.gz"),
        }
        counts = {
            "warcio-written": write_with_warcio(archives["warcio-written"], args.sites),
            "fastwarc-written": write_with_fastwarc(archives["fastwarc-written"], args.sites),
        }
        print(f"sites={args.sites} runs={args.runs} (median seconds; records/s)")
        print(f"{'archive':18} {'mode':8} {'warcio':>16} {'fastwarc':>16} {'ratio':>6}")
        for name, path in archives.items():
            records = counts[name]
            size = path.stat().st_size / 1e6
            for mode in ("bare", "payload", "decoded"):
                slow, slow_bytes = median_seconds(
                    lambda p=path, m=mode: warcio_read(p, m), args.runs
                )
                fast, fast_bytes = median_seconds(
                    lambda p=path, m=mode: fastwarc_read(p, m), args.runs
                )
                if slow_bytes != fast_bytes:
                    print(
                        f"  note: payload bytes differ: warcio {slow_bytes}, fastwarc {fast_bytes}"
                    )
                print(
                    f"{name:18} {mode:8} "
                    f"{slow:7.3f}s {records / slow:7.0f}/s {fast:7.3f}s {records / fast:7.0f}/s "
                    f"{slow / fast:5.1f}x"
                )
            print(f"  ({records} records, {size:.1f} MB compressed)")
        print()
        print(f"{'archive':18} {'reader':22} {'seconds':>8} {'records/s':>10} {'vs floor':>9}")
        for name, path in archives.items():
            records = counts[name]
            floor, _ = median_seconds(lambda p=path: fastwarc_read(p, "bare"), args.runs)
            rows = [
                ("fastwarc bare (floor)", floor),
                ("read_archive", median_seconds(lambda p=path: crawlcheck_read(p), args.runs)[0]),
                ("CaptureIndex.build", median_seconds(lambda p=path: index_build(p), args.runs)[0]),
                (
                    "  site files only",
                    median_seconds(lambda p=path: index_build(p, pages=False), args.runs)[0],
                ),
            ]
            for label, seconds in rows:
                print(
                    f"{name:18} {label:22} {seconds:7.3f}s {records / seconds:9.0f}/s "
                    f"{seconds / floor:8.1f}x"
                )


if __name__ == "__main__":
    main()
