"""Serve site definitions on 127.0.0.1, as origin server and as HTTP proxy, in a daemon thread.

:class:`StaticWeb` answers every request from the :class:`~crawlcheck.demo.sites.SiteDef` of
its host: through the server as an HTTP proxy (``GET http://host/path``, what ``http_proxy``
makes a client send) or directly with a ``Host`` header. ``crawlcheck demo`` audits its bundled
sites through it; the tests' fixture web (tests/webfixture.py) subclasses :class:`StaticWeb`
and :class:`StaticHandler` to add faults and a request log. Standard library only.
"""

from __future__ import annotations

import contextlib
import http.server
import socket
import sys
import threading
from collections.abc import Iterable, Mapping, Sequence
from types import TracebackType
from typing import Any, ClassVar, Self
from urllib.parse import urlsplit

from crawlcheck.demo.sites import Resource, SiteDef, normal_host
from crawlcheck.errors import SiteDefinitionError

#: The status and marker header of the answer for a host nobody defined (docs/fixture-web.md).
UNKNOWN_HOST_STATUS = 502
FIXTURE_HEADER = "X-Fixture-Web"
#: Seconds between the accept loop's checks for a stopping server.
POLL = 0.05


class StaticServer(http.server.ThreadingHTTPServer):
    """Accept connections on loopback, each in a daemon thread, for the :class:`StaticWeb`."""

    daemon_threads = True
    block_on_close = False
    request_queue_size = 128
    web: StaticWeb

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Ignore clients that reset or time out (expected here); report anything else."""
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)


class StaticHandler(http.server.BaseHTTPRequestHandler):
    """Answer the requests of one connection from the sites of the serving :class:`StaticWeb`.

    Subclasses hook in at :meth:`received` (every request, on arrival) and :meth:`respond`
    (the answer of a defined resource).
    """

    protocol_version = "HTTP/1.1"
    server_version = "crawlcheck-fixture-web/1"
    #: Idle keep-alive connections close after this many seconds.
    timeout = 30
    server: StaticServer

    def setup(self) -> None:
        super().setup()
        self.server.web._track(self.connection, add=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.web._track(self.connection, add=False)

    def log_message(self, format: str, *args: Any) -> None:
        """Keep quiet: expected client errors are no news, and stderr is the user's."""

    def do_CONNECT(self) -> None:
        """Answer 501: https sites are out of scope of a loopback web."""
        self.received(host=self.path.rsplit(":", 1)[0], path="", via_proxy=True)
        self.send_text(501, "CONNECT (https) is not supported by the fixture web\n")

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

    # -- hooks for subclasses

    def received(self, *, host: str, path: str, via_proxy: bool) -> None:
        """Note a request whose request line and headers have been read (here: nothing)."""

    def respond(self, resource: Resource) -> None:
        """Send *resource*: status, headers (Content-Length unless given), body (not for HEAD)."""
        self.send_head(resource, length=resource.length)
        self.send_body(resource)

    # -- sending

    def send_head(
        self, resource: Resource, *, length: int, extra: Sequence[tuple[str, str]] = ()
    ) -> None:
        """Send the status line and headers; Content-Length is *length* unless given."""
        self.send_response(resource.status)
        has_length = False
        for name, value in resource.headers:
            has_length = has_length or name.lower() == "content-length"
            self.send_header(name, value)
        if not has_length:
            self.send_header("Content-Length", str(length))
        for name, value in extra:
            self.send_header(name, value)
        self.end_headers()

    def send_body(self, resource: Resource) -> None:
        """Send the body, unless the request is a HEAD."""
        if self.command != "HEAD":
            for chunk in resource.chunks():
                self.wfile.write(chunk)

    def send_text(self, status: int, text: str, extra: Sequence[tuple[str, str]] = ()) -> None:
        """Send a short ``text/plain`` answer of the server's own."""
        body = text.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        for name, value in extra:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    # -- routing

    def _target(self) -> tuple[str, str, bool]:
        if self.path.lower().startswith(("http://", "https://")):
            parts = urlsplit(self.path)
            path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            return normal_host(parts.hostname or ""), path, True
        host_header = self.headers.get("Host", "")
        host = (urlsplit(f"//{host_header}").hostname or "") if host_header else ""
        return normal_host(host), self.path or "/", False

    def _serve(self) -> None:
        host, path, via_proxy = self._target()
        self.received(host=host, path=path, via_proxy=via_proxy)
        web = self.server.web
        site = web.site(host)
        if site is None:
            if host in ("127.0.0.1", "localhost", ""):
                listing = "".join(f"{one}\n" for one in web.hosts)
                self.send_text(200, f"crawlcheck fixture web; sites:\n{listing}")
                return
            # A real proxy answers 502 when it cannot resolve or reach the origin
            # (docs/fixture-web.md): the crawl sees a server error, i.e. "unreachable".
            self.send_text(
                UNKNOWN_HOST_STATUS,
                f"fixture web: unknown host {host} (emulates a DNS failure behind a proxy)\n",
                [(FIXTURE_HEADER, "unknown-host")],
            )
            return
        resource = site.resource(path)
        if resource is None:
            self.send_text(404, "Not Found\n")
            return
        self.respond(resource)


class StaticWeb:
    """Serve virtual sites on 127.0.0.1 as origin server and HTTP proxy, in a daemon thread.

    >>> from crawlcheck.demo.sites import bundled_sites
    >>> with StaticWeb(bundled_sites()) as web:  # proxies = {"http": web.proxy_url}
    ...     web.url("www.valley-herald.example", "/robots.txt")
    'http://www.valley-herald.example/robots.txt'
    """

    #: The request handler; subclasses of the web bring their own.
    handler: ClassVar[type[StaticHandler]] = StaticHandler

    def __init__(self, sites: Iterable[SiteDef]) -> None:
        self._sites: dict[str, SiteDef] = {}
        for site in sites:
            previous = self._sites.get(site.host)
            if previous is not None:
                raise SiteDefinitionError(
                    site.source, "host", f"{site.host} is also defined in {previous.source}"
                )
            self._sites[site.host] = site
        self._lock = threading.Lock()
        self._connections: set[socket.socket] = set()
        self._server: StaticServer | None = None
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
        return self._sites.get(normal_host(host.split(":", 1)[0]))

    # -- lifecycle

    def start(self, port: int = 0) -> None:
        """Bind 127.0.0.1 (*port* 0 picks a free one) and serve in a daemon thread."""
        if self._server is not None:
            raise RuntimeError(f"{type(self).__name__} already started")
        server = StaticServer(("127.0.0.1", port), self.handler)
        server.web = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": POLL},
            name=f"fixture-web-{self.port}",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and shut every open connection down, idle keep-alive ones included."""
        server, self._server = self._server, None
        if server is None:
            return
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

    def __enter__(self) -> Self:
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
            raise RuntimeError(f"{type(self).__name__} is not started")
        return int(self._server.server_address[1])

    @property
    def proxy_url(self) -> str:
        """Return ``http://127.0.0.1:PORT``, for ``http_proxy`` or a client's proxy setting."""
        return f"http://127.0.0.1:{self.port}"

    def url(self, host: str, path: str = "/") -> str:
        """Return ``http://host/path`` (reach it through :attr:`proxy_url`)."""
        return f"http://{host}{path if path.startswith('/') else '/' + path}"

    def _track(self, conn: socket.socket, *, add: bool) -> None:
        with self._lock:
            if add:
                self._connections.add(conn)
            else:
                self._connections.discard(conn)
