"""Write origin snapshots: captures into shard files, shard files under a manifest.

Three levels, for three kinds of builder (docs/snapshots.md, "Building"):

* :class:`ShardWriter` writes one shard file. A distributed builder (issue 12: one Ray task
  per shard) or an archive builder (issue 13: several captures per origin) writes shard
  *i* of *n* with it, adding only origins whose registrable domain hashes to *i*.
* :func:`finish_snapshot` reads the shard files of a directory and writes the manifest
  (``snapshot.json``) last: a directory without a manifest is not a snapshot yet.
* :class:`SnapshotWriter` does both for one process: it routes each capture to its shard,
  builds in a temporary directory beside the target and moves it into place at the end,
  so readers never see half a snapshot.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import shutil
import sqlite3
import tempfile
import time
import zlib
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import Any

from crawlcheck._version import __version__
from crawlcheck.cache import encode_site, is_complete
from crawlcheck.clock import format_time, now, parse_time
from crawlcheck.errors import UsageError
from crawlcheck.model import SiteFetches
from crawlcheck.snapshot.format import (
    APPLICATION_ID,
    CODEC,
    FORMAT,
    MANIFEST,
    SCHEMA_VERSION,
    ZDICT_BYTES,
    Manifest,
    ShardInfo,
    create_schema,
    psl_fingerprint,
    registrable_domain,
    shard_name,
    shard_of,
)

__all__ = [
    "LIVE",
    "ShardWriter",
    "SnapshotWriter",
    "capture_time",
    "finish_snapshot",
    "read_shard",
]

#: ``captures.source`` of a capture fetched from the live web.
LIVE = "live"
#: Rows written per transaction while building.
_BATCH = 1000
#: zlib level of ``captures.data`` (6 is zlib's default).
_ZLIB_LEVEL = 6
#: Captures held back until the shard's preset dictionary is made from them.
_DICT_SAMPLE = 200


def capture_time(fetches: SiteFetches) -> float | None:
    """Return when *fetches* was captured: its oldest site-file fetch (POSIX seconds).

    The oldest response decides how old the evidence is. None when no time is recorded.
    """
    times = [
        parse_time(doc.fetched_at)
        for _, doc in fetches.site_files()
        if doc is not None and doc.fetched_at
    ]
    times += [parse_time(doc.fetched_at) for doc in fetches.licenses if doc.fetched_at]
    found = [t for t in times if t is not None]
    if found:
        return min(found)
    return parse_time(fetches.started_at) if fetches.started_at else None


class ShardWriter:
    """Write captures into one new shard file: shard *index* of *shards*.

    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> with ShardWriter(folder / "one.sqlite3", rules_digest="sha256:x") as shard:
    ...     shard.add(SiteFetches(site="example.com", origin="https://example.com"), fetched_at=0)
    >>> shard.info.origins, shard.info.captures
    (1, 1)
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        index: int = 0,
        shards: int = 1,
        rules_digest: str,
        source: str = LIVE,
    ) -> None:
        if not 0 <= index < shards:
            raise ValueError(f"shard {index} of {shards} does not exist")
        self.path = Path(path)
        self.index = index
        self.shards = shards
        self.rules_digest = rules_digest
        self.source = source
        self.info: ShardInfo | None = None
        """The shard as the manifest will list it; set by :meth:`close`."""
        if self.path.exists():
            raise UsageError(f"snapshot shard {self.path} already exists")
        self._db = sqlite3.connect(self.path, isolation_level=None)
        # A shard is written by one builder and published only when finished: no journal.
        self._db.execute("PRAGMA journal_mode = OFF")
        self._db.execute("PRAGMA synchronous = OFF")
        self._db.execute("BEGIN")
        create_schema(
            self._db,
            {
                "format": FORMAT,
                "codec": CODEC,
                "shard": str(index),
                "shards": str(shards),
                "created_at": now(),
                "crawlcheck_version": __version__,
                "psl": psl_fingerprint(),
            },
        )
        self._pending = 0
        self._sample: list[tuple[Any, ...]] = []
        """The first rows, held until the preset dictionary is made from them."""
        self._zdict: bytes | None = None

    def add(
        self,
        fetches: SiteFetches,
        *,
        origin: str | None = None,
        fetched_at: float | None = None,
        source: str | None = None,
    ) -> None:
        """Add one capture of *origin* (default ``fetches.origin``) taken at *fetched_at*.

        *fetched_at* defaults to :func:`capture_time` (else now). A capture with the same
        origin and time replaces the earlier one. Raises ValueError when the origin's
        registrable domain belongs to another shard (a builder's bug, not data).
        """
        key = origin or fetches.origin
        domain = registrable_domain(key)
        if self.shards > 1 and shard_of(domain, self.shards) != self.index:
            raise ValueError(f"{key} ({domain}) belongs to shard {shard_of(domain, self.shards)}")
        when = fetched_at if fetched_at is not None else capture_time(fetches)
        robots = fetches.robots
        row = (
            key,
            domain,
            time.time() if when is None else when,
            int(is_complete(fetches)),
            None if robots is None else robots.status,
            None if robots is None else robots.sha256,
            __version__,
            self.rules_digest,
            source or self.source,
            encode_site(fetches).encode("utf-8"),
        )
        if self._zdict is None:
            self._sample.append(row)
            if len(self._sample) >= _DICT_SAMPLE:
                self._start_dictionary()
            return
        self._insert(row)

    def _start_dictionary(self) -> None:
        """Make the preset dictionary from the rows held back, then write them."""
        joined = b"".join(row[-1] for row in self._sample)
        self._zdict = joined[-ZDICT_BYTES:]
        self._db.execute(
            "INSERT INTO meta (key, value) VALUES ('zdict', ?)",
            (base64.b64encode(self._zdict).decode("ascii"),),
        )
        for row in self._sample:
            self._insert(row)
        self._sample.clear()

    def _insert(self, row: tuple[Any, ...]) -> None:
        packer = zlib.compressobj(_ZLIB_LEVEL, zdict=self._zdict or b"")
        data = packer.compress(row[-1]) + packer.flush()
        self._db.execute(
            "INSERT OR REPLACE INTO captures (origin, domain, fetched_at, complete,"
            " robots_status, robots_sha256, crawlcheck_version, rules_digest, source, data)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (*row[:-1], data),
        )
        self._pending += 1
        if self._pending >= _BATCH:
            self._db.execute("COMMIT")
            self._db.execute("BEGIN")
            self._pending = 0

    def add_many(self, sites: Iterable[SiteFetches]) -> None:
        """Add one capture of each of *sites* (its own origin and capture time)."""
        for fetches in sites:
            self.add(fetches)

    def close(self) -> ShardInfo:
        """Finish the file; return it as the manifest lists it."""
        if self.info is not None:
            return self.info
        if self._zdict is None:
            self._start_dictionary()
        self._db.execute("COMMIT")
        self._db.close()
        self.info, _ = read_shard(self.path, self.index)
        return self.info

    def abort(self) -> None:
        """Close the file without finishing it, and remove it."""
        with contextlib.suppress(sqlite3.Error):
            self._db.close()
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()

    def __enter__(self) -> ShardWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


def read_shard(path: Path, index: int) -> tuple[ShardInfo, tuple[float | None, float | None]]:
    """Return what the manifest says of the finished shard at *path*, and its time span."""
    db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        if db.execute("PRAGMA application_id").fetchone()[0] != APPLICATION_ID:
            raise UsageError(f"{path} is not a crawlcheck snapshot shard")
        if db.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
            raise UsageError(f"{path}: unknown shard schema version")
        origins, captures = db.execute(
            "SELECT count(DISTINCT origin), count(*) FROM captures"
        ).fetchone()
        span = db.execute("SELECT min(fetched_at), max(fetched_at) FROM captures").fetchone()
    except sqlite3.DatabaseError as exc:
        raise UsageError(f"{path}: not a readable snapshot shard ({exc})") from exc
    finally:
        db.close()
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    info = ShardInfo(
        index=index,
        path=path.name,
        sha256=digest.hexdigest(),
        bytes=path.stat().st_size,
        origins=int(origins),
        captures=int(captures),
    )
    return info, (span[0], span[1])


def finish_snapshot(
    directory: str | os.PathLike[str], *, shards: int, rules_digest: str
) -> Manifest:
    """Write the manifest of the *shards* shard files in *directory*; return it.

    Every shard file (:func:`~crawlcheck.snapshot.format.shard_name`) must exist; the
    manifest is written last, atomically, so a reader sees the snapshot whole or not at all.
    """
    folder = Path(directory)
    infos = []
    low: float | None = None
    high: float | None = None
    for index in range(shards):
        path = folder / shard_name(index, shards)
        if not path.is_file():
            raise UsageError(f"snapshot {folder}: shard {path.name} is missing")
        info, (first, last) = read_shard(path, index)
        infos.append(info)
        if first is not None:
            low = first if low is None else min(low, first)
        if last is not None:
            high = last if high is None else max(high, last)
    manifest = Manifest(
        format=FORMAT,
        created_at=now(),
        crawlcheck_version=__version__,
        rules_digest=rules_digest,
        psl=psl_fingerprint(),
        shards=tuple(infos),
        origins=sum(i.origins for i in infos),
        captures=sum(i.captures for i in infos),
        fetched_from="" if low is None else format_time(low),
        fetched_to="" if high is None else format_time(high),
    )
    temporary = folder / f".{MANIFEST}.tmp"
    temporary.write_text(json.dumps(manifest.to_json(), indent=2) + "\n", encoding="utf-8")
    os.replace(temporary, folder / MANIFEST)
    return manifest


class SnapshotWriter:
    """Build a whole snapshot in one process: captures routed to shards, then the manifest.

    The snapshot is written in a temporary directory beside *path* and moved into place by
    :meth:`close`; :meth:`abort` (or an exception inside ``with``) leaves nothing behind.
    """

    def __init__(self, path: str | os.PathLike[str], *, shards: int = 1, rules_digest: str) -> None:
        if shards < 1:
            raise UsageError(f"--shards: must be at least 1, not {shards}")
        self.path = Path(path)
        if self.path.exists() and (not self.path.is_dir() or any(self.path.iterdir())):
            raise UsageError(f"-o: '{self.path}' already exists; snapshots are never overwritten")
        parent = self.path.parent
        try:
            parent.mkdir(parents=True, exist_ok=True)
            self._work = Path(tempfile.mkdtemp(prefix=f".{self.path.name}.", dir=parent))
        except OSError as exc:
            raise UsageError(f"-o: cannot write in '{parent}': {exc.strerror or exc}") from exc
        self.shards = shards
        self.rules_digest = rules_digest
        self._writers = [
            ShardWriter(
                self._work / shard_name(i, shards),
                index=i,
                shards=shards,
                rules_digest=rules_digest,
            )
            for i in range(shards)
        ]
        self.manifest: Manifest | None = None

    def add(
        self,
        fetches: SiteFetches,
        *,
        origin: str | None = None,
        fetched_at: float | None = None,
        source: str | None = None,
    ) -> None:
        """Add one capture (see :meth:`ShardWriter.add`) to the shard its origin belongs to."""
        key = origin or fetches.origin
        index = shard_of(registrable_domain(key), self.shards) if self.shards > 1 else 0
        self._writers[index].add(fetches, origin=key, fetched_at=fetched_at, source=source)

    def close(self) -> Manifest:
        """Finish every shard, write the manifest, and move the snapshot into place."""
        if self.manifest is not None:
            return self.manifest
        for writer in self._writers:
            writer.close()
        manifest = finish_snapshot(self._work, shards=self.shards, rules_digest=self.rules_digest)
        if self.path.is_dir():
            self.path.rmdir()  # empty (checked on opening); os.replace needs it gone
        os.replace(self._work, self.path)
        self.manifest = manifest
        return manifest

    def abort(self) -> None:
        """Drop everything written so far."""
        for writer in self._writers:
            writer.abort()
        shutil.rmtree(self._work, ignore_errors=True)

    def __enter__(self) -> SnapshotWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()
