"""The on-disk layout of an origin snapshot: shard files, their schema, the manifest.

A snapshot is a directory (docs/snapshots.md, "Format")::

    snapshot.json                      the manifest (format, shards, counts, digests)
    shard-00000-of-00004.sqlite3       one SQLite file per shard
    …

Each shard holds whole registrable domains: :func:`shard_of` hashes an origin's
registrable domain (:func:`registrable_domain`, the Public Suffix List as tldextract ships
it, never fetched), so every origin of ``example.co.uk`` — any scheme, host or port — is in
the same shard, and a distributed builder can write shard *i* without talking to the
others. A shard's ``captures`` table holds one row per (origin, fetch time): a live build
writes one capture per origin, an archive builder as many as the archive holds. Each row is
evidence, not an answer: the site-level files as fetched (status, headers, body, sha256,
time), in the row codec of the per-origin cache (:func:`crawlcheck.cache.encode_site`),
zlib-compressed.
"""

from __future__ import annotations

import functools
import hashlib
import json
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import tldextract

from crawlcheck.errors import UsageError

__all__ = [
    "APPLICATION_ID",
    "CODEC",
    "FORMAT",
    "MANIFEST",
    "MAX_MANIFEST_BYTES",
    "SCHEMA_VERSION",
    "ZDICT_BYTES",
    "Manifest",
    "ShardInfo",
    "create_schema",
    "psl_fingerprint",
    "registrable_domain",
    "shard_name",
    "shard_of",
]

#: The manifest's ``format`` value; bump the number on an incompatible change.
FORMAT = "crawlcheck.snapshot/1"
#: The manifest's file name inside the snapshot directory.
MANIFEST = "snapshot.json"
#: A manifest larger than this is not one (it lists shards, not origins).
MAX_MANIFEST_BYTES = 16 * 1024 * 1024
#: ``PRAGMA application_id`` of a shard ("CCSN"): tells a shard from other SQLite files,
#: the per-origin cache's included.
APPLICATION_ID = 0x4343534E
#: ``PRAGMA user_version`` of a shard's schema.
SCHEMA_VERSION = 1
#: How ``captures.data`` is encoded: the cache's JSON row (bodies in base64, each with its
#: sha256, checked on reading), then zlib with the shard's preset dictionary (``meta``
#: ``zdict``, base64): the shard's first rows, so what rows share — header names, the
#: codec's keys, a server's stock error page — is not stored in every row
#: (docs/snapshots.md, "Choosing the format").
CODEC = "site-json+zlib-zdict"
#: Bytes of preset dictionary (zlib's window: a longer one is not used).
ZDICT_BYTES = 32 * 1024

_SCHEMA = (
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    # One row per capture: an origin's site-level files as fetched at one time.
    "CREATE TABLE captures ("
    " origin TEXT NOT NULL,"
    " domain TEXT NOT NULL,"
    " fetched_at REAL NOT NULL,"
    " complete INTEGER NOT NULL,"
    " robots_status INTEGER,"
    " robots_sha256 TEXT,"
    " crawlcheck_version TEXT NOT NULL,"
    " rules_digest TEXT NOT NULL,"
    " source TEXT NOT NULL,"
    " data BLOB NOT NULL)",
    "CREATE UNIQUE INDEX captures_by_origin ON captures (origin, fetched_at)",
)


def create_schema(db: sqlite3.Connection, meta: Mapping[str, str]) -> None:
    """Create a shard's tables in the empty database *db* and record *meta*."""
    for statement in _SCHEMA:
        db.execute(statement)
    db.executemany("INSERT INTO meta (key, value) VALUES (?, ?)", sorted(meta.items()))
    db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


# -- the shard key -----------------------------------------------------------------------


@functools.cache
def _extractor() -> tldextract.TLDExtract:
    # The Public Suffix List shipped inside tldextract: no network, no cache directory.
    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


def registrable_domain(origin: str) -> str:
    """Return the registrable domain of *origin*'s host (the host itself when it has none).

    >>> registrable_domain("https://news.example.co.uk:8443")
    'example.co.uk'
    >>> registrable_domain("http://127.0.0.1:8080")
    '127.0.0.1'
    """
    host = origin.partition("://")[2].lower()
    if host.startswith("["):  # an IPv6 literal: the address is its own domain
        return host.partition("]")[0] + "]"
    host = host.rpartition(":")[0] if ":" in host else host
    parts = _extractor()(host)
    if parts.domain and parts.suffix:
        return f"{parts.domain}.{parts.suffix}"
    return host.rstrip(".")


def shard_of(domain: str, shards: int) -> int:
    """Return the shard (0 … shards-1) that holds registrable *domain*.

    The first 8 bytes of its SHA-256, big-endian, modulo the shard count: stable across
    processes, machines and Python versions (``hash()`` is not).

    >>> shard_of("example.co.uk", 1), shard_of("example.co.uk", 16)
    (0, 2)
    """
    digest = hashlib.sha256(domain.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % shards


@functools.cache
def psl_fingerprint() -> str:
    """Return a digest of the Public Suffix List in use (a different list may move domains)."""
    suffixes = "\n".join(sorted(_extractor().tlds))
    return "sha256:" + hashlib.sha256(suffixes.encode("utf-8")).hexdigest()


def shard_name(index: int, shards: int) -> str:
    """Return the file name of shard *index* of *shards*."""
    return f"shard-{index:05d}-of-{shards:05d}.sqlite3"


# -- the manifest ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class ShardInfo:
    """One shard file as the manifest lists it."""

    index: int
    path: str
    """File name, relative to the snapshot directory."""
    sha256: str
    """Hex SHA-256 of the whole file: a copy (from an object store) is checked against it."""
    bytes: int
    origins: int
    captures: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Manifest:
    """What ``snapshot.json`` says: the snapshot as a whole."""

    format: str
    created_at: str
    crawlcheck_version: str
    rules_digest: str
    psl: str
    """:func:`psl_fingerprint` of the builder: the list its shard keys were computed with."""
    shards: tuple[ShardInfo, ...]
    origins: int
    captures: int
    fetched_from: str
    """RFC 3339 time of the oldest capture ("" when empty)."""
    fetched_to: str
    """RFC 3339 time of the newest capture."""

    def to_json(self) -> dict[str, Any]:
        """Return the manifest as a JSON-ready mapping."""
        return {
            "format": self.format,
            "created_at": self.created_at,
            "crawlcheck_version": self.crawlcheck_version,
            "rules_digest": self.rules_digest,
            "shard_key": "registrable-domain",
            "psl": self.psl,
            "shard_count": len(self.shards),
            "origins": self.origins,
            "captures": self.captures,
            "fetched_from": self.fetched_from,
            "fetched_to": self.fetched_to,
            "shards": [
                {
                    "index": s.index,
                    "path": s.path,
                    "sha256": s.sha256,
                    "bytes": s.bytes,
                    "origins": s.origins,
                    "captures": s.captures,
                }
                for s in self.shards
            ],
        }

    @classmethod
    def parse(cls, raw: bytes, where: str) -> Manifest:
        """Return the manifest *raw* holds; raise UsageError naming *where* if it is not one."""
        try:
            data = json.loads(raw)
            if not isinstance(data, dict):
                raise TypeError("not a JSON object")
            if data.get("format") != FORMAT:
                raise UsageError(
                    f"snapshot {where}: format {data.get('format')!r} is not {FORMAT!r}"
                )
            shards = tuple(
                ShardInfo(
                    index=int(s["index"]),
                    path=_plain_name(str(s["path"])),
                    sha256=str(s["sha256"]),
                    bytes=int(s["bytes"]),
                    origins=int(s["origins"]),
                    captures=int(s["captures"]),
                )
                for s in data["shards"]
            )
            if [s.index for s in shards] != list(range(len(shards))) or not shards:
                raise ValueError("shards are not numbered 0 … N-1")
            return cls(
                format=FORMAT,
                created_at=str(data["created_at"]),
                crawlcheck_version=str(data["crawlcheck_version"]),
                rules_digest=str(data["rules_digest"]),
                psl=str(data["psl"]),
                shards=shards,
                origins=int(data["origins"]),
                captures=int(data["captures"]),
                fetched_from=str(data["fetched_from"]),
                fetched_to=str(data["fetched_to"]),
            )
        except UsageError:
            raise
        except (ValueError, TypeError, KeyError) as exc:
            raise UsageError(f"snapshot {where}: damaged manifest {MANIFEST}: {exc}") from exc


def _plain_name(name: str) -> str:
    """Return *name* if it is a plain file name (a manifest never points outside its folder)."""
    if not name or "/" in name or "\\" in name or name in (".", ".."):
        raise ValueError(f"shard path {name!r} is not a file name")
    return name
