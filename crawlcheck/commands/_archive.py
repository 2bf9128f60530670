"""The archive options of ``audit``, ``check``, ``filter`` and ``snapshot build``, and their wiring.

``--from-warc FILE…`` (audit what web archives hold), ``--warc-out FILE`` (record the
audit's fetches as an evidence WARC), ``--at DATE`` / ``--window SPAN`` (decide as of a
moment, from captures no older than the window) and ``--at-column NAME`` (each table row
at its own date). The commands add these options and hand over here; the rules live in
:mod:`crawlcheck.archive` (docs/archives.md).
"""

from __future__ import annotations

import argparse
import datetime
import os
import sys
from collections.abc import Callable, Generator, Sequence
from typing import TYPE_CHECKING, Any

from crawlcheck.commands._audit_run import ReportSource
from crawlcheck.errors import UsageError
from crawlcheck.model import Problem, SiteFetches, SiteReport
from crawlcheck.ruleset import Ruleset
from crawlcheck.safe_text import safe_text
from crawlcheck.site_audit import AuditTarget

if TYPE_CHECKING:
    from crawlcheck.tables.readers import Chunk, Reader

__all__ = [
    "EvidenceOut",
    "add_time_arguments",
    "archive_source",
    "at_time",
    "open_evidence",
    "refuse_time_without_archive",
    "row_times",
    "time_settings",
    "window_span",
]

#: File-level archive problems printed on stderr at most (then a count).
SHOWN_PROBLEMS = 20


def add_time_arguments(parser: argparse.ArgumentParser, *, what: str) -> None:
    """Add ``--at`` and ``--window`` to *parser*; *what* says what they apply to."""
    parser.add_argument(
        "--at",
        metavar="DATE",
        help=f"decide as of this time from archived captures ({what}): RFC 3339 or a date, "
        "UTC unless a zone is given, e.g. 2023-06-15 or 2023-06-15T12:00:00Z "
        "(default: the latest capture)",
    )
    parser.add_argument(
        "--window",
        metavar="SPAN",
        help="freshness window: a capture older than this before the time asked about does "
        "not count, and a file without one is unknown (30d, 24h, 90m; default: 30d, "
        "docs/archives.md)",
    )


def add_archive_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``audit``'s archive options: ``--from-warc``, ``--warc-out``, ``--at``, ``--window``."""
    parser.add_argument(
        "--from-warc",
        metavar="FILE",
        nargs="+",
        action="extend",
        help="audit what these web archives (WARC, WARC.gz, ARC) hold instead of the network: "
        "the sites given, else every site they hold (give sites before this option; "
        "needs crawlcheck[archive]; docs/archives.md; default: the network)",
    )
    parser.add_argument(
        "--warc-out",
        metavar="FILE",
        help="also record every request and response of the audit in this WARC file "
        "(.warc.gz; needs crawlcheck[archive]; default: none)",
    )
    add_time_arguments(parser, what="with --from-warc")


def add_from_warc_argument(parser: argparse.ArgumentParser) -> None:
    """Add ``snapshot build``'s ``--from-warc FILE…``."""
    parser.add_argument(
        "--from-warc",
        metavar="FILE",
        nargs="+",
        action="extend",
        help="build from these web archives (WARC, WARC.gz, ARC) instead of the network, "
        "keeping every capture of each origin (a history for --at); the sites given or "
        "-i FILE keep only those origins (needs crawlcheck[archive]; docs/archives.md; "
        "default: the network)",
    )


def build_from_warc(args: argparse.Namespace, ruleset: Ruleset, only: set[str] | None) -> int:
    """Run ``snapshot build --from-warc``: every capture of the archives into the snapshot."""
    from crawlcheck.archive.snapshot import build_from_archives

    # --shards and -o are checked by the command before it hands over (commands/snapshot.py).
    manifest, problems = build_from_archives(
        _archive_files(args.from_warc),
        args.output,
        shards=args.shards or 1,
        ruleset=ruleset,
        only=only,
    )
    report_archive_problems(problems)
    size = sum(s.bytes for s in manifest.shards)
    print(
        f"crawlcheck: snapshot {args.output}: {manifest.origins} origin(s), "
        f"{manifest.captures} capture(s) from {len(args.from_warc)} archive file(s) "
        f"({manifest.fetched_from or '-'} to {manifest.fetched_to or '-'}) "
        f"in {len(manifest.shards)} shard(s), {size / 2**20:.1f} MiB",
        file=sys.stderr,
    )
    return 0


def refuse_time_without_archive(args: argparse.Namespace, source: str = "--from-warc") -> None:
    """Raise UsageError when ``--at``/``--window``/``--at-column`` come without *source*."""
    for name in ("at", "at_column", "window"):
        if getattr(args, name, None) is not None:
            option = "--" + name.replace("_", "-")
            raise UsageError(f"{option} decides from archived captures: give {source}")


def time_settings(args: argparse.Namespace) -> dict[str, Any]:
    """Return the checker's ``at``/``freshness`` settings of ``check``/``filter`` (``{}``: none).

    ``--at``, ``--at-column`` and ``--window`` need ``--snapshot`` (build one from archives
    with ``snapshot build --from-warc``); ``--max-age`` bounds live snapshot lookups and
    does not combine with them (``--window`` is the freshness rule at a time).
    """
    if getattr(args, "snapshot", None) is None:
        refuse_time_without_archive(args, "--snapshot (snapshot build --from-warc makes one)")
        return {}
    timed = args.at is not None or getattr(args, "at_column", None) is not None
    if args.window is not None and not timed:
        raise UsageError("--window applies to --at or --at-column")
    if not timed:
        return {}
    if args.max_age is not None:
        raise UsageError("--max-age bounds snapshot lookups now; with --at give --window")
    if args.at is not None and getattr(args, "at_column", None) is not None:
        raise UsageError("--at and --at-column: give one time for all rows, or a column")
    return {"at": at_time(args), "freshness": window_span(args)}


def row_times(reader: Reader, chunk: Chunk, column: str) -> list[datetime.datetime | Problem]:
    """Return each row's moment from *column* (``--at-column``), or why it has none.

    A value is an RFC 3339 / ISO 8601 text or a date (UTC unless a zone is given), WARC's
    14 digits, or a table's timestamp or date type; anything else makes the row unknown.
    """
    if reader.kind == "text":
        raise UsageError("--at-column needs a table (CSV, TSV, JSON Lines or Parquet)")
    if reader.kind == "parquet":
        names = tuple(chunk.records.schema.names)
        if column not in names:
            raise UsageError(f"--at-column: no column {column!r} in {reader.name}")
        values: list[object] = chunk.records.column(column).to_pylist()
    else:
        rows = reader.dicts(chunk)
        if reader.columns and column not in reader.columns:
            raise UsageError(f"--at-column: no column {column!r} in {reader.name}")
        values = [None if row is None else row.get(column) for row in rows]
    from crawlcheck.archive.moment import moment_of

    return [moment_of(value, column) for value in values]


def open_evidence(args: argparse.Namespace, command: str) -> EvidenceOut:
    """Return the ``--warc-out`` writer; UsageError when it cannot be used with the rest."""
    if args.resume:
        raise UsageError("--warc-out records this run's fetches: it cannot resume another run")
    return EvidenceOut(args.warc_out, command)


def add_snapshot_diff_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``diff``'s snapshot options: ``--old-at``, ``--new-at``, ``--window``, ``--rules``."""
    parser.add_argument(
        "--old-at",
        metavar="DATE",
        help="OLD is a snapshot: compare its captures in force at this time (default: each "
        "origin's latest); with --new-at, OLD and NEW may be the same snapshot's history",
    )
    parser.add_argument(
        "--new-at",
        metavar="DATE",
        help="NEW is a snapshot: its captures in force at this time (default: each origin's "
        "latest)",
    )
    parser.add_argument(
        "--window",
        metavar="SPAN",
        help="with --old-at/--new-at: a site file captured longer than this before the time "
        "counts as absent (default: 30d)",
    )
    from crawlcheck.commands.check import add_rules_argument

    add_rules_argument(parser)  # the rules snapshots' site files are evaluated with


def load_sides(args: argparse.Namespace) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Return ``diff``'s OLD and NEW as ``sites[]`` objects: reports read, snapshots evaluated."""
    from crawlcheck.archive.index import parse_time
    from crawlcheck.diff import load_report
    from crawlcheck.ruleset import load_ruleset
    from crawlcheck.snapshot.sites import is_snapshot, snapshot_sites

    sides: list[list[dict[str, Any]]] = []
    ruleset = None
    for location, option in ((args.old, "--old-at"), (args.new, "--new-at")):
        text: str | None = getattr(args, option[2:].replace("-", "_"))
        if not is_snapshot(location):
            if text is not None:
                raise UsageError(f"{option}: '{location}' is a report, not a snapshot")
            sides.append(load_report(location))
            continue
        ruleset = ruleset or load_ruleset(args.rules)
        at = None if text is None else parse_time(text)
        window = window_span(args) if at is not None else None
        sides.append(snapshot_sites(location, ruleset, at=at, window=window))
    return sides[0], sides[1]


def at_time(args: argparse.Namespace) -> datetime.datetime | None:
    """Return ``--at`` as a UTC time, or None; UsageError when it is not a date."""
    from crawlcheck.archive.index import parse_time

    text: str | None = getattr(args, "at", None)
    return None if text is None else parse_time(text)


def window_span(args: argparse.Namespace) -> datetime.timedelta:
    """Return ``--window`` (default 30 days); UsageError when it is not a span."""
    from crawlcheck.archive.index import DEFAULT_WINDOW, parse_window

    text: str | None = getattr(args, "window", None)
    return DEFAULT_WINDOW if text is None else parse_window(text)


def _archive_files(paths: Sequence[str], option: str = "--from-warc") -> list[str]:
    """Return the archive paths given; UsageError for a path that is not a readable file."""
    from crawlcheck.archive.reader import require_archive_libraries

    require_archive_libraries()
    for path in paths:
        if not os.path.isfile(path):
            why = "is a directory" if os.path.isdir(path) else "does not exist"
            raise UsageError(f"{option}: '{path}' {why}")
    return list(paths)


def report_archive_problems(problems: Sequence[object]) -> None:
    """Print the archives' own problems (damage, unreadable files) on stderr, bounded."""
    for problem in problems[:SHOWN_PROBLEMS]:
        code = getattr(problem, "code", "")
        message = getattr(problem, "message", "")
        print(safe_text(f"crawlcheck: warning: {code}: {message}"), file=sys.stderr)
    if len(problems) > SHOWN_PROBLEMS:
        print(
            f"crawlcheck: … and {len(problems) - SHOWN_PROBLEMS} more archive problems",
            file=sys.stderr,
        )


def archive_source(
    args: argparse.Namespace, ruleset: Ruleset, given: Sequence[AuditTarget]
) -> tuple[list[AuditTarget], ReportSource]:
    """Return ``audit --from-warc``'s targets and its report source (no network).

    The sites given, else every origin the archives hold. The archives are indexed once
    here; file-level damage is printed as warnings (the sites it touches say so too).
    """
    from crawlcheck.archive.audit import ArchiveAudit, archive_audit, archive_targets
    from crawlcheck.archive.index import CaptureIndex

    if getattr(args, "warc_out", None):
        raise UsageError("--warc-out records a crawl; --from-warc reads archives instead")
    how = ArchiveAudit(at=at_time(args), window=window_span(args), pages=args.pages)
    index = CaptureIndex.build(_archive_files(args.from_warc))
    report_archive_problems(index.problems)
    targets = archive_targets(index, given)
    if not targets:
        raise UsageError("--from-warc: the archives hold no http(s) capture to audit")

    def source(
        remaining: Sequence[AuditTarget], on_finished: Callable[[SiteReport], None]
    ) -> Generator[SiteReport, None, None]:
        yield from archive_audit(index, remaining, ruleset, how, on_finished=on_finished)

    return targets, source


class EvidenceOut:
    """``--warc-out FILE``: write every site's fetches as an evidence WARC as sites finish."""

    def __init__(self, path: str, command: str) -> None:
        from crawlcheck.archive.writer import EvidenceWriter

        if not path.strip():
            raise UsageError("--warc-out: empty path")
        if os.path.isdir(path):
            raise UsageError(f"--warc-out: '{path}' is a directory")
        self.path = path
        self.sites = 0
        try:
            self._writer = EvidenceWriter(path, description=f"crawlcheck audit: {command}")
        except OSError as exc:
            raise UsageError(f"--warc-out: cannot write '{path}': {exc.strerror or exc}") from exc

    def add(self, fetches: SiteFetches) -> None:
        """Write one site's requests and responses."""
        self._writer.write_site(fetches)
        self.sites += 1

    def __enter__(self) -> EvidenceOut:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._writer.close()
