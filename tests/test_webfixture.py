"""Tests for the tests' fixture web (tests/webfixture.py): faults, the request log, the CLI.

Real HTTP over loopback, through the proxy and with Host headers. What it inherits from the
shipped demo web (routing, headers, unknown hosts) is tested in test_demo_web.py.
"""

from __future__ import annotations

import http.client
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from webfixture import FixtureWeb, load_sites, parse_site

from crawlcheck.demo.sites import SiteDef
from crawlcheck.errors import SiteDefinitionError

FIXTURE_DIR = Path(__file__).parent / "fixtureweb"
WEBFIXTURE = Path(__file__).parent / "webfixture.py"
PURPOSES = ("tdm", "ai-train", "ai-input", "search")
VERDICTS = {"reserved", "partial", "not-reserved", "unknown"}
AGENT_STATES = {"disallowed", "restricted", "allowed", "unreachable"}

SITE: dict[str, Any] = {
    "host": "www.test-bench.example",
    "description": "resources for the server tests",
    "resources": {
        "/": {"body": "<h1>Bench</h1>"},
        "/robots.txt": {"body": "User-agent: *\nDisallow: /private/\n"},
        "/repeat": {
            "body": "x",
            "headers": [["X-Robots-Tag", "noai"], ["X-Robots-Tag", "noimageai"]],
        },
        "/mapping-headers": {"body": "x", "headers": {"Link": ["<a>", "<b>"], "Retry-After": 5}},
        "/hex": {"body_hex": "efbbbf 55 73 65 72 2d 61 67 65 6e 74 3a 20 2a 0a ff"},
        "/big": {
            "generate": {
                "size": 600_000,
                "head": "User-agent: *\n",
                "line": "Disallow: /filler/\n",
                "tail": "User-agent: GPTBot\nDisallow: /\n",
            }
        },
        "/status/503": {"status": 503, "body": "busy", "headers": {"Retry-After": "60"}},
        "/slow": {"delay": 0.3, "body": "late"},
        "/hang": {"hang": True},
        "/drop": {"drop": True},
        "/truncated": {"truncate": True, "body": "User-agent: *\nAllow: /\n"},
        "/moved": {"redirect": {"to": "/", "status": 302}},
        "/away": {"redirect": {"to": "http://other.test-bench.example/landing"}},
        "/no-type": {"body": "plain", "content_type": ""},
        "/search?q=1": {"body": "query one"},
    },
}
OTHER: dict[str, Any] = {
    "host": "Other.Test-Bench.example",
    "resources": {"/landing": {"body": "landed"}, "*": {"status": 410, "body": "gone"}},
}


@pytest.fixture(scope="module")
def web() -> Iterator[FixtureWeb]:
    with FixtureWeb([parse_site(SITE), parse_site(OTHER)]) as server:
        yield server


def proxied(web: FixtureWeb) -> urllib.request.OpenerDirector:
    return urllib.request.build_opener(urllib.request.ProxyHandler({"http": web.proxy_url}))


def direct() -> urllib.request.OpenerDirector:
    return urllib.request.build_opener(urllib.request.ProxyHandler({}))


def fetch(web: FixtureWeb, path: str, host: str = "www.test-bench.example", **kw: Any) -> Any:
    return proxied(web).open(web.url(host, path), timeout=kw.get("timeout", 5))


def get(
    web: FixtureWeb, path: str, host: str = "www.test-bench.example"
) -> tuple[int, Message, bytes]:
    """Return status, headers and body of a GET through the proxy; HTTP errors are answers."""
    try:
        with fetch(web, path, host) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as err:
        with err:
            return err.code, err.headers, err.read()


def test_serves_through_proxy_and_logs_the_request(web: FixtureWeb) -> None:
    web.clear_log()
    req = urllib.request.Request(
        web.url("www.test-bench.example", "/robots.txt"), headers={"User-Agent": "crawlcheck/0"}
    )
    with proxied(web).open(req, timeout=5) as resp:
        assert resp.status == 200
        assert resp.read() == b"User-agent: *\nDisallow: /private/\n"
        assert resp.headers["Content-Type"] == "text/plain; charset=utf-8"
    (record,) = web.requests
    assert (record.method, record.host, record.path, record.via_proxy) == (
        "GET",
        "www.test-bench.example",
        "/robots.txt",
        True,
    )
    assert record.user_agent == "crawlcheck/0"


def test_serves_origin_form_with_host_header(web: FixtureWeb) -> None:
    web.clear_log()
    req = urllib.request.Request(f"{web.proxy_url}/", headers={"Host": "WWW.Test-Bench.example:80"})
    with direct().open(req, timeout=5) as resp:
        assert resp.read() == b"<h1>Bench</h1>"
        assert resp.headers["Content-Type"] == "text/html; charset=utf-8"
    assert [(r.host, r.via_proxy) for r in web.requests] == [("www.test-bench.example", False)]


def test_body_hex_is_sent_byte_for_byte(web: FixtureWeb) -> None:
    assert get(web, "/hex")[2] == b"\xef\xbb\xbfUser-agent: *\n\xff"


def test_generate_streams_exact_size_with_tail_on_own_line(web: FixtureWeb) -> None:
    with fetch(web, "/big") as resp:
        assert resp.headers["Content-Length"] == "600000"
        body = resp.read()
    assert len(body) == 600_000
    assert body.startswith(b"User-agent: *\nDisallow: /filler/\n")
    assert body.endswith(b"\nUser-agent: GPTBot\nDisallow: /\n")
    assert body.index(b"GPTBot") > 500 * 1024


def test_head_sends_headers_only(web: FixtureWeb) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", web.port, timeout=5)
    conn.request("HEAD", "http://www.test-bench.example/big")
    with conn.getresponse() as resp:
        assert resp.status == 200
        assert resp.headers["Content-Length"] == "600000"
        assert resp.read() == b""
    # keep-alive: the same connection serves the next request
    conn.request("GET", "http://www.test-bench.example/repeat")
    with conn.getresponse() as resp:
        assert resp.read() == b"x"
    conn.close()


def test_delay(web: FixtureWeb) -> None:
    start = time.monotonic()
    assert get(web, "/slow")[2] == b"late"
    assert time.monotonic() - start >= 0.3


def test_hang_times_out_client_and_does_not_block_others(web: FixtureWeb) -> None:
    start = time.monotonic()
    with pytest.raises((TimeoutError, urllib.error.URLError)):
        fetch(web, "/hang", timeout=0.5)
    assert 0.4 < time.monotonic() - start < 3
    assert get(web, "/")[2] == b"<h1>Bench</h1>"


def test_drop_closes_without_response(web: FixtureWeb) -> None:
    with pytest.raises((http.client.RemoteDisconnected, ConnectionError, urllib.error.URLError)):
        fetch(web, "/drop")


def test_truncate_promises_more_than_it_sends(web: FixtureWeb) -> None:
    with fetch(web, "/truncated") as resp, pytest.raises(http.client.IncompleteRead) as err:
        resp.read()
    assert err.value.partial == b"User-agent: *\nAllow: /\n"


def test_redirects_same_and_cross_host(web: FixtureWeb) -> None:
    with fetch(web, "/moved") as resp:
        assert resp.geturl() == "http://www.test-bench.example/"
        assert resp.read() == b"<h1>Bench</h1>"
    with fetch(web, "/away") as resp:
        assert resp.geturl() == "http://other.test-bench.example/landing"
    conn = http.client.HTTPConnection("127.0.0.1", web.port, timeout=5)
    conn.request("GET", "http://www.test-bench.example/away")
    with conn.getresponse() as resp:
        assert (resp.status, resp.headers["Location"]) == (
            301,
            "http://other.test-bench.example/landing",
        )
    conn.close()


def test_many_concurrent_clients(web: FixtureWeb) -> None:
    results: list[bytes] = []
    lock = threading.Lock()

    def worker() -> None:
        body = get(web, "/slow")[2]
        with lock:
            results.append(body)

    threads = [threading.Thread(target=worker) for _ in range(30)]
    start = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert results == [b"late"] * 30
    assert time.monotonic() - start < 5  # served in parallel, not 30 x 0.3 s in a row


def test_stop_is_prompt_with_requests_hanging_and_idle_keepalive() -> None:
    server = FixtureWeb([parse_site(SITE)])
    server.start()
    hanging = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(3)]
    for sock in hanging:
        sock.sendall(b"GET http://www.test-bench.example/hang HTTP/1.1\r\nHost: x\r\n\r\n")
    idle = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    idle.request("GET", "http://www.test-bench.example/")
    with idle.getresponse() as resp:
        resp.read()
    deadline = time.monotonic() + 5
    while len(server.requests) < 4 and time.monotonic() < deadline:
        time.sleep(0.01)
    port = server.port
    start = time.monotonic()
    server.stop()
    assert time.monotonic() - start < 2
    for sock in hanging:
        sock.close()
    idle.close()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=1)


@pytest.mark.parametrize(
    ("spec", "key"),
    [
        ({"resources": {"/": {}}}, "site.host"),
        ({"host": "a.example", "resources": {"/": {"stauts": 200}}}, "site.resources['/'].stauts"),
        ({"host": "a.example", "resources": {"x": {}}}, "site.resources['x']"),
        (
            {"host": "a.example", "resources": {"/": {"status": "200"}}},
            "site.resources['/'].status",
        ),
        (
            {"host": "a.example", "resources": {"/": {"body": "a", "body_hex": "00"}}},
            "site.resources['/']",
        ),
        (
            {"host": "a.example", "resources": {"/": {"body_hex": "zz"}}},
            "site.resources['/'].body_hex",
        ),
        (
            {"host": "a.example", "resources": {"/": {"hang": True, "drop": True}}},
            "site.resources['/']",
        ),
        (
            {"host": "a.example", "resources": {"/": {"headers": [["A"]]}}},
            "site.resources['/'].headers[0]",
        ),
        (
            {"host": "a.example", "resources": {"/": {"redirect": "/x"}}},
            "site.resources['/'].redirect",
        ),
        ({"host": "a.example", "expect": [], "resources": {"/": {}}}, "site.expect"),
        (
            {"host": "a.example", "resources": {"/": {"generate": {"size": 3, "tail": "abcd"}}}},
            "site.resources['/'].generate",
        ),
    ],
)
def test_validation_errors_name_file_and_key(spec: dict[str, Any], key: str) -> None:
    with pytest.raises(SiteDefinitionError) as err:
        parse_site(spec, source="sites/x.yaml")
    assert err.value.source == "sites/x.yaml"
    assert err.value.key == key
    assert str(err.value).startswith(f"sites/x.yaml: {key}: ")


def test_load_sites_reports_bad_yaml_and_duplicates(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("host: [unclosed\n", encoding="utf-8")
    with pytest.raises(SiteDefinitionError, match=r"bad\.yaml: \(file\): not valid YAML"):
        load_sites(tmp_path / "bad.yaml")
    (tmp_path / "bad.yaml").unlink()
    one = "host: dup.example\nresources:\n  /: {body: a}\n"
    (tmp_path / "a.yaml").write_text(one, encoding="utf-8")
    (tmp_path / "b.yml").write_text(f"- {one.replace(chr(10), chr(10) + '  ')}", encoding="utf-8")
    assert [s.host for s in load_sites(tmp_path)] == ["dup.example", "dup.example"]
    with pytest.raises(SiteDefinitionError, match="also defined in"):
        FixtureWeb(paths=[tmp_path])


def test_fixture_web_loads() -> None:
    tests_web = FixtureWeb(paths=[FIXTURE_DIR])
    assert len(tests_web.hosts) >= 30
    assert all(h.endswith((".example", ".test")) for h in tests_web.hosts)


@pytest.mark.parametrize("site", load_sites(FIXTURE_DIR), ids=lambda s: s.host)
def test_every_site_states_its_expectations(site: SiteDef) -> None:
    assert site.description
    if "helper_for" in site.expect:
        return
    verdicts = site.expect["verdicts"]
    assert set(verdicts) == set(PURPOSES)
    assert set(verdicts.values()) <= VERDICTS
    assert set(site.expect.get("agents", {}).values()) <= AGENT_STATES
    assert "/" in site.resources or site.resource("/") is not None


def test_command_line_prints_proxy_url_first_and_serves(tmp_path: Path) -> None:
    site = tmp_path / "one.yaml"
    site.write_text("host: cli.example\nresources:\n  /: {body: hello}\n", encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, str(WEBFIXTURE), "--quiet", str(site)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        proxy_url = proc.stdout.readline().strip()
        assert proxy_url.startswith("http://127.0.0.1:")
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({"http": proxy_url}))
        with opener.open("http://cli.example/", timeout=5) as resp:
            assert resp.read() == b"hello"
    finally:
        proc.terminate()
        assert proc.wait(timeout=5) == 0
        if proc.stdout is not None:
            proc.stdout.close()


def test_command_line_rejects_bad_definitions(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("host: x.example\nresources: {}\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(WEBFIXTURE), str(bad)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 2
    assert "bad.yaml: site.resources" in done.stderr
