"""The tests' fixture web: the demo web's server plus faults, expectations and a request log.

Builds on :mod:`crawlcheck.demo` (site definitions, the loopback origin + proxy server) and
adds what only tests need (docs/fixture-web.md): per resource ``body_hex``, ``generate`` (a
huge body streamed), ``file`` (a file on disk), ``ranges`` (HTTP range requests honoured,
ignored or changing), ``redirect``, ``delay``, ``hang``, ``drop``, ``truncate``, the raw-byte
faults of a hostile server (``raw_hex``, ``reset``, ``drip``, ``header_bytes``) and ``note``;
per site ``expect`` (what crawlcheck must report) and ``port``; the log of every request; and
:meth:`FixtureWeb.hold`, which keeps one resource's answer back until the test releases it.
Not shipped in the wheel. Serve by hand with ``python tests/webfixture.py DIR_OR_FILE...``.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import select
import signal
import socket
import struct
import sys
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from importlib.resources.abc import Traversable
from pathlib import Path
from types import FrameType
from typing import Any, ClassVar

from crawlcheck.demo.server import POLL, StaticHandler, StaticWeb
from crawlcheck.demo.sites import (
    RESOURCE_KEYS,
    SITE_KEYS,
    Resource,
    SiteDef,
    SiteReader,
    check_keys,
    read_headers,
    read_number,
    read_status,
    read_text,
    with_content_type,
)
from crawlcheck.errors import SiteDefinitionError

#: The keys the fixture web adds to the demo web's definitions.
FAULT_KEYS = frozenset(
    {
        "body_hex",
        "generate",
        "delay",
        "hang",
        "drop",
        "truncate",
        "redirect",
        "note",
        "raw_hex",
        "reset",
        "drip",
        "header_bytes",
    }
) | frozenset({"file", "ranges"})
#: ``ranges`` values: RFC 9110 §14 honoured (the default), ignored (always 200 with the
#: whole body), or honoured for a file that changes on every request (a new ETag each time).
RANGE_MODES = ("bytes", "ignore", "changing")
FIXTURE_SITE_KEYS = SITE_KEYS | {"port", "expect"}
#: How many bytes past the body a ``truncate`` response promises in Content-Length.
TRUNCATE_MISSING = 1024
#: Seconds a held answer waits for its release at most: a safety bound so that a test whose
#: crawl never lets it release the answer fails on its assertions instead of hanging.
HOLD_LIMIT = 60.0
_CHUNK = 64 * 1024


@dataclass(frozen=True, slots=True, kw_only=True)
class Generate:
    """A body of exactly ``size`` bytes: ``head``, ``line`` repeated, padding, ``tail``.

    The filler is whole ``line`` repeats followed by one ``#…\\n`` comment line of the
    remaining length, so ``tail`` always starts on a line of its own.
    """

    size: int
    line: bytes
    head: bytes = b""
    tail: bytes = b""

    def chunks(self) -> Iterator[bytes]:
        """Yield the body in chunks of at most 64 KiB without building it in memory."""
        yield self.head
        filler = self.size - len(self.head) - len(self.tail)
        whole, rest = divmod(filler, len(self.line))
        block_lines = max(1, _CHUNK // len(self.line))
        while whole > 0:
            count = min(whole, block_lines)
            whole -= count
            yield self.line * count
        if rest:  # pad with a comment line so that the tail starts on a line of its own
            yield b"#" * (rest - 1) + b"\n"
        yield self.tail


@dataclass(frozen=True, slots=True, kw_only=True)
class FixtureResource(Resource):
    """A canned answer that may misbehave: a generated body, a delay, a hang, a drop, a lie."""

    generate: Generate | None = None
    delay: float = 0.0
    hang: bool = False
    drop: bool = False
    truncate: bool = False
    raw: bytes | None = None
    """Bytes sent verbatim instead of a response (no status line added), then the close."""
    reset: bool = False
    """Send the head and half the body, then reset the connection (TCP RST)."""
    drip: float = 0.0
    """Seconds between body bytes: the body trickles out one byte at a time."""
    header_bytes: int = 0
    """Bytes of filler header lines sent after the resource's own headers."""

    @property
    def faults(self) -> int:
        """Return how many of the mutually exclusive faults this resource has."""
        return sum((self.hang, self.drop, self.truncate, self.raw is not None, self.reset))

    file: Path | None = None
    """A file on disk served as the body (read on each request, never copied)."""
    ranges: str | None = None
    """How ``Range`` requests are answered (:data:`RANGE_MODES`); None: as the demo web
    does (no range support), unless the body is a ``file`` (then ``bytes``)."""

    @property
    def length(self) -> int:
        """Return the number of body bytes this resource really sends."""
        if self.file is not None:
            return self.file.stat().st_size
        return self.generate.size if self.generate is not None else len(self.body)

    def content(self) -> bytes | None:
        """Return the whole body when it is served with range support (a file, or ``ranges``)."""
        if self.file is not None:
            return self.file.read_bytes()
        if self.ranges is None or self.generate is not None:
            return None
        return self.body

    def chunks(self) -> Iterator[bytes]:
        """Yield the body (generated ones streamed in 64 KiB chunks)."""
        if self.generate is not None:
            yield from self.generate.chunks()
        elif self.file is not None:
            yield self.file.read_bytes()
        else:
            yield self.body


@dataclass(frozen=True, slots=True, kw_only=True)
class FixtureSite(SiteDef):
    """A site of the fixture web, with what the tests expect crawlcheck to report about it."""

    expect: Mapping[str, Any] = field(default_factory=dict)
    """Free-form expectations for the tests (verdicts, agent states, problem codes)."""


def _flag(spec: Mapping[str, Any], name: str, source: str, key: str) -> bool:
    value = spec.get(name, False)
    if not isinstance(value, bool):
        raise SiteDefinitionError(source, f"{key}.{name}", "must be true or false")
    return value


def _hex(value: Any, *, source: str, key: str) -> bytes:
    try:
        return bytes.fromhex("".join(str(value).split()))
    except ValueError as exc:
        raise SiteDefinitionError(source, key, f"not hexadecimal: {exc}") from None


def _file(value: Any, *, source: str, key: str) -> Path | None:
    """Return the file a ``file:`` key names (relative: to the definition's folder)."""
    if value is None:
        return None
    if not isinstance(value, str | Path):
        raise SiteDefinitionError(source, key, "must be a path")
    path = Path(value)
    if not path.is_absolute() and source != "<inline>":
        path = Path(source).parent / path
    if not path.is_file():
        raise SiteDefinitionError(source, key, f"{path} is not a file")
    return path


def _generate(spec: Any, *, source: str, key: str) -> Generate:
    if not isinstance(spec, Mapping) or set(spec) - {"size", "line", "head", "tail"}:
        raise SiteDefinitionError(source, key, "must be a mapping of size, line, head, tail")
    size = int(read_number(spec.get("size"), source=source, key=f"{key}.size", integer=True))
    line = read_text(spec.get("line", "#\n"), source=source, key=f"{key}.line")
    head = read_text(spec.get("head", ""), source=source, key=f"{key}.head")
    tail = read_text(spec.get("tail", ""), source=source, key=f"{key}.tail")
    if not line or len(head) + len(tail) > size:
        raise SiteDefinitionError(source, key, "line must be non-empty and head+tail fit in size")
    return Generate(size=size, line=line, head=head, tail=tail)


class FixtureReader(SiteReader):
    """Read fixture-web definitions: the demo web's keys plus :data:`FAULT_KEYS`, ``expect``."""

    site_keys: ClassVar[frozenset[str]] = FIXTURE_SITE_KEYS
    resource_keys: ClassVar[frozenset[str]] = RESOURCE_KEYS | FAULT_KEYS

    def resource(self, spec: Any, *, path: str, source: str, key: str) -> FixtureResource:
        """Return the :class:`FixtureResource` a YAML mapping describes; raise on a bad key."""
        check_keys(spec, self.resource_keys, source=source, key=key, what="a resource")
        bodies = ("body", "body_hex", "generate", "file", "raw_hex")
        if sum(name in spec for name in bodies) > 1:
            raise SiteDefinitionError(
                source, key, "give only one of body, body_hex, generate, file, raw_hex"
            )
        status = read_status(spec.get("status", 200), source=source, key=f"{key}.status")
        headers = read_headers(spec.get("headers", {}), source=source, key=f"{key}.headers")
        body = b""
        generate: Generate | None = None
        raw: bytes | None = None
        if "body" in spec:
            body = read_text(spec["body"], source=source, key=f"{key}.body")
        elif "body_hex" in spec:
            body = _hex(spec["body_hex"], source=source, key=f"{key}.body_hex")
        elif "raw_hex" in spec:
            raw = _hex(spec["raw_hex"], source=source, key=f"{key}.raw_hex")
        elif "generate" in spec:
            generate = _generate(spec["generate"], source=source, key=f"{key}.generate")
        file = _file(spec.get("file"), source=source, key=f"{key}.file")
        ranges = spec.get("ranges")
        if ranges is not None and ranges not in RANGE_MODES:
            raise SiteDefinitionError(source, f"{key}.ranges", f"must be one of {RANGE_MODES}")
        if "redirect" in spec:
            red, rkey = spec["redirect"], f"{key}.redirect"
            if not isinstance(red, Mapping) or not isinstance(red.get("to"), str):
                raise SiteDefinitionError(source, rkey, "must be a mapping with a string 'to'")
            if "status" not in spec:
                status = read_status(red.get("status", 301), source=source, key=f"{rkey}.status")
            headers.append(("Location", red["to"]))
            if not body and generate is None:
                body = f"Moved to {red['to']}\n".encode()
        resource = FixtureResource(
            status=status,
            headers=with_content_type(
                spec,
                headers,
                path=path,
                has_body=bool(body) or generate is not None or file is not None,
                source=source,
                key=key,
            ),
            body=body,
            generate=generate,
            delay=read_number(spec.get("delay", 0), source=source, key=f"{key}.delay"),
            hang=_flag(spec, "hang", source, key),
            drop=_flag(spec, "drop", source, key),
            truncate=_flag(spec, "truncate", source, key),
            raw=raw,
            reset=_flag(spec, "reset", source, key),
            drip=read_number(spec.get("drip", 0), source=source, key=f"{key}.drip"),
            header_bytes=int(
                read_number(
                    spec.get("header_bytes", 0),
                    source=source,
                    key=f"{key}.header_bytes",
                    integer=True,
                )
            ),
            file=file,
            ranges=ranges,
        )
        if resource.faults > 1:
            raise SiteDefinitionError(
                source, key, "give at most one of hang, drop, truncate, raw_hex, reset"
            )
        return resource

    def site(self, spec: Any, *, source: str = "<inline>", key: str = "site") -> FixtureSite:
        """Return the :class:`FixtureSite` a YAML mapping describes; raise on a bad key."""
        site = super().site(spec, source=source, key=key)
        expect = spec.get("expect", {})
        if not isinstance(expect, Mapping):
            raise SiteDefinitionError(source, f"{key}.expect", "must be a mapping")
        return FixtureSite(
            host=site.host,
            resources=site.resources,
            description=site.description,
            source=site.source,
            expect=dict(expect),
        )


_READER = FixtureReader()


def parse_site(spec: Any, *, source: str = "<inline>", key: str = "site") -> FixtureSite:
    """Return the :class:`FixtureSite` a mapping describes (handy in tests)."""
    return _READER.site(spec, source=source, key=key)


def load_sites(path: Path | Traversable | str) -> list[SiteDef]:
    """Return the fixture sites of one YAML file, or of every ``*.yaml``/``*.yml`` in a folder."""
    return _READER.load(path)


# ---------------------------------------------------------------- serving with faults and a log


@dataclass(frozen=True, slots=True, kw_only=True)
class RequestRecord:
    """One request the fixture web received, logged on arrival."""

    time: float
    """``time.time()`` when the request line and headers had been read."""
    method: str
    host: str
    """Lower-case host name the request was for (proxy URL host, else Host header)."""
    path: str
    """Path and query as matched against the site's resources."""
    headers: tuple[tuple[str, str], ...]
    via_proxy: bool
    """True for a proxy-form request line (``GET http://host/path``)."""
    client: tuple[str, int]
    """The client's address and port: one per TCP connection."""

    @property
    def user_agent(self) -> str | None:
        """Return the User-Agent header, if any."""
        return self.header("User-Agent")

    def header(self, name: str) -> str | None:
        """Return the first header called *name* (case-insensitive), if any."""
        lowered = name.lower()
        return next((value for key, value in self.headers if key.lower() == lowered), None)


class FixtureHandler(StaticHandler):
    """The demo web's handler, logging every request and acting out a resource's fault."""

    def _fixture(self) -> FixtureWeb:
        web = self.server.web
        assert isinstance(web, FixtureWeb)
        return web

    def received(self, *, host: str, path: str, via_proxy: bool) -> None:
        """Log the request (before any delay or hang: the log shows the order asked in)."""
        self._fixture()._record(
            RequestRecord(
                time=time.time(),
                method=self.command,
                host=host,
                path=path,
                headers=tuple(self.headers.items()),
                via_proxy=via_proxy,
                client=self.client_address[:2],
            )
        )
        self._fixture()._wait_for_release(host, path)

    def respond(self, resource: Resource) -> None:
        """Send *resource*, first acting out its delay, hang, drop or truncation."""
        if not isinstance(resource, FixtureResource):
            super().respond(resource)
            return
        stop = self._fixture()._stopping
        if resource.delay and stop.wait(resource.delay):
            self.close_connection = True
            return
        if resource.hang:
            self._hang(stop)
            return
        if resource.drop:
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        if resource.raw is not None:
            # No status line, headers or framing of ours: e.g. HTTP/0.9, a chunked body cut.
            self.close_connection = True
            self.wfile.write(resource.raw)
            return
        if resource.reset or resource.drip or resource.header_bytes:
            self._misbehave(resource, stop)
            return
        content = self._fixture()._content(resource)
        if content is not None and not resource.truncate:
            self._respond_ranged(resource, content)
            return
        if not resource.truncate:
            super().respond(resource)
            return
        # Promise more than is sent, then close: the client sees an incomplete read.
        self.send_head(
            resource,
            length=resource.length + TRUNCATE_MISSING,
            extra=[("Connection", "close")],
        )
        self.send_body(resource)
        self.close_connection = True

    def _misbehave(self, resource: FixtureResource, stop: threading.Event) -> None:
        """Send *resource* with huge headers, a dripping body, or a reset halfway."""
        self.send_response(resource.status)
        self.flush_headers()
        sent = 0
        # The filler goes first: a client that keeps only the first part of the headers
        # never sees the resource's own (an X-Robots-Tag, say).
        while sent < resource.header_bytes:
            line = f"X-Filler-{sent}: ".encode() + b"f" * 960 + b"\r\n"
            self.wfile.write(line)
            sent += len(line)
        has_length = False
        for name, value in resource.headers:
            has_length = has_length or name.lower() == "content-length"
            self.send_header(name, value)
        if not has_length:
            self.send_header("Content-Length", str(resource.length))
        self.end_headers()
        body = b"".join(resource.chunks())
        if resource.reset:
            self.wfile.write(body[: len(body) // 2])
            # SO_LINGER 0: close() sends a TCP RST instead of an orderly FIN.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True
            return
        if not resource.drip:
            self.wfile.write(body)
            return
        self.close_connection = True
        for index in range(len(body)):
            if stop.wait(resource.drip):
                return
            self.wfile.write(body[index : index + 1])

    def _respond_ranged(self, resource: FixtureResource, content: bytes) -> None:
        """Answer a single byte range as RFC 9110 §14 says (206, 416, If-Range), else 200.

        ``ranges: ignore`` always answers 200 with the whole body; ``changing`` gives a new
        ETag on every request, so an If-Range naming an earlier one gets the whole body.
        Body bytes are written in 16 KiB pieces and counted (:meth:`FixtureWeb.bytes_sent`).
        """
        web = self._fixture()
        size = len(content)
        version = web._version(resource)
        etag = f'"{web._digest(resource, content)}-{version}"'
        extra: list[tuple[str, str]] = []
        if resource.ranges != "ignore":
            extra += [("Accept-Ranges", "bytes"), ("ETag", etag)]
        wanted = self.headers.get("Range")
        if_range = self.headers.get("If-Range")
        span = None
        if wanted and resource.ranges != "ignore" and (if_range is None or if_range == etag):
            span = _byte_range(wanted, size)
        if span == "unsatisfiable":
            self.send_head(
                replace_resource(resource, 416),
                length=0,
                extra=[("Content-Range", f"bytes */{size}"), *extra],
            )
            return
        if isinstance(span, tuple):
            first, last = span
            extra.append(("Content-Range", f"bytes {first}-{last}/{size}"))
            self.send_head(replace_resource(resource, 206), length=last - first + 1, extra=extra)
            body = content[first : last + 1]
        else:
            self.send_head(resource, length=size, extra=extra)
            body = content
        if self.command == "HEAD":
            return
        host, path, _ = self._target()
        for start in range(0, len(body), 16 * 1024):
            piece = body[start : start + 16 * 1024]
            if web.body_rate and web._stopping.wait(web._link_wait(len(piece))):
                return
            try:
                self.wfile.write(piece)
            except OSError:  # the client stopped reading (a streamed read that has enough)
                self.close_connection = True
                return
            web._count_sent(host, path, len(piece))

    def _hang(self, stop: threading.Event) -> None:
        """Answer nothing until the client closes the connection or the server stops."""
        self.close_connection = True
        while not stop.is_set():
            try:
                readable, _, _ = select.select([self.connection], [], [], POLL)
                if readable and not self.connection.recv(1, socket.MSG_PEEK):
                    return  # the client gave up
            except (OSError, ValueError):
                return


def replace_resource(resource: FixtureResource, status: int) -> FixtureResource:
    """Return *resource* answering with *status* (its headers kept)."""
    return FixtureResource(status=status, headers=resource.headers, body=b"")


def _byte_range(value: str, size: int) -> tuple[int, int] | str | None:
    """Return (first, last) of a single-range ``Range`` header, ``"unsatisfiable"``, or None.

    None: not a single bytes range this server answers (the whole body is sent, as
    RFC 9110 §14.2 lets a server ignore a Range header).
    """
    match = re.fullmatch(r"\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*", value)
    if match is None or match.groups() == ("", ""):
        return None
    first_text, last_text = match.groups()
    if not first_text:  # a suffix range: the last N bytes
        length = int(last_text)
        if length == 0:
            return "unsatisfiable"
        return max(0, size - length), size - 1
    first = int(first_text)
    if first >= size:
        return "unsatisfiable"
    last = min(int(last_text), size - 1) if last_text else size - 1
    return None if last < first else (first, last)


class FixtureWeb(StaticWeb):
    """The demo web's server with the fixture web's faults and a log of every request.

    >>> with FixtureWeb(paths=[Path("tests/fixtureweb")]) as web:  # doctest: +SKIP
    ...     proxies = {"http": web.proxy_url}
    ...     url = web.url("www.daily-chronicle.example", "/robots.txt")
    """

    handler = FixtureHandler

    def __init__(
        self,
        sites: Iterable[SiteDef] | None = None,
        *,
        paths: Iterable[Path | Traversable] = (),
    ) -> None:
        super().__init__([*(sites or ()), *(s for p in paths for s in load_sites(p))])
        self._log: list[RequestRecord] = []
        self._stopping = threading.Event()
        self._holds: dict[tuple[str, str], threading.Event] = {}
        self._sent: dict[tuple[str, str], int] = {}
        self._versions: dict[int, int] = {}
        self._files: dict[Path, bytes] = {}
        self._digests: dict[int, str] = {}
        self.body_rate: float | None = None
        """Bytes per second all ranged (``file``/``ranges``) responses share, as if the
        client's link were that fast; None: as fast as loopback goes (benchmarks set it)."""
        self._link_free = 0.0

    def start(self, port: int = 0) -> None:
        """Bind 127.0.0.1 (*port* 0 picks a free one) and serve in a daemon thread."""
        self._stopping.clear()
        super().start(port)

    def stop(self) -> None:
        """Stop serving; hanging and delayed requests are abandoned, connections closed."""
        self._stopping.set()
        super().stop()

    @property
    def requests(self) -> list[RequestRecord]:
        """Return a snapshot of every request received so far, in arrival order."""
        with self._lock:
            return list(self._log)

    def hold(self, host: str, path: str) -> threading.Event:
        """Keep back the answers to *host* *path* until the returned event is set.

        A request for it is logged on arrival, then waits (at most :data:`HOLD_LIMIT`
        seconds, or until the server stops) and is answered as defined. Tests use it to
        order events without timing: "every other site finished while this one was held".
        """
        release = threading.Event()
        with self._lock:
            self._holds[(host.lower(), path)] = release
        return release

    def _wait_for_release(self, host: str, path: str) -> None:
        with self._lock:
            release = self._holds.get((host, path))
        if release is None:
            return
        deadline = time.monotonic() + HOLD_LIMIT
        while not release.wait(POLL):
            if self._stopping.is_set() or time.monotonic() > deadline:
                return

    def clear_log(self) -> None:
        """Forget the requests logged so far (and the body bytes counted)."""
        with self._lock:
            self._log.clear()
            self._sent.clear()

    def bytes_sent(self, host: str, path: str) -> int:
        """Return the body bytes written for *path* of *host* (``file``/``body`` resources).

        What was handed to the socket: a client that stops reading early received at most
        this (a little less when the kernel's buffers still held some).
        """
        with self._lock:
            return self._sent.get((host.lower(), path), 0)

    def _count_sent(self, host: str, path: str, count: int) -> None:
        with self._lock:
            key = (host, path)
            self._sent[key] = self._sent.get(key, 0) + count

    def _content(self, resource: FixtureResource) -> bytes | None:
        """Return a resource's ranged body, a file read once (files do not change meanwhile)."""
        if resource.file is None:
            return resource.content()
        with self._lock:
            cached = self._files.get(resource.file)
        if cached is None:
            cached = resource.content() or b""
            with self._lock:
                self._files[resource.file] = cached
        return cached

    def _digest(self, resource: FixtureResource, content: bytes) -> str:
        """Return the ETag digest of a resource's body (computed once per resource)."""
        with self._lock:
            digest = self._digests.get(id(resource))
        if digest is None:
            digest = hashlib.sha1(content).hexdigest()[:16]
            with self._lock:
                self._digests[id(resource)] = digest
        return digest

    def _link_wait(self, count: int) -> float:
        """Return how long to wait before sending *count* bytes over the shared link."""
        assert self.body_rate
        with self._lock:
            now = time.monotonic()
            start = max(now, self._link_free)
            self._link_free = start + count / self.body_rate
            return self._link_free - now

    def _version(self, resource: FixtureResource) -> int:
        """Return the version of *resource* for its ETag (``changing``: new each request)."""
        if resource.ranges != "changing":
            return 0
        with self._lock:
            version = self._versions.get(id(resource), 0) + 1
            self._versions[id(resource)] = version
            return version

    def _record(self, record: RequestRecord) -> None:
        with self._lock:
            self._log.append(record)


# ---------------------------------------------------------------- command line


def main(argv: Sequence[str] | None = None) -> int:
    """Serve the given definitions in the foreground; print the proxy URL first."""
    parser = argparse.ArgumentParser(
        prog="python tests/webfixture.py",
        description="Serve a fixture web (YAML site definitions) on 127.0.0.1.",
    )
    parser.add_argument("definitions", nargs="+", type=Path, help="a YAML file or a folder")
    parser.add_argument("--port", type=int, default=0, help="port to bind (default: any free)")
    parser.add_argument("--quiet", action="store_true", help="do not list hosts and requests")
    args = parser.parse_args(argv)
    try:
        web = FixtureWeb(paths=args.definitions)
    except SiteDefinitionError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    done = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        done.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    web.start(args.port)
    print(web.proxy_url, flush=True)
    if not args.quiet:
        for host in web.hosts:
            print(f"  {web.url(host)}", file=sys.stderr)
    seen = 0
    try:
        while not done.wait(0.2):
            if not args.quiet:
                log = web.requests
                for rec in log[seen:]:
                    via = "proxy" if rec.via_proxy else "direct"
                    print(f"{rec.method} http://{rec.host}{rec.path} ({via})", file=sys.stderr)
                seen = len(log)
    finally:
        web.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
