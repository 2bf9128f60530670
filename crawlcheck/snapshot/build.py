"""Build a snapshot from the live web: each distinct origin's site-level files, once.

The fetching is the crawl every per-URL decision uses (:func:`crawlcheck.crawl.runner.
crawl_sites` with ``fetch_pages=False``, as :class:`crawlcheck.decide.checker.UrlChecker`
fetches the origins it lacks): politely, concurrently, RFC 9309 semantics, failures
recorded as values. This module only feeds its results into a
:class:`~crawlcheck.snapshot.writer.SnapshotWriter`, a chunk of origins at a time so the
crawl's memory stays bounded whatever the number of origins.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import replace
from itertools import islice
from pathlib import Path

from crawlcheck.crawl.options import CrawlOptions
from crawlcheck.crawl.runner import crawl_sites
from crawlcheck.model import SiteFetches
from crawlcheck.ruleset import Ruleset, load_ruleset
from crawlcheck.snapshot.format import Manifest
from crawlcheck.snapshot.remote import is_url, publish_snapshot, require_fsspec
from crawlcheck.snapshot.writer import SnapshotWriter

__all__ = ["CRAWL_CHUNK", "build_snapshot"]

#: Origins handed to one crawl process at a time.
CRAWL_CHUNK = 10_000


def build_snapshot(
    origins: Iterable[str],
    out: str | os.PathLike[str],
    *,
    options: CrawlOptions | None = None,
    shards: int = 1,
    ruleset: Ruleset | None = None,
    on_site: Callable[[SiteFetches], None] | None = None,
) -> Manifest:
    """Fetch the site-level files of each of *origins* once and write the snapshot *out*.

    *origins* are ``scheme://host[:port]`` strings (:func:`crawlcheck.urls.site_origin`),
    each fetched once however often it recurs. *out* is a new directory, or an fsspec URL
    (built locally, then uploaded: shards first, manifest last). *on_site* sees each
    origin's result as it is written (progress).
    """
    target = os.fspath(out)
    digest = (ruleset or load_ruleset()).digest
    crawl = replace(options or CrawlOptions(), fetch_pages=False)
    if is_url(target):
        require_fsspec(target)  # before the crawl, not after it
        with tempfile.TemporaryDirectory(prefix="crawlcheck-snapshot-") as work:
            local = Path(work) / "snapshot"
            manifest = _build(origins, local, crawl, shards, digest, on_site)
            publish_snapshot(local, target)
            return manifest
    return _build(origins, Path(target), crawl, shards, digest, on_site)


def _build(
    origins: Iterable[str],
    path: Path,
    crawl: CrawlOptions,
    shards: int,
    digest: str,
    on_site: Callable[[SiteFetches], None] | None,
) -> Manifest:
    distinct = iter(dict.fromkeys(origins))
    with SnapshotWriter(path, shards=shards, rules_digest=digest) as writer:
        while batch := list(islice(distinct, CRAWL_CHUNK)):
            wanted = set(batch)
            for fetches in crawl_sites(batch, crawl):
                # ``site`` is the origin as asked: the key decisions look it up by.
                key = fetches.site if fetches.site in wanted else fetches.origin
                wanted.discard(key)
                writer.add(fetches, origin=key)
                if on_site is not None:
                    on_site(fetches)
            for origin in sorted(wanted):  # the runner promises one result per site
                empty = SiteFetches(site=origin, origin=origin)
                writer.add(empty, origin=origin)
                if on_site is not None:
                    on_site(empty)
    assert writer.manifest is not None
    return writer.manifest
