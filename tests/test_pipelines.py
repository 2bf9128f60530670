"""The pipeline steps inside their real frameworks: a local datatrove pipeline (two tasks in
two processes) and Hugging Face ``Dataset.filter`` with ``num_proc=2``, against the
fixture web (no other network)."""

from __future__ import annotations

import gzip
import json
import pickle
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from datasets import Dataset
from datatrove.executor import LocalPipelineExecutor
from datatrove.pipeline.readers import JsonlReader, ParquetReader
from datatrove.pipeline.writers import JsonlWriter
from webfixture import FixtureWeb, load_sites

from crawlcheck.crawl.options import CrawlOptions
from crawlcheck.decide.checker import check_urls
from crawlcheck.errors import UsageError
from crawlcheck.pipelines.datatrove import CrawlcheckFilter
from crawlcheck.pipelines.huggingface import UrlPredicate
from crawlcheck.snapshot.build import build_snapshot
from crawlcheck.tables import annotate_batches, decide_column
from crawlcheck.urls import origin_of

SITES = Path(__file__).parent / "data" / "urlcheck" / "sites.yaml"
ROWS = [
    ("http://gptbot.example/a", "reserved"),
    ("http://open.example/a", "allowed"),
    ("not a url", "unknown"),
    ("http://down.example/x", "unknown"),
    ("http://tdm.example/books/1", "reserved"),
    ("http://tdm.example/blog", "allowed"),
    ("http://open.example/private/x", "reserved"),  # the * group's Disallow: every agent
    (None, "unknown"),
]
ALLOWED = [n for n, (_, decision) in enumerate(ROWS) if decision == "allowed"]


@pytest.fixture(scope="module")
def web() -> Iterator[FixtureWeb]:
    with FixtureWeb(load_sites(SITES)) as server:
        yield server


@pytest.fixture
def options(web: FixtureWeb) -> CrawlOptions:
    return CrawlOptions(proxy=web.proxy_url, timeout=10)


def _documents() -> list[dict[str, object]]:
    return [
        {"text": f"document {n}", "id": f"d{n}", "metadata": {"url": url, "lang": "en"}}
        for n, (url, _) in enumerate(ROWS)
    ]


def _read_jsonl_gz(folder: Path) -> list[dict[str, object]]:
    rows = []
    for path in sorted(folder.glob("*.jsonl.gz")):
        rows += [json.loads(line) for line in gzip.decompress(path.read_bytes()).splitlines()]
    return rows


@pytest.mark.parametrize("source", ["jsonl", "parquet"])
def test_datatrove_pipeline_two_tasks(
    tmp_path: Path, web: FixtureWeb, options: CrawlOptions, source: str
) -> None:
    web.clear_log()
    documents = _documents()
    inputs = tmp_path / "in"
    inputs.mkdir()
    for part, docs in enumerate((documents[:4], documents[4:])):
        if source == "jsonl":
            text = "".join(json.dumps(d) + "\n" for d in docs)
            (inputs / f"part-{part}.jsonl").write_text(text)
        else:
            pq.write_table(pa.Table.from_pylist(docs), inputs / f"part-{part}.parquet")
    reader = JsonlReader(str(inputs)) if source == "jsonl" else ParquetReader(str(inputs))
    step = CrawlcheckFilter(
        cache=str(tmp_path / "cache.sqlite3"),  # one file, shared by both tasks' processes
        options=options,
        exclusion_writer=JsonlWriter(str(tmp_path / "excluded")),
        batch_size=3,
    )
    LocalPipelineExecutor(
        pipeline=[reader, step, JsonlWriter(str(tmp_path / "kept"))],
        tasks=2,
        workers=2,
        logging_dir=str(tmp_path / "logs"),
    ).run()

    kept = _read_jsonl_gz(tmp_path / "kept")
    excluded = _read_jsonl_gz(tmp_path / "excluded")
    assert sorted(d["id"] for d in kept) == [f"d{n}" for n in ALLOWED]
    by_id = {d["id"]: d for d in kept + excluded}
    assert len(by_id) == len(ROWS)
    for n, (_, decision) in enumerate(ROWS):
        metadata = by_id[f"d{n}"]["metadata"]
        assert isinstance(metadata, dict)
        assert metadata["crawlcheck"]["decision"] == decision, n
        assert metadata["crawlcheck"]["purpose"] == "ai-train"
        if decision != "allowed":
            assert metadata["filter_reason"] == decision
    gptbot = by_id["d0"]["metadata"]["crawlcheck"]["reasons"][0]  # type: ignore[index]
    assert (gptbot["signal"], gptbot["evidence"]) == (
        "robots.txt",
        "line 2: Disallow: / (group: line 1: User-agent: GPTBot)",
    )
    down = by_id["d3"]["metadata"]["crawlcheck"]["problems"][0]  # type: ignore[index]
    assert down["code"] == "robots.unreachable"

    stats = json.loads((tmp_path / "logs" / "stats.json").read_text())
    ours = next(s for s in stats if s["name"].endswith(CrawlcheckFilter.name))["stats"]
    assert ours["reserved"] == 3
    assert ours["allowed"] == 2
    assert ours["unknown"] == 3
    assert ours["malformed"] == 2
    assert ours["dropped_reserved"] == 3
    assert ours["dropped_unknown"] == 3
    # the tasks fetched the origins' site-level files, never a page
    assert {r.host for r in web.requests} == {
        "gptbot.example",
        "open.example",
        "down.example",
        "tdm.example",
    }
    assert {r.path for r in web.requests} <= {
        "/robots.txt",
        "/ai.txt",
        "/.well-known/tdmrep.json",
        "/llms.txt",
    }


def test_datatrove_step_settings_are_checked_early(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="runs in many processes"):
        CrawlcheckFilter(cache=None)
    with pytest.raises(UsageError, match="'maybe' is not a decision"):
        CrawlcheckFilter(keep="maybe")
    step = CrawlcheckFilter(cache=str(tmp_path / "c.sqlite3"), keep=["allowed", "unknown"])
    assert pickle.loads(pickle.dumps(step)).step.keep == {"allowed", "unknown"}


@pytest.fixture(scope="module")
def warm_cache(tmp_path_factory: pytest.TempPathFactory, web: FixtureWeb) -> Path:
    path = tmp_path_factory.mktemp("hf") / "cache.sqlite3"
    urls = [url for url, _ in ROWS]
    warmed = [
        d.decision for d in check_urls(urls, cache=path, options=CrawlOptions(proxy=web.proxy_url))
    ]
    assert warmed == [decision for _, decision in ROWS]
    return path


def test_datasets_filter_with_two_processes_shares_the_cache(
    web: FixtureWeb, warm_cache: Path, options: CrawlOptions
) -> None:
    rows = ROWS * 5
    dataset = Dataset.from_dict({"n": list(range(len(rows))), "url": [u for u, _ in rows]})
    predicate = UrlPredicate("url", cache=str(warm_cache), options=options)
    web.clear_log()
    kept = dataset.filter(predicate, batched=True, batch_size=4, num_proc=2)
    expected = [n for n, (_, decision) in enumerate(rows) if decision == "allowed"]
    assert kept["n"] == expected
    assert web.requests == []  # both processes read the cache the first run filled
    only_urls = dataset.filter(
        UrlPredicate(cache=str(warm_cache), options=options, keep=["reserved"]),
        batched=True,
        input_columns=["url"],
        num_proc=2,
    )
    assert only_urls["n"] == [n for n, (_, d) in enumerate(rows) if d == "reserved"]


def test_datasets_predicate_pickles_as_its_settings(warm_cache: Path) -> None:
    predicate = UrlPredicate("url", cache=str(warm_cache))
    assert predicate({"url": ["http://open.example/a", "not a url"]}) == [True, False]
    copy = pickle.loads(pickle.dumps(predicate))
    assert copy._checker is None  # opened anew where it runs
    assert copy(["http://gptbot.example/a", "http://open.example/a"]) == [False, True]
    with pytest.raises(UsageError, match="no column 'link'"):
        UrlPredicate("link", cache=str(warm_cache))({"url": ["x"]})
    predicate.close()
    copy.close()


@pytest.fixture(scope="module")
def origin_snapshot(tmp_path_factory: pytest.TempPathFactory, web: FixtureWeb) -> Path:
    """An origin snapshot of ROWS' origins, built through the fixture web."""
    path = tmp_path_factory.mktemp("snapshot") / "snap"
    origins = {origin_of(url) for url, _ in ROWS if url is not None} - {None}
    build_snapshot(sorted(o for o in origins if o), path, options=CrawlOptions(proxy=web.proxy_url))
    return path


def test_every_pipeline_step_decides_from_a_snapshot_with_no_network(
    tmp_path: Path, web: FixtureWeb, origin_snapshot: Path
) -> None:
    expected = [decision for _, decision in ROWS]
    web.clear_log()
    # Arrow batch API
    column = decide_column([url for url, _ in ROWS], snapshot=str(origin_snapshot))
    assert column.column("decision").to_pylist() == expected
    batches = annotate_batches(
        [pa.RecordBatch.from_pylist([{"url": url} for url, _ in ROWS])],
        snapshot=str(origin_snapshot),
    )
    assert [d for b in batches for d in b.column("decision").to_pylist()] == expected
    # Hugging Face datasets, two processes: the predicate pickles as what to open
    rows = ROWS * 3
    dataset = Dataset.from_dict({"n": list(range(len(rows))), "url": [u for u, _ in rows]})
    kept = dataset.filter(
        UrlPredicate("url", snapshot=str(origin_snapshot)), batched=True, num_proc=2
    )
    assert kept["n"] == [n for n, (_, d) in enumerate(rows) if d == "allowed"]
    # datatrove, two tasks
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "part.jsonl").write_text("".join(json.dumps(d) + "\n" for d in _documents()))
    LocalPipelineExecutor(
        pipeline=[
            JsonlReader(str(inputs)),
            CrawlcheckFilter(snapshot=str(origin_snapshot)),
            JsonlWriter(str(tmp_path / "kept")),
        ],
        tasks=1,
        logging_dir=str(tmp_path / "logs"),
    ).run()
    assert sorted(d["id"] for d in _read_jsonl_gz(tmp_path / "kept")) == [f"d{n}" for n in ALLOWED]
    assert web.requests == []  # decided from the snapshot alone
