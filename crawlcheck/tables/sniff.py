"""What an input file holds: its compression and kind, from its first bytes, then its name.

Content wins over the name: the magic bytes of gzip, zstd and Parquet are read first, so
``urls.txt`` that is really gzip is read as gzip, and a ``.parquet`` without Parquet's magic
is refused. Formats crawlcheck does not read (bzip2, xz, zip, UTF-16 text, anything with a
NUL byte in its first block) are named in a one-line error (exit 2), so such a file is
never read as a list of zero URLs. Then the extension (after ``.gz``/``.zst``) names the
kind (``.txt`` a URL list); without a telling extension (stdin, no extension) the input is
a URL list, unless ``--column`` asks for a table, in which case the first line says JSON
Lines (``{``), TSV (a tab) or CSV.
"""

from __future__ import annotations

import gzip
import io
import sys
import zlib
from dataclasses import dataclass
from enum import StrEnum
from typing import BinaryIO, cast

from crawlcheck.errors import UsageError

if sys.version_info >= (3, 14):
    from compression import zstd
else:
    from backports import zstd

__all__ = [
    "READ_ERRORS",
    "SNIFF_BYTES",
    "Compression",
    "InputKind",
    "Sniffed",
    "decompressed",
    "kind_from_name",
    "sniff",
]

#: Bytes read before deciding what the input is (and scanned for NUL bytes).
SNIFF_BYTES = 8192
#: What reading a (decompressed) input may raise when the file is damaged or unreadable.
READ_ERRORS: tuple[type[BaseException], ...] = (OSError, EOFError, zlib.error, zstd.ZstdError)


class InputKind(StrEnum):
    """How the rows of an input are read."""

    TEXT = "text"
    CSV = "csv"
    TSV = "tsv"
    JSONL = "jsonl"
    PARQUET = "parquet"


class Compression(StrEnum):
    """The compression an input stream is read through."""

    NONE = "none"
    GZIP = "gzip"
    ZSTD = "zstd"


_GZIP = b"\x1f\x8b"
_ZSTD = b"\x28\xb5\x2f\xfd"
_PARQUET = b"PAR1"
#: Magic bytes of formats crawlcheck does not read, and how to name them.
_UNREAD: tuple[tuple[bytes, str], ...] = (
    (b"BZh", "bzip2-compressed"),
    (b"\xfd7zXZ\x00", "xz-compressed"),
    (b"\x04\x22\x4d\x18", "LZ4-compressed"),
    (b"PK\x03\x04", "a zip archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"ARROW1", "an Arrow IPC file"),
    (b"SQLite format 3\x00", "an SQLite database"),
    (b"\xff\xfe", "UTF-16 text"),
    (b"\xfe\xff", "UTF-16 text"),
)
_COMPRESSED_SUFFIXES = {
    ".gz": Compression.GZIP,
    ".gzip": Compression.GZIP,
    ".zst": Compression.ZSTD,
}
_KINDS_BY_SUFFIX = {
    ".txt": InputKind.TEXT,
    ".csv": InputKind.CSV,
    ".tsv": InputKind.TSV,
    ".tab": InputKind.TSV,
    ".jsonl": InputKind.JSONL,
    ".ndjson": InputKind.JSONL,
    ".json": InputKind.JSONL,
    ".parquet": InputKind.PARQUET,
    ".pq": InputKind.PARQUET,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Sniffed:
    """What the input is: its compression, its kind, and its (decompressed) byte stream."""

    compression: Compression
    kind: InputKind
    stream: BinaryIO
    """The rows' bytes from the start, decompressed (for Parquet: the file itself)."""


class _Rejoined(io.RawIOBase):
    """The bytes already read for sniffing, then the rest of the stream."""

    def __init__(self, head: bytes, rest: BinaryIO) -> None:
        super().__init__()
        self._head = memoryview(head)
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        if self._head:
            count = min(len(buffer), len(self._head))
            buffer[:count] = self._head[:count]
            self._head = self._head[count:]
            return count
        return self._rest.readinto(buffer)  # type: ignore[attr-defined,no-any-return]


def _peek(stream: BinaryIO, name: str) -> tuple[bytes, BinaryIO]:
    """Return the first bytes of *stream* and a stream that still starts at them."""
    try:
        head = stream.read(SNIFF_BYTES)
    except READ_ERRORS as exc:
        raise UsageError(f"-i: cannot read '{name}': {_why(exc)}") from exc
    return head, io.BufferedReader(_Rejoined(head, stream), buffer_size=1 << 16)


def _why(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__


def decompressed(stream: BinaryIO, compression: Compression) -> BinaryIO:
    """Return a stream of *stream*'s bytes decompressed (every gzip member, every frame)."""
    if compression is Compression.GZIP:
        return cast(BinaryIO, gzip.GzipFile(fileobj=stream, mode="rb"))
    if compression is Compression.ZSTD:
        return cast(BinaryIO, zstd.ZstdFile(stream, mode="rb"))
    return stream


def kind_from_name(name: str) -> tuple[Compression, InputKind | None]:
    """Return the compression and kind a file name's extensions say (None: no kind said).

    >>> kind_from_name("urls.csv.gz")
    (<Compression.GZIP: 'gzip'>, <InputKind.CSV: 'csv'>)
    >>> kind_from_name("urls.txt")
    (<Compression.NONE: 'none'>, <InputKind.TEXT: 'text'>)
    >>> kind_from_name("urls")
    (<Compression.NONE: 'none'>, None)
    """
    lower = name.lower()
    compression = Compression.NONE
    for suffix, found in _COMPRESSED_SUFFIXES.items():
        if lower.endswith(suffix):
            compression, lower = found, lower[: -len(suffix)]
            break
    dot = lower.rfind(".")
    return compression, _KINDS_BY_SUFFIX.get(lower[dot:]) if dot >= 0 else None


def sniff(stream: BinaryIO, name: str, *, seekable: bool, table: bool) -> Sniffed:
    """Return what *stream* holds, ready to read from its first byte.

    *seekable*: the input is a regular file (Parquet is read from its footer, so it cannot
    come from a pipe). *table*: ``--column`` was given, so an input without a telling
    extension is read as a table (its first line says which kind).
    """
    head, rejoined = _peek(stream, name)
    _, named_kind = kind_from_name(name)
    if head.startswith(_PARQUET):
        if not seekable:
            raise UsageError(
                f"-i: '{name}' is Parquet, which is read from its footer: give a file, not a pipe"
            )
        return Sniffed(compression=Compression.NONE, kind=InputKind.PARQUET, stream=rejoined)
    compression = Compression.NONE
    if head.startswith(_GZIP):
        compression = Compression.GZIP
    elif head.startswith(_ZSTD):
        compression = Compression.ZSTD
    if compression is not Compression.NONE:
        head, rejoined = _peek(decompressed(rejoined, compression), name)
        if head.startswith(_PARQUET):
            raise UsageError(
                f"-i: '{name}' is {compression}-compressed Parquet: decompress it first "
                "(Parquet compresses its own pages)"
            )
        if head.startswith((_GZIP, _ZSTD)):
            raise UsageError(f"-i: '{name}' is compressed twice: decompress it once first")
    if named_kind is InputKind.PARQUET:
        raise UsageError(f"-i: '{name}' is not a Parquet file (it does not start with PAR1)")
    _refuse_unread(head, name, compression)
    kind = named_kind or (_table_kind(head) if table else InputKind.TEXT)
    if kind is InputKind.JSONL and head.removeprefix(b"\xef\xbb\xbf").lstrip().startswith(b"["):
        raise UsageError(
            f"-i: '{name}' is a JSON array, not JSON Lines (one object per line): "
            "convert it first, e.g. jq -c '.[]'"
        )
    return Sniffed(compression=compression, kind=kind, stream=rejoined)


def _refuse_unread(head: bytes, name: str, compression: Compression) -> None:
    """Raise a UsageError naming the format when *head* is not text crawlcheck reads."""
    inside = f" ({compression}-compressed)" if compression is not Compression.NONE else ""
    for magic, what in _UNREAD:
        if head.startswith(magic):
            advice = "convert it to UTF-8" if "text" in what else "decompress or extract it first"
            raise UsageError(
                f"-i: '{name}'{inside} is {what}; crawlcheck reads text, CSV, JSON Lines "
                f"and Parquet, plain or gzip/zstd-compressed: {advice}"
            )
    nul = head.find(b"\x00")
    if nul >= 0:
        raise UsageError(
            f"-i: '{name}'{inside} is binary (a NUL byte at offset {nul}), not a URL list "
            "or a table crawlcheck reads"
        )


def _table_kind(head: bytes) -> InputKind:
    """Return the table kind the first non-blank line of *head* suggests."""
    first = head.removeprefix(b"\xef\xbb\xbf").lstrip().split(b"\n", 1)[0]
    if first.startswith(b"{"):
        return InputKind.JSONL
    if b"\t" in first:
        return InputKind.TSV
    return InputKind.CSV
