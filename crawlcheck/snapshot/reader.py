"""Read an origin snapshot: the capture of each origin in force at a time, or why none is.

:class:`Snapshot` opens per process without loading the snapshot: the manifest is read at
once, each shard file only when an origin of it is first asked for, read-only
(``mode=ro&immutable=1``: no lock, no journal, so any number of processes share it, on a
read-only filesystem too) with a bounded page cache. Memory depends on that cache, not on
the snapshot's size (docs/snapshots.md, "Measurements").

For each origin asked, :meth:`Snapshot.lookup_many` returns a :class:`Lookup`: the capture
in force — the newest taken at or before the decision time — or the problem that makes
every decision on the origin ``unknown`` (fail closed, never ``allowed``):

* ``snapshot.missing-origin`` — no capture of the origin at or before that time;
* ``snapshot.stale`` — the capture in force is older than the maximum age (24 hours by
  default: RFC 9309 §2.4 says a cached robots.txt SHOULD NOT be used longer);
* ``snapshot.damaged`` — its shard or its row cannot be read, or a body no longer matches
  its sha256.
"""

from __future__ import annotations

import base64
import logging
import math
import os
import sqlite3
import threading
import time
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from crawlcheck.cache import decode_site
from crawlcheck.clock import format_time
from crawlcheck.model import Problem, SiteFetches
from crawlcheck.snapshot.format import (
    APPLICATION_ID,
    CODEC,
    SCHEMA_VERSION,
    Manifest,
    ShardInfo,
    psl_fingerprint,
    registrable_domain,
    shard_of,
)
from crawlcheck.snapshot.remote import ShardSource, ShardUnavailable, open_source

__all__ = [
    "CLOCK_SKEW",
    "DAMAGED",
    "DEFAULT_MAX_AGE",
    "MISSING",
    "STALE",
    "Capture",
    "Lookup",
    "Snapshot",
]

logger = logging.getLogger(__name__)

#: RFC 9309 §2.4: a cached robots.txt SHOULD NOT be used for more than 24 hours.
DEFAULT_MAX_AGE = 24 * 3600.0
#: Seconds a capture may lie in the future of "now" (the builder's clock ahead of ours).
CLOCK_SKEW = 300.0
#: Page cache of all shards of one snapshot together, in KiB (SQLite's cache_size).
CACHE_KIB = 16 * 1024
#: Decompressed bytes of one capture row read at most (a crawl keeps 1 MiB per file).
MAX_ROW_BYTES = 64 * 1024 * 1024
MISSING = "snapshot.missing-origin"
STALE = "snapshot.stale"
DAMAGED = "snapshot.damaged"
_SQL_VARIABLES = 500
_SERIALIZED = 3
_COLUMNS = "origin, domain, fetched_at, complete, crawlcheck_version, rules_digest, source, data"


@dataclass(frozen=True, slots=True, kw_only=True)
class Capture:
    """One origin's site-level files as fetched at one time, with how they were fetched."""

    origin: str
    domain: str
    """Its registrable domain (the shard key)."""
    fetched_at: float
    """POSIX time of the oldest response in the capture."""
    complete: bool
    """Every site file fetched was an answer (no 5xx, timeout or network failure)."""
    crawlcheck_version: str
    rules_digest: str
    """The rules in use when the capture was made (:attr:`crawlcheck.ruleset.Ruleset.digest`)."""
    source: str
    """``live``, or the archive the capture was read from."""
    fetches: SiteFetches
    """The evidence: every site file's URL, status, headers, body, sha256 and time."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Lookup:
    """The answer for one origin: the capture in force, or the problem why there is none."""

    origin: str
    capture: Capture | None = None
    """The capture to decide from; None when missing, stale or damaged."""
    problem: Problem | None = None
    """Why there is no usable capture (level ``error``: decisions are ``unknown``)."""

    @property
    def fetches(self) -> SiteFetches | None:
        """Return the site files to decide from (:func:`crawlcheck.decide.site_signals`)."""
        return None if self.capture is None else self.capture.fetches


class _Shard:
    """One open shard file, or the reason it cannot be read."""

    def __init__(
        self, db: sqlite3.Connection | None, failure: str = "", zdict: bytes = b""
    ) -> None:
        self.db = db
        self.failure = failure
        self.zdict = zdict
        """The shard's preset zlib dictionary (format.CODEC)."""


class Snapshot:
    """A read-only origin snapshot, opened in this process (docs/snapshots.md, "Reading").

    *location* is a snapshot directory, its ``snapshot.json``, or an fsspec URL. Decisions
    are made as of *at* (POSIX seconds; None: the time of each lookup) from captures at
    most *max_age* seconds old (``math.inf``: any age). Raises
    :class:`~crawlcheck.errors.UsageError` when *location* holds no readable manifest; a
    damaged shard or row makes only its origins ``unknown``.
    """

    def __init__(
        self,
        location: str | os.PathLike[str],
        *,
        max_age: float = DEFAULT_MAX_AGE,
        at: float | None = None,
        cache_dir: str | os.PathLike[str] | None = None,
    ) -> None:
        if math.isnan(max_age) or max_age < 0:
            raise ValueError(f"max_age must be a non-negative number of seconds, not {max_age}")
        self.location = os.fspath(location)
        self.max_age = max_age
        self.at = at
        self.cache_dir = None if cache_dir is None else Path(cache_dir)
        manifest, source = open_source(self.location, self.cache_dir)
        self.manifest: Manifest = manifest
        self._source: ShardSource = source
        count = len(manifest.shards)
        self._shards: list[_Shard | None] = [None] * count
        self._pid = os.getpid()
        self._opening = threading.Lock()
        self._cache_kib = max(256, CACHE_KIB // count)
        # Another Public Suffix List may put a domain elsewhere: then a miss searches every
        # shard (slower, never wrong).
        self._search_all = count > 1 and manifest.psl != psl_fingerprint()

    def __reduce__(self) -> tuple[object, ...]:
        """Pickle as what to open: each process (a ``num_proc`` worker) opens its own."""
        return (_reopen, (self.location, self.max_age, self.at, self.cache_dir))

    # -- lookups

    def lookup(self, origin: str) -> Lookup:
        """Return the capture of *origin* (``scheme://host[:port]``) in force, or why none is."""
        return self.lookup_many([origin])[origin]

    def lookup_many(self, origins: Iterable[str]) -> dict[str, Lookup]:
        """Return a :class:`Lookup` for each of *origins*, by origin, a few queries per shard.

        Origins are compared as :func:`crawlcheck.urls.origin_of` writes them.
        """
        wanted = list(dict.fromkeys(origins))
        now = time.time() if self.at is None else self.at
        latest = now + CLOCK_SKEW if self.at is None else self.at
        count = len(self.manifest.shards)
        by_shard: dict[int, list[str]] = {}
        for origin in wanted:
            index = shard_of(registrable_domain(origin), count) if count > 1 else 0
            by_shard.setdefault(index, []).append(origin)
        rows: dict[str, tuple[tuple[object, ...], bytes]] = {}
        failures: dict[str, str] = {}
        for index, group in by_shard.items():
            self._query(index, group, latest, rows, failures)
        if self._search_all:
            for index in range(count):
                left = [o for o in wanted if o not in rows and o not in failures]
                if left:
                    self._query(index, left, latest, rows, {})
        found: dict[str, Lookup] = {}
        for origin in wanted:
            found_row = rows.get(origin)
            if found_row is not None:
                found[origin] = self._judge(origin, *found_row, now)
            elif origin in failures:
                found[origin] = self._problem(origin, DAMAGED, failures[origin])
            else:
                when = "" if self.at is None else f" taken at or before {format_time(self.at)}"
                found[origin] = self._problem(
                    origin, MISSING, f"the snapshot holds no capture of {origin}{when}"
                )
        return found

    def captures(self, origin: str) -> tuple[Capture, ...]:
        """Return every capture of *origin*, oldest first (damaged ones left out)."""
        count = len(self.manifest.shards)
        indexes = (
            range(count)
            if self._search_all
            else [shard_of(registrable_domain(origin), count) if count > 1 else 0]
        )
        found: list[Capture] = []
        for index in indexes:
            shard = self._shard(index)
            if shard.db is None:
                continue
            try:
                rows = shard.db.execute(
                    f"SELECT {_COLUMNS} FROM captures WHERE origin = ? ORDER BY fetched_at",
                    (origin,),
                ).fetchall()
            except sqlite3.DatabaseError as exc:
                self._fail(index, shard, exc)
                continue
            for row in rows:
                capture = _capture(row, shard.zdict)
                if isinstance(capture, Capture):
                    found.append(capture)
        return tuple(sorted(found, key=lambda c: c.fetched_at))

    def iter_captures(self) -> Iterator[Capture | Lookup]:
        """Yield every capture, shard by shard, by origin then time (a damaged row: a Lookup)."""
        for index in range(len(self.manifest.shards)):
            shard = self._shard(index)
            if shard.db is None:
                continue
            try:
                for row in shard.db.execute(
                    f"SELECT {_COLUMNS} FROM captures ORDER BY origin, fetched_at"
                ):
                    capture = _capture(row, shard.zdict)
                    if isinstance(capture, str):
                        yield self._problem(str(row[0]), DAMAGED, capture)
                    else:
                        yield capture
            except sqlite3.DatabaseError as exc:
                self._fail(index, shard, exc)

    def open_shards(self) -> None:
        """Open (for a URL: copy and check) every shard now rather than on first use.

        For callers that must not wait mid-run, such as the Scrapy add-on in its reactor.
        """
        for index in range(len(self.manifest.shards)):
            self._shard(index)

    # -- the parts

    def _query(
        self,
        index: int,
        origins: list[str],
        latest: float,
        rows: dict[str, tuple[tuple[object, ...], bytes]],
        failures: dict[str, str],
    ) -> None:
        """Put the newest row at or before *latest* of each of *origins* into *rows*."""
        shard = self._shard(index)
        if shard.db is None:
            for origin in origins:
                failures[origin] = shard.failure
            return
        try:
            for start in range(0, len(origins), _SQL_VARIABLES):
                chunk = origins[start : start + _SQL_VARIABLES]
                marks = ",".join("?" * len(chunk))
                for row in shard.db.execute(
                    f"SELECT {_COLUMNS} FROM captures AS c WHERE origin IN ({marks})"
                    " AND fetched_at = (SELECT max(fetched_at) FROM captures"
                    " WHERE origin = c.origin AND fetched_at <= ?)",
                    (*chunk, latest),
                ):
                    rows[str(row[0])] = (row, shard.zdict)
        except sqlite3.DatabaseError as exc:
            self._fail(index, shard, exc)
            for origin in origins:
                if origin not in rows:
                    failures[origin] = shard.failure

    def _judge(self, origin: str, row: tuple[object, ...], zdict: bytes, now: float) -> Lookup:
        capture = _capture(row, zdict)
        if isinstance(capture, str):
            return self._problem(origin, DAMAGED, capture)
        age = now - capture.fetched_at
        if age > self.max_age:
            return self._problem(
                origin,
                STALE,
                f"{origin} was captured at {format_time(capture.fetched_at)}, "
                f"{_duration(age)} before {format_time(now)}: older than the maximum age "
                f"of {_duration(self.max_age)} (RFC 9309 §2.4)",
            )
        return Lookup(origin=origin, capture=capture)

    def _problem(self, origin: str, code: str, message: str) -> Lookup:
        problem = Problem(code=code, message=message, source=self.location, level="error")
        return Lookup(origin=origin, problem=problem)

    def _shard(self, index: int) -> _Shard:
        if self._pid != os.getpid():
            # Forked: SQLite connections must not cross fork(); open this process's own.
            self._shards = [None] * len(self._shards)
            self._pid = os.getpid()
        shard = self._shards[index]
        if shard is None:
            with self._opening:
                shard = self._shards[index]
                if shard is None:
                    shard = self._shards[index] = self._open(self.manifest.shards[index])
        return shard

    def _open(self, info: ShardInfo) -> _Shard:
        try:
            path = self._source.local_path(info)
            db = sqlite3.connect(
                f"{path.resolve().as_uri()}?mode=ro&immutable=1",
                uri=True,
                # A serialized SQLite build lets threads share a connection safely.
                check_same_thread=sqlite3.threadsafety != _SERIALIZED,
            )
        except (ShardUnavailable, sqlite3.Error) as exc:
            return self._broken(info, str(exc))
        try:
            db.execute(f"PRAGMA cache_size = -{self._cache_kib}")
            if db.execute("PRAGMA application_id").fetchone()[0] != APPLICATION_ID:
                raise ShardUnavailable("not a crawlcheck snapshot shard")
            if db.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
                raise ShardUnavailable("an unknown shard schema version")
            meta = dict(db.execute("SELECT key, value FROM meta").fetchall())
            expected = {"codec": CODEC, "shard": str(info.index)}
            expected["shards"] = str(len(self.manifest.shards))
            wrong = [k for k, v in expected.items() if meta.get(k) != v]
            if wrong:
                raise ShardUnavailable(f"its meta table disagrees with the manifest on {wrong}")
            zdict = base64.b64decode(str(meta.get("zdict", "")), validate=True)
        except (ShardUnavailable, sqlite3.DatabaseError, ValueError) as exc:
            db.close()
            return self._broken(info, str(exc))
        return _Shard(db, zdict=zdict)

    def _broken(self, info: ShardInfo, reason: str) -> _Shard:
        message = f"shard {info.path} of snapshot {self.location} cannot be read: {reason}"
        logger.warning("%s; its origins are unknown", message)
        return _Shard(None, message)

    def _fail(self, index: int, shard: _Shard, exc: sqlite3.DatabaseError) -> None:
        """Stop using a shard that failed mid-read (damaged pages): its origins are unknown."""
        if shard.db is not None:
            shard.db.close()
        broken = self._broken(self.manifest.shards[index], str(exc))
        shard.db, shard.failure = None, broken.failure

    # -- lifetime

    def close(self) -> None:
        """Close every open shard."""
        for shard in self._shards:
            if shard is not None and shard.db is not None:
                shard.db.close()
                shard.db = None
                shard.failure = "the snapshot was closed"

    def __enter__(self) -> Snapshot:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _reopen(location: str, max_age: float, at: float | None, cache_dir: Path | None) -> Snapshot:
    return Snapshot(location, max_age=max_age, at=at, cache_dir=cache_dir)


def _capture(row: tuple[object, ...], zdict: bytes) -> Capture | str:
    """Return the capture *row* holds (compressed with *zdict*), or why it cannot be read."""
    origin, domain, fetched_at, complete, version, digest, source, data = row
    try:
        if not isinstance(data, bytes):
            raise ValueError("its data is not a blob")
        inflater = zlib.decompressobj(zdict=zdict)
        text = inflater.decompress(data, MAX_ROW_BYTES)
        if inflater.unconsumed_tail or not inflater.eof:
            raise ValueError("its data is cut or larger than the row limit")
        fetches = decode_site(text.decode("utf-8"))
        if not isinstance(fetched_at, int | float) or not math.isfinite(fetched_at):
            raise ValueError("its fetch time is not a number")
    except (ValueError, zlib.error) as exc:
        return f"the capture of {origin} is damaged: {exc}"
    return Capture(
        origin=str(origin),
        domain=str(domain),
        fetched_at=float(fetched_at),
        complete=bool(complete),
        crawlcheck_version=str(version),
        rules_digest=str(digest),
        source=str(source),
        fetches=fetches,
    )


def _duration(seconds: float) -> str:
    """Return *seconds* in the largest whole unit that fits (``90 min``, ``3 d``)."""
    if math.isinf(seconds):
        return "unlimited"
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            value = seconds / size
            return f"{value:.0f} {unit}" if value == round(value) else f"{value:.1f} {unit}"
    return f"{seconds:.0f} s"
