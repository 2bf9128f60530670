"""Keep each origin's site-level files in an SQLite file so they are fetched once a day.

One row per origin holds its :class:`~crawlcheck.model.SiteFetches` (robots.txt, ai.txt,
tdmrep.json, llms.txt, licence documents; never sampled pages) as JSON, bodies in base64,
so the evidence — URL, status, headers, body, sha256, time — survives the fetch.

Expiry follows RFC 9309 §2.4: a copy is used for at most 24 hours; a shorter lifetime from
the robots.txt response's ``Cache-Control: max-age`` (or ``Expires``) is honoured, as §2.4
allows by pointing to RFC 9111. An unreachable robots.txt (5xx, network error) is kept
for at most :data:`UNREACHABLE_TTL`, so a server that was down is asked again soon. A stale
copy is never used, not even when the site is unreachable: that would turn ``unknown`` into
a possibly permissive answer, and per-URL decisions fail closed (contract: "Per URL").

Several processes may share one file: WAL journal, a busy timeout, and every write is one
short ``BEGIN IMMEDIATE`` upsert. The file is disposable: a row that does not decode is a
miss and is overwritten; a file that is not a crawlcheck cache is never touched (a
:class:`~crawlcheck.errors.UsageError` names it), so a mistyped ``--cache`` cannot destroy
someone's database.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Callable, Iterable, Mapping
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

from crawlcheck.access import RobotsAccess, robots_access
from crawlcheck.codec import fetched_from_json, fetched_to_json
from crawlcheck.errors import UsageError
from crawlcheck.model import Fetched, SiteFetches

#: RFC 9309 §2.4: crawlers SHOULD NOT use a cached robots.txt for more than 24 hours.
MAX_TTL = 24 * 3600.0
#: How long an unreachable robots.txt (5xx, network error) is remembered.
UNREACHABLE_TTL = 3600.0
#: ``PRAGMA application_id`` of a crawlcheck cache ("CCHK"): tells our file from others.
APPLICATION_ID = 0x4343484B
#: ``PRAGMA user_version``: bump when the row format changes (old rows are then dropped).
SCHEMA_VERSION = 1
#: Milliseconds a writer waits for another process's transaction before giving up.
BUSY_TIMEOUT_MS = 30_000
#: Environment variable naming the cache file (overrides the default location).
ENV_VAR = "CRAWLCHECK_CACHE"
_SQL_VARIABLES = 500
_FILE_FIELDS = ("robots", "ai_txt", "tdmrep", "llms_txt")


def default_cache_path(environ: Mapping[str, str] | None = None) -> Path:
    """Return the cache file: ``$CRAWLCHECK_CACHE``, else the XDG cache directory's."""
    env = os.environ if environ is None else environ
    if env.get(ENV_VAR):
        return Path(env[ENV_VAR]).expanduser()
    base = env.get("XDG_CACHE_HOME") or ""
    root = Path(base) if os.path.isabs(base) else Path.home() / ".cache"
    return root / "crawlcheck" / "origins.sqlite3"


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


def is_unreachable(robots: Fetched | None) -> bool:
    """Return True when robots.txt was unreachable (5xx, network failure): RFC 9309 §2.3.1.4."""
    return robots is not None and robots_access(robots) is RobotsAccess.UNREACHABLE


def time_to_live(robots: Fetched | None) -> float:
    """Return how many seconds a copy fetched with this robots.txt response may be used.

    ``Cache-Control: no-store``/``no-cache`` give 0; ``max-age`` (less ``Age``) wins over
    ``Expires`` (RFC 9111 §5.3); either is capped at 24 hours (RFC 9309 §2.4).
    """
    if robots is None:
        return MAX_TTL
    cap = UNREACHABLE_TTL if is_unreachable(robots) else MAX_TTL
    ttl = _freshness(robots)
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


def _fetched_to_json(doc: Fetched) -> dict[str, Any]:
    # The crawl's wire format, plus the body's hash so a damaged row is noticed on read.
    return {**fetched_to_json(doc), "sha256": doc.sha256}


def _fetched_from_json(data: Mapping[str, Any]) -> Fetched:
    doc = fetched_from_json(data)
    if doc.sha256 != data["sha256"]:
        raise ValueError("body does not match its sha256")
    return doc


def _optional(data: Mapping[str, Any] | None) -> Fetched | None:
    return None if data is None else _fetched_from_json(data)


def encode_site(fetches: SiteFetches) -> str:
    """Return the site-level files of *fetches* as one JSON document (bodies in base64)."""
    data: dict[str, Any] = {
        "site": fetches.site,
        "origin": fetches.origin,
        "started_at": fetches.started_at,
        "finished_at": fetches.finished_at,
        "licenses": [_fetched_to_json(doc) for doc in fetches.licenses],
    }
    for name in _FILE_FIELDS:
        doc = getattr(fetches, name)
        data[name] = None if doc is None else _fetched_to_json(doc)
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


def decode_site(text: str) -> SiteFetches:
    """Return the :class:`SiteFetches` *text* encodes; raise ValueError if it is damaged."""
    try:
        data = json.loads(text)
        return SiteFetches(
            site=str(data["site"]),
            origin=str(data["origin"]),
            robots=_optional(data["robots"]),
            ai_txt=_optional(data["ai_txt"]),
            tdmrep=_optional(data["tdmrep"]),
            llms_txt=_optional(data["llms_txt"]),
            licenses=tuple(_fetched_from_json(doc) for doc in data["licenses"]),
            started_at=str(data["started_at"]),
            finished_at=str(data["finished_at"]),
        )
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise ValueError(f"damaged cache row: {exc}") from exc


# -- the cache ---------------------------------------------------------------------------


class OriginCache:
    """An SQLite file of origins' site-level files, with expiry; safe across processes.

    >>> with OriginCache(":memory:") as cache:
    ...     lifetime = cache.put(SiteFetches(site="example.com", origin="https://example.com"))
    ...     cache.get("https://example.com").site
    'example.com'
    """

    def __init__(self, path: str | os.PathLike[str], *, clock: Callable[[], float] = time.time):
        self.path = str(path)
        self._clock = clock
        self._db = self._open()

    def _open(self) -> sqlite3.Connection:
        if self.path != ":memory:":
            try:
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise UsageError(f"cache {self.path}: cannot create its directory: {exc}") from exc
        try:
            db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        except sqlite3.Error as exc:
            raise UsageError(f"cache {self.path}: cannot open: {exc}") from exc
        try:
            db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            self._prepare(db)
        except sqlite3.DatabaseError as exc:
            db.close()
            raise UsageError(
                f"cache {self.path}: not a usable crawlcheck cache ({exc}); "
                "delete it, or pass --cache with another path or --no-cache"
            ) from exc
        return db

    def _prepare(self, db: sqlite3.Connection) -> None:
        app_id = db.execute("PRAGMA application_id").fetchone()[0]
        if app_id not in (0, APPLICATION_ID):
            raise sqlite3.DatabaseError(f"application_id {app_id:#x} is not crawlcheck's")
        if app_id == 0:
            tables = db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
            if tables:
                raise sqlite3.DatabaseError("an SQLite database of another program")
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
                " data TEXT NOT NULL)"
            )
            db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def get(self, origin: str) -> SiteFetches | None:
        """Return the unexpired site files of *origin*, or None."""
        return self.get_many([origin]).get(origin)

    def get_many(
        self, origins: Iterable[str], *, stored_since: float | None = None
    ) -> dict[str, SiteFetches]:
        """Return the unexpired site files of each of *origins* found, by origin.

        Rows stored at or after *stored_since* are returned even when expired: a run
        passes its start time so that it fetches each origin at most once.
        """
        wanted = list(dict.fromkeys(origins))
        now = self._clock()
        since = float("inf") if stored_since is None else stored_since
        found: dict[str, SiteFetches] = {}
        for start in range(0, len(wanted), _SQL_VARIABLES):
            chunk = wanted[start : start + _SQL_VARIABLES]
            marks = ",".join("?" * len(chunk))
            rows = self._execute(
                "SELECT origin, data FROM origins"
                f" WHERE (expires_at > ? OR stored_at >= ?) AND origin IN ({marks})",
                (now, since, *chunk),
            ).fetchall()
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
        """Store several origins in one short transaction; return each one's lifetime."""
        now = self._clock()
        rows = []
        for fetches in sites:
            ttl = time_to_live(fetches.robots)
            rows.append((fetches.origin, now, now + ttl, encode_site(site_files_only(fetches))))
        if rows:
            self._write(
                "INSERT INTO origins (origin, stored_at, expires_at, data) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(origin) DO UPDATE SET stored_at = excluded.stored_at, "
                "expires_at = excluded.expires_at, data = excluded.data",
                rows,
            )
        return [expires - stored for _, stored, expires, _ in rows]

    def prune(self) -> int:
        """Delete expired rows; return how many were deleted."""
        return self._write("DELETE FROM origins WHERE expires_at <= ?", [(self._clock(),)])

    def clear(self) -> None:
        """Delete every row."""
        self._write("DELETE FROM origins", [()])

    def __len__(self) -> int:
        return int(self._execute("SELECT count(*) FROM origins", ()).fetchone()[0])

    def close(self) -> None:
        """Close the database connection."""
        self._db.close()

    def __enter__(self) -> OriginCache:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _execute(self, sql: str, params: tuple[Any, ...]) -> sqlite3.Cursor:
        try:
            return self._db.execute(sql, params)
        except sqlite3.OperationalError as exc:
            raise UsageError(f"cache {self.path}: {exc}") from exc

    def _write(self, sql: str, rows: list[tuple[Any, ...]]) -> int:
        try:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                cursor = self._db.executemany(sql, rows)
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        except sqlite3.OperationalError as exc:
            # Read-only file or directory, disk full, lock held past the busy timeout.
            raise UsageError(f"cache {self.path}: cannot write: {exc}") from exc
        return cursor.rowcount
