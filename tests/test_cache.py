"""Tests for crawlcheck.cache: round trip, RFC 9309 §2.4 expiry, damage, two processes."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from crawlcheck.cache import (
    FAILURE_TTL,
    MAX_TTL,
    OriginCache,
    decode_site,
    default_cache_path,
    encode_site,
    time_to_live,
)
from crawlcheck.errors import UsageError
from crawlcheck.model import Fetched, SiteFetches

ORIGIN = "https://example.com"


def robots(
    status: int | None = 200, *headers: tuple[str, str], error: str | None = None
) -> Fetched:
    return Fetched(
        url=f"{ORIGIN}/robots.txt",
        status=status,
        headers=(("Content-Type", "text/plain"), *headers),
        body=b"User-agent: GPTBot\nDisallow: /\n",
        final_url=f"{ORIGIN}/robots.txt",
        error=error,
        fetched_at="2025-01-01T00:00:00Z",
    )


def site(origin: str = ORIGIN, robots_doc: Fetched | None = None) -> SiteFetches:
    return SiteFetches(site=origin, origin=origin, robots=robots_doc or robots())


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_round_trip_keeps_every_byte_of_evidence_and_drops_pages() -> None:
    binary = bytes(range(256))
    fetches = SiteFetches(
        site="example.com",
        origin=ORIGIN,
        robots=Fetched(
            url=f"{ORIGIN}/robots.txt",
            status=200,
            headers=(("X-A", "1"), ("X-A", "2"), ("Content-Type", "text/plain; charset=é")),
            body=binary,
            final_url="https://www.example.com/robots.txt",
            redirects=((301, "https://www.example.com/robots.txt"),),
            fetched_at="2025-01-01T00:00:00Z",
            elapsed_ms=12.5,
            truncated=True,
        ),
        ai_txt=Fetched(url=f"{ORIGIN}/ai.txt", error="timeout"),
        tdmrep=None,
        llms_txt=Fetched(url=f"{ORIGIN}/llms.txt", status=404),
        pages=(Fetched(url=f"{ORIGIN}/", status=200, body=b"<html>"),),
        licenses=(Fetched(url=f"{ORIGIN}/license.xml", status=200, body=b"<rsl/>"),),
        skipped=((f"{ORIGIN}/x", "disallowed"),),
        started_at="a",
        finished_at="b",
    )
    with OriginCache(":memory:") as cache:
        cache.put(fetches)
        back = cache.get(ORIGIN)
    assert back is not None
    assert back.robots == fetches.robots
    assert back.ai_txt == fetches.ai_txt
    assert back.llms_txt == fetches.llms_txt
    assert back.tdmrep is None
    assert back.licenses == fetches.licenses
    assert (back.site, back.started_at, back.finished_at) == ("example.com", "a", "b")
    assert back.pages == ()
    assert back.skipped == ()


def test_stored_row_is_json_with_sha256(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite3"
    with OriginCache(path) as cache:
        cache.put(site())
    with sqlite3.connect(path) as db:
        (data,) = db.execute("SELECT data FROM origins").fetchone()
    assert '"sha256":"' in data
    assert decode_site(data).robots == robots()


def test_damaged_body_is_detected() -> None:
    text = encode_site(site())
    text = text.replace(robots().sha256, "0" * 64, 1)
    with pytest.raises(ValueError, match="sha256"):
        decode_site(text)


@pytest.mark.parametrize(
    ("doc", "ttl"),
    [
        (None, MAX_TTL),
        (robots(), MAX_TTL),
        (robots(200, ("Cache-Control", "max-age=60")), 60),
        (robots(200, ("Cache-Control", "public, max-age=600"), ("Age", "100")), 500),
        (robots(200, ("Cache-Control", "max-age=0")), 0),
        (robots(200, ("Cache-Control", "max-age=999999")), MAX_TTL),
        (robots(200, ("Cache-Control", "max-age=oops")), 0),
        (robots(200, ("Cache-Control", "no-store")), 0),
        (robots(200, ("Cache-Control", "no-cache")), 0),
        (
            robots(
                200,
                ("Date", "Wed, 01 Jan 2025 00:00:00 GMT"),
                ("Expires", "Wed, 01 Jan 2025 01:00:00 GMT"),
            ),
            3600,
        ),
        (
            robots(
                200,
                ("Cache-Control", "max-age=30"),
                ("Date", "Wed, 01 Jan 2025 00:00:00 GMT"),
                ("Expires", "Wed, 01 Jan 2025 01:00:00 GMT"),
            ),
            30,
        ),
        (robots(200, ("Expires", "0")), 0),
        (robots(404), MAX_TTL),
        (robots(503), FAILURE_TTL),
        (robots(429), MAX_TTL),  # 4xx, 429 included: no rules (contract), not unreachable
        (robots(503, ("Cache-Control", "max-age=60")), 60),
        (robots(None, error="connection"), FAILURE_TTL),
    ],
)
def test_time_to_live_follows_rfc9309_and_rfc9111(doc: Fetched | None, ttl: float) -> None:
    assert time_to_live(SiteFetches(site=ORIGIN, origin=ORIGIN, robots=doc)) == ttl


@pytest.mark.parametrize(
    ("ai_txt", "ttl"),
    [
        (Fetched(url=f"{ORIGIN}/ai.txt", status=404), MAX_TTL),
        (Fetched(url=f"{ORIGIN}/ai.txt", status=200, body=b"User-agent: *"), MAX_TTL),
        (Fetched(url=f"{ORIGIN}/ai.txt", status=502), FAILURE_TTL),
        (Fetched(url=f"{ORIGIN}/ai.txt", error="timeout"), FAILURE_TTL),
        (Fetched(url=f"{ORIGIN}/ai.txt", status=200, truncated=True), FAILURE_TTL),
    ],
)
def test_a_site_file_that_failed_is_kept_only_briefly(ai_txt: Fetched, ttl: float) -> None:
    assert (
        time_to_live(SiteFetches(site=ORIGIN, origin=ORIGIN, robots=robots(), ai_txt=ai_txt)) == ttl
    )


def test_a_failure_never_replaces_a_fresh_complete_copy() -> None:
    clock = Clock()
    good = site()
    failed = SiteFetches(
        site=ORIGIN,
        origin=ORIGIN,
        robots=robots(),
        ai_txt=Fetched(url=ORIGIN + "/ai.txt", status=503),
    )
    with OriginCache(":memory:", clock=clock) as cache:
        cache.put(good)
        clock.now += 10
        cache.put(failed)  # an earlier fetch of another process, finished later
        assert cache.get(ORIGIN) == good
        clock.now += MAX_TTL
        cache.put(failed)  # the good copy has expired: the failure is the news now
        assert cache.get(ORIGIN) == failed
        cache.put(good)  # and a later good answer replaces a failure at once
        assert cache.get(ORIGIN) == good


def test_entries_expire() -> None:
    clock = Clock()
    with OriginCache(":memory:", clock=clock) as cache:
        assert cache.put(site(robots_doc=robots(200, ("Cache-Control", "max-age=60")))) == 60
        assert cache.get(ORIGIN) is not None
        clock.now += 59
        assert cache.get(ORIGIN) is not None
        clock.now += 1
        assert cache.get(ORIGIN) is None


def test_max_age_zero_is_never_served() -> None:
    with OriginCache(":memory:", clock=Clock()) as cache:
        cache.put(site(robots_doc=robots(200, ("Cache-Control", "max-age=0"))))
        assert cache.get(ORIGIN) is None


def test_put_replaces_and_get_many_chunks() -> None:
    origins = [f"https://h{i}.example" for i in range(1200)]
    with OriginCache(":memory:") as cache:
        cache.put_many(site(o) for o in origins)
        cache.put(site(origins[0], robots(404)))
        found = cache.get_many([*origins, "https://absent.example"])
        assert len(cache) == 1200
    assert set(found) == set(origins)
    assert found[origins[0]].robots is not None
    assert found[origins[0]].robots.status == 404


def test_damaged_row_is_a_miss_then_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite3"
    with OriginCache(path) as cache:
        cache.put(site())
    with sqlite3.connect(path) as db:
        db.execute("UPDATE origins SET data = '{not json'")
    with OriginCache(path) as cache:
        assert cache.get(ORIGIN) is None
        cache.put(site())
        assert cache.get(ORIGIN) is not None


def test_a_file_that_is_no_database_is_set_aside_not_destroyed(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes(b"my precious notes, not a database\n" * 100)
    before = path.read_bytes()
    with OriginCache(path) as cache:
        cache.put(site())
        assert cache.get(ORIGIN) is not None
    [aside] = tmp_path.glob("notes.txt.damaged-*")
    assert aside.read_bytes() == before
    assert [r.getMessage() for r in caplog.records if "set aside" in r.getMessage()]


@pytest.mark.parametrize("offset", [0, 100, 4096, 5000, 8200, 12000])
def test_bit_flips_anywhere_never_crash_a_run(tmp_path: Path, offset: int) -> None:
    path = tmp_path / "c.sqlite3"
    with OriginCache(path) as cache:
        cache.put_many(site(f"https://h{i}.example") for i in range(40))
    data = bytearray(path.read_bytes())
    for i in range(offset, min(offset + 64, len(data))):
        data[i] ^= 0xFF
    path.write_bytes(bytes(data))
    for wal in tmp_path.glob("c.sqlite3-*"):
        wal.unlink()
    with OriginCache(path) as cache:  # damaged rows are misses; a damaged file is rebuilt
        found = cache.get_many(f"https://h{i}.example" for i in range(40))
        assert all(v.robots == robots() for v in found.values())
        cache.put(site())
        assert cache.get(ORIGIN) is not None


_READ_ONLY = textwrap.dedent(
    """
    import sys
    from crawlcheck.cache import OriginCache
    with OriginCache(sys.argv[1]) as cache:
        assert cache.read_only
        assert cache.get(sys.argv[2]) is not None
        cache.put(cache.get(sys.argv[2]))  # skipped, never an error
    print("read")
    """
)


def test_a_read_only_cache_is_read_and_not_written(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite3"
    with OriginCache(path) as cache:
        cache.put(site())
    path.chmod(0o444)
    tmp_path.chmod(0o555)
    # As root (CI), drop the capability that ignores file modes, so they apply.
    prefix = (
        [
            "setpriv",
            "--bounding-set",
            "-dac_override,-dac_read_search",
            "--inh-caps",
            "-dac_override,-dac_read_search",
        ]
        if os.geteuid() == 0
        else []
    )
    try:
        done = subprocess.run(
            [*prefix, sys.executable, "-c", _READ_ONLY, str(path), ORIGIN],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        tmp_path.chmod(0o755)
        path.chmod(0o644)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "read\n"
    assert "read-only: used, not updated" in done.stderr or done.stderr == ""


def test_a_full_disk_says_so_once_and_the_run_goes_on(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "c.sqlite3"
    with OriginCache(path) as cache:
        # SQLite's own "database or disk is full", as a full file system gives it.
        cache._db.execute("PRAGMA max_page_count = 8")
        big = [site(f"https://h{i}.example") for i in range(300)]
        lifetimes = cache.put_many(big)
        assert len(lifetimes) == 300
        assert not cache.writable
        cache.put_many(big)  # not tried again, not raised
    messages = [r.getMessage() for r in caplog.records]
    assert len([m for m in messages if "cannot write" in m]) == 1
    assert any("full" in m for m in messages)


def test_another_programs_database_is_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "theirs.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE customers (name TEXT)")
        db.execute("INSERT INTO customers VALUES ('x')")
    with pytest.raises(UsageError, match=r"theirs\.db.*another program"):
        OriginCache(path)
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT name FROM customers").fetchall() == [("x",)]


def test_empty_file_becomes_a_cache(tmp_path: Path) -> None:
    path = tmp_path / "empty.sqlite3"
    path.touch()
    with OriginCache(path) as cache:
        cache.put(site())
        assert cache.get(ORIGIN) is not None


def test_old_schema_rows_are_dropped(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite3"
    with OriginCache(path) as cache:
        cache.put(site())
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA user_version = 0")
    with OriginCache(path) as cache:
        assert len(cache) == 0


def test_uncreatable_directory_is_a_usage_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(UsageError, match="cannot create its directory"):
        OriginCache(blocker / "sub" / "c.sqlite3")


def test_default_path_honours_env_and_xdg(tmp_path: Path) -> None:
    assert default_cache_path({"CRAWLCHECK_CACHE": str(tmp_path / "x.db")}) == tmp_path / "x.db"
    assert default_cache_path({"XDG_CACHE_HOME": str(tmp_path)}) == (
        tmp_path / "crawlcheck" / "origins.sqlite3"
    )
    # XDG: a relative XDG_CACHE_HOME is invalid and ignored.
    assert default_cache_path({"XDG_CACHE_HOME": "rel"}) == (
        Path.home() / ".cache" / "crawlcheck" / "origins.sqlite3"
    )


_WORKER = textwrap.dedent(
    """
    import sys
    from crawlcheck.cache import OriginCache
    from crawlcheck.model import Fetched, SiteFetches

    path, me, other, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    seen = 0
    cache = OriginCache(path)
    for i in range(count):
        origin = f"http://{me}-{i}.example"
        doc = Fetched(url=origin + "/robots.txt", status=200, body=b"x" * (i % 97))
        cache.put(SiteFetches(site=origin, origin=origin, robots=doc))
        got = cache.get_many(f"http://{other}-{j}.example" for j in range(0, i + 1, 7))
        seen += len(got)
        assert cache.get(origin) is not None
    cache.close()
    print(seen)
    """
)


def test_two_processes_share_one_file(tmp_path: Path) -> None:
    path = tmp_path / "shared.sqlite3"
    count = 150
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _WORKER, str(path), me, other, str(count)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for me, other in (("a", "b"), ("b", "a"))
    ]
    results = [proc.communicate(timeout=120) for proc in procs]
    for proc, (_, err) in zip(procs, results, strict=True):
        assert proc.returncode == 0, err
    with OriginCache(path) as cache:
        assert len(cache) == 2 * count
        got = cache.get_many(f"http://{p}-{i}.example" for p in "ab" for i in range(count))
        assert len(got) == 2 * count


def test_rows_stored_during_a_run_are_served_to_that_run() -> None:
    clock = Clock()
    run_started = clock.now
    with OriginCache(":memory:", clock=clock) as cache:
        cache.put(site(robots_doc=robots(200, ("Cache-Control", "no-store"))))
        clock.now += 5
        assert cache.get(ORIGIN) is None
        assert ORIGIN in cache.get_many([ORIGIN], stored_since=run_started)
        assert cache.get_many([ORIGIN], stored_since=run_started + 1) == {}
