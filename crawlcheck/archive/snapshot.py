"""Build an origin snapshot from web archives: every capture of each origin, a history.

``crawlcheck snapshot build --from-warc FILE…`` hands over to :func:`build_from_archives`.
Only site-level files are read (robots.txt, ai.txt, tdmrep.json, llms.txt: every other
record is skipped unread, so reading runs close to bare FastWARC iteration), plus, in a
second pass only when some robots.txt names one, the licences robots.txt points to.

Each origin gets one snapshot row per visit (captures of different site files within
10 minutes, as a crawler fetches them; a file captured again starts a new visit, so no
capture is lost), at the visit's last capture time: the row holds, for each file, the
archive's latest capture at or before that time however old (no window here), with its
record. The freshness window is applied when deciding
(``--at DATE --window SPAN``, :mod:`crawlcheck.archive.moment`), file by file, so one
snapshot serves any window (docs/archives.md, "Snapshots from archives").
"""

from __future__ import annotations

import datetime
import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

from crawlcheck.archive.index import CaptureIndex
from crawlcheck.archive.reader import read_archive
from crawlcheck.model import Fetched, Problem, SiteFetches
from crawlcheck.ruleset import Ruleset, load_ruleset
from crawlcheck.snapshot.format import Manifest
from crawlcheck.snapshot.remote import is_url, publish_snapshot, require_fsspec
from crawlcheck.snapshot.writer import SnapshotWriter

__all__ = ["ARCHIVE_SOURCE", "HISTORY", "VISIT", "build_from_archives", "index_site_files"]

#: ``captures.source`` of a row read from web archives (then the files, space-separated).
ARCHIVE_SOURCE = "archive"
#: Captures of different site files this close to a visit's first are one visit, one row.
VISIT = datetime.timedelta(minutes=10)
#: The window a row is built with: any capture at or before the row's time counts (the
#: decision applies its own window per file). A century keeps date arithmetic in range.
HISTORY = datetime.timedelta(days=36500)


def index_site_files(paths: Sequence[str]) -> CaptureIndex:
    """Return the index of the site-level files in *paths*, and of robots.txt's licences.

    The licences are read in a second pass over the files, only if a robots.txt names
    one (their URLs are known only once robots.txt has been read).
    """
    index = CaptureIndex.build(paths, pages=False)
    licences = index.licence_urls()
    if licences:
        for path in paths:
            for item in read_archive(path, licences.__contains__):
                if not isinstance(item, Problem):  # the first pass reported the file's damage
                    index.add(item)
        index.finish()
    return index


def build_from_archives(
    paths: Sequence[str],
    out: str | os.PathLike[str],
    *,
    shards: int = 1,
    ruleset: Ruleset | None = None,
    only: set[str] | None = None,
    on_row: Callable[[SiteFetches], None] | None = None,
) -> tuple[Manifest, list[Problem]]:
    """Write the snapshot *out* of every capture in *paths*; return it and the archives' problems.

    *out* is a new directory, or an fsspec URL (built locally, then uploaded). *only*
    keeps those origins (default: every origin the archives hold).
    """
    target = os.fspath(out)
    digest = (ruleset or load_ruleset()).digest
    index = index_site_files(paths)
    if is_url(target):
        require_fsspec(target)
        with tempfile.TemporaryDirectory(prefix="crawlcheck-snapshot-") as work:
            local = Path(work) / "snapshot"
            manifest = _write(index, local, shards, digest, only, on_row)
            publish_snapshot(local, target)
            return manifest, list(index.problems)
    return _write(index, Path(target), shards, digest, only, on_row), list(index.problems)


def _write(
    index: CaptureIndex,
    path: Path,
    shards: int,
    digest: str,
    only: set[str] | None,
    on_row: Callable[[SiteFetches], None] | None,
) -> Manifest:
    with SnapshotWriter(path, shards=shards, rules_digest=digest) as writer:
        for origin in index.site_origins():
            if only is not None and origin not in only:
                continue
            for moment in index.visits(origin, VISIT):
                view = index.site_at(origin, moment, HISTORY, site_files_only=True)
                files = sorted(
                    {doc.record.file for doc in _docs(view.fetches) if doc.record is not None}
                )
                writer.add(
                    view.fetches,
                    origin=origin,
                    fetched_at=moment.timestamp(),
                    source=" ".join([ARCHIVE_SOURCE, *files]),
                )
                if on_row is not None:
                    on_row(view.fetches)
    assert writer.manifest is not None
    return writer.manifest


def _docs(fetches: SiteFetches) -> list[Fetched]:
    return [doc for _, doc in fetches.site_files() if doc is not None] + list(fetches.licenses)
