"""``check`` says when its site-level files came from the cache; --refresh and --max-age."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from cliproc import run_cli
from webfixture import FixtureWeb, load_sites

FIXTURES = Path(__file__).parent / "fixtureweb"
URL = "http://art.velvet-canvas.example/"


@pytest.fixture(scope="module")
def web() -> Iterator[FixtureWeb]:
    with FixtureWeb(load_sites(FIXTURES / "velvet-canvas.yaml")) as served:
        yield served


def _robots(web: FixtureWeb) -> int:
    # ai.txt: robots.txt is also fetched for the page fetch itself (crawlcheck obeys it).
    return sum(1 for r in web.requests if r.path == "/ai.txt")


def test_the_cache_is_named_with_its_age_and_refresh_fetches_anew(
    web: FixtureWeb, tmp_path: Path
) -> None:
    cache = str(tmp_path / "cache.sqlite3")
    first = run_cli(["check", URL, "--cache", cache], web.proxy_url)
    assert first.returncode == 0, first.stderr
    assert "site-level files (fetched now):" in first.stdout
    fetched = _robots(web)

    second = run_cli(["check", URL, "--cache", cache], web.proxy_url)
    assert "site-level files (from the cache, fetched " in second.stdout
    assert " ago; --refresh fetches them anew):" in second.stdout
    assert _robots(web) == fetched

    as_json = run_cli(["check", URL, "--cache", cache, "--format", "json"], web.proxy_url)
    site_files = json.loads(as_json.stdout)["site_files"]
    assert site_files["from_cache"] is True
    assert site_files["fetched_at"].endswith("Z")

    refreshed = run_cli(["check", URL, "--cache", cache, "--refresh"], web.proxy_url)
    assert "site-level files (fetched now):" in refreshed.stdout
    assert _robots(web) == fetched + 1

    young = run_cli(["check", URL, "--cache", cache, "--max-age", "3600"], web.proxy_url)
    assert "from the cache" in young.stdout
    assert _robots(web) == fetched + 1


def test_max_age_and_refresh_are_checked() -> None:
    bad = run_cli(["check", URL, "--max-age", "-1"])
    assert bad.returncode == 2
    assert bad.stderr.startswith("crawlcheck: error: check: --max-age: must be a number")
    both = run_cli(["check", URL, "--max-age", "5", "--refresh"])
    assert both.returncode == 2
    assert "not allowed with argument" in both.stderr
