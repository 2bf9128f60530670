"""Read one image or document over HTTP with bounded range requests, driven by the planner.

Pure (no Scrapy): :class:`MediaRead` says which request to make next (:class:`Ask`) and
is told what came back; the spider (``spiders/media.py``) only carries the requests out.
The rules (docs/crawl.md, "Media"):

* The first request asks for ``Range: bytes=0-16383`` with ``Accept-Encoding: identity``
  (RFC 9110 §14.2: ranges of a content-coded representation would not be the file's
  bytes). A 206 gives the file's size in ``Content-Range`` (§14.4).
* Then :func:`crawlcheck.media.plan` says what it still needs; each follow-up reads that
  range, rounded up to at least 16 KiB and to as much as is already held, with
  ``If-Range`` carrying the first response's strong ETag (else its Last-Modified) so the
  bytes of two versions of a changed file are never mixed (§13.1.5).
* A 200 where a range was asked (ranges refused) is read as a stream: the planner is
  asked on the growing prefix, and the download stops as soon as it answers, or at the
  budget (then what it still needed is unknown). A 200 on a follow-up (the file changed,
  or the server stopped honouring ranges) restarts the read from that stream, once.
* 416 with ``Content-Range: bytes */N`` retries with the size N (§15.5.17).
* At most :data:`MEDIA_BUDGET` body bytes and :data:`MEDIA_ROUNDS` requests per file; a
  remote C2PA manifest (``Link: <…>; rel="c2pa-manifest"``, XMP ``dcterms:provenance``) on
  the file's own origin is fetched too, up to :data:`MANIFEST_CAP` bytes.

Whatever could not be read is an ``error`` problem of the result: unknown, never allowed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from crawlcheck.clock import now
from crawlcheck.media import Limits, MediaResult, NeedRange, manifest_links, plan
from crawlcheck.media.containers import detect
from crawlcheck.media.view import ByteView
from crawlcheck.model import Fetched, MediaFetch, Problem, RangeRead, Signal
from crawlcheck.ruleset import Ruleset

__all__ = [
    "FIRST_READ",
    "MANIFEST_CAP",
    "MEDIA_BUDGET",
    "MEDIA_ROUNDS",
    "MEDIA_TYPES",
    "Ask",
    "MediaRead",
    "http_limits",
    "is_media_type",
]

#: Body bytes received per file over all its requests, at most.
MEDIA_BUDGET = 4 * 1024 * 1024
#: Requests per file, at most (redirect hops not counted).
MEDIA_ROUNDS = 8
#: The first range asked for: most images' metadata is in it.
FIRST_READ = 16 * 1024
#: Bytes of a remote C2PA manifest read, at most.
MANIFEST_CAP = 1024 * 1024
#: Served media types read as images or documents (others are sniffed from their bytes).
MEDIA_TYPES = frozenset({"application/pdf", "application/epub+zip"})
#: Served types that say nothing about the bytes: sniffed (WHATWG MIME Sniffing §7).
SNIFFED_TYPES = frozenset({"", "application/octet-stream", "binary/octet-stream"})

_CONTENT_RANGE = re.compile(r"^\s*bytes\s+(?:(\d+)-(\d+)|\*)\s*/\s*(\d+|\*)\s*$", re.IGNORECASE)


def http_limits(budget: int = MEDIA_BUDGET) -> Limits:
    """Return the planner's limits for a read over HTTP (the budget bounds bytes held too)."""
    return Limits(
        budget=budget, first_read=FIRST_READ, min_read=16 * 1024, c2pa_validation="when-needed"
    )


def is_media_type(content_type: str) -> bool:
    """Return True when a served media type names an image or a document crawlcheck reads.

    >>> is_media_type("image/jpeg"), is_media_type("application/pdf"), is_media_type("text/html")
    (True, True, False)
    """
    return content_type.startswith("image/") or content_type in MEDIA_TYPES


def parse_content_range(value: str) -> tuple[int | None, int | None, int | None]:
    """Return (first, last, complete length) of a ``Content-Range`` (RFC 9110 §14.4).

    >>> parse_content_range("bytes 0-16383/2200000"), parse_content_range("bytes */512")
    ((0, 16383, 2200000), (None, None, 512))
    """
    match = _CONTENT_RANGE.match(value or "")
    if match is None:
        return None, None, None
    first, last, total = match.groups()
    return (
        None if first is None else int(first),
        None if last is None else int(last),
        None if total in (None, "*") else int(total),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Ask:
    """The next request of a media read."""

    url: str
    headers: tuple[tuple[str, str], ...]
    cap: int
    """Body bytes accepted from the response; the download stops there."""
    asked: str = ""
    """The ``Range`` header (``""``: the whole body)."""
    manifest: bool = False
    """The remote C2PA manifest, not the file."""


class MediaRead:
    """The state of one file's read: bytes held, requests made, what is still needed."""

    def __init__(
        self,
        url: str,
        *,
        ruleset: Ruleset,
        budget: int = MEDIA_BUDGET,
        rounds: int = MEDIA_ROUNDS,
        trust_anchors: str | None = None,
    ) -> None:
        self.url = url
        self.ruleset = ruleset
        self.budget = budget
        self.rounds = rounds
        self.trust_anchors = trust_anchors
        self.limits = http_limits(budget)
        self.view = ByteView()
        self.reads: list[RangeRead] = []
        self.received = 0
        self.first: Fetched | None = None
        """The first response (its status and headers are the evidence's)."""
        self.final_url = url
        self.validator: tuple[str, str] | None = None
        """("ETag" or "Last-Modified", value) of the first response, for If-Range."""
        self.ranges_ok: bool | None = None
        self.restarted = False
        self.retried_416 = False
        self.manifest_url = ""
        self.manifest: bytes | None = None
        self.notes: list[Problem] = []
        self.result: MediaResult | None = None
        self.current: Ask | None = None
        self._stream_check = FIRST_READ

    # -- the requests

    def start(self, *, ranged: bool = True) -> Ask:
        """Return the first request: a range of the first 16 KiB (or the whole, streamed)."""
        if not ranged:
            self.current = Ask(url=self.url, headers=(), cap=self.budget)
            return self.current
        return self._range(0, FIRST_READ)

    def _range(self, start: int, end: int | None) -> Ask:
        """Return a request for ``[start, end)`` (None: to the end of the file)."""
        asked = f"bytes={start}-" + ("" if end is None else str(end - 1))
        headers: list[tuple[str, str]] = [("Range", asked), ("Accept-Encoding", "identity")]
        if self.validator is not None and self.reads:
            headers.append(("If-Range", self.validator[1]))
        room = self.budget - self.received
        cap = room if end is None else min(room, end - start)
        self.current = Ask(url=self.final_url, headers=tuple(headers), cap=max(0, cap), asked=asked)
        return self.current

    def _suffix(self, length: int) -> Ask:
        asked = f"bytes=-{length}"
        headers = [("Range", asked), ("Accept-Encoding", "identity")]
        if self.validator is not None:
            headers.append(("If-Range", self.validator[1]))
        cap = min(length, self.budget - self.received)
        self.current = Ask(url=self.final_url, headers=tuple(headers), cap=max(0, cap), asked=asked)
        return self.current

    # -- streaming (a 200: the planner decides when enough has arrived)

    def enough(self, prefix: bytes | bytearray, headers: tuple[tuple[str, str], ...]) -> bool:
        """Return True when a download may stop at *prefix* (called as its bytes arrive).

        A range response (``Content-Range``) or the manifest stops at what was asked; a
        streamed 200 when the planner answers on the prefix, when what it still needs lies
        beyond what the stream may bring within the budget, or at the budget.
        """
        ask = self.current
        if ask is None:
            return True
        if ask.manifest or _content_range(headers):
            return len(prefix) > ask.cap  # more than asked: a complete answer is not cut
        stream_cap = self.budget - self.received
        if len(prefix) >= stream_cap:
            return True
        if len(prefix) < self._stream_check:
            return False
        outcome = plan(
            ByteView.of(bytes(prefix), size=_content_length(headers)),
            source=self.url,
            ruleset=self.ruleset,
            limits=self.limits,
            trust_anchors=self.trust_anchors,
        )
        if isinstance(outcome, MediaResult):
            return True
        need = outcome.range
        end = need.end if need.end >= 0 else len(prefix) + self.limits.min_read
        if end > stream_cap:
            return True  # beyond what this stream may bring: stop (ranges, or unknown)
        self._stream_check = max(end, 2 * len(prefix))
        return False

    # -- responses

    def on_response(
        self,
        *,
        status: int,
        headers: tuple[tuple[str, str], ...],
        body: bytes,
        final_url: str,
        stopped: bool,
        redirects: tuple[tuple[int, str], ...] = (),
        elapsed_ms: float | None = None,
    ) -> Ask | None:
        """Take a response to the current request; return the next request, or None (done).

        *stopped*: the download was stopped before the body's end (a cap or the planner).
        """
        ask = self.current
        assert ask is not None
        content_range = _content_range(headers)
        self.reads.append(
            RangeRead(
                asked=ask.asked, status=status, content_range=content_range, received=len(body)
            )
        )
        self.received += len(body)
        if ask.manifest:
            return self._on_manifest(status, body, stopped)
        if self.first is None:
            self.final_url = final_url
            self.first = Fetched(
                url=self.url,
                status=status,
                headers=headers,
                final_url=final_url,
                redirects=redirects,
                fetched_at=now(),
                elapsed_ms=elapsed_ms,
            )
            self.validator = _validator(headers)
        coding = _header(headers, "Content-Encoding").strip().lower()
        if 200 <= status < 300 and coding not in ("", "identity"):
            return self._finish(
                "media.content-encoding",
                f"the server sent the file with Content-Encoding {coding!r} although identity "
                "was asked for: its bytes are not the file's; embedded signals unknown",
            )
        if status == 206:
            return self._on_partial(ask, headers, body, content_range)
        if status == 416:
            return self._on_unsatisfiable(ask, content_range)
        if 200 <= status < 300:
            return self._on_whole(ask, headers, body, stopped)
        if not self.reads[:-1]:
            return self._finish(
                "media.http-error",
                f"HTTP status {status}: the file could not be read; embedded signals unknown",
            )
        return self._finish(
            "media.incomplete",
            f"HTTP status {status} on a follow-up range request: the rest of the file is unknown",
        )

    def on_failure(self, code: str, partial: bytes = b"", *, final_url: str = "") -> Ask | None:
        """Take a failed request (*code*: crawlcheck.crawl.failures); return the next, or None.

        *partial*: body bytes that arrived before the failure (a stream cut short).
        """
        ask = self.current
        assert ask is not None
        self.reads.append(
            RangeRead(asked=ask.asked, status=None, received=len(partial), error=code)
        )
        self.received += len(partial)
        if ask.manifest:
            return self._manifest_unread(f"fetching it failed ({code})")
        if self.first is None:
            self.first = Fetched(
                url=self.url, final_url=final_url or self.url, error=code, fetched_at=now()
            )
            if partial:
                self.view = ByteView.of(partial)
                return self._finish(
                    "media.incomplete",
                    f"the download failed ({code}) after {len(partial):,} bytes: the rest "
                    "of the file is unknown",
                )
            return self._finish(
                "media.fetch-failed", f"the file could not be fetched ({code}): signals unknown"
            )
        return self._finish(
            "media.incomplete",
            f"a follow-up request failed ({code}): the rest of the file is unknown",
        )

    def _on_partial(
        self, ask: Ask, headers: tuple[tuple[str, str], ...], body: bytes, content_range: str
    ) -> Ask | None:
        first, last, total = parse_content_range(content_range)
        wanted = _range_start(ask.asked)
        if first is None or last is None or last < first:
            return self._finish(
                "media.bad-range",
                f"a 206 response with an unreadable Content-Range {content_range!r}: "
                "the bytes cannot be placed; embedded signals unknown",
            )
        if wanted is not None and wanted >= 0 and first != wanted:
            return self._finish(
                "media.bad-range",
                f"asked for {ask.asked} but got {content_range!r}: embedded signals unknown",
            )
        if self._changed(headers, total):
            return self._restart("the file changed between two range requests")
        self.ranges_ok = True
        if self.validator is None:  # after a restart: the new version's validator
            self.validator = _validator(headers)
        if total is not None:
            self.view = self.view.with_size(total)
        elif wanted is not None and wanted < 0:
            self.view = self.view.with_size(last + 1)  # a suffix range ends at the last byte
        length = last - first + 1
        self.view = self.view.with_bytes(first, body[:length])
        if len(body) < length and not (len(body) >= ask.cap):
            return self._finish(
                "media.incomplete",
                f"{content_range} promised {length:,} bytes but {len(body):,} arrived: "
                "the rest of the file is unknown",
            )
        if self.view.size is None and not self.reads[:-1]:
            return self._suffix(self.limits.pdf_tail)  # learn the size: RFC 9110 §14.1.1
        return self._next()

    def _on_unsatisfiable(self, ask: Ask, content_range: str) -> Ask | None:
        _, _, total = parse_content_range(content_range)
        if total is None or self.retried_416:
            return self._finish(
                "media.bad-range",
                f"416 Range Not Satisfiable for {ask.asked or 'the file'} "
                f"(Content-Range {content_range!r}): embedded signals unknown",
            )
        self.retried_416 = True
        self.view = self.view.with_size(total)
        if total == 0:
            return self._conclude()
        return self._next()

    def _on_whole(
        self, ask: Ask, headers: tuple[tuple[str, str], ...], body: bytes, stopped: bool
    ) -> Ask | None:
        if self.reads[:-1]:
            if self.restarted:
                return self._finish(
                    "media.changed",
                    "the server answered a follow-up range request with the whole file twice "
                    "(the file keeps changing, or ranges are not honoured): signals unknown",
                )
            self.restarted = True
            self.notes.append(
                self._problem(
                    "media.restarted",
                    "a follow-up range request was answered with the whole file (changed, or "
                    "ranges not honoured): read again from that response",
                    "info",
                )
            )
        if ask.asked:
            self.ranges_ok = False
        declared = _content_length(headers)
        size = len(body) if not stopped else declared
        self.view = ByteView.of(body, size=size)
        self.validator = _validator(headers)
        outcome = self._plan()
        if isinstance(outcome, MediaResult):
            return self._answer(outcome)
        accepts = "bytes" in _header(headers, "Accept-Ranges").lower()
        if not ask.asked and accepts and size is not None:
            return self._next()  # a plain GET of a file whose server offers ranges
        reason = (
            "the server does not honour range requests"
            if ask.asked
            else "the response was read as a stream"
        )
        return self._finish(
            "media.ranges-refused",
            f"{reason}, and {outcome.range.reason or 'the bytes still needed'} "
            f"(bytes {outcome.range.start:,}-) lie beyond the {self.budget:,}-byte budget "
            "of a streamed read: the metadata there is unknown",
        )

    def _changed(self, headers: tuple[tuple[str, str], ...], total: int | None) -> bool:
        if not self.reads[:-1]:
            return False
        if total is not None and self.view.size is not None and total != self.view.size:
            return True
        if self.validator is not None and self.validator[0] == "ETag":
            etag = _header(headers, "ETag").strip()
            return bool(etag) and etag != self.validator[1]
        return False

    def _restart(self, why: str) -> Ask | None:
        if self.restarted:
            return self._finish("media.changed", f"{why}, twice: embedded signals unknown")
        self.restarted = True
        self.notes.append(self._problem("media.restarted", f"{why}: read again", "info"))
        self.view = ByteView()
        self.validator = None
        return self._range(0, FIRST_READ) if self._rounds_left() else self._conclude_rounds()

    # -- planning

    def _plan(self) -> MediaResult | NeedRange:
        return plan(
            self.view,
            source=self.url,
            ruleset=self.ruleset,
            limits=self.limits,
            remote_manifest=self.manifest,
            trust_anchors=self.trust_anchors,
        )

    def _next(self) -> Ask | None:
        """Return the request for what the planner still needs, or None when it answered."""
        outcome = self._plan()
        if isinstance(outcome, MediaResult):
            return self._answer(outcome)
        if not self._rounds_left():
            return self._conclude_rounds()
        need = outcome.range
        view, limits = self.view, self.limits
        room = max(0, min(self.budget - self.received, limits.budget - view.held))
        start = need.start
        end = need.end if need.end >= 0 else start + min(limits.min_read, room)
        # Rounded up as the local driver does (crawlcheck.media.api): fewer round trips.
        end = max(end, start + min(max(limits.min_read, view.held), room))
        if view.size is not None and detect(view.prefix()) == "image/gif":
            # A GIF is read whole (no length lets a reader skip its image data): in one go.
            end = max(end, min(view.size, start + room))
        if view.size is not None:
            end = min(end, view.size)
        while start < end and view.held_from(start):
            start += len(view.held_from(start))
        later = [s for s, _ in view.spans if s > start]
        if later:
            end = min(end, min(later))
        if start >= end or room <= 0:
            return self._finish(
                "media.budget",
                f"{need.reason}: bytes {need.start:,}- are past the {self.budget:,}-byte "
                "budget of a read over HTTP; the metadata there is unknown",
            )
        if self.ranges_ok is False:
            return self._finish(
                "media.ranges-refused",
                f"the server does not honour range requests, and {need.reason} "
                f"(bytes {need.start:,}-) was not in the streamed part: unknown",
            )
        return self._range(start, end)

    def _rounds_left(self) -> bool:
        return len(self.reads) < self.rounds

    def _conclude_rounds(self) -> Ask | None:
        return self._finish(
            "media.too-many-reads",
            f"still needed more bytes after {self.rounds} requests; the rest is unknown",
        )

    def _answer(self, result: MediaResult) -> Ask | None:
        """Take the planner's answer; fetch a remote C2PA manifest first if one is named."""
        if self.manifest is None and not self.manifest_url and result.c2pa in ("absent", "remote"):
            headers = self.first.headers if self.first is not None else ()
            named = (*manifest_links(headers, self.final_url), *result.remote_manifests)
            if named:
                # Like an RSL licence, a manifest is a metadata document about the file,
                # fetched wherever it is (docs/crawl.md, "Media").
                self.manifest_url = named[0]
                if not self._rounds_left():
                    return self._manifest_unread("the request limit was reached", result)
                room = min(MANIFEST_CAP, self.budget - self.received)
                self.current = Ask(
                    url=named[0],
                    headers=(("Accept-Encoding", "identity"),),
                    cap=room,
                    manifest=True,
                )
                self.result = result
                return self.current
        self.result = replace(result, problems=(*self.notes, *result.problems))
        return None

    def _on_manifest(self, status: int, body: bytes, stopped: bool) -> Ask | None:
        if not 200 <= status < 300:
            return self._manifest_unread(f"HTTP status {status}")
        if stopped:
            return self._manifest_unread(f"it is larger than {MANIFEST_CAP:,} bytes")
        self.manifest = body
        return self._next()

    def _manifest_unread(self, why: str, result: MediaResult | None = None) -> Ask | None:
        result = result or self.result
        assert result is not None
        problem = self._problem(
            "c2pa.remote-manifest-unread",
            f"the file names a remote C2PA manifest {self.manifest_url}, not read ({why}): "
            "what it states is unknown",
            "error",
            Signal.C2PA_TRAINING_MINING,
        )
        self.result = replace(result, problems=(*self.notes, *result.problems, problem))
        return None

    def _conclude(self) -> Ask | None:
        outcome = plan(self.view, source=self.url, ruleset=self.ruleset, limits=self.limits)
        if isinstance(outcome, MediaResult):
            self.result = replace(outcome, problems=(*self.notes, *outcome.problems))
            return None
        return self._finish("media.incomplete", "the file could not be read")

    def _finish(self, code: str, message: str) -> Ask | None:
        """Conclude with what is held; *message* says why the rest is unknown (error)."""
        final = plan(
            self.view,
            source=self.url,
            ruleset=self.ruleset,
            limits=replace(self.limits, budget=0),
            remote_manifest=self.manifest,
            trust_anchors=self.trust_anchors,
        )
        assert isinstance(final, MediaResult)  # a zero budget answers every request itself
        # The zero budget's own problem would name a 0-byte budget: replaced by the reason.
        kept = tuple(p for p in final.problems if p.code != "media.budget")
        if not self.view.held:
            final = replace(final, media_type="", findings=(), notes=(), c2pa="")
            kept = ()
        problem = self._problem(code, message, "error")
        self.result = replace(final, problems=(*self.notes, *kept, problem))
        return None

    def _problem(
        self, code: str, message: str, level: str, signal: Signal | None = None
    ) -> Problem:
        return Problem(code=code, message=message, source=self.url, level=level, signal=signal)

    # -- the outcome

    def outcome(self, *, found_on: str = "", how: str = "") -> MediaFetch:
        """Return the finished read: the evidence and the planner's result."""
        assert self.result is not None
        first = self.first or Fetched(url=self.url, error="not-fetched", fetched_at=now())
        spans = self.view.spans
        fetched = replace(
            first,
            body=b"".join(chunk for _, chunk in spans),
            ranges=tuple((start, start + len(chunk)) for start, chunk in spans),
            truncated=not self.view.complete,
        )
        return MediaFetch(
            url=self.url,
            fetched=fetched,
            result=self.result,
            reads=tuple(self.reads),
            found_on=found_on,
            how=how,
        )


def sniff_media(content_type: str, head: bytes) -> bool | None:
    """Return whether a response is an image or document: from its type, else its bytes.

    None: not decided yet (a type that says nothing and fewer than 64 bytes seen).

    >>> sniff_media("image/png", b""), sniff_media("text/html", b"<"), sniff_media("", b"%PDF-1.7")
    (True, False, True)
    """
    if is_media_type(content_type):
        return True
    if content_type not in SNIFFED_TYPES:
        return False
    if len(head) < 64:
        return bool(detect(head)) or None
    return bool(detect(head)) and detect(head) != "application/zip"


def _header(headers: tuple[tuple[str, str], ...], name: str) -> str:
    wanted = name.lower()
    return next((value for key, value in headers if key.lower() == wanted), "")


def _content_range(headers: tuple[tuple[str, str], ...]) -> str:
    return _header(headers, "Content-Range")


def _content_length(headers: tuple[tuple[str, str], ...]) -> int | None:
    text = _header(headers, "Content-Length").strip()
    return int(text) if text.isdigit() else None


def _validator(headers: tuple[tuple[str, str], ...]) -> tuple[str, str] | None:
    """Return the validator for If-Range: a strong ETag, else Last-Modified (RFC 9110 §13.1.5)."""
    etag = _header(headers, "ETag").strip()
    if etag and not etag.startswith("W/"):
        return "ETag", etag
    modified = _header(headers, "Last-Modified").strip()
    return ("Last-Modified", modified) if modified else None


def _range_start(asked: str) -> int | None:
    """Return the first byte a ``Range`` header asks for (negative: a suffix length)."""
    match = re.match(r"bytes=(\d*)-(\d*)", asked)
    if match is None:
        return None
    first, last = match.groups()
    if first:
        return int(first)
    return -int(last) if last else None
