"""``crawlcheck snapshot build`` from the fixture web, then decisions with no network at all.

The snapshot is built through the fixture web's proxy (tests/webfixture.py); every read
afterwards runs ``python -m crawlcheck`` with ``http_proxy`` and ``https_proxy`` pointing at
a closed port on 127.0.0.1, so any attempt to fetch would fail, and the fixture web's
request log shows that nothing arrived. The decisions must equal the live ``filter``'s.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from webfixture import FixtureWeb, load_sites

from crawlcheck.snapshot import MANIFEST, shard_name

HERE = Path(__file__).parent
SITES = HERE / "data" / "urlcheck" / "sites.yaml"
SCRIPT = HERE / "scrapy_addon_crawl.py"

URLS = [
    "http://gptbot.example/a",
    "http://open.example/a",
    "http://open.example/private/x",
    "http://down.example/x",
    "http://tdm.example/books/1",
    "http://tdm.example/blog",
    "http://maxage.example/x",
    "http://gptbot.example/b?x=1",
    "http://www.daily-chronicle.example/news/bridge-repairs",
    "http://journal.tidewater-review.example/articles/coral-survey",
    "http://docs.open-trail.example/guide/install",
    "http://blog.quiet-garden.example/posts/compost-basics",
    "http://www.six-hops.example/",
    "not a url",
]
ORIGINS = sorted({u.split("/")[2] for u in URLS if u.startswith("http")})


def closed_port() -> int:
    """Return a loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def environment(proxy: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k.lower() not in ("no_proxy", "all_proxy")}
    env["http_proxy"] = env["https_proxy"] = proxy
    env["HTTP_PROXY"] = env["HTTPS_PROXY"] = proxy
    return env


def crawlcheck(
    *args: str, proxy: str, stdin: str = "", check: bool = True
) -> subprocess.CompletedProcess[str]:
    run = subprocess.run(
        [sys.executable, "-m", "crawlcheck", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=environment(proxy),
        timeout=120,
        check=False,
    )
    if check:
        assert run.returncode == 0, run.stderr
    return run


def offline(*args: str, stdin: str = "", check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run crawlcheck with every proxy pointing at a closed port: no network at all."""
    return crawlcheck(*args, proxy=f"http://127.0.0.1:{closed_port()}", stdin=stdin, check=check)


def rows(run: subprocess.CompletedProcess[str]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in run.stdout.splitlines()]


@pytest.fixture(scope="module")
def web() -> Iterator[FixtureWeb]:
    with FixtureWeb(load_sites(SITES), paths=[HERE / "fixtureweb"]) as served:
        yield served


@pytest.fixture(scope="module")
def live(web: FixtureWeb) -> list[dict[str, Any]]:
    """The live filter's decisions: every URL with its reasons."""
    run = crawlcheck(
        "filter", "--no-cache", "--format", "jsonl", "--timeout", "5",
        proxy=web.proxy_url, stdin="\n".join(URLS),
    )  # fmt: skip
    return rows(run)


@pytest.fixture(scope="module")
def snapshot(web: FixtureWeb, live: list[dict[str, Any]], tmp_path_factory: Any) -> Path:
    """Build the snapshot from the URL list (URLs repeat origins; one is malformed)."""
    folder = tmp_path_factory.mktemp("snapshot")
    (folder / "urls.txt").write_text("# the URL list\n" + "\n".join(URLS) + "\n")
    web.clear_log()
    run = crawlcheck(
        "snapshot", "build", "-i", str(folder / "urls.txt"), "-o", str(folder / "snap"),
        "--shards", "3", "--timeout", "5", proxy=web.proxy_url,
    )  # fmt: skip
    assert f"{len(ORIGINS)} origin(s)" in run.stderr
    assert "1 line(s) that name no http(s) site skipped" in run.stderr
    fetched = [(r.host, r.path) for r in web.requests]
    # Site-level files only, each origin's once although URLs repeat origins (a robots.txt
    # that fails is retried by the crawl).
    robots = Counter(host for host, path in fetched if path == "/robots.txt")
    assert set(robots) >= set(ORIGINS)
    failing = {"down.example"}
    assert {h: n for h, n in robots.items() if h in ORIGINS and h not in failing} == {
        h: 1 for h in ORIGINS if h not in failing
    }
    paths = {path for _, path in fetched}
    assert not paths & {"/a", "/b?x=1", "/blog", "/news/bridge-repairs", "/guide/install"}
    return folder / "snap"


def test_decisions_from_the_snapshot_equal_the_live_filter_with_no_network(
    web: FixtureWeb, live: list[dict[str, Any]], snapshot: Path
) -> None:
    web.clear_log()
    run = offline("filter", "--snapshot", str(snapshot), "--format", "jsonl", stdin="\n".join(URLS))
    assert rows(run) == live
    assert web.requests == []
    decided = {row["url"]: row["decision"] for row in live}
    assert decided["http://gptbot.example/a"] == "reserved"
    assert decided["http://tdm.example/blog"] == "allowed"
    assert decided["http://down.example/x"] == "unknown"


def test_text_output_keeps_the_allowed_urls(live: list[dict[str, Any]], snapshot: Path) -> None:
    run = offline("filter", "--snapshot", str(snapshot), stdin="\n".join(URLS))
    assert run.stdout.splitlines() == [r["url"] for r in live if r["decision"] == "allowed"]
    assert "1 malformed line(s)" in run.stderr


def test_two_processes_read_one_snapshot_at_once(
    live: list[dict[str, Any]], snapshot: Path
) -> None:
    env = environment(f"http://127.0.0.1:{closed_port()}")
    command = [sys.executable, "-m", "crawlcheck", "filter", "--snapshot", str(snapshot)]
    children = [
        subprocess.Popen(
            [*command, "--format", "jsonl"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for _ in range(2)
    ]
    outputs = [child.communicate("\n".join(URLS * 50), timeout=120) for child in children]
    for child, (out, err) in zip(children, outputs, strict=True):
        assert child.returncode == 0, err
        assert [json.loads(line) for line in out.splitlines()] == live * 50


def test_check_decides_from_the_snapshot_without_the_page(snapshot: Path) -> None:
    run = offline("check", "--snapshot", str(snapshot), "http://gptbot.example/a")
    assert "decision: reserved" in run.stdout
    assert "Disallow: /" in run.stdout
    assert f"the page itself: not fetched (snapshot {snapshot})" in run.stdout
    data = json.loads(
        offline(
            "check", "--snapshot", str(snapshot), "--format", "json", "http://tdm.example/blog"
        ).stdout
    )
    assert data["decision"] == "allowed"


def test_missing_and_stale_origins_are_unknown_never_allowed(snapshot: Path) -> None:
    urls = "http://open.example/a\nhttp://not-in-snapshot.example/a\n"
    found = rows(offline("filter", "--snapshot", str(snapshot), "--format", "jsonl", stdin=urls))
    assert [(r["decision"], [p["code"] for p in r["problems"]]) for r in found] == [
        ("allowed", []),
        ("unknown", ["snapshot.missing-origin"]),
    ]
    stale = rows(
        offline(
            "filter", "--snapshot", str(snapshot), "--max-age", "0", "--format", "jsonl",
            stdin=urls,
        )
    )  # fmt: skip
    assert [(r["decision"], r["problems"][0]["code"]) for r in stale] == [
        ("unknown", "snapshot.stale"),
        ("unknown", "snapshot.missing-origin"),
    ]
    assert "older than the maximum age of 0 s" in stale[0]["problems"][0]["message"]
    # Only unknown kept: the missing origin is written, never as allowed.
    kept = offline("filter", "--snapshot", str(snapshot), "--keep", "unknown", stdin=urls)
    assert kept.stdout.splitlines() == ["http://not-in-snapshot.example/a"]


def test_info_prints_the_manifest(snapshot: Path) -> None:
    info = json.loads(offline("snapshot", "info", str(snapshot)).stdout)
    assert info["format"] == "crawlcheck.snapshot/1"
    assert info["origins"] == len(ORIGINS)
    assert info["shard_count"] == 3
    assert info["rules_digest"].startswith("sha256:")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--snapshot", "/nonexistent/snap"], "snapshot /nonexistent/snap: no such directory"),
        (["--snapshot", "x", "--pages"], "--pages fetches every URL"),
        (["--snapshot", "x", "--cache", "c"], "not allowed with argument"),
        (["--snapshot", "x", "--refresh"], "--refresh fetches site files anew"),
        (["--snapshot", "x", "--max-age", "soon"], "invalid float value"),
    ],
)
def test_bad_snapshot_options_are_one_line_errors(args: list[str], message: str) -> None:
    run = offline("filter", *args, stdin="http://a.example/\n", check=False)
    assert run.returncode == 2
    assert message in run.stderr
    assert run.stderr.count("\n") == 1
    assert "Traceback" not in run.stderr


def test_a_damaged_manifest_is_a_one_line_error(snapshot: Path, tmp_path: Path) -> None:
    copy = _copy(snapshot, tmp_path)
    (copy / MANIFEST).write_text('{"format": "crawlcheck.snapshot/1", "shards": [')
    run = offline("filter", "--snapshot", str(copy), stdin="http://open.example/a\n", check=False)
    assert run.returncode == 2
    assert run.stderr.startswith("crawlcheck: error: filter: snapshot ")
    assert "damaged manifest" in run.stderr
    assert run.stderr.count("\n") == 1
    assert run.stdout == ""


def test_damaged_shards_make_their_origins_unknown(snapshot: Path, tmp_path: Path) -> None:
    copy = _copy(snapshot, tmp_path)
    for index in range(3):
        shard = copy / shard_name(index, 3)
        shard.write_bytes(b"\0" * shard.stat().st_size)
    run = offline(
        "filter", "--snapshot", str(copy), "--format", "jsonl", "--keep", "allowed",
        stdin="\n".join(URLS),
    )  # fmt: skip
    found = rows(run)
    assert {r["decision"] for r in found} == {"unknown"}
    assert {r["problems"][0]["code"] for r in found} == {"snapshot.damaged", "url.malformed"}
    assert "Traceback" not in run.stderr
    assert "cannot be read" in run.stderr
    text = offline("filter", "--snapshot", str(copy), stdin="\n".join(URLS))
    assert text.stdout == ""


def test_build_usage_errors(tmp_path: Path, snapshot: Path) -> None:
    cases = [
        (["snapshot", "build", "-o", str(tmp_path / "s")], "give sites or URLs"),
        (["snapshot", "build", "-o", str(snapshot), "a.example"], "already exists"),
        (
            ["snapshot", "build", "-o", str(tmp_path / "s"), "--shards", "0", "a.example"],
            "--shards",
        ),
        (["snapshot", "build", "-i", str(tmp_path / "none"), "-o", "x"], "cannot read"),
        (["snapshot"], "expected an action"),
    ]
    for args, message in cases:
        run = offline(*args, check=False)
        assert run.returncode == 2, args
        assert message in run.stderr, run.stderr
        assert "Traceback" not in run.stderr


def test_the_scrapy_addon_decides_from_the_snapshot(web: FixtureWeb, snapshot: Path) -> None:
    urls = [
        "http://gptbot.example/a",
        "http://open.example/a",
        "http://tdm.example/books/1",
        "http://not-in-snapshot.example/a",
    ]
    config = {
        "urls": urls,
        "settings": {
            "CRAWLCHECK_SNAPSHOT": str(snapshot),
            "ROBOTSTXT_OBEY": False,
            "CRAWLCHECK_CHECK_RESPONSES": False,
        },
    }
    web.clear_log()
    run = subprocess.run(
        [sys.executable, str(SCRIPT), json.dumps(config)],
        capture_output=True,
        text=True,
        env=environment(web.proxy_url),
        timeout=60,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    seen = json.loads(run.stdout)
    assert [item["url"] for item in seen["items"]] == ["http://open.example/a"]
    assert sorted(seen["dropped"]) == sorted(set(urls) - {"http://open.example/a"})
    # The only request that reached the web is the allowed page itself: no site files.
    assert [(r.host, r.path) for r in web.requests] == [("open.example", "/a")]
    assert seen["stats"]["crawlcheck/origin/snapshot"] == 3
    assert seen["stats"]["crawlcheck/origin/snapshot.missing-origin"] == 1


def _copy(snapshot: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "copy"
    copy.mkdir()
    for item in snapshot.iterdir():
        (copy / item.name).write_bytes(item.read_bytes())
    return copy


def test_build_to_an_object_store_url_then_read_it_back(web: FixtureWeb, tmp_path: Path) -> None:
    fsspec = pytest.importorskip("fsspec")
    from crawlcheck.crawl.options import CrawlOptions
    from crawlcheck.snapshot import Snapshot
    from crawlcheck.snapshot.build import build_snapshot

    options = CrawlOptions(proxy=web.proxy_url, timeout=5, retries=0)
    try:
        manifest = build_snapshot(
            ["http://gptbot.example", "http://open.example", "http://gptbot.example"],
            "memory://bucket/built",
            options=options,
            shards=2,
        )
        assert manifest.origins == 2
        stored = fsspec.filesystem("memory").ls("/bucket/built", detail=False)
        assert sorted(p.rsplit("/", 1)[1] for p in stored) == sorted(
            [MANIFEST, shard_name(0, 2), shard_name(1, 2)]
        )
        with Snapshot("memory://bucket/built", cache_dir=tmp_path / "cache") as snapshot:
            found = snapshot.lookup_many(["http://gptbot.example", "http://open.example"])
        robots = found["http://gptbot.example"].fetches
        assert robots is not None
        assert robots.robots is not None
        assert b"User-agent: GPTBot" in robots.robots.body
        assert found["http://open.example"].capture is not None
    finally:
        fsspec.filesystem("memory").rm("/bucket", recursive=True)
