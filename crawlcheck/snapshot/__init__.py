"""Origin snapshots: each origin's site-level files fetched once, read by many processes.

``crawlcheck snapshot build`` writes one (:mod:`crawlcheck.snapshot.build`); ``filter
--snapshot``, ``check --snapshot``, ``UrlChecker(snapshot=…)`` and the Scrapy add-on's
``CRAWLCHECK_SNAPSHOT`` decide from it with no network. docs/snapshots.md is the reference.

Reading (no network, per process)::

    from crawlcheck.snapshot import Snapshot
    with Snapshot("snap/", max_age=24 * 3600) as snapshot:
        found = snapshot.lookup_many(["https://example.com", "https://example.org"])
        found["https://example.com"].fetches   # SiteFetches, or None with .problem set

Writing (one process: :class:`SnapshotWriter`; one shard of a distributed build:
:class:`ShardWriter`, then :func:`finish_snapshot`).
"""

from __future__ import annotations

from crawlcheck.snapshot.format import (
    FORMAT,
    MANIFEST,
    Manifest,
    ShardInfo,
    registrable_domain,
    shard_name,
    shard_of,
)
from crawlcheck.snapshot.reader import (
    DAMAGED,
    DEFAULT_MAX_AGE,
    MISSING,
    STALE,
    Capture,
    Lookup,
    Snapshot,
)
from crawlcheck.snapshot.remote import publish_snapshot
from crawlcheck.snapshot.writer import (
    LIVE,
    ShardWriter,
    SnapshotWriter,
    capture_time,
    finish_snapshot,
)

__all__ = [
    "DAMAGED",
    "DEFAULT_MAX_AGE",
    "FORMAT",
    "LIVE",
    "MANIFEST",
    "MISSING",
    "STALE",
    "Capture",
    "Lookup",
    "Manifest",
    "ShardInfo",
    "ShardWriter",
    "Snapshot",
    "SnapshotWriter",
    "capture_time",
    "finish_snapshot",
    "publish_snapshot",
    "registrable_domain",
    "shard_name",
    "shard_of",
]
