"""Tests for crawlcheck.snapshot: the format, writing, reading, freshness, damage, fsspec.

Snapshots here are written from hand-made :class:`SiteFetches` (no network); the
end-to-end build from the fixture web is in tests/test_commands_snapshot.py.
"""

from __future__ import annotations

import base64
import json
import os
import sqlite3
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from crawlcheck.clock import format_time
from crawlcheck.decide.checker import UrlChecker
from crawlcheck.errors import UsageError
from crawlcheck.model import Fetched, SiteFetches
from crawlcheck.snapshot import (
    DAMAGED,
    MANIFEST,
    MISSING,
    STALE,
    ShardWriter,
    Snapshot,
    SnapshotWriter,
    capture_time,
    finish_snapshot,
    publish_snapshot,
    registrable_domain,
    shard_name,
    shard_of,
)

T0 = 1_790_000_000.0  # 2026-09-21T14:13:20Z
HOUR = 3600.0


def site(origin: str, robots: str, at: float = T0, status: int = 200) -> SiteFetches:
    """Return *origin*'s site files: robots.txt as given, the other files 404."""
    when = format_time(at)
    files = {
        name: Fetched(
            url=f"{origin}{path}",
            status=404,
            body=b"no",
            final_url=f"{origin}{path}",
            fetched_at=when,
        )
        for name, path in (
            ("ai_txt", "/ai.txt"),
            ("tdmrep", "/.well-known/tdmrep.json"),
            ("llms_txt", "/llms.txt"),
        )
    }
    return SiteFetches(
        site=origin,
        origin=origin,
        robots=Fetched(
            url=f"{origin}/robots.txt",
            status=status,
            headers=(("Content-Type", "text/plain"),),
            body=robots.encode(),
            final_url=f"{origin}/robots.txt",
            fetched_at=when,
        ),
        started_at=when,
        finished_at=when,
        **files,
    )


CLOSED = "User-agent: GPTBot\nDisallow: /\n"
OPEN = "User-agent: *\nDisallow:\n"
ORIGINS = [f"https://www{i}.site{i % 7}.co.uk" for i in range(40)]


def write(path: Path, sites: list[SiteFetches], shards: int = 1) -> Path:
    with SnapshotWriter(path, shards=shards, rules_digest="sha256:test") as writer:
        for fetches in sites:
            writer.add(fetches)
    return path


@pytest.fixture
def sharded(tmp_path: Path) -> Path:
    sites = [site(o, CLOSED if i % 2 else OPEN) for i, o in enumerate(ORIGINS)]
    return write(tmp_path / "snap", sites, shards=4)


def decisions(snapshot: Snapshot | Path, urls: list[str]) -> list[tuple[str, list[str]]]:
    with UrlChecker(snapshot=snapshot) as checker:
        return [(d.decision, [p.code for p in d.problems]) for d in checker.check(urls)]


# -- the shard key ---------------------------------------------------------------------


def test_registrable_domains_keep_a_site_together() -> None:
    assert registrable_domain("https://a.b.example.co.uk") == "example.co.uk"
    assert registrable_domain("http://example.co.uk:8080") == "example.co.uk"
    assert registrable_domain("http://[2001:db8::1]:8080") == "[2001:db8::1]"
    assert registrable_domain("http://open.example") == "open.example"  # no public suffix
    assert shard_of("example.co.uk", 7) == shard_of("example.co.uk", 7)
    assert {shard_of(f"d{i}.com", 4) for i in range(100)} == {0, 1, 2, 3}


def test_shards_hold_whole_registrable_domains(sharded: Path) -> None:
    manifest = json.loads((sharded / MANIFEST).read_text())
    assert manifest["format"] == "crawlcheck.snapshot/1"
    assert manifest["shard_count"] == 4
    assert manifest["origins"] == manifest["captures"] == len(ORIGINS)
    assert manifest["rules_digest"] == "sha256:test"
    assert manifest["fetched_from"] == manifest["fetched_to"] == format_time(T0)
    seen: dict[str, int] = {}
    for index in range(4):
        with sqlite3.connect(sharded / shard_name(index, 4)) as db:
            for (domain,) in db.execute("SELECT DISTINCT domain FROM captures"):
                assert seen.setdefault(domain, index) == index
                assert shard_of(domain, 4) == index
    assert len(seen) == 7


def test_a_shard_refuses_an_origin_of_another_shard(tmp_path: Path) -> None:
    domain = registrable_domain(ORIGINS[0])
    other = (shard_of(domain, 4) + 1) % 4
    writer = ShardWriter(tmp_path / "x.sqlite3", index=other, shards=4, rules_digest="d")
    with pytest.raises(ValueError, match="belongs to shard"):
        writer.add(site(ORIGINS[0], OPEN))
    writer.abort()
    assert not (tmp_path / "x.sqlite3").exists()


def test_distributed_builders_write_shards_then_one_manifest(tmp_path: Path) -> None:
    folder = tmp_path / "dist"
    folder.mkdir()
    for index in range(3):  # as three Ray tasks would, each on its own
        with ShardWriter(
            folder / shard_name(index, 3), index=index, shards=3, rules_digest="d"
        ) as shard:
            for origin in ORIGINS:
                if shard_of(registrable_domain(origin), 3) == index:
                    shard.add(site(origin, CLOSED))
    manifest = finish_snapshot(folder, shards=3, rules_digest="d")
    assert manifest.origins == len(ORIGINS)
    with Snapshot(folder, at=T0) as snapshot:
        assert all(snapshot.lookup(o).capture is not None for o in ORIGINS)


# -- reading ----------------------------------------------------------------------------


def test_lookups_return_the_evidence_as_fetched(sharded: Path) -> None:
    with Snapshot(sharded, at=T0 + HOUR) as snapshot:
        found = snapshot.lookup_many([*ORIGINS[:3], "https://absent.example"])
        capture = found[ORIGINS[1]].capture
        assert capture is not None
        assert capture.fetched_at == T0
        assert capture.rules_digest == "sha256:test"
        assert capture.source == "live"
        assert capture.complete
        robots = capture.fetches.robots
        assert robots is not None
        assert robots.body == CLOSED.encode()
        assert robots.headers == (("Content-Type", "text/plain"),)
        assert found[ORIGINS[1]].fetches == site(ORIGINS[1], CLOSED)
        missing = found["https://absent.example"]
        assert missing.capture is None
        assert missing.problem is not None
        assert missing.problem.code == MISSING
        assert missing.problem.level == "error"
        assert snapshot.manifest.origins == len(ORIGINS)


def test_decisions_from_a_snapshot_and_fail_closed_for_missing_or_stale(tmp_path: Path) -> None:
    path = write(
        tmp_path / "snap",
        [
            site("https://closed.example", CLOSED),
            site("https://open.example", OPEN),
            site("https://old.example", OPEN, at=T0 - 25 * HOUR),
            site("https://down.example", "", status=503),
        ],
    )
    urls = [
        "https://closed.example/a",
        "https://open.example/a",
        "https://old.example/a",
        "https://down.example/a",
        "https://elsewhere.example/a",
        "not a url",
    ]
    assert decisions(Snapshot(path, at=T0), urls) == [
        ("reserved", []),
        ("allowed", []),
        ("unknown", [STALE]),
        ("unknown", ["robots.unreachable"]),
        ("unknown", [MISSING]),
        ("unknown", ["url.malformed"]),
    ]
    # A longer maximum age makes the old capture usable; now (no `at`), all are stale.
    assert decisions(Snapshot(path, at=T0, max_age=48 * HOUR), urls[2:3]) == [("allowed", [])]
    assert decisions(path, urls[:2]) == [("unknown", [STALE])] * 2


def test_stale_problem_says_when_and_why(tmp_path: Path) -> None:
    path = write(tmp_path / "s", [site("https://old.example", OPEN, at=T0 - 3 * 86400)])
    with Snapshot(path, at=T0) as snapshot:
        problem = snapshot.lookup("https://old.example").problem
    assert problem is not None
    assert problem.code == STALE
    assert format_time(T0 - 3 * 86400) in problem.message
    assert "3 d" in problem.message
    assert "RFC 9309" in problem.message


def test_several_captures_per_origin_the_one_in_force_is_chosen(tmp_path: Path) -> None:
    origin = "https://history.example"
    with SnapshotWriter(tmp_path / "h", rules_digest="d") as writer:
        writer.add(site(origin, OPEN, at=T0 - 10 * 86400), source="warc:a.warc.gz")
        writer.add(site(origin, CLOSED, at=T0), source="warc:b.warc.gz")
        writer.add(site(origin, OPEN, at=T0 + 10 * 86400), source="warc:c.warc.gz")
    url = [f"{origin}/page"]
    path = tmp_path / "h"
    assert decisions(Snapshot(path, at=T0 - 10 * 86400 + HOUR), url) == [("allowed", [])]
    assert decisions(Snapshot(path, at=T0 + HOUR), url) == [("reserved", [])]
    assert decisions(Snapshot(path, at=T0 + 11 * 86400), url) == [("allowed", [])]
    # Before the first capture: nothing was known then.
    assert decisions(Snapshot(path, at=T0 - 20 * 86400), url) == [("unknown", [MISSING])]
    # Past the maximum age of the newest capture: stale, not the newest answer.
    assert decisions(Snapshot(path, at=T0 + 12 * 86400), url) == [("unknown", [STALE])]
    with Snapshot(path) as snapshot:
        history = snapshot.captures(origin)
        assert [c.source for c in history] == ["warc:a.warc.gz", "warc:b.warc.gz", "warc:c.warc.gz"]
        assert len(list(snapshot.iter_captures())) == 3


def test_rows_share_a_preset_dictionary(tmp_path: Path) -> None:
    sites = [site(f"https://s{i}.example", OPEN) for i in range(300)]
    path = write(tmp_path / "s", sites)
    with sqlite3.connect(path / shard_name(0, 1)) as db:
        (codec,) = db.execute("SELECT value FROM meta WHERE key = 'codec'").fetchone()
        (packed,) = db.execute("SELECT value FROM meta WHERE key = 'zdict'").fetchone()
        (data,) = db.execute("SELECT data FROM captures LIMIT 1 OFFSET 250").fetchone()
    assert codec == "site-json+zlib-zdict"
    assert 0 < len(base64.b64decode(packed)) <= 32 * 1024
    with pytest.raises(zlib.error):
        zlib.decompress(data)  # not readable without the shard's dictionary
    with Snapshot(path, at=T0) as snapshot:
        assert [snapshot.lookup(s.origin).fetches for s in sites] == sites


def test_an_empty_snapshot_reads(tmp_path: Path) -> None:
    path = write(tmp_path / "s", [])
    with Snapshot(path, at=T0) as snapshot:
        assert snapshot.manifest.origins == 0
        problem = snapshot.lookup("https://a.example").problem
        assert problem is not None
        assert problem.code == MISSING


def test_capture_time_is_the_oldest_response() -> None:
    fetches = site("https://a.example", OPEN, at=T0)
    later = Fetched(url="https://a.example/lic", status=200, fetched_at=format_time(T0 + 60))
    assert capture_time(fetches) == T0
    early = Fetched(url="https://a.example/lic", status=200, fetched_at=format_time(T0 - 60))
    assert capture_time(SiteFetches(site="a", origin="a", licenses=(later, early))) == T0 - 60
    assert capture_time(SiteFetches(site="a", origin="a")) is None


def test_another_public_suffix_list_searches_every_shard(sharded: Path) -> None:
    manifest = json.loads((sharded / MANIFEST).read_text())
    manifest["psl"] = "sha256:another-list"
    (sharded / MANIFEST).write_text(json.dumps(manifest))
    with Snapshot(sharded, at=T0) as snapshot:
        assert snapshot._search_all
        # Every origin is found although the shard could be computed differently.
        assert all(snapshot.lookup(o).capture is not None for o in ORIGINS)
        assert snapshot.lookup("https://absent.example").problem is not None


# -- damage: a one-line error, or unknown per origin; never a traceback, never allowed --


def test_no_snapshot_there_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no such directory"):
        Snapshot(tmp_path / "nothing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(UsageError, match=f"cannot read {MANIFEST}"):
        Snapshot(tmp_path / "empty")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{not json", "damaged manifest"),
        (b'{"format": "something/9"}', "is not 'crawlcheck.snapshot/1'"),
        (b'{"format": "crawlcheck.snapshot/1", "shards": []}', "damaged manifest"),
        (b"[1, 2]", "damaged manifest"),
    ],
)
def test_a_damaged_manifest_is_a_usage_error(sharded: Path, content: bytes, message: str) -> None:
    (sharded / MANIFEST).write_bytes(content)
    with pytest.raises(UsageError, match=message):
        Snapshot(sharded)


def test_a_manifest_cannot_point_outside_its_folder(sharded: Path) -> None:
    manifest = json.loads((sharded / MANIFEST).read_text())
    manifest["shards"][0]["path"] = "../elsewhere.sqlite3"
    (sharded / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(UsageError, match="is not a file name"):
        Snapshot(sharded)


def _shard_of(origin: str, shards: int = 4) -> str:
    return shard_name(shard_of(registrable_domain(origin), shards), shards)


@pytest.mark.parametrize("damage", ["missing", "truncated", "garbage", "foreign", "pages"])
def test_a_damaged_shard_makes_only_its_origins_unknown(
    sharded: Path, damage: str, caplog: pytest.LogCaptureFixture
) -> None:
    victim = sharded / _shard_of(ORIGINS[1])
    size = victim.stat().st_size
    if damage == "missing":
        victim.unlink()
    elif damage == "truncated":
        with open(victim, "r+b") as handle:
            handle.truncate(size // 2)
    elif damage == "garbage":
        victim.write_bytes(os.urandom(size))
    elif damage == "foreign":  # another SQLite file of the same size in its place
        victim.unlink()
        with sqlite3.connect(victim) as db:
            db.execute("CREATE TABLE t (x BLOB)")
            db.execute("INSERT INTO t VALUES (zeroblob(?))", (size,))
        with open(victim, "r+b") as handle:
            handle.truncate(size)
    else:  # every page after the header overwritten: the header still reads
        with open(victim, "r+b") as handle:
            handle.seek(4096)
            handle.write(b"\xff" * (size - 4096))
    urls = [f"{origin}/x" for origin in ORIGINS]
    found = decisions(Snapshot(sharded, at=T0), urls)
    hit = {o for o in ORIGINS if _shard_of(o) == victim.name}
    for origin, (decision, problems) in zip(ORIGINS, found, strict=True):
        if origin in hit:
            assert (decision, problems) == ("unknown", [DAMAGED]), origin
        else:
            assert decision in ("allowed", "reserved")
    assert "cannot be read" in caplog.text


def test_a_damaged_row_makes_its_origin_unknown(tmp_path: Path) -> None:
    path = write(
        tmp_path / "s",
        [site("https://a.example", OPEN), site("https://b.example", OPEN)],
    )
    shard = path / shard_name(0, 1)
    size = shard.stat().st_size
    with sqlite3.connect(shard) as db:
        (packed,) = db.execute("SELECT value FROM meta WHERE key = 'zdict'").fetchone()
        zdict = base64.b64decode(packed)
        (data,) = db.execute(
            "SELECT data FROM captures WHERE origin = 'https://a.example'"
        ).fetchone()
        row = json.loads(zlib.decompressobj(zdict=zdict).decompress(data))
        row["robots"]["body"] = "VXNlci1hZ2VudDogKgo="  # another body, the old sha256
        packer = zlib.compressobj(zdict=zdict)
        changed = packer.compress(json.dumps(row).encode()) + packer.flush()
        db.execute("UPDATE captures SET data = ? WHERE origin = 'https://a.example'", (changed,))
        db.execute("UPDATE captures SET data = x'00' WHERE origin = 'https://b.example'")
    _restore_size(path, shard, size)
    found = decisions(Snapshot(path, at=T0), ["https://a.example/", "https://b.example/"])
    assert found == [("unknown", [DAMAGED]), ("unknown", [DAMAGED])]
    with Snapshot(path, at=T0) as snapshot:
        problem = snapshot.lookup("https://a.example").problem
        assert problem is not None
        assert "does not match its sha256" in problem.message


def _restore_size(path: Path, shard: Path, size: int) -> None:
    """Keep the manifest's byte count right, as a damage inside the file would."""
    manifest = json.loads((path / MANIFEST).read_text())
    manifest["shards"][0]["bytes"] = shard.stat().st_size
    (path / MANIFEST).write_text(json.dumps(manifest))


def test_a_snapshot_is_never_overwritten(sharded: Path) -> None:
    with pytest.raises(UsageError, match="already exists"):
        SnapshotWriter(sharded, rules_digest="d")


def test_an_aborted_build_leaves_nothing(tmp_path: Path) -> None:
    def build() -> None:
        with SnapshotWriter(tmp_path / "s", rules_digest="d") as writer:
            writer.add(site("https://a.example", OPEN))
            raise RuntimeError("crawl failed")

    with pytest.raises(RuntimeError):
        build()
    assert list(tmp_path.iterdir()) == []


# -- sharing through fsspec ---------------------------------------------------------------


@pytest.fixture
def memory_fs() -> Iterator[object]:
    fsspec = pytest.importorskip("fsspec")
    fs = fsspec.filesystem("memory")
    yield fs
    fs.rm("/", recursive=True)


def test_memory_url_copies_shards_once_and_checks_them(
    sharded: Path, tmp_path: Path, memory_fs: object
) -> None:
    publish_snapshot(sharded, "memory://bucket/snap")
    cache = tmp_path / "cache"
    urls = [f"{origin}/x" for origin in ORIGINS]
    local = decisions(Snapshot(sharded, at=T0), urls)
    with Snapshot("memory://bucket/snap", at=T0, cache_dir=cache) as remote:
        assert decisions(remote, urls) == local
    copies = sorted(p.name for p in cache.iterdir())
    shards = json.loads((sharded / MANIFEST).read_text())["shards"]
    # Only the shards asked for are copied: those holding the origins looked up.
    assert copies == sorted(f"{s['sha256']}.sqlite3" for s in shards if s["origins"])
    # A second reader uses the copies; a copy damaged in the cache is fetched again.
    (cache / copies[0]).write_bytes(b"x")
    with Snapshot("memory://bucket/snap", at=T0, cache_dir=cache) as again:
        assert decisions(again, urls) == local
    assert (cache / copies[0]).stat().st_size > 1


def test_memory_url_with_a_changed_shard_is_unknown_not_trusted(
    sharded: Path, tmp_path: Path, memory_fs: object
) -> None:
    publish_snapshot(sharded, "memory://bucket/snap")
    victim = _shard_of(ORIGINS[1])
    with memory_fs.open(f"/bucket/snap/{victim}", "wb") as handle:  # type: ignore[attr-defined]
        handle.write((sharded / victim).read_bytes()[:-1] + b"!")
    with Snapshot("memory://bucket/snap", at=T0, cache_dir=tmp_path / "c") as remote:
        lookup = remote.lookup(ORIGINS[1])
        assert lookup.problem is not None
        assert lookup.problem.code == DAMAGED
        assert "sha256" in lookup.problem.message
        assert remote.lookup(ORIGINS[0] if _shard_of(ORIGINS[0]) != victim else ORIGINS[2])
    assert not [p for p in (tmp_path / "c").iterdir() if p.name.startswith(".download")]


def test_memory_url_without_a_snapshot_is_a_usage_error(memory_fs: object) -> None:
    with pytest.raises(UsageError, match=f"no {MANIFEST} there"):
        Snapshot("memory://bucket/none")


def test_file_url_is_read_in_place(sharded: Path, tmp_path: Path) -> None:
    pytest.importorskip("fsspec")
    with Snapshot(sharded.as_uri(), at=T0, cache_dir=tmp_path / "c") as snapshot:
        assert snapshot.lookup(ORIGINS[3]).capture is not None
    assert not (tmp_path / "c").exists()


def test_without_fsspec_a_url_names_the_extra(tmp_path: Path) -> None:
    code = (
        "import sys; sys.modules['fsspec'] = None\n"
        "from crawlcheck.snapshot import Snapshot\n"
        "from crawlcheck.errors import UsageError\n"
        "try:\n    Snapshot('s3://bucket/snap')\n"
        "except UsageError as exc:\n    print(exc)\n"
    )
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert "needs fsspec: install crawlcheck[snapshot]" in out.stdout


# -- one snapshot object, many processes ----------------------------------------------------


def _decide_in_child(snapshot: Snapshot, url: str) -> str:
    with UrlChecker(snapshot=snapshot) as checker:
        return str(next(checker.check([url])).decision)


def test_a_snapshot_pickles_as_what_to_open(sharded: Path) -> None:
    import pickle

    with Snapshot(sharded, at=T0, max_age=HOUR) as snapshot:
        snapshot.lookup(ORIGINS[0])  # a shard is open: it is not what travels
        copy = pickle.loads(pickle.dumps(snapshot))
    assert (copy.location, copy.at, copy.max_age) == (str(sharded), T0, HOUR)
    assert copy.lookup(ORIGINS[1]).capture is not None
    copy.close()


def test_pool_workers_get_the_snapshot_pickled_and_open_it(sharded: Path) -> None:
    import multiprocessing

    snapshot = Snapshot(sharded, at=T0)
    snapshot.lookup(ORIGINS[0])  # opened in the parent before the workers start
    urls = [f"{origin}/x" for origin in ORIGINS[:6]]
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        found = pool.starmap(_decide_in_child, [(snapshot, url) for url in urls])
    assert found == ["allowed", "reserved"] * 3
    assert snapshot.lookup(ORIGINS[1]).capture is not None  # the parent's still work
    snapshot.close()


def _forked_child(snapshot: Snapshot, index: int, out: Any) -> None:
    inherited = snapshot._shards[index]
    capture = snapshot.lookup(ORIGINS[0]).capture
    mine = snapshot._shards[index]
    out.put((capture is not None, mine is not inherited))


def test_a_forked_child_does_not_use_the_parents_connections(sharded: Path) -> None:
    import multiprocessing

    snapshot = Snapshot(sharded, at=T0)
    assert snapshot.lookup(ORIGINS[0]).capture is not None
    index = shard_of(registrable_domain(ORIGINS[0]), 4)
    context = multiprocessing.get_context("fork")
    out = context.Queue()
    child = context.Process(target=_forked_child, args=(snapshot, index, out))
    child.start()
    assert out.get(timeout=60) == (True, True)
    child.join(timeout=60)
    assert child.exitcode == 0
    snapshot.close()


def test_threads_share_one_snapshot(sharded: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    with Snapshot(sharded, at=T0) as snapshot, ThreadPoolExecutor(max_workers=4) as pool:
        found = list(pool.map(lambda o: snapshot.lookup(o).capture, ORIGINS * 5))
    assert all(capture is not None for capture in found)
