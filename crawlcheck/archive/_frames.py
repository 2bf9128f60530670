"""Records out of archive files: FastWARC frames WARC, warcio frames ARC (docs/archives.md).

Each record comes out as a :class:`Frame`: its offset, WARC headers and block, read up to
a limit so a huge record never fills memory. A file that is damaged part-way (bad gzip
member, garbage, a cut) yields a :class:`Damage` and reading goes on at the next record
that can be found; nothing here raises on file content.
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import IO

from crawlcheck.archive._http import HEAD_MAX, Head

#: Record types whose block is never read (no capture of their own).
_UNUSED = frozenset({"request", "warcinfo", "conversion", "continuation"})
#: Resynchronisations tried per file before the rest of it is given up.
MAX_RESYNC = 1000
_GZIP_MAGIC = b"\x1f\x8b\x08"
_WARC_MAGIC = b"WARC/1."
_SCAN_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class Frame:
    """One archive record: where it starts, its WARC headers, and its block (bounded)."""

    offset: int
    headers: tuple[tuple[str, str], ...]
    block: bytes
    """The record block up to the read limit (ARC: the payload after the HTTP head)."""
    whole: bool
    """The block was read to its end (False: cut at the read limit)."""
    damaged: bool = False
    """The file ended or broke inside this record: the block is incomplete."""
    head: Head | None = None
    """The HTTP head, when the framing library already parsed it (ARC)."""
    names: Mapping[str, str] = field(default_factory=dict)
    """Lower-cased WARC header name → first value (:func:`header_index` of ``headers``)."""

    def header(self, name: str) -> str:
        """Return the first WARC header *name* (case-insensitive), or ''."""
        return self.names.get(name.lower(), "")


@dataclass(frozen=True, slots=True)
class Damage:
    """A stretch of a file that could not be read as records."""

    offset: int
    message: str


def header_index(headers: tuple[tuple[str, str], ...]) -> dict[str, str]:
    """Return lower-cased name → first value of WARC *headers*."""
    table: dict[str, str] = {}
    for key, value in headers:
        table.setdefault(key.lower(), value)
    return table


Limit = Callable[[str], int]
"""Block bytes to read for a record, from its WARC-Target-URI (negative: skip the record)."""


def sniff(handle: IO[bytes]) -> str:
    """Return ``warc``, ``arc`` or ``unknown`` from the first bytes of *handle* (rewound)."""
    start = handle.read(64)
    handle.seek(0)
    if start.startswith(_GZIP_MAGIC):
        try:
            inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
            start = inflater.decompress(handle.read(4096), 64)
        except zlib.error:
            start = b""
        handle.seek(0)
    if start.startswith((_WARC_MAGIC, b"WARC/0.")):
        return "warc"
    if start.startswith(b"filedesc://"):
        return "arc"
    return "unknown"


def warc_frames(handle: IO[bytes], limit: Limit, start: int = 0) -> Iterator[Frame | Damage]:
    """Yield every record of a WARC or WARC.gz *handle* from *start* (FastWARC), resyncing."""
    from fastwarc import ArchiveIterator

    handle.seek(start)
    compressed = handle.read(3) == _GZIP_MAGIC
    for _ in range(MAX_RESYNC):
        handle.seek(start)
        last = start
        try:
            for record in ArchiveIterator(handle, parse_http=False, auto_decode="none"):
                last = record.stream_pos
                headers = record.headers.to_tuples()
                names = header_index(headers)
                if names.get("warc-type", "").lower() in _UNUSED:
                    yield Frame(last, headers, b"", False, names=names)
                    continue
                want = limit(names.get("warc-target-uri", ""))
                if want < 0:
                    continue  # not wanted: FastWARC skips the block unread
                damaged = False
                try:
                    block = record.reader.read(want + 1)
                except OSError:
                    block, damaged = b"", True
                whole = len(block) <= want and not damaged
                if whole and len(block) < record.content_length:
                    damaged = True  # the file ends inside the record
                yield Frame(
                    last, headers, block[:want], whole and not damaged, damaged, names=names
                )
            return
        except (OSError, ValueError) as exc:
            resume = _next_start(handle, last + 1, _GZIP_MAGIC if compressed else _WARC_MAGIC)
            where = f"resuming at offset {resume}" if resume is not None else "rest of file unread"
            yield Damage(last, f"unreadable records from offset {last} ({exc}); {where}")
            if resume is None:
                return
            start = resume
    yield Damage(start, f"more than {MAX_RESYNC} damaged stretches; rest of file unread")


def arc_frames(handle: IO[bytes], limit: Limit) -> Iterator[Frame | Damage]:
    """Yield every record of an ARC or ARC.gz *handle* (warcio, as WARC records)."""
    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

    iterator = ArchiveIterator(handle, arc2warc=True)
    offset = 0
    try:
        for record in iterator:
            headers = tuple((str(k), str(v)) for k, v in record.rec_headers.headers)
            names = header_index(headers)
            want = limit(names.get("warc-target-uri", ""))
            if want < 0:
                continue
            block = record.raw_stream.read(want + 1)
            left = record.raw_stream.limit
            damaged = len(block) <= want and left > 0
            head = None
            if record.http_headers is not None:
                status_text = str(record.http_headers.get_statuscode() or "")
                status = int(status_text) if status_text.isdigit() else None
                pairs = tuple((str(k), str(v)) for k, v in record.http_headers.headers)
                head = Head(status=status, headers=pairs)
            # warcio knows a record's offset only once it has been read through.
            offset = iterator.get_record_offset()
            whole = len(block) <= want and not damaged
            yield Frame(offset, headers, block[:want], whole, damaged, head, names)
    except (ArchiveLoadFailed, OSError, ValueError, EOFError, zlib.error, gzip.BadGzipFile) as exc:
        yield Damage(offset, f"unreadable ARC records after offset {offset} ({exc}); rest unread")


def frame_at(handle: IO[bytes], offset: int, limit: Limit, arc: bool) -> Frame | Damage:
    """Return the one record at *offset* of *handle*."""
    if arc:
        handle.seek(offset)
    frames = arc_frames(handle, limit) if arc else warc_frames(handle, limit, offset)
    for frame in frames:
        if isinstance(frame, Frame) and arc:
            frame = replace(frame, offset=offset)  # warcio counts from where it started
        return frame
    return Damage(offset, f"no record at offset {offset}")


def block_limit(cap: int) -> int:
    """Return block bytes to read for a body cap: room for the head and coding overhead."""
    return 2 * cap + HEAD_MAX


def _next_start(handle: IO[bytes], position: int, magic: bytes) -> int | None:
    """Return the offset of the next *magic* at or after *position*, or None."""
    handle.seek(position)
    carry = b""
    base = position
    while True:
        chunk = handle.read(_SCAN_CHUNK)
        if not chunk:
            return None
        data = carry + chunk
        found = data.find(magic)
        if found >= 0:
            return base + found
        keep = len(magic) - 1
        base += len(data) - keep
        carry = data[-keep:]
