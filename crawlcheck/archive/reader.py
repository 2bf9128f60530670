"""Read web archives (WARC, WARC.gz, ARC, ARC.gz) into captures: what each site served, when.

:func:`read_archive` streams one file: every http(s) ``response``, ``resource`` and
``revisit`` record becomes a :class:`~crawlcheck.archive.captures.Capture` (WAT metadata
records too, as page captures: :mod:`crawlcheck.archive.wat`); anything wrong with the file
is a :class:`~crawlcheck.model.Problem`, never an exception. Rules (docs/archives.md):

- bodies are decoded (chunked, Content-Encoding) and cut at the crawl's caps;
- a record stored incomplete (``WARC-Truncated`` before the cap, a chunked stream or
  Content-Length that stops short, a file cut inside the record) is a failed capture with
  error ``incomplete``: never parsed as if whole, so a cut robots.txt grants nothing;
- a revisit keeps its own status and headers and waits for its original payload
  (:mod:`crawlcheck.archive.index` resolves it); until then its body is unknown.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator
from dataclasses import replace

from crawlcheck.archive import wat
from crawlcheck.archive._frames import (
    Damage,
    Frame,
    arc_frames,
    block_limit,
    frame_at,
    sniff,
    warc_frames,
)
from crawlcheck.archive._http import INVALID_HTTP, Head, read_body, split_head
from crawlcheck.archive.captures import (
    REVISIT_UNRESOLVED,
    Capture,
    FetchNote,
    cap_for,
    normalise_digest,
    normalise_url,
    parse_warc_date,
    rfc3339,
)
from crawlcheck.crawl.failures import INCOMPLETE
from crawlcheck.errors import UsageError
from crawlcheck.model import ArchiveRecord, Fetched, Problem

__all__ = ["ArchiveItem", "read_archive", "read_record", "require_archive_libraries"]

ArchiveItem = Capture | FetchNote | Problem

#: Problems reported per file at most (then one that says how many more there were).
MAX_PROBLEMS = 50
#: WARC fields of crawlcheck's own metadata records (crawlcheck.archive.writer).
KIND_FIELD = "crawlcheck-kind"
ORDER_FIELD = "crawlcheck-order"
ERROR_FIELD = "crawlcheck-error"


def require_archive_libraries() -> None:
    """Raise UsageError naming the extra when FastWARC or warcio is not installed."""
    try:
        import fastwarc  # noqa: F401
        import warcio  # noqa: F401
    except ImportError as exc:
        raise UsageError(
            f"reading web archives needs {exc.name}: install crawlcheck[archive]"
        ) from exc


def read_archive(path: str, wanted: Callable[[str], bool] | None = None) -> Iterator[ArchiveItem]:
    """Yield every capture in the archive file *path*, and a Problem for each defect.

    With *wanted*, records whose WARC-Target-URI it rejects are skipped unread (a snapshot
    of site-level files reads nothing else). An unreadable path is a Problem too
    (``archive.unreadable``): one bad file among many must not stop the others.
    """
    require_archive_libraries()
    count = 0
    try:
        handle = open(path, "rb")  # noqa: SIM115 - closed below; open errors are data
    except OSError as exc:
        yield _problem("archive.unreadable", f"cannot open: {exc.strerror or exc}", path)
        return
    with handle:
        kind = sniff(handle)
        if kind == "unknown":
            yield _problem(
                "archive.not-an-archive",
                "neither WARC nor ARC (first bytes are not 'WARC/' or 'filedesc://')",
                path,
            )
            return
        limit = _limit if wanted is None else _selective(wanted)
        frames = arc_frames(handle, limit) if kind == "arc" else warc_frames(handle, limit)
        for frame in frames:
            for item in _items(frame, path, arc=kind == "arc"):
                if isinstance(item, Problem):
                    count += 1
                    if count > MAX_PROBLEMS:
                        continue
                yield item
    if count > MAX_PROBLEMS:
        yield _problem("archive.more-problems", f"{count - MAX_PROBLEMS} more problems", path)


def read_record(record: ArchiveRecord) -> Capture | Problem:
    """Return the capture stored at *record* (its file and offset), read again."""
    require_archive_libraries()
    try:
        with open(record.file, "rb") as handle:
            arc = sniff(handle) == "arc"
            frame = frame_at(handle, record.offset, _limit, arc)
    except OSError as exc:
        return _problem("archive.unreadable", f"cannot open: {exc.strerror or exc}", record.file)
    if isinstance(frame, Damage):
        return _problem("archive.damaged", frame.message, record.file)
    for item in _items(frame, record.file, arc=arc):
        if isinstance(item, Capture):
            return item
    return _problem("archive.no-capture", f"no capture at offset {record.offset}", record.file)


def _limit(target: str) -> int:
    return block_limit(cap_for(target))


def _selective(wanted: Callable[[str], bool]) -> Callable[[str], int]:
    def limit(target: str) -> int:
        url = normalise_url(target)
        return _limit(target) if url is not None and wanted(url) else -1

    return limit


def _items(frame: Frame | Damage, path: str, *, arc: bool) -> Iterator[ArchiveItem]:
    if isinstance(frame, Damage):
        yield _problem("archive.damaged", frame.message, f"{path} offset {frame.offset}", "error")
        return
    record_type = frame.header("WARC-Type").lower()
    if record_type == "metadata":
        yield from _metadata(frame, path)
        return
    if record_type not in ("response", "resource", "revisit"):
        return  # warcinfo, request, conversion, continuation: no capture of their own
    url = normalise_url(frame.header("WARC-Target-URI"))
    if url is None:
        return  # dns:, metadata://, ftp: … are not web captures
    at = parse_warc_date(frame.header("WARC-Date"))
    where = f"{path} offset {frame.offset}"
    if at is None:
        yield _problem("archive.bad-date", f"WARC-Date {frame.header('WARC-Date')!r}", where)
        return
    record = ArchiveRecord(
        file=path,
        offset=frame.offset,
        record_id="" if arc else frame.header("WARC-Record-ID"),
        date=frame.header("WARC-Date"),
        record_type=record_type,
    )
    yield _capture(frame, record_type, url, at, record, where)


def _capture(
    frame: Frame,
    record_type: str,
    url: str,
    at: datetime.datetime,
    record: ArchiveRecord,
    where: str,
) -> Capture:
    stamp = rfc3339(at)
    problems: list[Problem] = []
    digest = normalise_digest(frame.header("WARC-Payload-Digest"))
    base = Fetched(url=url, final_url=url, fetched_at=stamp, record=record)
    if record_type == "resource":
        content_type = frame.header("Content-Type")
        head: Head | None = Head(status=200, headers=(("Content-Type", content_type),))
        payload = frame.block
    elif frame.head is not None:
        head, payload = frame.head, frame.block
    else:
        split = split_head(frame.block)
        head, payload = (None, b"") if split is None else split
    if record_type == "revisit":
        # The payload is elsewhere (WARC 1.1 §6.7): keep status and headers (a revisit may
        # store none: the original's are used then), body unknown until resolved.
        head = head or Head(status=None, headers=())
        fetched = replace(base, status=head.status, headers=head.headers, error=REVISIT_UNRESOLVED)
        return Capture(
            fetched=fetched,
            at=at,
            payload_digest=digest,
            revisit_of=frame.header("WARC-Refers-To"),
            revisit=True,
        )
    if head is None:
        failure = INCOMPLETE if frame.damaged else INVALID_HTTP
        problems.append(
            _problem(f"archive.{failure}", "no HTTP response head in the record", where)
        )
        return Capture(fetched=replace(base, error=failure), at=at, problems=tuple(problems))
    cap = cap_for(url)
    body = read_body(head, payload, frame.whole and not frame.damaged, cap)
    error = body.error
    truncated = body.truncated
    if frame.damaged:
        error = INCOMPLETE
        problems.append(_problem("archive.incomplete", "the file ends inside this record", where))
    elif frame.header("WARC-Truncated") and len(body.data) < cap and error is None:
        # WARC 1.1 §5.13: the archiver stored less than the server sent. Short of the cap,
        # what is missing is content the site served: the capture is incomplete.
        error = INCOMPLETE
        truncated = True
        reason = frame.header("WARC-Truncated")
        problems.append(_problem("archive.truncated", f"WARC-Truncated: {reason}", where))
    elif frame.header("WARC-Truncated"):
        truncated = True
    problems.extend(_problem("archive.http", note, where, "info") for note in body.notes)
    if error == INCOMPLETE and not frame.damaged and not frame.header("WARC-Truncated"):
        problems.append(_problem("archive.incomplete", "the stored body stops short", where))
    fetched = replace(
        base,
        status=head.status,
        headers=head.headers,
        body=body.data,
        error=error if head.status is not None else error or INVALID_HTTP,
        truncated=truncated,
    )
    return Capture(fetched=fetched, at=at, payload_digest=digest, problems=tuple(problems))


def _metadata(frame: Frame, path: str) -> Iterator[ArchiveItem]:
    """Yield what a metadata record says: a WAT page capture, or crawlcheck's own notes."""
    content_type = frame.header("Content-Type").split(";", 1)[0].strip().lower()
    if content_type == "application/json":
        yield from wat.captures(frame, path)
        return
    if content_type != "application/warc-fields" or not frame.whole:
        return
    fields = _warc_fields(frame.block)
    url = normalise_url(frame.header("WARC-Target-URI"))
    at = parse_warc_date(frame.header("WARC-Date"))
    error = fields.get(ERROR_FIELD)
    kind = fields.get(KIND_FIELD, "")
    order = fields.get(ORDER_FIELD, "0")
    refers_to = frame.header("WARC-Refers-To")
    if kind and refers_to and not error:
        yield FetchNote(refers_to=refers_to, kind=kind, order=int(order) if order.isdigit() else 0)
    if url is None or at is None or not error:
        return
    # crawlcheck's evidence archive: a fetch that got no response (timeout, DNS…).
    record = ArchiveRecord(
        file=path,
        offset=frame.offset,
        record_id=frame.header("WARC-Record-ID"),
        date=frame.header("WARC-Date"),
        record_type="metadata",
    )
    fetched = Fetched(url=url, final_url=url, error=error, fetched_at=rfc3339(at), record=record)
    if kind:
        yield FetchNote(
            refers_to=record.record_id, kind=kind, order=int(order) if order.isdigit() else 0
        )
    yield Capture(fetched=fetched, at=at)


def _warc_fields(block: bytes) -> dict[str, str]:
    """Return ``application/warc-fields`` as a dict (first value of each name)."""
    fields: dict[str, str] = {}
    for line in block.decode("utf-8", "replace").splitlines():
        name, sep, value = line.partition(":")
        if sep and name.strip():
            fields.setdefault(name.strip().lower(), value.strip())
    return fields


def _problem(code: str, message: str, source: str, level: str = "warning") -> Problem:
    return Problem(code=code, message=message, source=source, level=level)
