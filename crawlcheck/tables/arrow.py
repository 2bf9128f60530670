"""The Arrow batch API: decide a whole column of URLs in one call, and get Arrow back.

::

    import pyarrow.parquet as pq
    from crawlcheck.tables import annotate_table, decide_column

    table = pq.read_table("urls.parquet")
    decided = decide_column(table["url"], agent="GPTBot")   # decision, reasons, … per row
    annotated = annotate_table(table)                       # the table plus those columns

A column is a pyarrow ``Array``/``ChunkedArray``, a pandas or polars ``Series``, or any
iterable of strings; a table is a pyarrow ``Table``/``RecordBatch`` or a pandas/polars
``DataFrame``. Rows are decided a window at a time (:mod:`crawlcheck.tables.batch`: grouped
by origin, one plan per origin, shared outcomes) and every result is Arrow: ``decision``
dictionary-encoded, ``reasons`` and ``problems`` as lists of structs, ``purpose`` and
``agent`` as strings (:func:`decision_schema`). pyarrow is the ``arrow`` extra.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from types import ModuleType
from typing import Any, TypeVar, Unpack

from crawlcheck.decide.checker import PAGE_WINDOW, CheckerOptions, UrlChecker
from crawlcheck.errors import UsageError
from crawlcheck.model import PURPOSES, UrlVerdict
from crawlcheck.report.document import finding_to_dict, problem_to_dict
from crawlcheck.tables.batch import Decided, decide_rows
from crawlcheck.tables.columns import ADDED_COLUMNS, refuse_collisions
from crawlcheck.tables.readers import pick_column

__all__ = [
    "annotate_batches",
    "annotate_table",
    "decide_column",
    "decision_arrays",
    "decision_schema",
    "open_checker",
    "require_pyarrow",
]

T = TypeVar("T")
#: Rows decided together by the batch API (without pages): more rows per origin share more
#: outcomes; memory holds this many values and decisions at a time.
BATCH_ROWS = 100_000
#: The optional dependency set that brings pyarrow.
EXTRA = "arrow"
_VERDICTS = tuple(UrlVerdict)


def require_pyarrow(what: str = "the Arrow batch API") -> tuple[ModuleType, ModuleType]:
    """Return (pyarrow, pyarrow.parquet), or raise a UsageError naming the extra."""
    try:
        import pyarrow
        import pyarrow.parquet
    except ImportError as exc:
        raise UsageError(f"{what} needs pyarrow: install crawlcheck[{EXTRA}]") from exc
    return pyarrow, pyarrow.parquet


def _list(item: Any) -> Any:
    """Return a list type whose items are named as Parquet names them (``element``)."""
    pa, _ = require_pyarrow()
    return pa.list_(pa.field("element", item))


def _types() -> tuple[Any, Any]:
    """Return the Arrow types of one reason and one problem (the report's JSON objects)."""
    pa, _ = require_pyarrow()
    text = pa.string()
    texts = _list(text)
    reason = pa.struct(
        [
            ("signal", text),
            ("source", text),
            ("effect", text),
            ("purposes", texts),
            ("agents", texts),
            ("scope", text),
            ("evidence", text),
            ("line", pa.int64()),
            ("key", text),
            ("value", text),
        ]
    )
    problem = pa.struct(
        [
            ("code", text),
            ("message", text),
            ("source", text),
            ("line", pa.int64()),
            ("level", text),
            ("signal", text),
        ]
    )
    return reason, problem


def decision_schema() -> Any:
    """Return the pyarrow schema of the columns a decision adds (:data:`ADDED_COLUMNS`)."""
    pa, _ = require_pyarrow()
    reason, problem = _types()
    fields = {
        "decision": pa.dictionary(pa.int8(), pa.string()),
        "reasons": _list(reason),
        "purpose": pa.string(),
        "agent": pa.string(),
        "problems": _list(problem),
    }
    return pa.schema([(name, fields[name]) for name in ADDED_COLUMNS])


class ArrowConverter:
    """Turns outcomes into Arrow columns, converting each finding and problem once per run.

    Owned by one run (a ``decide_column`` call, an ``annotate_batches`` reader, a Parquet
    writer) and dropped with it. Plans memoise their findings, so the findings of one rule
    are one object: an object's values are remembered by its identity, and the converter
    holds every object it remembers, so no id is reused while it is remembered. Past
    :data:`REMEMBERED` objects it starts afresh.
    """

    #: Objects whose values are remembered at most (findings and problems).
    REMEMBERED = 200_000

    def __init__(self) -> None:
        self._rows: dict[int, tuple[object, tuple[Any, ...]]] = {}

    def row(
        self, element: T, to_dict: Callable[[T], dict[str, Any]], names: tuple[str, ...]
    ) -> tuple[Any, ...]:
        """Return *element*'s values in the order of *names* (``to_dict``'s keys)."""
        hit = self._rows.get(id(element))
        if hit is not None and hit[0] is element:
            return hit[1]
        if len(self._rows) >= self.REMEMBERED:
            self._rows.clear()
        data = to_dict(element)
        values = tuple(data.get(name) for name in names)
        self._rows[id(element)] = (element, values)
        return values

    def arrays(self, decided: Decided) -> list[Any]:
        """Return the added columns of *decided*, in :data:`ADDED_COLUMNS` order.

        Each distinct finding and problem of the batch becomes one struct, each outcome's
        list is offsets into them, and rows take their outcome's by index (Arrow ``take``).
        """
        pa, _ = require_pyarrow()
        reason, problem = _types()
        outcomes = decided.outcomes
        rows = pa.array(decided.rows, type=pa.int32())
        codes = pa.array([_VERDICTS.index(o.decision) for o in outcomes], type=pa.int8())
        decision = pa.DictionaryArray.from_arrays(
            codes.take(rows), pa.array([str(v) for v in _VERDICTS])
        )
        reasons = self._lists([o.reasons for o in outcomes], finding_to_dict, reason)
        problems = self._lists([o.problems for o in outcomes], problem_to_dict, problem)
        count = len(decided)
        arrays = {
            "decision": decision,
            "reasons": reasons.take(rows),
            "purpose": pa.repeat(pa.scalar(decided.purpose, pa.string()), count),
            "agent": pa.repeat(pa.scalar(decided.agent, pa.string()), count),
            "problems": problems.take(rows),
        }
        return [arrays[name] for name in ADDED_COLUMNS]

    def _lists(
        self, groups: list[tuple[T, ...]], to_dict: Callable[[T], dict[str, Any]], item: Any
    ) -> Any:
        """Return a list<struct> array, one list per group, built column by column."""
        pa, _ = require_pyarrow()
        names = tuple(item.names) if hasattr(item, "names") else tuple(f.name for f in item)
        index: dict[int, int] = {}
        distinct: list[tuple[Any, ...]] = []
        positions: list[int] = []
        offsets = [0]
        for group in groups:
            for element in group:
                at = index.get(id(element))
                if at is None:
                    at = index[id(element)] = len(distinct)
                    distinct.append(self.row(element, to_dict, names))
                positions.append(at)
            offsets.append(len(positions))
        fields = [item.field(i) for i in range(item.num_fields)]
        columns = list(zip(*distinct, strict=True)) if distinct else [() for _ in fields]
        structs = pa.StructArray.from_arrays(
            [pa.array(list(c), type=f.type) for c, f in zip(columns, fields, strict=True)],
            fields=fields,
        )
        values = structs.take(pa.array(positions, type=pa.int32()))
        return pa.ListArray.from_arrays(
            pa.array(offsets, type=pa.int32()), values, type=_list(item)
        )


def decision_arrays(decided: Decided, converter: ArrowConverter | None = None) -> list[Any]:
    """Return the added columns of *decided* as pyarrow arrays, in :data:`ADDED_COLUMNS` order
    (*converter*: one kept for a whole run, so each finding is converted once)."""
    return (converter or ArrowConverter()).arrays(decided)


@contextlib.contextmanager
def open_checker(
    agent: str | None,
    purpose: str | None,
    origins: UrlChecker | None,
    settings: CheckerOptions,
) -> Iterator[UrlChecker]:
    """Yield the checker that decides: *origins* as given, else one opened for the call.

    *origins* is whatever knows each origin's site-level files: today an open
    :class:`~crawlcheck.decide.checker.UrlChecker` (its cache, or its snapshot), which
    then also fixes the agent and purpose.
    """
    if origins is None:
        with UrlChecker(agent, purpose or "ai-train", **settings) as checker:
            yield checker
        return
    if settings:
        raise UsageError(
            f"origins= is an open checker: {', '.join(sorted(settings))} apply only when "
            "crawlcheck opens one"
        )
    if (agent is not None and agent != origins.agent) or (
        purpose is not None and purpose != origins.purpose
    ):
        raise UsageError(
            f"origins= decides for agent {origins.agent!r} and purpose {origins.purpose!r}; "
            f"agent={agent!r}, purpose={purpose!r} asked for another question"
        )
    yield origins


def _python_chunks(urls: object, size: int) -> Iterator[list[object]]:
    """Yield the values of a column as Python lists of *size* at most."""
    module = type(urls).__module__.split(".")[0]
    if module == "pyarrow" and hasattr(urls, "to_pylist"):
        if hasattr(urls, "column_names"):
            raise UsageError("decide_column takes a column (table['url']); use annotate_table")
        chunks: list[Any] = getattr(urls, "chunks", None) or [urls]
        for chunk in chunks:
            for offset in range(0, len(chunk), size):
                yield chunk.slice(offset, size).to_pylist()
        return
    if module == "polars" and hasattr(urls, "to_arrow"):
        yield from _python_chunks(urls.to_arrow(), size)
        return
    if module == "pandas" and hasattr(urls, "columns"):
        raise UsageError("decide_column takes a column (df['url']); use annotate_table")
    if module == "pandas" and hasattr(urls, "iloc"):
        pa, _ = require_pyarrow()
        try:
            # Missing values (None, NaN, pd.NA) become nulls, read as "missing (null)".
            arrow = pa.Array.from_pandas(urls)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            arrow = None  # mixed types: read value by value below
        if arrow is not None:
            yield from _python_chunks(arrow, size)
            return
    if isinstance(urls, str | bytes):
        raise UsageError("decide_column takes a column of URLs, not one URL: use check_url")
    if not isinstance(urls, Iterable):
        raise UsageError(f"decide_column takes a column of URLs, not {type(urls).__name__}")
    iterator = iter(urls)
    while batch := list(islice(iterator, size)):
        yield batch


def decide_column(
    urls: object,
    agent: str | None = None,
    purpose: str | None = None,
    *,
    origins: UrlChecker | None = None,
    **settings: Unpack[CheckerOptions],
) -> Any:
    """Return a pyarrow Table with the decision of each URL of *urls*, row for row.

    Columns: :data:`~crawlcheck.tables.columns.ADDED_COLUMNS` (:func:`decision_schema`).
    *purpose* defaults to ``ai-train``; *settings* are :class:`UrlChecker`'s (``cache``,
    ``options``, ``ruleset``, ``pages``); *origins* is an open checker to use instead.
    A value that is not a usable URL (null, another type, malformed) is ``unknown`` with a
    ``url.malformed`` problem; nothing raises for the data.
    """
    pa, _ = require_pyarrow()
    if purpose is not None and purpose not in PURPOSES:
        raise UsageError(f"unknown purpose {purpose!r}; expected one of {', '.join(PURPOSES)}")
    schema = decision_schema()
    converter = ArrowConverter()
    with open_checker(agent, purpose, origins, settings) as checker:
        size = PAGE_WINDOW if checker.fetches_urls else BATCH_ROWS
        parts: list[list[Any]] = [[] for _ in ADDED_COLUMNS]
        for values in _python_chunks(urls, size):
            decided = decide_rows(checker, values)
            for part, array in zip(parts, converter.arrays(decided), strict=True):
                part.append(array)
    columns = [
        pa.chunked_array(part, type=field.type) for part, field in zip(parts, schema, strict=True)
    ]
    return pa.Table.from_arrays(columns, schema=schema)


def _as_arrow_table(table: object) -> Any:
    pa, _ = require_pyarrow()
    module = type(table).__module__.split(".")[0]
    if isinstance(table, pa.Table):
        return table
    if isinstance(table, pa.RecordBatch):
        return pa.Table.from_batches([table])
    if isinstance(table, pa.RecordBatchReader):
        return table.read_all()
    if module == "polars" and hasattr(table, "to_arrow"):
        return table.to_arrow()
    if module == "pandas" and hasattr(table, "columns"):
        return pa.Table.from_pandas(table, preserve_index=False)
    raise UsageError(f"annotate_table takes a table, not {type(table).__name__}")


def annotate_table(
    table: object,
    column: str | None = None,
    agent: str | None = None,
    purpose: str | None = None,
    *,
    origins: UrlChecker | None = None,
    **settings: Unpack[CheckerOptions],
) -> Any:
    """Return *table* as a pyarrow Table with the decision columns added after its own.

    *column* names the URL column (default ``url``, or the one column named so in any
    case); the other arguments are :func:`decide_column`'s.
    """
    arrow = _as_arrow_table(table)
    names = tuple(arrow.column_names)
    chosen = pick_column(names, column, "the table", "column")
    refuse_collisions(names, "the table")
    decided = decide_column(arrow[chosen], agent, purpose, origins=origins, **settings)
    for field in decided.schema:
        arrow = arrow.append_column(field, decided[field.name])
    return arrow


def annotate_batches(
    batches: object,
    column: str | None = None,
    agent: str | None = None,
    purpose: str | None = None,
    *,
    origins: UrlChecker | None = None,
    **settings: Unpack[CheckerOptions],
) -> Any:
    """Return a pyarrow RecordBatchReader of *batches* with the decision columns added.

    Streaming: *batches* (a RecordBatchReader, a Table, or any iterable of RecordBatches,
    such as ``ParquetFile.iter_batches()``) is read one batch at a time as the result is,
    with one checker for all of them (opened on the first batch, closed after the last,
    unless *origins* is given). The other arguments are :func:`annotate_table`'s.
    """
    pa, _ = require_pyarrow()
    if isinstance(batches, pa.Table):
        batches = batches.to_batches()
    iterator = iter(batches)  # type: ignore[call-overload]
    schema = getattr(batches, "schema", None)
    first = None
    if schema is None:
        first = next(iterator, None)
        if first is None:
            raise UsageError("annotate_batches: no batch, so no columns to add to")
        schema = first.schema
    names = tuple(schema.names)
    chosen = pick_column(names, column, "the batches", "column")
    refuse_collisions(names, "the batches")
    if purpose is not None and purpose not in PURPOSES:
        raise UsageError(f"unknown purpose {purpose!r}; expected one of {', '.join(PURPOSES)}")
    annotated = pa.schema([*schema, *decision_schema()])

    def generate() -> Iterator[Any]:
        converter = ArrowConverter()
        with open_checker(agent, purpose, origins, settings) as checker:
            size = PAGE_WINDOW if checker.fetches_urls else BATCH_ROWS
            pending = [first] if first is not None else []
            for batch in itertools.chain(pending, iterator):
                parts: list[list[Any]] = [[] for _ in ADDED_COLUMNS]
                for values in _python_chunks(batch.column(chosen), size):
                    decided = decide_rows(checker, values)
                    for part, array in zip(parts, converter.arrays(decided), strict=True):
                        part.append(array)
                added = [
                    pa.concat_arrays(part) if part else pa.array([], type=field.type)
                    for part, field in zip(parts, decision_schema(), strict=True)
                ]
                yield pa.RecordBatch.from_arrays([*batch.columns, *added], schema=annotated)

    return pa.RecordBatchReader.from_batches(annotated, generate())
