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
import signal
import socket
import sys
import threading
from collections.abc import Iterable, Mapping, Sequence
from importlib.resources.abc import Traversable
from pathlib import Path
from types import FrameType, TracebackType

from crawlcheck._fixture_handler import (
    FIXTURE_HEADER,
    POLL,
    TRUNCATE_MISSING,
    UNKNOWN_HOST_STATUS,
    FixtureHandler,
    FixtureServer,
    RequestRecord,
)
from crawlcheck._fixture_sites import (
    RESOURCE_KEYS,
    SITE_KEYS,
    FixtureError,
    Generate,
    Resource,
    SiteDef,
    load_sites,
    normal_host,
    parse_resource,
    parse_site,
)

__all__ = [
    "FIXTURE_HEADER",
    "RESOURCE_KEYS",
    "SITE_KEYS",
    "TRUNCATE_MISSING",
    "UNKNOWN_HOST_STATUS",
    "FixtureError",
    "FixtureWeb",
    "Generate",
    "RequestRecord",
    "Resource",
    "SiteDef",
    "load_sites",
    "main",
    "parse_resource",
    "parse_site",
]


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
        self._server: FixtureServer | None = None
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
            raise RuntimeError("FixtureWeb already started")
        self._stopping.clear()
        server = FixtureServer(("127.0.0.1", port), FixtureHandler)
        server.fixture = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": POLL},
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
