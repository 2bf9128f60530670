"""The recipes of docs/pipelines.md run as written (pandas, polars, DuckDB, pyarrow); its
shell examples run in tests/test_docs_commands.py with every other document's."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from webfixture import FixtureWeb, load_sites

from crawlcheck.crawl.options import CrawlOptions
from crawlcheck.decide.checker import check_urls

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "pipelines.md"
SITES = Path(__file__).parent / "data" / "urlcheck" / "sites.yaml"
URLS = [
    "http://gptbot.example/a",
    "http://open.example/a",
    "not a url",
    "http://down.example/x",
    "http://tdm.example/books/1",
    "http://tdm.example/blog",
]
ALLOWED = {"http://open.example/a", "http://tdm.example/blog"}


def blocks(language: str, after: str = "") -> list[str]:
    """Return the ```language blocks of the document (after the heading *after*)."""
    text = DOC.read_text(encoding="utf-8")
    if after:
        text = text.split(after, 1)[1]
    return re.findall(rf"^```{language}\n(.*?)^```$", text, flags=re.M | re.S)


RECIPES = blocks("python", "## Recipes")


@pytest.fixture(scope="module")
def web() -> Iterator[FixtureWeb]:
    with FixtureWeb(load_sites(SITES)) as server:
        yield server


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory, web: FixtureWeb) -> Path:
    path = tmp_path_factory.mktemp("recipes") / "cache.sqlite3"
    options = CrawlOptions(proxy=web.proxy_url)
    assert len(list(check_urls(URLS, cache=path, options=options))) == len(URLS)
    return path


def _env(web: FixtureWeb, cache: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k.lower() not in ("no_proxy", "https_proxy")}
    env["http_proxy"] = web.proxy_url
    env["CRAWLCHECK_CACHE"] = str(cache)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def test_the_recipes_are_found() -> None:
    assert len(RECIPES) == 4
    assert [("pandas" in r, "polars" in r, "duckdb" in r) for r in RECIPES[:3]] == [
        (True, False, False),
        (False, True, False),
        (False, False, True),
    ]


@pytest.mark.parametrize("recipe", RECIPES, ids=["pandas", "polars", "duckdb", "pyarrow"])
def test_recipe_runs_as_written(recipe: str, web: FixtureWeb, cache: Path, tmp_path: Path) -> None:
    pq.write_table(pa.table({"id": list(range(len(URLS))), "url": URLS}), tmp_path / "urls.parquet")
    run = subprocess.run(
        [sys.executable, "-c", recipe],
        cwd=tmp_path,
        env=_env(web, cache),
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr.decode()
    written = [p for p in tmp_path.glob("*.parquet") if p.name != "urls.parquet"]
    assert len(written) == 1
    table = pq.read_table(written[0])
    if written[0].name.startswith("kept"):
        assert set(table["url"].to_pylist()) == ALLOWED
    else:
        assert table.num_rows == len(URLS)
        assert set(table.column_names) >= {"id", "url", "decision", "reasons", "problems"}
