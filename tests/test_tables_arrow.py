"""The Arrow batch API: the same decisions as per-URL check_urls, for every column type."""

from __future__ import annotations

import random
import threading
from pathlib import Path

import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sitefiles

from crawlcheck.decide import Plan, decide_url, plan_for, same_for_every_path
from crawlcheck.decide.checker import UrlChecker, check_urls
from crawlcheck.errors import UsageError
from crawlcheck.report.document import decision_to_dict
from crawlcheck.tables import annotate_batches, annotate_table, decide_column, decision_schema

ORIGINS = 40


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return sitefiles.fill_cache(tmp_path_factory.mktemp("arrow") / "cache.sqlite3", ORIGINS)


@pytest.fixture(scope="module")
def values() -> list[object]:
    listed: list[object] = list(sitefiles.urls(3000, ORIGINS))
    listed += [None, "", "not a url", "ftp://site1.example/", b"https://site3.example/\xff"]
    listed += [b"https://site3.example/a/1", "https://site2.example/%70rivate/x/../y"]
    random.Random(3).shuffle(listed)
    return listed


def _expected(cache: Path, values: list[object], agent: str | None) -> list[dict[str, object]]:
    rows = []
    for decision in check_urls(values, agent, cache=cache):
        row = decision_to_dict(decision)
        del row["url"]
        rows.append(row)
    return rows


def _normalised(rows: list[dict[str, object]]) -> list[dict[str, object]]:
    """Arrow rows as decision_to_dict writes them (a problem's signal only when it has one)."""
    for row in rows:
        problems = row["problems"]
        assert isinstance(problems, list)
        for problem in problems:
            if problem["signal"] is None:
                del problem["signal"]
    return rows


@pytest.mark.parametrize("agent", [None, "GPTBot"])
def test_decide_column_is_check_urls_row_for_row(
    cache: Path, values: list[object], agent: str | None
) -> None:
    table = decide_column(values, agent, cache=cache)
    assert table.schema == decision_schema()
    assert _normalised(table.to_pylist()) == _expected(cache, values, agent)
    counts = table["decision"].value_counts().to_pylist()
    assert {c["values"] for c in counts} == {"reserved", "allowed", "unknown"}


def test_every_column_type_gives_the_same_table(cache: Path, values: list[object]) -> None:
    texts = [v if isinstance(v, str) or v is None else None for v in values]
    expected = decide_column(texts, cache=cache)
    arrow = pa.array(texts)
    columns = {
        "Array": arrow,
        "ChunkedArray": pa.chunked_array([arrow.slice(0, 1000), arrow.slice(1000)]),
        "large_string": arrow.cast(pa.large_string()),
        "dictionary": arrow.dictionary_encode(),
        "pandas": pd.Series(texts, dtype=object),
        "pandas string[pyarrow]": pd.Series(texts, dtype="string[pyarrow]"),
        "polars": pl.Series("url", texts),
        "generator": (t for t in texts),
    }
    with UrlChecker(cache=cache) as checker:
        for name, column in columns.items():
            assert decide_column(column, origins=checker).equals(expected), name


def test_check_urls_reads_a_pyarrow_column(cache: Path) -> None:
    urls = list(sitefiles.urls(50, ORIGINS))
    table = pa.table({"url": urls})
    from_arrow = [d.decision for d in check_urls(table["url"], cache=cache)]
    assert from_arrow == [d.decision for d in check_urls(urls, cache=cache)]
    assert len(set(from_arrow)) > 1  # the bug: every URL "unknown" (not a string: StringScalar)


def test_annotate_table_adds_the_columns_to_any_table(cache: Path) -> None:
    urls = list(sitefiles.urls(200, ORIGINS))
    base = pa.table({"id": list(range(200)), "URL": urls})
    expected = decide_column(urls, cache=cache)
    for table in (
        base,
        base.to_batches()[0],
        base.to_pandas(),
        pl.from_arrow(base),
    ):
        annotated = annotate_table(table, cache=cache)
        assert annotated.column_names == ["id", "URL", *decision_schema().names]
        assert annotated.select(decision_schema().names).equals(expected)
    with pytest.raises(UsageError, match="already has a column 'decision'"):
        annotate_table(base.append_column("decision", pa.array(["x"] * 200)), cache=cache)
    with pytest.raises(UsageError, match="no column 'link'"):
        annotate_table(base, "link", cache=cache)


def test_origins_is_an_open_checker_that_fixes_the_question(cache: Path) -> None:
    urls = list(sitefiles.urls(100, ORIGINS))
    with UrlChecker("GPTBot", "ai-train", cache=cache) as checker:
        shared = decide_column(urls, origins=checker)
        assert shared.equals(decide_column(urls, "GPTBot", "ai-train", cache=cache))
        assert set(shared["agent"].to_pylist()) == {"GPTBot"}
        with pytest.raises(UsageError, match="asked for another question"):
            decide_column(urls, "ClaudeBot", origins=checker)
        with pytest.raises(UsageError, match="cache apply only when crawlcheck opens one"):
            decide_column(urls, origins=checker, cache=cache)


@pytest.mark.parametrize(
    ("column", "message"),
    [
        (pa.table({"url": ["https://a.example/"]}), "takes a column"),
        ("https://a.example/", "not one URL"),
        (42, "not int"),
    ],
)
def test_decide_column_refuses_what_is_not_a_column(
    cache: Path, column: object, message: str
) -> None:
    with pytest.raises(UsageError, match=message):
        decide_column(column, cache=cache)


def afresh(plan: Plan) -> Plan:
    """Return a new plan of *plan*'s site and question, with nothing decided yet."""
    return plan_for(plan.site, purpose=plan.purpose, agent=plan.agent, ruleset=plan.ruleset)


def test_same_for_every_path_only_where_every_path_decides_alike(cache: Path) -> None:
    rng = random.Random(5)
    paths = ["/", "/admin", "/private/x", "/private/public", "/articles/1", "/books/2", "/a/3"]
    paths += [f"/{rng.randrange(10**6)}?q=%41" for _ in range(20)] + ["/x/../admin"]
    found = {True: 0, False: 0}
    with UrlChecker(None, cache=cache) as anyone, UrlChecker("GPTBot", cache=cache) as one:
        for checker in (anyone, one):
            origins = [f"https://site{i}.example" for i in range(ORIGINS)]
            for origin, plan in checker.plans(origins).items():
                alike = same_for_every_path(plan)
                found[alike] += 1
                # Each path decided the long way, by a fresh plan (a plan's first URL).
                answers = {
                    (d.decision, d.reasons, d.problems)
                    for d in (decide_url(origin + path, afresh(plan)) for path in paths)
                }
                if alike:
                    assert len(answers) == 1, origin
    assert found[True] > 0
    assert found[False] > 0


def test_annotate_batches_streams_what_annotate_table_returns(cache: Path, tmp_path: Path) -> None:
    urls = list(sitefiles.urls(500, ORIGINS))
    table = pa.table({"id": list(range(500)), "url": urls})
    pq.write_table(table, tmp_path / "urls.parquet", row_group_size=100)
    expected = annotate_table(table, cache=cache)
    source = pq.ParquetFile(tmp_path / "urls.parquet")
    with UrlChecker(cache=cache) as checker:
        for batches in (
            source.iter_batches(batch_size=128),
            pa.RecordBatchReader.from_batches(table.schema, table.to_batches(max_chunksize=64)),
            table,
        ):
            reader = annotate_batches(batches, origins=checker)
            assert reader.schema == expected.schema
            assert reader.read_all().equals(expected)
    with pytest.raises(UsageError, match="no batch"):
        annotate_batches(iter([]), cache=cache)


def test_a_checker_decides_on_another_thread_than_its_own(cache: Path) -> None:
    # DuckDB and polars pull batches on threads of their own (docs/pipelines.md, DuckDB).
    urls = list(sitefiles.urls(300, ORIGINS))
    found: dict[str, object] = {}
    with UrlChecker(cache=cache) as checker:
        worker = threading.Thread(
            target=lambda: found.update(table=decide_column(urls, origins=checker))
        )
        worker.start()
        worker.join()
        assert isinstance(found.get("table"), pa.Table)
        assert found["table"].equals(decide_column(urls, cache=cache))


def test_no_rows_give_no_rows_with_the_columns(cache: Path) -> None:
    assert decide_column([], cache=cache).schema == decision_schema()
    empty = pa.record_batch([pa.array([], pa.string())], names=["url"])
    table = annotate_batches([empty], cache=cache).read_all()
    assert table.num_rows == 0
    assert table.column_names == ["url", *decision_schema().names]


def test_a_parquet_file_is_read_in_chunks_of_the_sizes_asked(tmp_path: Path) -> None:
    """ParquetReader.chunks cuts its batches to each next size (UrlChecker.window_sizes)."""
    from crawlcheck.tables.readers import ParquetReader

    urls = [f"https://a.example/{n}" for n in range(7)]
    path = tmp_path / "urls.parquet"
    pq.write_table(pa.table({"url": urls, "n": list(range(7))}), path)
    reader = ParquetReader(str(path), "urls.parquet", None)
    chunks = list(reader.chunks(iter([1, 2, 3, 3])))
    assert [chunk.values for chunk in chunks] == [urls[:1], urls[1:3], urls[3:6], urls[6:]]
    assert [chunk.records.column("n").to_pylist() for chunk in chunks][1] == [1, 2]
    assert [len(chunk.values) for chunk in reader.chunks(5)] == [5, 2]
