"""Build an origin snapshot on a Ray cluster: one task per shard, the manifest last.

Shard *i* holds the registrable domains that hash to *i* (:mod:`crawlcheck.snapshot.
format`), so each task crawls whole domains (:mod:`~crawlcheck.distributed.partition`)
with the same crawl as a one-machine build (:func:`crawlcheck.snapshot.build.crawl_into`
into a :class:`~crawlcheck.snapshot.writer.ShardWriter`, in the task's own crawl process)
and sends the finished shard file back. The driver checks it holds exactly the origins
sent, writes it into the work directory atomically (temporary name, then rename) and
writes the manifest once every shard is there (:func:`~crawlcheck.snapshot.writer.
finish_snapshot`). The work directory outlives a failed run: the same command run again
keeps the shards already finished and builds only the others.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import sys
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from pathlib import Path

from crawlcheck.crawl.options import CrawlOptions
from crawlcheck.distributed.cluster import cluster_cpus, connected, run_units
from crawlcheck.distributed.partition import partition, unit_count
from crawlcheck.errors import DistributedJobError, UsageError
from crawlcheck.progress import Progress
from crawlcheck.ruleset import Ruleset, load_ruleset
from crawlcheck.snapshot.build import crawl_into
from crawlcheck.snapshot.format import Manifest, shard_name
from crawlcheck.snapshot.remote import is_url, publish_snapshot, require_fsspec
from crawlcheck.snapshot.writer import ShardWriter, finish_snapshot, read_shard

__all__ = ["JOB_FILE", "ORIGINS_PER_SHARD", "build_snapshot_on_ray", "work_directory"]

#: Origins per shard at most when the shard count is chosen for the cluster.
ORIGINS_PER_SHARD = 20_000
#: What a work directory holds besides shards: which build they belong to.
JOB_FILE = "ray-job.json"
_JOB_FORMAT = "crawlcheck.ray-snapshot-job/1"


def work_directory(out: str) -> Path:
    """Return where the shards of a build of *out* are gathered until the manifest is written.

    Beside a local *out* (``.NAME.ray``, then renamed to *out*); for a URL, in the system's
    temporary directory, named by the URL (then uploaded).
    """
    if is_url(out):
        digest = hashlib.sha256(out.encode("utf-8")).hexdigest()[:16]
        return Path(tempfile.gettempdir()) / f"crawlcheck-ray-snapshot-{digest}"
    path = Path(out).expanduser()
    return path.parent / f".{path.name}.ray"


def build_snapshot_on_ray(
    origins: Iterable[str],
    out: str | os.PathLike[str],
    *,
    address: str | None,
    options: CrawlOptions | None = None,
    shards: int | None = None,
    ruleset: Ruleset | None = None,
    on_shard: Callable[[int, int], None] | None = None,
) -> Manifest:
    """Fetch each distinct origin of *origins* on the Ray cluster at *address*; write *out*.

    *out* and *origins* are :func:`crawlcheck.snapshot.build.build_snapshot`'s. *shards*
    is both the shard files and the tasks (default: 2 per CPU of the cluster, at most
    20,000 origins each). *on_shard* is called with each finished shard's origin count and
    how many of those had robots.txt answered. Raises DistributedJobError when a task fails
    after Ray's retries or the origins written are not the origins asked for.
    """
    target = os.fspath(out)
    digest = (ruleset or load_ruleset()).digest
    crawl = replace(options or CrawlOptions(), fetch_pages=False)
    if shards is not None and shards < 1:
        raise UsageError(f"--shards: must be at least 1, not {shards}")
    if is_url(target):
        require_fsspec(target)
    elif Path(target).exists() and (not Path(target).is_dir() or any(Path(target).iterdir())):
        raise UsageError(f"-o: '{target}' already exists; snapshots are never overwritten")
    distinct = list(dict.fromkeys(origins))
    work = work_directory(target)
    with connected(address) as ray:
        job = _Job(
            work,
            distinct,
            digest,
            shards or unit_count(len(distinct), cluster_cpus(ray), ORIGINS_PER_SHARD),
        )
        parts = [[distinct[i] for i in part] for part in partition(distinct, job.shards)]
        units = [(index, job.shards, part, crawl, digest) for index, part in enumerate(parts)]
        progress = Progress("snapshot", "origin", total=len(distinct), stream=sys.stderr)
        try:
            for index, part in enumerate(parts):
                if job.finished(index, part):
                    _report(job.path(index), progress, on_shard)
            finished = job.kept
            for index, data in run_units(ray, _build_shard, units, skip=finished.__contains__):
                job.keep(index, parts[index], data)
                _report(job.path(index), progress, on_shard)
        finally:
            progress.close()
    manifest = finish_snapshot(work, shards=job.shards, rules_digest=digest)
    if manifest.origins != len(distinct):
        raise DistributedJobError(
            f"snapshot {target}: {len(distinct)} origins asked for, {manifest.origins} written"
        )
    (work / JOB_FILE).unlink()
    if is_url(target):
        publish_snapshot(work, target)
        shutil.rmtree(work)
    else:
        os.replace(work, target)
    return manifest


def _build_shard(
    index: int, shards: int, origins: list[str], crawl: CrawlOptions, digest: str
) -> bytes:
    """The task: crawl *origins* into shard *index* of *shards*; return the file's bytes."""
    with tempfile.TemporaryDirectory(prefix="crawlcheck-shard-") as folder:
        path = Path(folder) / shard_name(index, shards)
        with ShardWriter(path, index=index, shards=shards, rules_digest=digest) as writer:
            crawl_into(writer, origins, crawl)
        return path.read_bytes()


def _report(path: Path, progress: Progress, on_shard: Callable[[int, int], None] | None) -> None:
    origins, answered = _counts(path)
    progress.advance(origins)
    if on_shard is not None:
        on_shard(origins, answered)


def _counts(path: Path) -> tuple[int, int]:
    """Return the origins of the shard at *path*, and how many had robots.txt answered."""
    db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        origins, answered = db.execute(
            "SELECT count(DISTINCT origin), count(DISTINCT CASE WHEN robots_status < 500"
            " THEN origin END) FROM captures"
        ).fetchone()
    finally:
        db.close()
    return int(origins), int(answered)


def _origins(path: Path) -> list[str]:
    """Return every origin row of the shard at *path* (one per capture)."""
    db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return [row[0] for row in db.execute("SELECT origin FROM captures")]
    finally:
        db.close()


class _Job:
    """The work directory of one build: its shards so far, and which build they are for."""

    def __init__(self, work: Path, origins: Sequence[str], digest: str, shards: int) -> None:
        self.work = work
        asked = hashlib.sha256("\n".join(origins).encode("utf-8")).hexdigest()
        description = {"format": _JOB_FORMAT, "origins": asked, "rules_digest": digest}
        job = work / JOB_FILE
        if work.exists():
            try:
                earlier = json.loads(job.read_text(encoding="utf-8"))
                same = {k: earlier.get(k) for k in description} == description
            except (OSError, ValueError):
                same = False
            if not same:
                raise UsageError(
                    f"{work} holds the shards of another build: remove it to start again"
                )
            shards = int(earlier["shards"])  # the earlier run's choice stands
        else:
            try:
                work.mkdir(parents=True)
                job.write_text(json.dumps({**description, "shards": shards}), encoding="utf-8")
            except OSError as exc:
                raise UsageError(f"-o: cannot write in '{work}': {exc.strerror or exc}") from exc
        self.shards = shards
        self.kept: set[int] = set()

    def path(self, index: int) -> Path:
        return self.work / shard_name(index, self.shards)

    def finished(self, index: int, origins: Sequence[str]) -> bool:
        """Return True when an earlier run left shard *index*, holding exactly *origins*."""
        path = self.path(index)
        if not path.is_file():
            return False
        try:
            read_shard(path, index)
            whole = sorted(_origins(path)) == sorted(origins)
        except (UsageError, sqlite3.Error):
            whole = False
        if not whole:
            path.unlink()
            return False
        self.kept.add(index)
        return True

    def keep(self, index: int, origins: Sequence[str], data: bytes) -> None:
        """Check a task's shard holds exactly *origins*, once each; move it into place."""
        temporary = self.work / f".{shard_name(index, self.shards)}.tmp"
        temporary.write_bytes(data)
        written = _origins(temporary)
        if sorted(written) != sorted(origins):
            temporary.unlink()
            raise DistributedJobError(
                f"shard {index}: {len(origins)} origins sent, {len(written)} written "
                f"({len(set(origins) - set(written))} lost, "
                f"{len(written) - len(set(written))} duplicated)"
            )
        os.replace(temporary, self.path(index))
        self.kept.add(index)
