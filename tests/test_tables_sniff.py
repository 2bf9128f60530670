"""What an input is, from its bytes then its name; bounded line reading (crawlcheck.tables)."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import tracemalloc
import zipfile
from collections.abc import Iterator

import pytest

from crawlcheck.errors import UsageError
from crawlcheck.tables.readers import TEXT_LINE_BYTES, TextReader, bounded_lines
from crawlcheck.tables.sniff import Compression, InputKind, sniff, zstd


def _gzip(data: bytes) -> bytes:
    """gzip with no timestamp: test ids are equal in every process (pytest-xdist)."""
    return gzip.compress(data, mtime=0)


URLS = b"https://a.example/1\nhttps://b.example/2\n"


def _sniff(data: bytes, name: str = "<stdin>", *, table: bool = False, seekable: bool = False):
    return sniff(io.BytesIO(data), name, seekable=seekable, table=table)


def _zip(data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("urls.txt", data)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "compression"),
    [
        (URLS, Compression.NONE),
        (_gzip(URLS), Compression.GZIP),
        (_gzip(URLS[:20]) + _gzip(URLS[20:]), Compression.GZIP),  # members
        (zstd.compress(URLS), Compression.ZSTD),
    ],
)
def test_content_decides_the_compression_whatever_the_name(
    data: bytes, compression: Compression
) -> None:
    for name in ("urls.txt", "urls", "<stdin>", "urls.txt.gz"):
        found = _sniff(data, name)
        assert (found.compression, found.kind) == (compression, InputKind.TEXT)
        assert found.stream.read() == URLS


@pytest.mark.parametrize(
    ("data", "named"),
    [
        (bz2.compress(URLS), "bzip2-compressed"),
        (lzma.compress(URLS), "xz-compressed"),
        (_zip(URLS), "a zip archive"),
        (URLS.decode().encode("utf-16"), "UTF-16 text"),
        (b"https://a.example/\x00\x01\x02", "binary (a NUL byte at offset 18)"),
        (_gzip(bz2.compress(URLS)), "(gzip-compressed) is bzip2-compressed"),
        (_gzip(_gzip(URLS)), "compressed twice"),
        (_gzip(b"PAR1...."), "gzip-compressed Parquet"),
    ],
)
def test_formats_not_read_are_named_never_read_as_zero_urls(data: bytes, named: str) -> None:
    with pytest.raises(UsageError, match=r"-i: 'urls\.txt'") as caught:
        _sniff(data, "urls.txt")
    assert named in str(caught.value)
    assert "\n" not in str(caught.value)


def test_parquet_is_known_by_its_magic_and_needs_a_file() -> None:
    assert _sniff(b"PAR1rest", "data.bin", seekable=True).kind is InputKind.PARQUET
    with pytest.raises(UsageError, match="read from its footer: give a file"):
        _sniff(b"PAR1rest", "<stdin>")
    with pytest.raises(UsageError, match="is not a Parquet file"):
        _sniff(URLS, "urls.parquet", seekable=True)


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("t.csv", InputKind.CSV),
        ("t.CSV.gz", InputKind.CSV),
        ("t.tsv", InputKind.TSV),
        ("t.jsonl.zst", InputKind.JSONL),
        ("t.ndjson", InputKind.JSONL),
        ("t.txt", InputKind.TEXT),
    ],
)
def test_extension_names_the_table_kind(name: str, kind: InputKind) -> None:
    assert _sniff(b"url\nhttps://a.example/\n", name).kind is kind


@pytest.mark.parametrize(
    ("first", "kind"),
    [
        (b'{"url": "https://a.example/"}\n', InputKind.JSONL),
        (b"\xef\xbb\xbf  url\tid\n", InputKind.TSV),
        (b"id,url\n", InputKind.CSV),
    ],
)
def test_a_table_without_extension_is_read_from_its_first_line(
    first: bytes, kind: InputKind
) -> None:
    assert _sniff(first, "<stdin>", table=True).kind is kind
    assert _sniff(first, "<stdin>", table=False).kind is InputKind.TEXT


def test_a_json_array_is_not_json_lines() -> None:
    with pytest.raises(UsageError, match="a JSON array, not JSON Lines"):
        _sniff(b'[{"url": "https://a.example/"}]', "urls.json")


class _Huge(io.RawIOBase):
    """A stream of *size* bytes of one line, then a URL line: generated, never held."""

    def __init__(self, size: int) -> None:
        self.left = size
        self.tail = b"\nhttps://a.example/after\n"

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        if self.left:
            count = min(len(buffer), self.left)
            buffer[:count] = b"h" * count
            self.left -= count
            return count
        count = min(len(buffer), len(self.tail))
        buffer[:count], self.tail = self.tail[:count], self.tail[count:]
        return count


def test_an_over_long_line_is_cut_skipped_and_never_held() -> None:
    stream = io.BufferedReader(_Huge(64 * 1024 * 1024))
    tracemalloc.start()
    lines = list(bounded_lines(stream, TEXT_LINE_BYTES))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert [(len(line), cut) for line, cut in lines] == [
        (TEXT_LINE_BYTES, True),
        (len(b"https://a.example/after\n"), False),
    ]
    assert peak < 8 * TEXT_LINE_BYTES  # a 64 MiB line, read 64 KiB at a time


def test_text_rows_skip_blanks_comments_and_bom_and_mark_long_lines() -> None:
    data = b"\xef\xbb\xbfhttps://a.example/1\n\n# note\n  https://b.example/\xff  \r\n"
    data += b"https://c.example/" + b"x" * TEXT_LINE_BYTES + b"\nhttps://d.example/\n"
    reader = TextReader(io.BufferedReader(io.BytesIO(data)), "urls.txt")
    chunks: Iterator = reader.chunks(3)
    first, second = list(chunks)
    assert first.values == ["https://a.example/1", b"https://b.example/\xff", None]
    assert first.records[1] == "https://b.example/\\xff"
    problem = first.unreadable[2]
    assert (problem.code, problem.level) == ("url.malformed", "error")
    assert (
        problem.message
        == f"line 5: longer than {TEXT_LINE_BYTES} bytes (the rest of the line was skipped)"
    )
    assert second.values == ["https://d.example/"]


def test_each_chunk_takes_the_next_size_when_it_starts() -> None:
    """Reader.chunks with an iterator of sizes (UrlChecker.window_sizes): asked lazily."""
    data = b"".join(f"https://a.example/{n}\n".encode() for n in range(7))
    reader = TextReader(io.BufferedReader(io.BytesIO(data)), "urls.txt")
    asked: list[int] = []

    def sizes() -> Iterator[int]:
        for size in (1, 2, 3, 3):
            asked.append(size)
            yield size

    chunks = reader.chunks(sizes())
    assert len(next(chunks).values) == 1
    assert asked == [1]  # the next size is taken when the next chunk is asked for
    assert [len(chunk.values) for chunk in chunks] == [2, 3, 1]
    assert asked == [1, 2, 3, 3]
