"""Keep each origin's site-level files in an SQLite file so they are fetched once a day.

One row per origin holds its :class:`~crawlcheck.model.SiteFetches` (robots.txt, ai.txt,
tdmrep.json, llms.txt, licence documents; never sampled pages) as JSON, bodies in base64,
so the evidence — URL, status, headers, body, sha256, time — survives the fetch.

Expiry follows RFC 9309 §2.4: a copy is used for at most 24 hours; a shorter lifetime from
the robots.txt response's ``Cache-Control: max-age`` (or ``Expires``) is honoured, as §2.4
allows by pointing to RFC 9111. A copy with a failure (robots.txt unreachable, another
site file unreadable) is kept for at most :data:`FAILURE_TTL`, so a server that was down
is asked again soon, and it never replaces a fresh complete copy. A stale copy is never
used, not even when the site is unreachable: that would turn ``unknown`` into a possibly
permissive answer, and per-URL decisions fail closed (contract: "Per URL").

Several processes may share one file: WAL journal, a busy timeout, and every write is one
short ``BEGIN IMMEDIATE`` upsert. The file is disposable: a row that does not decode is a
miss and is overwritten, a damaged file is set aside and rebuilt; a file that is not a
crawlcheck cache is never touched (a :class:`~crawlcheck.errors.UsageError` names it), so
a mistyped ``--cache`` cannot destroy someone's database.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

from crawlcheck.access import FileAccess, RobotsAccess, file_access, robots_access
from crawlcheck.codec import site_from_json, site_to_json
from crawlcheck.errors import UsageError
from crawlcheck.model import Fetched, SiteFetches

logger = logging.getLogger(__name__)

#: RFC 9309 §2.4: crawlers SHOULD NOT use a cached robots.txt for more than 24 hours.
MAX_TTL = 24 * 3600.0
#: How long a copy with a failure (robots.txt unreachable, a site file unreadable) is used:
#: briefly, so that a site that was down is asked again soon.
FAILURE_TTL = 600.0
#: ``PRAGMA application_id`` of a crawlcheck cache ("CCHK"): tells our file from others.
APPLICATION_ID = 0x4343484B
#: ``PRAGMA user_version``: bump when the row format changes (old rows are then dropped).
#: 3: robots.txt bodies are kept to one byte past the read limit (``FETCH_BYTES``); a row
#: of 2 holds a body cut exactly at the limit, whose last line may be cut unseen.
SCHEMA_VERSION = 3
#: Milliseconds a writer waits for another process's transaction before giving up.
BUSY_TIMEOUT_MS = 30_000
#: Environment variable naming the cache file (overrides the default location).
ENV_VAR = "CRAWLCHECK_CACHE"
_SQL_VARIABLES = 500


def crawlcheck_cache_dir(environ: Mapping[str, str] | None = None) -> Path:
    """Return crawlcheck's folder in the user's cache directory (XDG Base Directory spec).

    ``$XDG_CACHE_HOME`` when it is an absolute path (the spec ignores a relative one), else
    ``~/.cache``; then ``crawlcheck``.
    """
    env = os.environ if environ is None else environ
    base = env.get("XDG_CACHE_HOME") or ""
    root = Path(base) if os.path.isabs(base) else Path.home() / ".cache"
    return root / "crawlcheck"


def default_cache_path(environ: Mapping[str, str] | None = None) -> Path:
    """Return the cache file: ``$CRAWLCHECK_CACHE``, else the XDG cache directory's."""
    env = os.environ if environ is None else environ
    if env.get(ENV_VAR):
        return Path(env[ENV_VAR]).expanduser()
    return crawlcheck_cache_dir(env) / "origins.sqlite3"


def site_files_only(fetches: SiteFetches) -> SiteFetches:
    """Return *fetches* without sampled pages: what the cache keeps for an origin."""
    return SiteFetches(
        site=fetches.site,
        origin=fetches.origin,
        robots=fetches.robots,
        ai_txt=fetches.ai_txt,
        tdmrep=fetches.tdmrep,
        llms_txt=fetches.llms_txt,
        licenses=fetches.licenses,
        started_at=fetches.started_at,
        finished_at=fetches.finished_at,
    )


# -- expiry ------------------------------------------------------------------------------


def is_complete(fetches: SiteFetches) -> bool:
    """Return True when every site file fetched is an answer (crawlcheck.access).

    robots.txt unreachable, or another file unreadable (5xx, network failure, cut…), makes
    the copy a failure: it is kept only briefly and never replaces a complete copy.
    """
    if fetches.robots is not None and robots_access(fetches.robots) is RobotsAccess.UNREACHABLE:
        return False
    others = [doc for site_file, doc in fetches.site_files() if site_file.field != "robots"]
    return all(
        file_access(doc) is not FileAccess.UNREADABLE
        for doc in [*others, *fetches.licenses]
        if doc is not None
    )


def time_to_live(fetches: SiteFetches) -> float:
    """Return how many seconds the site files of *fetches* may be used.

    ``Cache-Control: no-store``/``no-cache`` on robots.txt give 0; ``max-age`` (less
    ``Age``) wins over ``Expires`` (RFC 9111 §5.3); either is capped at 24 hours (RFC 9309
    §2.4), and a copy with a failure at :data:`FAILURE_TTL`.
    """
    cap = MAX_TTL if is_complete(fetches) else FAILURE_TTL
    ttl = None if fetches.robots is None else _freshness(fetches.robots)
    return cap if ttl is None else max(0.0, min(ttl, cap))


def _freshness(robots: Fetched) -> float | None:
    directives = _cache_control(robots.header_values("Cache-Control"))
    if "no-store" in directives or "no-cache" in directives:
        return 0.0
    age = _seconds(robots.header("Age")) or 0.0
    if "max-age" in directives:
        max_age = _seconds(directives["max-age"])
        # RFC 9111 §4.2.1: an invalid max-age makes the response stale.
        return 0.0 if max_age is None else max_age - age
    expires = robots.header("Expires")
    if expires is None:
        return None
    expires_at = _http_date(expires)
    if expires_at is None:
        return 0.0  # RFC 9111 §5.3: an invalid Expires (e.g. "0") means already expired.
    date = _http_date(robots.header("Date") or "")
    return expires_at - (date if date is not None else time.time())


def _cache_control(values: Iterable[str]) -> dict[str, str]:
    directives: dict[str, str] = {}
    for value in values:
        for part in value.split(","):
            name, _, arg = part.strip().partition("=")
            if name:
                directives.setdefault(name.strip().lower(), arg.strip().strip('"'))
    return directives


def _seconds(text: str | None) -> float | None:
    if text is None or not text.strip().isdigit():
        return None
    return float(text.strip())


def _http_date(text: str) -> float | None:
    try:
        return parsedate_to_datetime(text.strip()).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


# -- serialisation -----------------------------------------------------------------------


def encode_site(fetches: SiteFetches) -> str:
    """Return the site-level files of *fetches* as one JSON document (bodies in base64)."""
    data = site_to_json(site_files_only(fetches), digests=True)
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


def decode_site(text: str) -> SiteFetches:
    """Return the :class:`SiteFetches` *text* encodes; raise ValueError if it is damaged."""
    try:
        return site_from_json(json.loads(text))
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise ValueError(f"damaged cache row: {exc}") from exc


# -- the cache ---------------------------------------------------------------------------


class OriginCache:
    """An SQLite file of origins' site-level files, with expiry; safe across processes.

    Never in the way of a run: a damaged file is set aside (renamed, never deleted) and
    rebuilt, a read-only file is only read, and a write that fails (disk full, read-only)
    is skipped; each says so once, as a warning on the ``crawlcheck`` logger. A file that
    belongs to another program is never touched: that is a :class:`UsageError`.

    >>> with OriginCache(":memory:") as cache:
    ...     lifetime = cache.put(SiteFetches(site="example.com", origin="https://example.com"))
    ...     cache.get("https://example.com").site
    'example.com'
    """

    def __init__(self, path: str | os.PathLike[str], *, clock: Callable[[], float] = time.time):
        self.path = str(path)
        self._clock = clock
        self.read_only = False
        self.writable = True
        """False once writing failed: results are still computed, just not kept."""
        self._lock = threading.RLock()
        """Held by each read and write: threads take turns on the one connection."""
        self._old_rows = False
        """A read-only file of another row format: its rows are never read (all misses)."""
        self._db = self._open()

    # -- opening

    def _open(self) -> sqlite3.Connection:
        if self.path == ":memory:":
            return self._connect(self.path)
        path = Path(self.path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            if not path.is_file():
                raise UsageError(f"cache {self.path}: cannot create its directory: {exc}") from exc
        if path.is_file() and not _writable(path):
            self.read_only = _announce(f"cache {self.path} is read-only: used, not updated")
            return self._read_only_copy()
        try:
            return self._connect(self.path)
        except _Unwritable as exc:
            return self._without_writing(str(exc))
        except _Damaged as exc:
            self._set_aside(str(exc))
        try:
            return self._connect(self.path)
        except (_Damaged, _Unwritable) as exc:
            return self._without_writing(str(exc))

    def _read_only_copy(self) -> sqlite3.Connection:
        """Open the file only to read it (immutable: no lock or WAL index is created)."""
        target = f"{Path(self.path).resolve().as_uri()}?mode=ro&immutable=1"
        return self._connect(target, uri=True)

    def _without_writing(self, reason: str) -> sqlite3.Connection:
        """Use the cache without writing to it (a full disk, an I/O error): read what it
        holds if it can be read, else keep nothing; say so once."""
        self.writable = False
        _announce(f"cache {self.path}: cannot write ({reason}): used, results are not cached")
        self.read_only = True
        try:
            return self._read_only_copy()
        except (UsageError, _Damaged, _Unwritable, sqlite3.Error):
            self.read_only = False
            db = sqlite3.connect(":memory:", isolation_level=None)
            self._prepare(db)
            return db

    def _connect(self, target: str, *, uri: bool = False) -> sqlite3.Connection:
        try:
            # Any thread may use the cache, one at a time (self._lock): a DuckDB or polars
            # scan pulls batches to decide on threads of its own.
            db = sqlite3.connect(
                target,
                timeout=BUSY_TIMEOUT_MS / 1000,
                isolation_level=None,
                uri=uri,
                check_same_thread=False,
            )
        except sqlite3.Error as exc:
            raise UsageError(f"cache {self.path}: cannot open: {exc}") from exc
        try:
            db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            self._prepare(db)
        except _Foreign as exc:
            db.close()
            raise UsageError(
                f"cache {self.path}: not a crawlcheck cache ({exc}); it is left as it is: "
                "pass --cache with another path, or --no-cache"
            ) from exc
        except sqlite3.DatabaseError as exc:
            db.close()
            if self.read_only:
                raise UsageError(f"cache {self.path}: read-only and damaged ({exc})") from exc
            if _is_damage(exc):
                raise _Damaged(str(exc)) from exc
            # A full disk, an I/O error, a lock held too long: the file is fine, the
            # place is not (never set a good cache aside for that).
            raise _Unwritable(str(exc)) from exc
        return db

    def _prepare(self, db: sqlite3.Connection) -> None:
        app_id = db.execute("PRAGMA application_id").fetchone()[0]
        if app_id not in (0, APPLICATION_ID):
            raise _Foreign(f"application_id {app_id:#x} is not crawlcheck's")
        if app_id == 0:
            tables = db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
            if tables:
                raise _Foreign("an SQLite database of another program")
        if self.read_only:
            db.execute("SELECT count(*) FROM origins").fetchone()
            self._old_rows = db.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION
            return
        if self.path != ":memory:":
            # WAL lets readers go on while another process writes; NORMAL is durable
            # enough for a disposable cache.
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = NORMAL")
        db.execute("BEGIN IMMEDIATE")
        try:
            if db.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
                # An older (or newer) layout of our own disposable rows: start afresh.
                db.execute("DROP TABLE IF EXISTS origins")
            db.execute(
                "CREATE TABLE IF NOT EXISTS origins ("
                " origin TEXT PRIMARY KEY,"
                " stored_at REAL NOT NULL,"
                " expires_at REAL NOT NULL,"
                " complete INTEGER NOT NULL,"
                " data TEXT NOT NULL)"
            )
            db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            # A damaged file often opens and fails only here: check it once.
            if db.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                raise sqlite3.DatabaseError("the file fails SQLite's integrity check")
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise

    def _set_aside(self, reason: str) -> None:
        """Rename a damaged cache file (and its WAL) out of the way; a new one replaces it."""
        aside = f"{self.path}.damaged-{int(self._clock())}"
        for suffix in ("", "-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                os.replace(self.path + suffix, aside + suffix)
        _announce(f"cache {self.path} was damaged ({reason}): set aside as {aside}, rebuilt")

    def _rebuild(self, exc: sqlite3.DatabaseError) -> None:
        """Set the damaged file aside and start a new one, mid-run."""
        with contextlib.suppress(sqlite3.Error):
            self._db.close()
        if self.path == ":memory:" or self.read_only:
            self.writable = False
            self._db = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
            self._prepare(self._db)
            return
        self._set_aside(str(exc))
        try:
            self._db = self._connect(self.path)
        except (_Damaged, _Unwritable) as again:
            self._db = self._without_writing(str(again))

    # -- reading and writing

    def get(self, origin: str) -> SiteFetches | None:
        """Return the unexpired site files of *origin*, or None."""
        return self.get_many([origin]).get(origin)

    def get_many(
        self, origins: Iterable[str], *, stored_since: float | None = None
    ) -> dict[str, SiteFetches]:
        """Return the unexpired site files of each of *origins* found, by origin.

        Rows stored at or after *stored_since* are returned even when expired: a run
        passes its start time so that it fetches each origin at most once. A damaged row
        is a miss; a damaged file is set aside and rebuilt (every row a miss).
        """
        with self._lock:
            return self._get_many(list(dict.fromkeys(origins)), stored_since)

    def _get_many(self, wanted: list[str], stored_since: float | None) -> dict[str, SiteFetches]:
        now = self._clock()
        since = float("inf") if stored_since is None else stored_since
        found: dict[str, SiteFetches] = {}
        if self._old_rows:
            return found
        for start in range(0, len(wanted), _SQL_VARIABLES):
            chunk = wanted[start : start + _SQL_VARIABLES]
            marks = ",".join("?" * len(chunk))
            try:
                rows = self._db.execute(
                    "SELECT origin, data FROM origins"
                    f" WHERE (expires_at > ? OR stored_at >= ?) AND origin IN ({marks})",
                    (now, since, *chunk),
                ).fetchall()
            except sqlite3.OperationalError as exc:
                raise UsageError(f"cache {self.path}: {exc}") from exc
            except sqlite3.DatabaseError as exc:
                self._rebuild(exc)
                return {}
            for origin, data in rows:
                try:
                    found[origin] = decode_site(data)
                except ValueError:
                    continue  # a damaged row is a miss; the next put overwrites it
        return found

    def put(self, fetches: SiteFetches) -> float:
        """Store the site files of *fetches*; return their lifetime in seconds."""
        return self.put_many([fetches])[0]

    def put_many(self, sites: Iterable[SiteFetches]) -> list[float]:
        """Store several origins in one short transaction; return each one's lifetime.

        A copy with a failure never replaces a complete copy that is still fresh: a later
        good answer (another process's) is never hidden by an earlier failure.
        """
        now = self._clock()
        rows = []
        for fetches in sites:
            ttl = time_to_live(fetches)
            complete = int(is_complete(fetches))
            rows.append((fetches.origin, now, now + ttl, complete, encode_site(fetches)))
        if rows and self.writable and not self.read_only:
            self._write(
                "INSERT INTO origins (origin, stored_at, expires_at, complete, data)"
                " VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT(origin) DO UPDATE SET stored_at = excluded.stored_at,"
                " expires_at = excluded.expires_at, complete = excluded.complete,"
                " data = excluded.data"
                " WHERE excluded.complete = 1 OR origins.complete = 0"
                " OR origins.expires_at <= excluded.stored_at",
                rows,
            )
        return [expires - stored for _, stored, expires, _, _ in rows]

    def clear(self) -> None:
        """Delete every row."""
        self._write("DELETE FROM origins", [()])

    def __len__(self) -> int:
        try:
            with self._lock:
                return int(self._db.execute("SELECT count(*) FROM origins").fetchone()[0])
        except sqlite3.DatabaseError as exc:
            raise UsageError(f"cache {self.path}: {exc}") from exc

    def close(self) -> None:
        """Close the database connection."""
        with self._lock:
            self._db.close()

    def __enter__(self) -> OriginCache:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _write(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        """Run one write transaction; on failure say why once and stop writing."""
        with self._lock:
            self._write_once(sql, rows)

    def _write_once(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        for attempt in (1, 2):
            try:
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    self._db.executemany(sql, rows)
                    self._db.execute("COMMIT")
                    return
                except BaseException:
                    if self._db.in_transaction:
                        with contextlib.suppress(sqlite3.Error):
                            self._db.execute("ROLLBACK")
                    raise
            except sqlite3.OperationalError as exc:
                # Disk full, read-only file or directory, a lock held past the busy timeout:
                # the results are still computed and written out, just not kept.
                self.writable = False
                _announce(f"cache {self.path}: cannot write ({exc}): results are not cached")
                return
            except sqlite3.DatabaseError as exc:
                if attempt == 2:
                    self.writable = False
                    _announce(f"cache {self.path}: cannot write ({exc}): results are not cached")
                    return
                self._rebuild(exc)


class _Foreign(sqlite3.DatabaseError):
    """The file is an SQLite database of another program: never touched."""


class _Damaged(Exception):
    """The file is not (or no longer) a readable database."""


class _Unwritable(Exception):
    """The file cannot be prepared for writing where it is (disk full, I/O error, lock)."""


#: SQLite primary result codes that mean the file itself is damaged (not the disk).
_DAMAGE_CODES = frozenset({11, 26})  # SQLITE_CORRUPT, SQLITE_NOTADB


def _is_damage(exc: sqlite3.DatabaseError) -> bool:
    """Return True when *exc* says the file is damaged (versus full, locked, unwritable)."""
    code = getattr(exc, "sqlite_errorcode", None)
    if code is None:  # raised by crawlcheck itself (the integrity check) or an old Python
        return not isinstance(exc, sqlite3.OperationalError)
    return (code & 0xFF) in _DAMAGE_CODES


def _writable(path: Path) -> bool:
    return os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)


def _announce(message: str) -> bool:
    """Log *message* as a warning on the ``crawlcheck`` logger; return True."""
    logger.warning("%s", message)
    return True
