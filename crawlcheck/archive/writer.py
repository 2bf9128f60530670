"""Evidence archives: what an audit requested and received, as a WARC 1.1 file (FastWARC).

Per exchange the writer stores a ``request`` record and, when a response came, a
``response`` record (``WARC-Concurrent-To`` links the two; ``WARC-Block-Digest`` on both,
``WARC-Payload-Digest`` on the response, ``WARC-Truncated: length`` when the crawl cut the
body), then a ``metadata`` record (``application/warc-fields``) that says what the audit
fetched it as and, for a fetch that got no response, why (``crawlcheck-error``). A
``warcinfo`` record opens the file. Records are gzip-compressed one by one (``.warc.gz``),
so each can be read at its offset. :mod:`crawlcheck.archive.reader` reads these files
back into the same :class:`~crawlcheck.model.Fetched` values (docs/archives.md, "Writer").
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from types import TracebackType
from typing import IO

from crawlcheck._version import __version__
from crawlcheck.archive.reader import (
    ERROR_FIELD,
    KIND_FIELD,
    ORDER_FIELD,
    require_archive_libraries,
)
from crawlcheck.model import Fetched, SiteFetches

__all__ = ["EvidenceWriter", "Exchange", "exchanges_of"]

#: Header names a stored, already-decoded body must not carry (Common Crawl renames them
#: the same way): a reader would otherwise decode it again.
_CODING_HEADERS = ("content-encoding", "transfer-encoding")
_RENAMED_PREFIX = "X-Crawlcheck-Original-"
_WARC_11 = "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/"


@dataclass(frozen=True, slots=True, kw_only=True)
class Exchange:
    """One HTTP request and what came back: what the crawl must record for the archive."""

    url: str
    at: str
    """RFC 3339 UTC time the response (or the failure) arrived: the records' WARC-Date."""
    method: str = "GET"
    request_headers: tuple[tuple[str, str], ...] = ()
    status: int | None = None
    """None: no response (``error`` says why); only request and metadata are written."""
    reason: str = ""
    response_headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    """The body as received (de-chunked; still content-coded unless ``decoded``)."""
    decoded: bool = False
    """The body's Content-Encoding was already undone (the coding headers get renamed)."""
    truncated: bool = False
    """The crawl stopped reading at its size limit (``WARC-Truncated: length``)."""
    ip: str = ""
    error: str | None = None
    kind: str = ""
    """What the audit fetched it as: ``robots.txt``, ``page``, ``license``…"""
    order: int = 0
    note: str = ""


class EvidenceWriter:
    """Write exchanges to a ``.warc.gz`` file, one gzip member per record."""

    def __init__(self, path: str, *, description: str = "") -> None:
        require_archive_libraries()
        self.path = path
        self._handle: IO[bytes] = open(path, "wb")  # noqa: SIM115 - closed by close()
        self._info_id = _new_id()
        fields = [
            ("software", f"crawlcheck/{__version__}"),
            ("format", "WARC File Format 1.1"),
            ("conformsTo", _WARC_11),
            ("description", description or "crawlcheck audit evidence"),
        ]
        block = "".join(f"{name}: {value}\r\n" for name, value in fields).encode("utf-8")
        self._write(
            "warcinfo",
            block,
            "application/warc-fields",
            headers=[("WARC-Filename", path.rsplit("/", 1)[-1])],
            record_id=self._info_id,
        )

    def __enter__(self) -> EvidenceWriter:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the file."""
        self._handle.close()

    def write(self, exchange: Exchange) -> str:
        """Write *exchange*; return the WARC-Record-ID of its response (request if none)."""
        request_id, response_id = _new_id(), _new_id()
        answered = exchange.status is not None
        common = [("WARC-Target-URI", exchange.url), ("WARC-Warcinfo-ID", self._info_id)]
        self._write(
            "request",
            _request_block(exchange),
            "application/http;msgtype=request",
            headers=[*common, *([("WARC-Concurrent-To", response_id)] if answered else [])],
            date=exchange.at,
            record_id=request_id,
        )
        subject = request_id
        if answered:
            head = _response_head(exchange)
            extra = [*common, ("WARC-Concurrent-To", request_id)]
            if exchange.ip:
                extra.append(("WARC-IP-Address", exchange.ip))
            if exchange.truncated:
                extra.append(("WARC-Truncated", "length"))
            self._write(
                "response",
                head + exchange.body,
                "application/http;msgtype=response",
                headers=extra,
                date=exchange.at,
                record_id=response_id,
                payload=exchange.body,
            )
            subject = response_id
        fields = [(KIND_FIELD, exchange.kind), (ORDER_FIELD, str(exchange.order))]
        if exchange.error:
            fields.append((ERROR_FIELD, exchange.error))
        if exchange.note:
            fields.append(("crawlcheck-note", exchange.note))
        block = "".join(f"{k}: {v}\r\n" for k, v in fields if v).encode("utf-8")
        self._write(
            "metadata",
            block,
            "application/warc-fields",
            headers=[*common, ("WARC-Refers-To", subject), ("WARC-Concurrent-To", subject)],
            date=exchange.at,
        )
        return subject

    def write_fetched(self, doc: Fetched, *, kind: str, order: int = 0) -> None:
        """Write one crawl result, redirect hops first (see :func:`exchanges_of`)."""
        for exchange in exchanges_of(doc, kind=kind, order=order):
            self.write(exchange)

    def write_site(self, site: SiteFetches) -> None:
        """Write everything the crawl fetched for one site."""
        for site_file, doc in site.site_files():
            if doc is not None:
                self.write_fetched(doc, kind=site_file.path.rsplit("/", 1)[-1])
        for order, doc in enumerate(site.pages):
            self.write_fetched(doc, kind="page", order=order)
        for order, doc in enumerate(site.licenses):
            self.write_fetched(doc, kind="license", order=order)

    def _write(
        self,
        record_type: str,
        block: bytes,
        content_type: str,
        *,
        headers: list[tuple[str, str]],
        date: str = "",
        record_id: str | None = None,
        payload: bytes | None = None,
    ) -> None:
        from fastwarc import GzipWriter, WarcRecord, WarcRecordType

        record = WarcRecord()
        record.init_headers(getattr(WarcRecordType, record_type))
        record.headers["WARC-Record-ID"] = record_id or _new_id()
        if date:
            record.headers["WARC-Date"] = date
        record.headers["Content-Type"] = content_type
        for name, value in headers:
            record.headers.append(name, value)
        record.set_bytes_content(block)
        # WARC 1.1 §5.9: the payload digest is over the entity body as transferred.
        digest = hashlib.sha1(payload).digest() if payload is not None else None
        member = GzipWriter(self._handle)
        record.write(member, checksum_data=True, payload_digest=digest)
        member.finish()


def exchanges_of(doc: Fetched, *, kind: str, order: int = 0) -> list[Exchange]:
    """Return a crawl result as exchanges: each redirect hop, then the final response.

    A :class:`Fetched` keeps of a hop only its status and Location, so a hop is stored as
    exactly that, with a note saying so; its body is already decoded, so its coding
    headers are renamed (``X-Crawlcheck-Original-Content-Encoding``). The crawl can give
    the writer the raw exchanges instead (docs/archives.md, "What the crawl records").
    """
    urls = [doc.url, *(target for _, target in doc.redirects)]
    hops = list(doc.redirects)
    # A chain that failed on a redirect (loop, too many, offsite…) ends with that
    # redirect's own response, which the Fetched holds: only the hops before it are bare.
    if hops and doc.status is not None and doc.error and urls[len(hops) - 1] == doc.final_url:
        hops.pop()
    found = [
        Exchange(
            url=urls[number],
            at=doc.fetched_at,
            status=status,
            response_headers=(("Location", target),),
            kind=kind if number == 0 else "",
            order=order,
            note="redirect hop from the crawl's record: status and Location only",
        )
        for number, (status, target) in enumerate(hops)
    ]
    found.append(
        Exchange(
            url=doc.final_url or urls[len(hops)],
            at=doc.fetched_at,
            status=doc.status,
            response_headers=doc.headers,
            body=doc.body,
            decoded=True,
            truncated=doc.truncated,
            error=doc.error if doc.status is None else None,
            # The note marks what was asked for; a redirect's target is not a fetch of its own.
            kind="" if found else kind,
            order=order,
        )
    )
    return found


def _request_block(exchange: Exchange) -> bytes:
    from urllib.parse import urlsplit

    parts = urlsplit(exchange.url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    lines = [f"{exchange.method} {target} HTTP/1.1"]
    names = {name.lower() for name, _ in exchange.request_headers}
    if "host" not in names:
        lines.append(f"Host: {parts.netloc}")
    lines += [f"{name}: {value}" for name, value in exchange.request_headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8")


def _response_head(exchange: Exchange) -> bytes:
    reason = exchange.reason or ""
    lines = [f"HTTP/1.1 {exchange.status} {reason}".rstrip()]
    for name, value in exchange.response_headers:
        stored = name
        if name.lower() == "transfer-encoding" or (
            exchange.decoded and name.lower() in _CODING_HEADERS
        ):
            stored = _RENAMED_PREFIX + name
        lines.append(f"{stored}: {value}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8")


def _new_id() -> str:
    return f"<urn:uuid:{uuid.uuid4()}>"
