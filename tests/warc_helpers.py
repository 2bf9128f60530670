"""Write test archives with the WARC libraries' own writers (warcio, FastWARC) and ARC by hand.

ARC has no maintained Python writer; :func:`write_arc` follows the Internet Archive's ARC
1.0 layout (a ``filedesc://`` version block, then ``URL IP DATE TYPE LENGTH`` headers),
the format warcio reads.
"""

from __future__ import annotations

import gzip
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Rec:
    """One record to write: a response unless *kind* says otherwise."""

    url: str
    date: str
    status: int = 200
    headers: Sequence[tuple[str, str]] = (("Content-Type", "text/plain"),)
    body: bytes = b""
    kind: str = "response"
    warc_headers: Sequence[tuple[str, str]] = field(default_factory=tuple)
    raw_http: bytes | None = None
    """The whole HTTP block as stored (overrides status, headers and body)."""


def http_block(rec: Rec) -> bytes:
    """Return the stored HTTP response block of *rec*."""
    if rec.raw_http is not None:
        return rec.raw_http
    head = f"HTTP/1.1 {rec.status} X\r\n" + "".join(f"{k}: {v}\r\n" for k, v in rec.headers)
    return head.encode("latin-1") + b"\r\n" + rec.body


def write_warcio(path: Path, records: Sequence[Rec], *, gzip_records: bool = True) -> Path:
    """Write *records* with warcio's WARCWriter (WARC/1.1); return *path*."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    with path.open("wb") as handle:
        writer = WARCWriter(handle, gzip=gzip_records, warc_version="1.1")
        for rec in records:
            warc_headers = [("WARC-Date", rec.date), *rec.warc_headers]
            if rec.kind == "resource":
                record = writer.create_warc_record(
                    rec.url,
                    "resource",
                    payload=io.BytesIO(rec.body),
                    warc_content_type=dict(rec.headers).get("Content-Type", "text/plain"),
                    warc_headers_dict=dict(warc_headers),
                    length=len(rec.body),
                )
            elif rec.kind == "revisit":
                http = StatusAndHeaders(f"{rec.status} X", list(rec.headers), protocol="HTTP/1.1")
                record = writer.create_warc_record(
                    rec.url,
                    "revisit",
                    payload=io.BytesIO(b""),
                    http_headers=http,
                    warc_headers_dict=dict(warc_headers),
                    length=0,
                )
            else:
                block = http_block(rec)
                record = writer.create_warc_record(
                    rec.url,
                    "response",
                    payload=io.BytesIO(block),
                    warc_content_type="application/http; msgtype=response",
                    warc_headers_dict=dict(warc_headers),
                    length=len(block),
                )
            writer.write_record(record)
    return path


def write_fastwarc(path: Path, records: Sequence[Rec]) -> Path:
    """Write *records* with FastWARC's WarcRecord.write, one gzip member each; return *path*."""
    from fastwarc import GzipWriter, WarcRecord, WarcRecordType

    with path.open("wb") as raw:
        for rec in records:
            record = WarcRecord()
            record.init_headers(getattr(WarcRecordType, rec.kind))
            record.headers["WARC-Target-URI"] = rec.url
            record.headers["WARC-Date"] = rec.date
            for name, value in rec.warc_headers:
                record.headers.append(name, value)
            record.headers["Content-Type"] = "application/http; msgtype=response"
            record.set_bytes_content(http_block(rec))
            member = GzipWriter(raw)
            record.write(member, checksum_data=True)
            member.finish()
    return path


def write_arc(path: Path, records: Sequence[Rec], *, gz: bool = False) -> Path:
    """Write *records* as an ARC 1.0 file (one gzip member per record when *gz*)."""
    desc = b"1 0 crawlcheck-tests\nURL IP-address Archive-date Content-type Archive-length\n"
    parts = [_arc_record("filedesc://test.arc", "0.0.0.0", "20040101000000", "text/plain", desc)]
    for rec in records:
        stamp = rec.date.replace("-", "").replace(":", "").replace("T", "")[:14]
        ctype = dict(rec.headers).get("Content-Type", "text/plain")
        parts.append(_arc_record(rec.url, "192.0.2.1", stamp, ctype, http_block(rec)))
    with path.open("wb") as handle:
        for part in parts:
            handle.write(gzip.compress(part, mtime=0) if gz else part)
    return path


def _arc_record(url: str, ip: str, date: str, ctype: str, content: bytes) -> bytes:
    return f"{url} {ip} {date} {ctype} {len(content)}\n".encode() + content + b"\n"
