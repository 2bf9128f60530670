"""Fixture-web request handling: how one HTTP request to the fixture web is answered.

:class:`FixtureServer` and its handler look the request's host up in the serving
:class:`FixtureHost` (a :class:`crawlcheck.webfixture.FixtureWeb`), log a
:class:`RequestRecord` and answer with the site's :class:`Resource` or misbehaviour.
Re-exported by :mod:`crawlcheck.webfixture`.
"""

from __future__ import annotations

import http.server
import select
import socket
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

from crawlcheck._fixture_sites import Resource, SiteDef, normal_host

#: The status and marker header of the answer for a host nobody defined (docs/fixture-web.md).
UNKNOWN_HOST_STATUS = 502
FIXTURE_HEADER = "X-Fixture-Web"
#: How many bytes past the body a ``truncate`` response promises in Content-Length.
TRUNCATE_MISSING = 1024
#: Seconds between checks for a stopping server or a client that gave up.
POLL = 0.05


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


class FixtureHost(Protocol):
    """What the handler needs from the :class:`crawlcheck.webfixture.FixtureWeb` it serves."""

    _stopping: threading.Event

    @property
    def hosts(self) -> list[str]: ...

    def site(self, host: str) -> SiteDef | None: ...

    def _record(self, record: RequestRecord) -> None: ...

    def _track(self, conn: socket.socket, *, add: bool) -> None: ...


class FixtureServer(http.server.ThreadingHTTPServer):
    """Accept the fixture web's connections on loopback, each in a daemon thread."""

    daemon_threads = True
    block_on_close = False
    request_queue_size = 128
    fixture: FixtureHost

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Ignore clients that reset or time out (expected here); report anything else."""
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)


class FixtureHandler(http.server.BaseHTTPRequestHandler):
    """Answer the requests of one connection from the serving fixture web's sites."""

    protocol_version = "HTTP/1.1"
    server_version = "crawlcheck-fixture-web/1"
    #: Idle keep-alive connections close after this many seconds.
    timeout = 30
    server: FixtureServer

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
            return normal_host(parts.hostname or ""), path, True
        host_header = self.headers.get("Host", "")
        host = (urlsplit(f"//{host_header}").hostname or "") if host_header else ""
        return normal_host(host), self.path or "/", False

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
                readable, _, _ = select.select([self.connection], [], [], POLL)
                if readable and not self.connection.recv(1, socket.MSG_PEEK):
                    return  # the client gave up
            except (OSError, ValueError):
                return
