"""Serve a local "fixture web": many virtual sites on one loopback port, as origin and as proxy.

Used by the tests and by the offline ``crawlcheck demo``. Sites are YAML definitions
(docs/fixture-web.md): a host name and, per path, a canned response or misbehaviour
(delay, hang, dropped connection, truncated body, redirect, a generated huge body).
Clients reach a site either through the server as an HTTP proxy (``GET http://host/path``,
what ``http_proxy`` makes a client send) or directly with a ``Host`` header.

Standard library only (plus PyYAML to read definitions): no Scrapy, no Twisted.
Run ``python -m crawlcheck.webfixture DIR_OR_FILE...`` to serve by hand.
"""

from __future__ import annotations

import argparse
import contextlib
import http.server
import select
import signal
import socket
import sys
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from importlib.resources.abc import Traversable
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any
from urllib.parse import urlsplit

import yaml

#: Keys a resource may have; anything else is a typo and a validation error.
RESOURCE_KEYS = frozenset(
    {
        "status",
        "headers",
        "body",
        "body_hex",
        "generate",
        "content_type",
        "delay",
        "hang",
        "drop",
        "truncate",
        "redirect",
        "note",
    }
)
#: Keys a site may have.
SITE_KEYS = frozenset({"host", "port", "description", "expect", "resources"})
#: The status and marker header of the answer for a host nobody defined (docs/fixture-web.md).
UNKNOWN_HOST_STATUS = 502
FIXTURE_HEADER = "X-Fixture-Web"
#: How many bytes past the body a ``truncate`` response promises in Content-Length.
TRUNCATE_MISSING = 1024
_CHUNK = 64 * 1024
_POLL = 0.05


class FixtureError(ValueError):
    """Raised when a site definition is malformed; the message names the file and the key."""

    def __init__(self, source: str, key: str, message: str) -> None:
        super().__init__(f"{source}: {key}: {message}")
        self.source = source
        self.key = key


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
class Resource:
    """One path's canned answer (or misbehaviour)."""

    status: int = 200
    headers: tuple[tuple[str, str], ...] = ()
    """Headers in order; a name may repeat. Content-Length is added unless given here."""
    body: bytes = b""
    generate: Generate | None = None
    delay: float = 0.0
    hang: bool = False
    drop: bool = False
    truncate: bool = False

    @property
    def length(self) -> int:
        """Return the number of body bytes this resource really sends."""
        return self.generate.size if self.generate is not None else len(self.body)


@dataclass(frozen=True, slots=True, kw_only=True)
class SiteDef:
    """One virtual site: its host name and its resources by path (path + query, exact)."""

    host: str
    """Lower-case host name without port."""
    resources: Mapping[str, Resource]
    description: str = ""
    expect: Mapping[str, Any] = field(default_factory=dict)
    """Free-form expectations for the tests (verdicts, agent states, problem codes)."""
    source: str = "<inline>"
    """Where the definition was read (file name), for error messages."""

    def resource(self, path: str) -> Resource | None:
        """Return the resource for *path* (exact match, else the ``"*"`` fallback)."""
        found = self.resources.get(path)
        return found if found is not None else self.resources.get("*")


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

    @property
    def user_agent(self) -> str | None:
        """Return the User-Agent header, if any."""
        return self.header("User-Agent")

    def header(self, name: str) -> str | None:
        """Return the first header called *name* (case-insensitive), if any."""
        lowered = name.lower()
        return next((value for key, value in self.headers if key.lower() == lowered), None)


# ---------------------------------------------------------------- loading and validation


def _guess_content_type(path: str) -> str:
    base = path.split("?", 1)[0].lower()
    if base.endswith((".txt", "/robots.txt")):
        return "text/plain; charset=utf-8"
    if base.endswith(".json"):
        return "application/json"
    if base.endswith(".xml"):
        return "application/xml"
    if base.endswith((".jpg", ".jpeg")):
        return "image/jpeg"
    if base.endswith(".png"):
        return "image/png"
    return "text/html; charset=utf-8"


def _headers(value: Any, source: str, key: str) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    if isinstance(value, Mapping):
        for name, item in value.items():
            items = item if isinstance(item, list) else [item]
            for one in items:
                if not isinstance(one, str | int | float) or isinstance(one, bool):
                    raise FixtureError(source, f"{key}.{name}", "header value must be a string")
                pairs.append((str(name), str(one)))
    elif isinstance(value, list):
        for index, pair in enumerate(value):
            if not (isinstance(pair, list) and len(pair) == 2 and isinstance(pair[0], str)):
                raise FixtureError(source, f"{key}[{index}]", "must be a [name, value] pair")
            pairs.append((pair[0], str(pair[1])))
    else:
        raise FixtureError(source, key, "must be a mapping or a list of [name, value] pairs")
    for name, text in pairs:
        if not name or any(c in name for c in ":\r\n ") or any(c in text for c in "\r\n"):
            raise FixtureError(source, key, f"bad header {name!r}: {text!r}")
    return pairs


def _number(value: Any, source: str, key: str, *, integer: bool = False) -> float:
    kind = "integer" if integer else "number"
    allowed = isinstance(value, int) or (not integer and isinstance(value, float))
    if isinstance(value, bool) or not allowed or value < 0:
        raise FixtureError(source, key, f"must be a non-negative {kind}")
    return float(value)


def _flag(spec: Mapping[str, Any], name: str, source: str, key: str) -> bool:
    value = spec.get(name, False)
    if not isinstance(value, bool):
        raise FixtureError(source, f"{key}.{name}", "must be true or false")
    return value


def _text_bytes(value: Any, source: str, key: str) -> bytes:
    if not isinstance(value, str):
        raise FixtureError(source, key, "must be a string")
    return value.encode("utf-8")


def parse_resource(spec: Any, *, path: str, source: str, key: str) -> Resource:
    """Return the :class:`Resource` a YAML mapping describes; raise :class:`FixtureError`."""
    if not isinstance(spec, Mapping):
        raise FixtureError(source, key, "a resource must be a mapping")
    unknown = sorted(set(spec) - RESOURCE_KEYS)
    if unknown:
        raise FixtureError(source, f"{key}.{unknown[0]}", "unknown key")
    if sum(name in spec for name in ("body", "body_hex", "generate")) > 1:
        raise FixtureError(source, key, "give only one of body, body_hex, generate")
    status = int(_number(spec.get("status", 200), source, f"{key}.status", integer=True))
    if not 100 <= status <= 599:
        raise FixtureError(source, f"{key}.status", "must be between 100 and 599")
    headers = _headers(spec.get("headers", {}), source, f"{key}.headers")
    body = b""
    generate: Generate | None = None
    if "body" in spec:
        body = _text_bytes(spec["body"], source, f"{key}.body")
    elif "body_hex" in spec:
        raw = spec["body_hex"]
        try:
            body = bytes.fromhex("".join(str(raw).split()))
        except ValueError as exc:
            raise FixtureError(source, f"{key}.body_hex", f"not hexadecimal: {exc}") from None
    elif "generate" in spec:
        gen = spec["generate"]
        gkey = f"{key}.generate"
        if not isinstance(gen, Mapping) or set(gen) - {"size", "line", "head", "tail"}:
            raise FixtureError(source, gkey, "must be a mapping of size, line, head, tail")
        size = int(_number(gen.get("size"), source, f"{gkey}.size", integer=True))
        line = _text_bytes(gen.get("line", "#\n"), source, f"{gkey}.line")
        head = _text_bytes(gen.get("head", ""), source, f"{gkey}.head")
        tail = _text_bytes(gen.get("tail", ""), source, f"{gkey}.tail")
        if not line or len(head) + len(tail) > size:
            raise FixtureError(source, gkey, "line must be non-empty and head+tail fit in size")
        generate = Generate(size=size, line=line, head=head, tail=tail)
    if "redirect" in spec:
        red = spec["redirect"]
        rkey = f"{key}.redirect"
        if not isinstance(red, Mapping) or not isinstance(red.get("to"), str):
            raise FixtureError(source, rkey, "must be a mapping with a string 'to'")
        if "status" not in spec:
            status = int(_number(red.get("status", 301), source, f"{rkey}.status", integer=True))
        headers.append(("Location", red["to"]))
        if not body and generate is None:
            body = f"Moved to {red['to']}\n".encode()
    names = {name.lower() for name, _ in headers}
    if "content_type" in spec:
        ctype = spec["content_type"]
        if not isinstance(ctype, str):
            raise FixtureError(source, f"{key}.content_type", "must be a string ('' for none)")
        if "content-type" in names:
            raise FixtureError(source, key, "content_type and a Content-Type header both given")
        if ctype:
            headers.insert(0, ("Content-Type", ctype))
    elif "content-type" not in names and (body or generate is not None):
        headers.insert(0, ("Content-Type", _guess_content_type(path)))
    resource = Resource(
        status=status,
        headers=tuple(headers),
        body=body,
        generate=generate,
        delay=_number(spec.get("delay", 0), source, f"{key}.delay"),
        hang=_flag(spec, "hang", source, key),
        drop=_flag(spec, "drop", source, key),
        truncate=_flag(spec, "truncate", source, key),
    )
    if resource.hang + resource.drop + resource.truncate > 1:
        raise FixtureError(source, key, "give at most one of hang, drop, truncate")
    return resource


def parse_site(spec: Any, *, source: str = "<inline>", key: str = "site") -> SiteDef:
    """Return the :class:`SiteDef` a YAML mapping describes; raise :class:`FixtureError`."""
    if not isinstance(spec, Mapping):
        raise FixtureError(source, key, "a site must be a mapping")
    unknown = sorted(set(spec) - SITE_KEYS)
    if unknown:
        raise FixtureError(source, f"{key}.{unknown[0]}", "unknown key")
    host = spec.get("host")
    if not isinstance(host, str) or not host or "/" in host or ":" in host:
        raise FixtureError(source, f"{key}.host", "must be a host name without scheme or port")
    description = spec.get("description", "")
    if not isinstance(description, str):
        raise FixtureError(source, f"{key}.description", "must be a string")
    expect = spec.get("expect", {})
    if not isinstance(expect, Mapping):
        raise FixtureError(source, f"{key}.expect", "must be a mapping")
    resources_spec = spec.get("resources")
    if not isinstance(resources_spec, Mapping) or not resources_spec:
        raise FixtureError(source, f"{key}.resources", "must be a non-empty mapping")
    resources: dict[str, Resource] = {}
    for path, res in resources_spec.items():
        rkey = f"{key}.resources[{path!r}]"
        if not isinstance(path, str) or not (path.startswith("/") or path == "*"):
            raise FixtureError(source, rkey, "a path must start with '/' (or be '*')")
        resources[path] = parse_resource(res, path=path, source=source, key=rkey)
    return SiteDef(
        host=_normal_host(host),
        resources=resources,
        description=description,
        expect=dict(expect),
        source=source,
    )


def _load_file(item: Path | Traversable) -> list[SiteDef]:
    source = str(item)
    try:
        data = yaml.safe_load(item.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise FixtureError(source, "(file)", f"not valid YAML: {exc}") from None
    if isinstance(data, list):
        return [parse_site(one, source=source, key=f"[{i}]") for i, one in enumerate(data)]
    return [parse_site(data, source=source, key="site")]


def load_sites(path: Path | Traversable | str) -> list[SiteDef]:
    """Return the sites of one YAML file, or of every ``*.yaml``/``*.yml`` in a flat folder."""
    item: Path | Traversable = Path(path) if isinstance(path, str) else path
    if item.is_dir():
        files = sorted(
            (child for child in item.iterdir() if child.name.endswith((".yaml", ".yml"))),
            key=lambda child: child.name,
        )
        return [site for child in files for site in _load_file(child)]
    if not item.is_file():
        raise FixtureError(str(item), "(file)", "no such file or folder")
    return _load_file(item)


def _normal_host(host: str) -> str:
    return host.strip().rstrip(".").lower()


# ---------------------------------------------------------------- the server


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 128
    fixture: FixtureWeb

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Ignore clients that reset or time out (expected here); report anything else."""
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "crawlcheck-fixture-web/1"
    #: Idle keep-alive connections close after this many seconds.
    timeout = 30
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.server.fixture._track(self.connection, add=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.fixture._track(self.connection, add=False)

    def log_message(self, format: str, *args: Any) -> None:
        """Keep quiet: the request log is :attr:`FixtureWeb.requests`."""

    def do_CONNECT(self) -> None:
        """Answer 501: https sites are out of scope of the fixture web."""
        self._log(via_proxy=True, host=self.path.rsplit(":", 1)[0], path="")
        self._simple(501, "CONNECT (https) is not supported by the fixture web\n")

    def do_GET(self) -> None:
        """Serve GET."""
        self._serve()

    def do_HEAD(self) -> None:
        """Serve HEAD: the GET headers without a body."""
        self._serve()

    def do_POST(self) -> None:
        """Serve POST (and the other methods) as GET, after reading the request body."""
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self._serve()

    do_PUT = do_DELETE = do_OPTIONS = do_PATCH = do_POST

    # -- helpers

    def _target(self) -> tuple[str, str, bool]:
        if self.path.lower().startswith(("http://", "https://")):
            parts = urlsplit(self.path)
            path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            return _normal_host(parts.hostname or ""), path, True
        host_header = self.headers.get("Host", "")
        host = (urlsplit(f"//{host_header}").hostname or "") if host_header else ""
        return _normal_host(host), self.path or "/", False

    def _log(self, *, via_proxy: bool, host: str, path: str) -> None:
        self.server.fixture._record(
            RequestRecord(
                time=time.time(),
                method=self.command,
                host=host,
                path=path,
                headers=tuple((k, v) for k, v in self.headers.items()),
                via_proxy=via_proxy,
            )
        )

    def _simple(self, status: int, text: str, extra: Sequence[tuple[str, str]] = ()) -> None:
        body = text.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        for name, value in extra:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _serve(self) -> None:
        host, path, via_proxy = self._target()
        self._log(via_proxy=via_proxy, host=host, path=path)
        fixture = self.server.fixture
        site = fixture.site(host)
        if site is None:
            if host in ("127.0.0.1", "localhost", ""):
                listing = "".join(f"{one}\n" for one in sorted(fixture.hosts))
                self._simple(200, f"crawlcheck fixture web; sites:\n{listing}")
                return
            # A real proxy answers 502 when it cannot resolve or reach the origin
            # (docs/fixture-web.md): the crawl sees a server error, i.e. "unreachable".
            self._simple(
                UNKNOWN_HOST_STATUS,
                f"fixture web: unknown host {host} (emulates a DNS failure behind a proxy)\n",
                [(FIXTURE_HEADER, "unknown-host")],
            )
            return
        resource = site.resource(path)
        if resource is None:
            self._simple(404, "Not Found\n")
            return
        self._respond(resource)

    def _respond(self, resource: Resource) -> None:
        stop = self.server.fixture._stopping
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
        self.send_response(resource.status)
        has_length = False
        for name, value in resource.headers:
            has_length = has_length or name.lower() == "content-length"
            self.send_header(name, value)
        if not has_length:
            extra = TRUNCATE_MISSING if resource.truncate else 0
            self.send_header("Content-Length", str(resource.length + extra))
        if resource.truncate:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            if resource.generate is not None:
                for chunk in resource.generate.chunks():
                    self.wfile.write(chunk)
            else:
                self.wfile.write(resource.body)
        if resource.truncate:
            self.close_connection = True

    def _hang(self, stop: threading.Event) -> None:
        """Answer nothing until the client closes the connection or the server stops."""
        self.close_connection = True
        while not stop.is_set():
            try:
                readable, _, _ = select.select([self.connection], [], [], _POLL)
                if readable and not self.connection.recv(1, socket.MSG_PEEK):
                    return  # the client gave up
            except (OSError, ValueError):
                return


class FixtureWeb:
    """Serve virtual sites on 127.0.0.1 as origin server and HTTP proxy, in a daemon thread.

    >>> with FixtureWeb(paths=[Path("tests/fixtureweb")]) as web:  # doctest: +SKIP
    ...     proxies = {"http": web.proxy_url}
    ...     url = web.url("www.daily-chronicle.example", "/robots.txt")
    """

    def __init__(
        self,
        sites: Iterable[SiteDef] | None = None,
        *,
        paths: Iterable[Path | Traversable] = (),
    ) -> None:
        self._sites: dict[str, SiteDef] = {}
        for site in [*(sites or ()), *(s for p in paths for s in load_sites(p))]:
            previous = self._sites.get(site.host)
            if previous is not None:
                raise FixtureError(
                    site.source, "host", f"{site.host} is also defined in {previous.source}"
                )
            self._sites[site.host] = site
        self._log: list[RequestRecord] = []
        self._lock = threading.Lock()
        self._connections: set[socket.socket] = set()
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- sites

    @property
    def sites(self) -> Mapping[str, SiteDef]:
        """Return the sites by lower-case host name."""
        return dict(self._sites)

    @property
    def hosts(self) -> list[str]:
        """Return the host names served, sorted."""
        return sorted(self._sites)

    def site(self, host: str) -> SiteDef | None:
        """Return the site for *host* (case-insensitive, port ignored), if defined."""
        return self._sites.get(_normal_host(host.split(":", 1)[0]))

    # -- lifecycle

    def start(self, port: int = 0) -> None:
        """Bind 127.0.0.1 (*port* 0 picks a free one) and serve in a daemon thread."""
        if self._server is not None:
            raise RuntimeError("FixtureWeb already started")
        self._stopping.clear()
        server = _Server(("127.0.0.1", port), _Handler)
        server.fixture = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": _POLL},
            name=f"fixture-web-{self.port}",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop serving; hanging and delayed requests are abandoned, idle connections closed."""
        server, self._server = self._server, None
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        server.server_close()
        with self._lock:
            connections = list(self._connections)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FixtureWeb:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- addresses

    @property
    def port(self) -> int:
        """Return the bound port (after :meth:`start`)."""
        if self._server is None:
            raise RuntimeError("FixtureWeb is not started")
        return int(self._server.server_address[1])

    @property
    def proxy_url(self) -> str:
        """Return ``http://127.0.0.1:PORT``, for ``http_proxy`` or a client's proxy setting."""
        return f"http://127.0.0.1:{self.port}"

    def url(self, host: str, path: str = "/") -> str:
        """Return ``http://host/path`` (reach it through :attr:`proxy_url`)."""
        return f"http://{host}{path if path.startswith('/') else '/' + path}"

    # -- request log

    @property
    def requests(self) -> list[RequestRecord]:
        """Return a snapshot of every request received so far, in arrival order."""
        with self._lock:
            return list(self._log)

    def clear_log(self) -> None:
        """Forget the requests logged so far."""
        with self._lock:
            self._log.clear()

    def _record(self, record: RequestRecord) -> None:
        with self._lock:
            self._log.append(record)

    def _track(self, conn: socket.socket, *, add: bool) -> None:
        with self._lock:
            if add:
                self._connections.add(conn)
            else:
                self._connections.discard(conn)


# ---------------------------------------------------------------- command line


def main(argv: Sequence[str] | None = None) -> int:
    """Serve the given definitions in the foreground; print the proxy URL first."""
    parser = argparse.ArgumentParser(
        prog="python -m crawlcheck.webfixture",
        description="Serve a fixture web (YAML site definitions) on 127.0.0.1.",
    )
    parser.add_argument("definitions", nargs="+", type=Path, help="a YAML file or a folder")
    parser.add_argument("--port", type=int, default=0, help="port to bind (default: any free)")
    parser.add_argument("--quiet", action="store_true", help="do not list hosts and requests")
    args = parser.parse_args(argv)
    try:
        web = FixtureWeb(paths=args.definitions)
    except FixtureError as exc:
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
