"""Tests for crawlcheck.cache: round trip, RFC 9309 §2.4 expiry, damage, two processes."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from crawlcheck.cache import (
    MAX_TTL,
    UNREACHABLE_TTL,
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
        (robots(503), UNREACHABLE_TTL),
        (robots(429), MAX_TTL),  # 4xx, 429 included: no rules (contract), not unreachable
        (robots(503, ("Cache-Control", "max-age=60")), 60),
        (robots(None, error="connection"), UNREACHABLE_TTL),
    ],
)
def test_time_to_live_follows_rfc9309_and_rfc9111(doc: Fetched | None, ttl: float) -> None:
    assert time_to_live(doc) == ttl


def test_entries_expire() -> None:
    clock = Clock()
    with OriginCache(":memory:", clock=clock) as cache:
        assert cache.put(site(robots_doc=robots(200, ("Cache-Control", "max-age=60")))) == 60
        assert cache.get(ORIGIN) is not None
        clock.now += 59
        assert cache.get(ORIGIN) is not None
        clock.now += 1
        assert cache.get(ORIGIN) is None
        assert cache.prune() == 1
        assert len(cache) == 0


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


def test_not_a_database_is_a_usage_error_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes(b"my precious notes, not a database\n" * 100)
    before = path.read_bytes()
    with pytest.raises(UsageError, match=r"notes\.txt.*not a usable crawlcheck cache"):
        OriginCache(path)
    assert path.read_bytes() == before


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
