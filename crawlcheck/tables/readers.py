"""Read the rows of an input — a URL list, CSV/TSV, JSON Lines or Parquet — a chunk at a time.

Every read is bounded (docs/pipelines.md "Limits"): a line of a URL list is read
:data:`TEXT_LINE_BYTES` at most and the rest of a longer line skipped (the row is
malformed); a JSON line or a CSV record :data:`RECORD_BYTES` at most (a longer JSON line is
a malformed row, a longer CSV record an input error: its quoting cannot be trusted); Parquet
is read a batch of rows at a time, never whole. A row that holds no usable URL stays a
row: it is decided ``unknown`` with a ``url.malformed`` problem naming the line.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import repeat
from typing import Any, BinaryIO

from crawlcheck.decide.checker import LARGEST_SITE_WINDOW, MALFORMED
from crawlcheck.errors import UsageError
from crawlcheck.model import Problem
from crawlcheck.tables.sniff import READ_ERRORS, InputKind, Sniffed

__all__ = [
    "RECORD_BYTES",
    "TEXT_LINE_BYTES",
    "Chunk",
    "CsvReader",
    "JsonlReader",
    "ParquetReader",
    "Reader",
    "TextReader",
    "bounded_lines",
    "open_reader",
]

#: Bytes of one line of a URL list read at most (a URL is at most 8192 characters).
TEXT_LINE_BYTES = 64 * 1024
#: Bytes of one JSON line or CSV record (and characters of one CSV field) read at most.
RECORD_BYTES = 16 * 1024 * 1024
#: Bytes of input rows one chunk holds at most (wide rows make shorter chunks); a Parquet
#: batch aims at it from the file's row sizes.
CHUNK_BYTES = 64 * 1024 * 1024
_BOM = b"\xef\xbb\xbf"


def _limits(size: int | Iterator[int]) -> Iterator[int]:
    """Yield the row limit of each next chunk (Reader.chunks): sizes run out on the last."""
    last = size if isinstance(size, int) else 1
    if not isinstance(size, int):
        for last in size:
            yield last
    yield from repeat(last)


@dataclass(frozen=True, slots=True)
class Chunk:
    """Rows read together: what to decide for each, and the rows as the writers need them."""

    values: list[object]
    """Per row, the URL value to decide (str, or bytes where a line is not UTF-8)."""
    unreadable: dict[int, Problem]
    """Rows that hold no URL at all, and why (``url.malformed``)."""
    records: Any
    """The rows: text → list[str]; CSV → list[list[str]]; JSON Lines → list[dict | None]
    (None: the line could not be read); Parquet → a pyarrow RecordBatch."""
    lines: list[str] = field(default_factory=list)
    """JSON Lines only: each row's line as read (without its end of line), '' if unread."""


def bounded_lines(stream: BinaryIO, limit: int) -> Iterator[tuple[bytes, bool]]:
    """Yield (line, cut) for each line of *stream*, reading at most *limit* bytes of each.

    A longer line yields its first *limit* bytes with ``cut`` True; the rest is read in
    *limit*-sized pieces and dropped, so memory never holds more than *limit* bytes of it.
    """
    readline = stream.readline
    while line := readline(limit):
        if len(line) >= limit and not line.endswith(b"\n"):
            while (rest := readline(limit)) and not rest.endswith(b"\n"):
                pass
            yield line, True
        else:
            yield line, False


class Reader:
    """The rows of one input, a chunk at a time (subclasses: one per input kind)."""

    kind: InputKind
    column: str
    """The URL column's name (``url`` for a URL list)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.columns: tuple[str, ...] = ()
        """The input's columns, in order, once known (after the first chunk at the latest)."""
        self.notes: list[str] = []
        """Things the user should know once the run ends (one line each)."""

    def chunks(self, size: int | Iterator[int]) -> Iterator[Chunk]:
        """Yield the rows, *size* at most per chunk, in input order.

        *size* may be an iterator of sizes, one taken as each chunk starts (after the one
        before was consumed): :meth:`~crawlcheck.decide.checker.UrlChecker.window_sizes`.
        """
        raise NotImplementedError

    def dicts(self, chunk: Chunk) -> list[dict[str, Any] | None]:
        """Return each row as a mapping of column to value (None: the row could not be read)."""
        raise NotImplementedError

    def malformed(self, line: int, message: str, source: str = "") -> Problem:
        """Return the problem of a row without a usable URL, at *line* of the input."""
        where = f"{self.name}:{line}"
        return Problem(
            code=MALFORMED, message=f"line {line}: {message}", source=source or where, level="error"
        )

    def read_error(self, exc: BaseException) -> UsageError:
        """Return the exit-2 error of an input that stops being readable part way."""
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        return UsageError(f"-i: cannot read '{self.name}': {why or type(exc).__name__}")


# -- a URL list ---------------------------------------------------------------------------


class TextReader(Reader):
    """One URL a line; blank lines and ``#`` comments skipped (docs/check-and-filter.md)."""

    kind = InputKind.TEXT
    column = "url"

    def __init__(self, stream: BinaryIO, name: str) -> None:
        super().__init__(name)
        self.stream = stream
        self.columns = ("url",)

    def chunks(self, size: int | Iterator[int]) -> Iterator[Chunk]:
        limits = _limits(size)
        limit = next(limits)
        values: list[object] = []
        unreadable: dict[int, Problem] = {}
        texts: list[str] = []
        try:
            for number, (raw, cut) in enumerate(bounded_lines(self.stream, TEXT_LINE_BYTES), 1):
                line = raw.strip()
                if number == 1:
                    line = line.removeprefix(_BOM)
                if not line or line.startswith(b"#"):
                    continue
                if cut:
                    shown = line[:200].decode("utf-8", "backslashreplace")
                    unreadable[len(values)] = self.malformed(
                        number,
                        f"longer than {TEXT_LINE_BYTES} bytes (the rest of the line was skipped)",
                        shown,
                    )
                    values.append(None)
                    texts.append(shown)
                else:
                    try:
                        text = line.decode("utf-8")
                        values.append(text)
                    except UnicodeDecodeError:
                        # Decided as bytes: the checker names it "not UTF-8" in its place.
                        values.append(line)
                        text = line.decode("utf-8", "backslashreplace")
                    texts.append(text)
                if len(values) >= limit:
                    yield Chunk(values, unreadable, texts)
                    values, unreadable, texts, limit = [], {}, [], next(limits)
        except READ_ERRORS as exc:
            raise self.read_error(exc) from exc
        if values:
            yield Chunk(values, unreadable, texts)

    def dicts(self, chunk: Chunk) -> list[dict[str, Any] | None]:
        return [{"url": text} for text in chunk.records]


# -- CSV and TSV ----------------------------------------------------------------------------


def pick_column(columns: tuple[str, ...], wanted: str | None, name: str, what: str) -> str:
    """Return the URL column: *wanted*, else ``url``, else the one column named so in any case."""
    if wanted is not None:
        if wanted in columns:
            return wanted
        raise UsageError(f"--column: no {what} '{wanted}' in '{name}'; {_found(columns, what)}")
    if "url" in columns:
        return "url"
    folded = [c for c in columns if c.casefold() == "url"]
    if len(folded) == 1:
        return folded[0]
    raise UsageError(
        f"-i: no {what} 'url' in '{name}'; {_found(columns, what)}; name the URL {what} "
        "with --column"
    )


def _found(columns: tuple[str, ...], what: str) -> str:
    if not columns:
        return f"it has no {what}s"
    shown = ", ".join(repr(c) for c in columns[:20])
    more = f" and {len(columns) - 20} more" if len(columns) > 20 else ""
    return f"its {what}s: {shown}{more}"


class CsvReader(Reader):
    """A header row, then one record per row (RFC 4180 quoting; TSV: tab-separated)."""

    def __init__(self, stream: BinaryIO, name: str, kind: InputKind, column: str | None) -> None:
        super().__init__(name)
        self.kind = kind
        self.stream = stream
        # Fields longer than this are an error, not memory: set for this process's csv module.
        csv.field_size_limit(max(csv.field_size_limit(), RECORD_BYTES))
        self._line = 0
        self._record_bytes = 0
        self._undecodable = False
        dialect = "excel-tab" if kind is InputKind.TSV else "excel"
        self._records = csv.reader(self._text_lines(), dialect)
        header = self._next_record()
        self.columns = tuple(header or ())
        duplicates = sorted({c for c in self.columns if self.columns.count(c) > 1})
        if duplicates:
            raise UsageError(f"-i: the header of '{name}' names {duplicates[0]!r} twice")
        self.column = pick_column(self.columns, column, name, "column") if header else ""
        self._index = self.columns.index(self.column) if header else -1

    def _text_lines(self) -> Iterator[str]:
        for raw, cut in bounded_lines(self.stream, RECORD_BYTES):
            self._line += 1
            if cut:
                raise UsageError(
                    f"-i: line {self._line} of '{self.name}' is longer than {RECORD_BYTES} "
                    "bytes: not a CSV record crawlcheck reads"
                )
            self._record_bytes += len(raw)
            if self._record_bytes > RECORD_BYTES:
                raise UsageError(
                    f"-i: the record ending at line {self._line} of '{self.name}' is longer "
                    f"than {RECORD_BYTES} bytes (a quote left open?)"
                )
            if self._line == 1:
                raw = raw.removeprefix(_BOM)
            try:
                yield raw.decode("utf-8")
            except UnicodeDecodeError:
                self._undecodable = True
                yield raw.decode("utf-8", "backslashreplace")

    def _next_record(self) -> list[str] | None:
        self._record_bytes = 0
        self._undecodable = False
        try:
            while True:
                record = next(self._records, None)
                if record != []:  # a blank line is no record
                    return record
        except csv.Error as exc:
            raise UsageError(f"-i: '{self.name}' line {self._line}: {exc}") from exc
        except READ_ERRORS as exc:
            raise self.read_error(exc) from exc

    def chunks(self, size: int | Iterator[int]) -> Iterator[Chunk]:
        limits = _limits(size)
        limit = next(limits)
        width = len(self.columns)
        values: list[object] = []
        unreadable: dict[int, Problem] = {}
        records: list[list[str]] = []
        held = 0
        while (record := self._next_record()) is not None:
            row = len(values)
            held += self._record_bytes
            if len(record) > width:
                unreadable[row] = self.malformed(
                    self._line, f"{len(record)} fields where the header has {width}"
                )
                record = record[:width]
            elif self._undecodable:
                unreadable[row] = self.malformed(self._line, "not UTF-8")
            record += [""] * (width - len(record))
            values.append(record[self._index])
            records.append(record)
            if len(values) >= limit or held >= CHUNK_BYTES:
                yield Chunk(values, unreadable, records)
                values, unreadable, records, held, limit = [], {}, [], 0, next(limits)
        if values:
            yield Chunk(values, unreadable, records)

    def dicts(self, chunk: Chunk) -> list[dict[str, Any] | None]:
        columns = self.columns
        return [dict(zip(columns, record, strict=True)) for record in chunk.records]


# -- JSON Lines -----------------------------------------------------------------------------


def _lookup(record: dict[str, Any], column: str) -> tuple[bool, object]:
    """Return (found, value) of *column* in *record*: a key, else a dotted path of keys."""
    if column in record:
        return True, record[column]
    value: object = record
    for part in column.split("."):
        if not isinstance(value, dict) or part not in value:
            return False, None
        value = value[part]
    return True, value


class JsonlReader(Reader):
    """One JSON object per line; ``--column`` is a key or a dotted path (``metadata.url``)."""

    kind = InputKind.JSONL

    def __init__(self, stream: BinaryIO, name: str, column: str | None) -> None:
        super().__init__(name)
        self.stream = stream
        self._wanted = column
        self.column = column or "url"

    def _choose(self, first: dict[str, Any]) -> None:
        """Fix the columns and the URL column from the first object."""
        self.columns = tuple(first)
        if self._wanted is not None and _lookup(first, self._wanted)[0]:
            return
        try:
            self.column = pick_column(self.columns, self._wanted, self.name, "key")
        except UsageError as exc:
            nested = [f"{k}.url" for k, v in first.items() if isinstance(v, dict) and "url" in v]
            if nested and self._wanted is None:
                raise UsageError(f"{exc} (e.g. --column {nested[0]})") from exc
            raise

    def chunks(self, size: int | Iterator[int]) -> Iterator[Chunk]:
        limits = _limits(size)
        limit = next(limits)
        values: list[object] = []
        unreadable: dict[int, Problem] = {}
        records: list[dict[str, Any] | None] = []
        lines: list[str] = []
        chosen = False
        held = 0
        try:
            for number, (raw, cut) in enumerate(bounded_lines(self.stream, RECORD_BYTES), 1):
                line = raw.strip()
                if number == 1:
                    line = line.removeprefix(_BOM)
                if not line:
                    continue
                row = len(values)
                held += len(line)
                record, text, problem = self._read_line(number, line, cut)
                if record is not None and not chosen:
                    self._choose(record)
                    chosen = True
                value: object = None
                if record is not None and problem is None:
                    found, value = _lookup(record, self.column)
                    if not found:
                        problem = self.malformed(number, f"no {self.column!r}")
                    elif isinstance(value, str) and not _encodable(value):
                        problem = self.malformed(number, "the URL is not valid Unicode")
                if problem is not None:
                    unreadable[row] = problem
                values.append(value)
                records.append(record)
                lines.append(text)
                if len(values) >= limit or held >= CHUNK_BYTES:
                    yield Chunk(values, unreadable, records, lines)
                    values, unreadable, records, lines, held = [], {}, [], [], 0
                    limit = next(limits)
        except READ_ERRORS as exc:
            raise self.read_error(exc) from exc
        if values:
            yield Chunk(values, unreadable, records, lines)

    def _read_line(
        self, number: int, line: bytes, cut: bool
    ) -> tuple[dict[str, Any] | None, str, Problem | None]:
        if cut:
            message = f"longer than {RECORD_BYTES} bytes (the rest of the line was skipped)"
            return None, "", self.malformed(number, message)
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError:
            return None, "", self.malformed(number, "not UTF-8")
        try:
            record = json.loads(text)
        except RecursionError:
            return None, "", self.malformed(number, "JSON nested too deeply")
        except ValueError as exc:
            return None, "", self.malformed(number, f"not JSON ({exc})")
        if not isinstance(record, dict):
            return (
                None,
                "",
                self.malformed(number, f"a JSON {type(record).__name__}, not an object"),
            )
        return record, text, None

    def dicts(self, chunk: Chunk) -> list[dict[str, Any] | None]:
        return list(chunk.records)


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


# -- Parquet --------------------------------------------------------------------------------


class ParquetReader(Reader):
    """A Parquet file read a batch of rows at a time (never whole); ``--column`` may be a
    dotted path into a struct column."""

    kind = InputKind.PARQUET

    def __init__(self, path: str, name: str, column: str | None) -> None:
        super().__init__(name)
        from crawlcheck.tables.arrow import require_pyarrow

        pa, pq = require_pyarrow("reading Parquet")
        try:
            self.file = pq.ParquetFile(path)
        except (OSError, pa.ArrowException) as exc:
            raise UsageError(f"-i: '{name}' is not a readable Parquet file: {exc}") from exc
        schema = self.file.schema_arrow
        self.schema = schema
        self.columns = tuple(schema.names)
        self.column = column or "url"
        self._path: list[str] = []
        if column is not None and column not in self.columns and "." in column:
            self._path = column.split(".")
            if not _struct_path(schema, self._path):
                raise UsageError(
                    f"--column: no column or struct field '{column}' in '{name}'; "
                    f"{_found(self.columns, 'column')}"
                )
        else:
            self.column = pick_column(self.columns, column, name, "column")
            self._path = [self.column]
        kind = _struct_path(schema, self._path)
        if kind is None or not (
            pa.types.is_string(kind)
            or pa.types.is_large_string(kind)
            or pa.types.is_binary(kind)
            or pa.types.is_large_binary(kind)
            or (pa.types.is_dictionary(kind) and pa.types.is_string(kind.value_type))
            or str(kind) in ("string_view", "binary_view")
        ):
            raise UsageError(
                f"--column: '{self.column}' in '{name}' holds {kind}, not text: name the URL "
                "column with --column"
            )

    def batch_rows(self, size: int) -> int:
        """Return how many rows a batch holds: *size*, fewer when rows are wide."""
        metadata = self.file.metadata
        if metadata.num_row_groups == 0 or metadata.num_rows == 0:
            return size
        group = metadata.row_group(0)
        per_row = max(1, int(group.total_byte_size) // max(1, int(group.num_rows)))
        return max(1, min(size, CHUNK_BYTES // per_row))

    def chunks(self, size: int | Iterator[int]) -> Iterator[Chunk]:
        from crawlcheck.tables.arrow import require_pyarrow

        pa, _ = require_pyarrow("reading Parquet")
        import pyarrow.compute as pc

        limits = _limits(size)
        limit = self.batch_rows(next(limits))
        largest = self.batch_rows(size if isinstance(size, int) else LARGEST_SITE_WINDOW)
        try:
            # Read in large batches, each cut (without a copy) into chunks of the sizes asked.
            for batch in self.file.iter_batches(batch_size=largest):
                start = 0
                while start < batch.num_rows:
                    piece = batch.slice(start, limit)
                    start += piece.num_rows
                    column = piece.column(self._path[0])
                    if len(self._path) > 1:
                        column = pc.struct_field(column, self._path[1:])
                    yield Chunk(column.to_pylist(), {}, piece)
                    limit = self.batch_rows(next(limits))
        except (OSError, pa.ArrowException) as exc:
            raise self.read_error(exc) from exc

    def dicts(self, chunk: Chunk) -> list[dict[str, Any] | None]:
        rows: list[dict[str, Any] | None] = chunk.records.to_pylist()
        return rows


def _struct_path(schema: Any, path: list[str]) -> Any:
    """Return the Arrow type at *path* (a column, then struct fields), or None."""
    import pyarrow as pa

    if schema.get_field_index(path[0]) < 0:
        return None
    kind = schema.field(path[0]).type
    for part in path[1:]:
        if not pa.types.is_struct(kind) or kind.get_field_index(part) < 0:
            return None
        kind = kind.field(part).type
    return kind


def open_reader(sniffed: Sniffed, name: str, path: str | None, column: str | None) -> Reader:
    """Return the reader of *sniffed*'s kind (*path*: the file, for Parquet)."""
    if sniffed.kind is InputKind.PARQUET:
        assert path is not None
        return ParquetReader(path, name, column)
    if sniffed.kind is InputKind.JSONL:
        return JsonlReader(sniffed.stream, name, column)
    if sniffed.kind in (InputKind.CSV, InputKind.TSV):
        return CsvReader(sniffed.stream, name, sniffed.kind, column)
    if column is not None:
        raise UsageError(
            f"--column: '{name}' is a URL list (one per line), not a table; --column applies "
            "to CSV, TSV, JSON Lines and Parquet"
        )
    return TextReader(sniffed.stream, name)
