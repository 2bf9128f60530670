"""Write decided rows as text, JSON Lines, CSV or Parquet, in input order.

``text`` writes the kept URLs, one a line (never a malformed one). The table formats write
every row — or, with ``only_kept``, the rows whose decision is kept — with every input
column and the added ones (:data:`~crawlcheck.tables.columns.ADDED_COLUMNS`): in JSON Lines
and Parquet ``reasons`` and ``problems`` are structured (lists of objects / of structs), in
CSV they are JSON text. Each distinct outcome is serialised once per chunk and repeated.
Parquet is written to a temporary file beside the target and renamed when complete, so a
run that stops leaves no half-written Parquet file under the target's name.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import tempfile
from collections.abc import Callable
from typing import IO, Any

from crawlcheck.decide.checker import MALFORMED
from crawlcheck.errors import UsageError
from crawlcheck.model import UrlDecision
from crawlcheck.tables.batch import Decided
from crawlcheck.tables.columns import ADDED_COLUMNS, added_json, added_values, refuse_collisions
from crawlcheck.tables.readers import Chunk, Reader
from crawlcheck.tables.sniff import InputKind

__all__ = ["FORMATS", "OUTPUT_ROW_GROUP_BYTES", "Writer", "is_malformed", "open_writer"]

#: Output formats of ``filter``.
FORMATS: tuple[str, ...] = ("text", "jsonl", "csv", "parquet")
#: Parquet output: rows are gathered into row groups of about this many bytes.
OUTPUT_ROW_GROUP_BYTES = 64 * 1024 * 1024


def is_malformed(decision: UrlDecision) -> str:
    """Return the ``url.malformed`` message of *decision* ('' when the URL was usable)."""
    for problem in decision.problems:
        if problem.code == MALFORMED:
            return problem.message
    return ""


class Writer:
    """Writes chunks of decided rows; :meth:`close` finishes the output."""

    def __init__(self, reader: Reader, keep: frozenset[str], only_kept: bool) -> None:
        self.reader = reader
        self.keep = keep
        self.only_kept = only_kept

    def wanted(self, decided: Decided) -> Callable[[int], bool]:
        """Return whether a row is written, by its outcome (every row, unless only_kept)."""
        if not self.only_kept:
            return lambda row: True
        kept = [o.decision in self.keep and not is_malformed(o) for o in decided.outcomes]
        rows = decided.rows
        return lambda row: kept[rows[row]]

    def write(self, chunk: Chunk, decided: Decided) -> None:
        """Write one chunk of rows with their decisions."""
        raise NotImplementedError

    def close(self) -> None:
        """Finish the output (flush; for Parquet, write the footer and rename)."""

    def abort(self) -> None:
        """Drop an unfinished output (Parquet: remove the temporary file); no-op once closed."""


class TextWriter(Writer):
    """The kept URLs, one a line, exactly as read."""

    def __init__(self, out: IO[str], reader: Reader, keep: frozenset[str]) -> None:
        super().__init__(reader, keep, only_kept=True)
        self.out = out

    def write(self, chunk: Chunk, decided: Decided) -> None:
        wanted = self.wanted(decided)
        urls = decided.urls
        self.out.writelines(urls[row] + "\n" for row in range(len(decided)) if wanted(row))
        self.out.flush()


class JsonlWriter(Writer):
    """One JSON object a line: the input row's members, then the added ones."""

    def __init__(self, out: IO[str], reader: Reader, keep: frozenset[str], only_kept: bool) -> None:
        super().__init__(reader, keep, only_kept)
        self.out = out

    def write(self, chunk: Chunk, decided: Decided) -> None:
        wanted = self.wanted(decided)
        added = [added_json(o) for o in decided.outcomes]
        rows = decided.rows
        kind = self.reader.kind
        lines: list[str] = []
        if kind is InputKind.TEXT:
            # Byte for byte decision_to_dict's JSON: "url" first, then the added members.
            for row, url in enumerate(chunk.records):
                if wanted(row):
                    lines.append(f'{{"url": {json.dumps(url, ensure_ascii=False)}, ')
                    lines.append(added[rows[row]] + "}\n")
        elif kind is InputKind.JSONL:
            # The input line as read, its closing brace replaced by the added members.
            for row, (record, line) in enumerate(zip(chunk.records, chunk.lines, strict=True)):
                if not wanted(row):
                    continue
                if record is None:
                    lines.append("{" + added[rows[row]] + "}\n")
                    continue
                if any(name in record for name in ADDED_COLUMNS):
                    refuse_collisions(tuple(record), self.reader.name)
                body = line.rstrip()[:-1].rstrip()
                lines.append(body + (", " if record else "") + added[rows[row]] + "}\n")
        else:
            for row, record in enumerate(self.reader.dicts(chunk)):
                if not wanted(row):
                    continue
                head = json.dumps(record or {}, ensure_ascii=False, default=_json_default)
                lines.append(head[:-1] + (", " if record else "") + added[rows[row]] + "}\n")
        self.out.writelines(lines)
        self.out.flush()


def _json_default(value: object) -> object:
    """Return a JSON form of a Parquet value json does not know (bytes, dates, decimals)."""
    if isinstance(value, bytes):
        return value.decode("utf-8", "backslashreplace")
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _cell(value: object) -> str:
    """Return a CSV cell: text as is, None empty, anything else as JSON."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    return json.dumps(value, ensure_ascii=False, default=_json_default)


class CsvWriter(Writer):
    """A header row, then each row's cells and the added ones (reasons as JSON text)."""

    def __init__(self, out: IO[str], reader: Reader, keep: frozenset[str], only_kept: bool) -> None:
        super().__init__(reader, keep, only_kept)
        self.out = out
        self.csv = csv.writer(out, lineterminator="\n")
        self.header: tuple[str, ...] | None = None
        self.dropped: set[str] = set()

    def _start(self) -> tuple[str, ...]:
        if self.header is None:
            self.header = self.reader.columns
            refuse_collisions(self.header, self.reader.name)
            self.csv.writerow([*self.header, *ADDED_COLUMNS])
        return self.header

    def write(self, chunk: Chunk, decided: Decided) -> None:
        wanted = self.wanted(decided)
        header = self._start()
        added = []
        for outcome in decided.outcomes:
            values = added_values(outcome)
            added.append([_cell(values[name]) for name in ADDED_COLUMNS])
        rows = decided.rows
        if self.reader.kind in (InputKind.CSV, InputKind.TSV):
            cells: list[list[str]] = chunk.records
        else:
            cells = []
            for record in self.reader.dicts(chunk):
                record = record or {}
                self.dropped.update(k for k in record if k not in header)
                cells.append([_cell(record.get(name)) for name in header])
        self.csv.writerows(
            [*cells[row], *added[rows[row]]] for row in range(len(decided)) if wanted(row)
        )
        self.out.flush()

    def close(self) -> None:
        self._start()  # an input without rows still gets its header
        self.out.flush()
        if self.dropped:
            shown = ", ".join(repr(k) for k in sorted(self.dropped)[:10])
            self.reader.notes.append(
                f"keys not in the first row are not in the CSV: {shown} (--format jsonl keeps them)"
            )


class ParquetWriter(Writer):
    """A Parquet file: the input's columns (Parquet: as they were), then the added ones."""

    def __init__(self, path: str, reader: Reader, keep: frozenset[str], only_kept: bool) -> None:
        super().__init__(reader, keep, only_kept)
        from crawlcheck.tables.arrow import ArrowConverter, require_pyarrow

        self.pa, self.pq = require_pyarrow("writing Parquet")
        self.converter = ArrowConverter()
        self.path = path
        directory = os.path.dirname(os.path.abspath(path))
        try:
            handle, self.partial = tempfile.mkstemp(
                prefix=f".{os.path.basename(path)}.", suffix=".partial", dir=directory
            )
        except OSError as exc:
            raise UsageError(f"-o: cannot write '{path}': {exc.strerror or exc}") from exc
        os.close(handle)
        self.writer: Any = None
        self.finished = False
        self.schema: Any = None
        self.input_schema: Any = None
        self.pending: list[Any] = []
        self.pending_bytes = 0
        self.dropped: set[str] = set()

    def _input_schema(self, chunk: Chunk) -> Any:
        pa = self.pa
        if self.reader.kind is InputKind.PARQUET:
            return chunk.records.schema
        if self.reader.kind is InputKind.JSONL:
            rows = [r for r in self.reader.dicts(chunk) if r is not None]
            inferred = pa.RecordBatch.from_pylist(rows).schema if rows else pa.schema([])
            # A key null in every first row is text until a value says otherwise.
            return pa.schema(
                [
                    f.with_type(pa.string()) if pa.types.is_null(f.type) else f
                    for f in inferred
                    if f.name in self.reader.columns
                ]
            )
        return pa.schema([(name, pa.string()) for name in self.reader.columns])

    def write(self, chunk: Chunk, decided: Decided) -> None:
        pa = self.pa
        from crawlcheck.tables.arrow import decision_schema

        if self.schema is None:
            self.input_schema = self._input_schema(chunk)
            refuse_collisions(tuple(self.input_schema.names), self.reader.name)
            self.schema = pa.schema([*self.input_schema, *decision_schema()])
            self.writer = self.pq.ParquetWriter(self.partial, self.schema)
        columns = self._input_columns(chunk)
        added = self.converter.arrays(decided)
        batch = pa.RecordBatch.from_arrays([*columns, *added], schema=self.schema)
        if self.only_kept:
            wanted = self.wanted(decided)
            batch = batch.filter(pa.array([wanted(row) for row in range(len(decided))]))
        self.pending.append(batch)
        self.pending_bytes += batch.nbytes
        if self.pending_bytes >= OUTPUT_ROW_GROUP_BYTES:
            self._flush()

    def _input_columns(self, chunk: Chunk) -> list[Any]:
        pa = self.pa
        if self.reader.kind is InputKind.PARQUET:
            return list(chunk.records.columns)
        schema = self.input_schema
        if self.reader.kind in (InputKind.CSV, InputKind.TSV):
            return [
                pa.array([record[i] for record in chunk.records], pa.string())
                for i in range(len(schema))
            ]
        rows = self.reader.dicts(chunk)
        for record in rows:
            if record:
                self.dropped.update(k for k in record if k not in schema.names)
        try:
            table = pa.Table.from_pylist([r or {} for r in rows], schema=schema)
        except (pa.ArrowException, TypeError, ValueError, OverflowError) as exc:
            raise UsageError(
                f"-i: rows of '{self.reader.name}' do not fit the columns the first rows "
                f"set ({exc}); convert it first, or use --format jsonl"
            ) from exc
        return [column.combine_chunks() for column in table.columns]

    def _flush(self) -> None:
        if self.pending:
            self.writer.write_table(self.pa.Table.from_batches(self.pending, schema=self.schema))
        self.pending, self.pending_bytes = [], 0

    def close(self) -> None:
        if self.writer is None:  # no row at all: still a valid file with the columns known
            pa = self.pa
            columns = [(name, pa.string()) for name in self.reader.columns]
            if self.reader.kind is InputKind.PARQUET:
                columns = list(getattr(self.reader, "schema", pa.schema(columns)))
            from crawlcheck.tables.arrow import decision_schema

            self.schema = pa.schema([*columns, *decision_schema()])
            self.writer = self.pq.ParquetWriter(self.partial, self.schema)
        self._flush()
        self.writer.close()
        os.replace(self.partial, self.path)
        self.finished = True
        if self.dropped:
            shown = ", ".join(repr(k) for k in sorted(self.dropped)[:10])
            self.reader.notes.append(
                f"keys not in the first rows are not in the Parquet file: {shown} "
                "(--format jsonl keeps them)"
            )

    def abort(self) -> None:
        if self.finished:
            return
        if self.writer is not None:
            # An unfinished file is removed, whatever closing it says.
            with contextlib.suppress(Exception):
                self.writer.close()
        with contextlib.suppress(OSError):
            os.unlink(self.partial)


def open_writer(
    fmt: str,
    out: IO[str] | None,
    path: str | None,
    reader: Reader,
    keep: frozenset[str],
    only_kept: bool,
) -> Writer:
    """Return the writer of *fmt*: to *out* (a text stream), or for Parquet to *path*."""
    if fmt == "parquet":
        if path is None:
            raise UsageError("--format parquet needs -o PATH (Parquet is not written to a pipe)")
        return ParquetWriter(path, reader, keep, only_kept)
    assert out is not None
    if fmt == "jsonl":
        return JsonlWriter(out, reader, keep, only_kept)
    if fmt == "csv":
        return CsvWriter(out, reader, keep, only_kept)
    return TextWriter(out, reader, keep)
