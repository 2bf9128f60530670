"""Where a snapshot's files come from: a local directory, or any fsspec URL.

A local path (or ``file://`` URL) is read in place. Any other URL (``s3://``, ``gs://``,
``memory://``, a chained ``simplecache::s3://…``) goes through fsspec, an optional
dependency (``pip install 'crawlcheck[snapshot]'``): the manifest is read directly, and
each shard the process needs is copied once into a local, content-addressed cache
(``<sha256>.sqlite3``) and checked against the manifest's SHA-256 before it is used. SQLite
needs a local file; naming the copy by its digest makes the cache safe to share between
processes (each writes a temporary file and renames it into place) and across snapshot
versions (an unchanged shard is not fetched again). The publisher side,
:func:`publish_snapshot`, uploads the shards first and the manifest last.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import re
import tempfile
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType
from typing import Any, Protocol

from crawlcheck.cache import crawlcheck_cache_dir
from crawlcheck.errors import UsageError
from crawlcheck.snapshot.format import MANIFEST, MAX_MANIFEST_BYTES, Manifest, ShardInfo

__all__ = [
    "CACHE_ENV_VAR",
    "ShardSource",
    "ShardUnavailable",
    "default_cache_dir",
    "is_url",
    "open_source",
    "publish_snapshot",
    "require_fsspec",
]

#: Environment variable naming the local cache of shards copied from URLs.
CACHE_ENV_VAR = "CRAWLCHECK_SNAPSHOT_CACHE"
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_CHUNK = 1 << 20


class ShardUnavailable(Exception):
    """A shard file cannot be used (missing, truncated, not matching its digest)."""


class ShardSource(Protocol):
    """Gives the local path of a snapshot's shard files."""

    where: str

    def local_path(self, shard: ShardInfo) -> Path:
        """Return a local file holding *shard*; raise ShardUnavailable if there is none."""
        ...


def is_url(location: str) -> bool:
    """Return True when *location* is a URL (``scheme://`` or an fsspec ``a::b`` chain).

    >>> is_url("s3://bucket/snap"), is_url("simplecache::s3://b/s"), is_url("/data/snap")
    (True, True, False)
    """
    return bool(_URL.match(location)) or "::" in location


def default_cache_dir(environ: Mapping[str, str] | None = None) -> Path:
    """Return the shard cache: ``$CRAWLCHECK_SNAPSHOT_CACHE``, else under the XDG cache dir."""
    env = os.environ if environ is None else environ
    if env.get(CACHE_ENV_VAR):
        return Path(env[CACHE_ENV_VAR]).expanduser()
    return crawlcheck_cache_dir(env) / "snapshots"


def require_fsspec(location: str) -> ModuleType:
    try:
        return importlib.import_module("fsspec")
    except ImportError as exc:
        raise UsageError(
            f"snapshot {location}: reading a snapshot from a URL needs fsspec: "
            "install crawlcheck[snapshot]"
        ) from exc


class _LocalSource:
    """Shard files in a local directory, read in place."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.where = str(folder)

    def local_path(self, shard: ShardInfo) -> Path:
        path = self.folder / shard.path
        try:
            size = path.stat().st_size
        except OSError as exc:
            raise ShardUnavailable(f"{shard.path}: {exc.strerror or exc}") from exc
        if size != shard.bytes:
            raise ShardUnavailable(
                f"{shard.path} has {size} bytes, the manifest says {shard.bytes}: "
                "truncated or replaced"
            )
        return path


class _FsspecSource:
    """Shard files behind an fsspec URL, copied into a content-addressed local cache."""

    def __init__(self, fs: Any, root: str, where: str, cache_dir: Path) -> None:
        self.fs = fs
        self.root = root.rstrip("/")
        self.where = where
        self.cache_dir = cache_dir

    def local_path(self, shard: ShardInfo) -> Path:
        cached = self.cache_dir / f"{shard.sha256}.sqlite3"
        if cached.is_file() and cached.stat().st_size == shard.bytes:
            return cached  # it was checked against the digest before it was renamed here
        try:
            self.cache_dir.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=self.cache_dir, prefix=".download-")
        except OSError as exc:
            raise UsageError(
                f"snapshot cache {self.cache_dir}: cannot write: {exc.strerror or exc}"
            ) from exc
        try:
            digest = hashlib.sha256()
            size = 0
            with os.fdopen(handle, "wb") as out, self.fs.open(f"{self.root}/{shard.path}") as src:
                while chunk := src.read(_CHUNK):
                    size += len(chunk)
                    if size > shard.bytes:
                        raise ShardUnavailable(f"{shard.path} is larger than the manifest says")
                    digest.update(chunk)
                    out.write(chunk)
            if size != shard.bytes or digest.hexdigest() != shard.sha256:
                raise ShardUnavailable(
                    f"{shard.path}: the copy does not match the manifest's sha256 and size"
                )
            os.replace(temporary, cached)
            return cached
        except (OSError, ValueError) as exc:  # fsspec raises both for missing or bad objects
            raise ShardUnavailable(f"{shard.path}: {exc}") from exc
        finally:
            if os.path.exists(temporary):
                os.unlink(temporary)


def open_source(location: str, cache_dir: Path | None = None) -> tuple[Manifest, ShardSource]:
    """Return the manifest of the snapshot at *location* and where its shards are.

    Raises UsageError (one line) when there is no snapshot there or its manifest is damaged.
    """
    if not is_url(location):
        return _open_local(Path(location).expanduser(), location)
    fsspec = require_fsspec(location)
    try:
        fs, root = fsspec.core.url_to_fs(location)
    except (ValueError, ImportError, OSError) as exc:
        raise UsageError(f"snapshot {location}: {exc}") from exc
    if "file" in _protocols(fs):
        return _open_local(Path(root), location)
    try:
        with fs.open(f"{root.rstrip('/')}/{MANIFEST}", "rb") as handle:
            raw = handle.read(MAX_MANIFEST_BYTES + 1)
    except (OSError, ValueError) as exc:
        raise UsageError(f"snapshot {location}: no {MANIFEST} there ({exc})") from exc
    manifest = _parse(raw, location)
    return manifest, _FsspecSource(fs, root, location, cache_dir or default_cache_dir())


def _protocols(fs: Any) -> tuple[str, ...]:
    protocol = fs.protocol
    return (protocol,) if isinstance(protocol, str) else tuple(protocol)


def _open_local(folder: Path, location: str) -> tuple[Manifest, ShardSource]:
    if folder.is_file() and folder.name == MANIFEST:
        folder = folder.parent
    if not folder.exists():
        raise UsageError(f"snapshot {location}: no such directory")
    if not folder.is_dir():
        raise UsageError(f"snapshot {location}: not a snapshot directory (no {MANIFEST})")
    try:
        with open(folder / MANIFEST, "rb") as handle:
            raw = handle.read(MAX_MANIFEST_BYTES + 1)
    except OSError as exc:
        raise UsageError(
            f"snapshot {location}: cannot read {MANIFEST}: {exc.strerror or exc}"
        ) from exc
    return _parse(raw, location), _LocalSource(folder)


def _parse(raw: bytes, location: str) -> Manifest:
    if len(raw) > MAX_MANIFEST_BYTES:
        raise UsageError(f"snapshot {location}: {MANIFEST} is larger than {MAX_MANIFEST_BYTES}")
    return Manifest.parse(raw, location)


def publish_snapshot(folder: str | os.PathLike[str], url: str) -> None:
    """Upload the finished snapshot *folder* to *url*: every shard first, the manifest last.

    A reader that finds the manifest finds every shard it lists.
    """
    source = Path(folder)
    manifest = Manifest.parse((source / MANIFEST).read_bytes(), str(source))
    fsspec = require_fsspec(url)
    try:
        fs, root = fsspec.core.url_to_fs(url)
        root = root.rstrip("/")
        fs.makedirs(root, exist_ok=True)
        for shard in manifest.shards:
            fs.put_file(str(source / shard.path), f"{root}/{shard.path}")
        fs.put_file(str(source / MANIFEST), f"{root}/{MANIFEST}")
    except (OSError, ValueError) as exc:
        raise UsageError(f"-o {url}: cannot upload the snapshot: {exc}") from exc
