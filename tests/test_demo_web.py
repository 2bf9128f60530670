"""Tests for crawlcheck.demo: the shipped static web (definitions, loopback origin + proxy).

Real HTTP over loopback, through the proxy and with Host headers; the bundled demo sites and
the report ``crawlcheck demo`` writes about them (expectations in tests/data/demo/expect.yaml).
The tests' fault fixture built on it is tested in test_webfixture.py.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
import yaml

from crawlcheck.demo.server import FIXTURE_HEADER, UNKNOWN_HOST_STATUS, StaticWeb
from crawlcheck.demo.sites import SiteReader, bundled_sites
from crawlcheck.errors import CrawlcheckError, SiteDefinitionError

DEMO_EXPECT = Path(__file__).parent / "data" / "demo" / "expect.yaml"
PURPOSES = ("tdm", "ai-train", "ai-input", "search")
VERDICTS = {"reserved", "partial", "not-reserved", "unknown"}
AGENT_STATES = {"disallowed", "restricted", "allowed", "unreachable"}

SITE: dict[str, Any] = {
    "host": "www.static-bench.example",
    "description": "resources for the static server tests",
    "resources": {
        "/": {"body": "<h1>Bench</h1>"},
        "/robots.txt": {"body": "User-agent: *\nDisallow: /private/\n"},
        "/repeat": {
            "body": "x",
            "headers": [["X-Robots-Tag", "noai"], ["X-Robots-Tag", "noimageai"]],
        },
        "/mapping-headers": {"body": "x", "headers": {"Link": ["<a>", "<b>"], "Retry-After": 5}},
        "/status/503": {"status": 503, "body": "busy", "headers": {"Retry-After": "60"}},
        "/no-type": {"body": "plain", "content_type": ""},
        "/typed": {"body": "{}", "content_type": "application/ld+json"},
        "/search?q=1": {"body": "query one"},
    },
}
OTHER: dict[str, Any] = {
    "host": "Other.Static-Bench.example",
    "resources": {"/landing": {"body": "landed"}, "*": {"status": 410, "body": "gone"}},
}


def parse(spec: dict[str, Any], source: str = "<inline>") -> Any:
    return SiteReader().site(spec, source=source)


@pytest.fixture(scope="module")
def web() -> Iterator[StaticWeb]:
    with StaticWeb([parse(SITE), parse(OTHER)]) as server:
        yield server


def get(
    web: StaticWeb, path: str, host: str = "www.static-bench.example"
) -> tuple[int, Message, bytes]:
    """Return status, headers and body of a GET through the proxy; HTTP errors are answers."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({"http": web.proxy_url}))
    try:
        with opener.open(web.url(host, path), timeout=5) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as err:
        with err:
            return err.code, err.headers, err.read()


def test_serves_through_proxy_with_guessed_content_types(web: StaticWeb) -> None:
    status, headers, body = get(web, "/robots.txt")
    assert (status, body) == (200, b"User-agent: *\nDisallow: /private/\n")
    assert headers["Content-Type"] == "text/plain; charset=utf-8"
    assert get(web, "/")[1]["Content-Type"] == "text/html; charset=utf-8"
    assert get(web, "/typed")[1]["Content-Type"] == "application/ld+json"
    assert "Content-Type" not in get(web, "/no-type")[1]


def test_serves_origin_form_with_host_header(web: StaticWeb) -> None:
    direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    req = urllib.request.Request(
        f"{web.proxy_url}/", headers={"Host": "WWW.Static-Bench.example:80"}
    )
    with direct.open(req, timeout=5) as resp:
        assert resp.read() == b"<h1>Bench</h1>"
        assert resp.headers["Content-Type"] == "text/html; charset=utf-8"


def test_matches_path_and_query_exactly_with_fallback(web: StaticWeb) -> None:
    assert get(web, "/search?q=1")[::2] == (200, b"query one")
    assert get(web, "/search?q=2")[0] == 404
    assert get(web, "/anything", host="other.static-bench.example")[::2] == (410, b"gone")


def test_repeated_headers_and_mapping_lists(web: StaticWeb) -> None:
    assert get(web, "/repeat")[1].get_all("X-Robots-Tag") == ["noai", "noimageai"]
    headers = get(web, "/mapping-headers")[1]
    assert headers.get_all("Link") == ["<a>", "<b>"]
    assert headers["Retry-After"] == "5"


def test_status_and_headers_of_errors(web: StaticWeb) -> None:
    status, headers, body = get(web, "/status/503")
    assert (status, headers["Retry-After"], body) == (503, "60", b"busy")


def test_head_sends_headers_only_and_keeps_the_connection(web: StaticWeb) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", web.port, timeout=5)
    conn.request("HEAD", "http://www.static-bench.example/")
    with conn.getresponse() as resp:
        assert resp.status == 200
        assert resp.headers["Content-Length"] == str(len(b"<h1>Bench</h1>"))
        assert resp.read() == b""
    conn.request("GET", "http://www.static-bench.example/repeat")
    with conn.getresponse() as resp:
        assert resp.read() == b"x"
    conn.close()


def test_unknown_host_answers_502_like_a_proxy(web: StaticWeb) -> None:
    status, headers, _ = get(web, "/robots.txt", host="www.nowhere.example")
    assert (status, headers[FIXTURE_HEADER]) == (UNKNOWN_HOST_STATUS, "unknown-host")


def test_loopback_itself_lists_the_hosts(web: StaticWeb) -> None:
    status, _, body = get(web, "/", host="127.0.0.1")
    assert status == 200
    assert body.decode().splitlines()[1:] == [
        "other.static-bench.example",
        "www.static-bench.example",
    ]


def test_connect_is_not_supported(web: StaticWeb) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", web.port, timeout=5)
    conn.request("CONNECT", "www.static-bench.example:443")
    with conn.getresponse() as resp:
        assert resp.status == 501
    conn.close()


def test_stop_closes_idle_keepalive_connections() -> None:
    server = StaticWeb([parse(SITE)])
    server.start()
    idle = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    idle.request("GET", "http://www.static-bench.example/")
    with idle.getresponse() as resp:
        resp.read()
    port = server.port
    server.stop()
    assert idle.sock is not None
    assert idle.sock.recv(1) == b""  # shut down by the server, not left to time out
    idle.close()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=1)


def test_api_before_start_and_url() -> None:
    server = StaticWeb([parse(SITE)])
    with pytest.raises(RuntimeError):
        _ = server.port
    assert server.url("www.a.example", "robots.txt") == "http://www.a.example/robots.txt"
    assert server.site("WWW.STATIC-BENCH.EXAMPLE:8080") is not None
    server.stop()  # stopping a server never started is harmless


@pytest.mark.parametrize(
    ("spec", "key"),
    [
        ({"resources": {"/": {}}}, "site.host"),
        ({"host": "a.example", "resources": {"/": {"stauts": 200}}}, "site.resources['/'].stauts"),
        ({"host": "a.example", "resources": {"x": {}}}, "site.resources['x']"),
        ({"host": "a.example", "resources": {}}, "site.resources"),
        ({"host": "a.example", "description": 1, "resources": {"/": {}}}, "site.description"),
        (
            {"host": "a.example", "resources": {"/": {"status": "200"}}},
            "site.resources['/'].status",
        ),
        (
            {"host": "a.example", "resources": {"/": {"status": 600}}},
            "site.resources['/'].status",
        ),
        (
            {"host": "a.example", "resources": {"/": {"headers": [["A"]]}}},
            "site.resources['/'].headers[0]",
        ),
        (
            {"host": "a.example", "resources": {"/": {"content_type": 1}}},
            "site.resources['/'].content_type",
        ),
        # The tests' fault keys are not part of the shipped format.
        ({"host": "a.example", "resources": {"/": {"delay": 1}}}, "site.resources['/'].delay"),
        ({"host": "a.example", "expect": {}, "resources": {"/": {}}}, "site.expect"),
    ],
)
def test_validation_errors_name_file_and_key(spec: dict[str, Any], key: str) -> None:
    with pytest.raises(SiteDefinitionError) as err:
        parse(spec, source="sites/x.yaml")
    assert isinstance(err.value, CrawlcheckError)
    assert err.value.source == "sites/x.yaml"
    assert err.value.key == key
    assert str(err.value).startswith(f"sites/x.yaml: {key}: ")


def test_load_reports_bad_yaml_and_duplicates(tmp_path: Path) -> None:
    reader = SiteReader()
    (tmp_path / "bad.yaml").write_text("host: [unclosed\n", encoding="utf-8")
    with pytest.raises(SiteDefinitionError, match=r"bad\.yaml: \(file\): not valid YAML"):
        reader.load(tmp_path / "bad.yaml")
    (tmp_path / "bad.yaml").unlink()
    with pytest.raises(SiteDefinitionError, match=r"\(file\): no such file or folder"):
        reader.load(tmp_path / "missing.yaml")
    one = "host: dup.example\nresources:\n  /: {body: a}\n"
    (tmp_path / "a.yaml").write_text(one, encoding="utf-8")
    (tmp_path / "b.yml").write_text(f"- {one.replace(chr(10), chr(10) + '  ')}", encoding="utf-8")
    assert [s.host for s in reader.load(tmp_path)] == ["dup.example", "dup.example"]
    with pytest.raises(SiteDefinitionError, match="also defined in"):
        StaticWeb(reader.load(tmp_path))


# ---------------------------------------------------------------- the bundled demo web


def _demo_expectations() -> dict[str, Any]:
    expectations: dict[str, Any] = yaml.safe_load(DEMO_EXPECT.read_text(encoding="utf-8"))
    return expectations


def test_demo_web_loads() -> None:
    hosts = [site.host for site in bundled_sites()]
    assert 6 <= len(hosts) <= 8
    assert all(h.endswith((".example", ".test")) for h in hosts)
    assert sorted(hosts) == sorted(_demo_expectations())
    assert all(site.description for site in bundled_sites())


@pytest.mark.parametrize(("host", "expect"), _demo_expectations().items())
def test_every_demo_site_states_its_expectations(host: str, expect: dict[str, Any]) -> None:
    verdicts = expect["verdicts"]
    assert set(verdicts) == set(PURPOSES)
    assert set(verdicts.values()) <= VERDICTS
    assert set(expect.get("agents", {}).values()) <= AGENT_STATES


def test_demo_site_serves_through_proxy() -> None:
    with StaticWeb(bundled_sites()) as server:
        status, _, body = get(server, "/robots.txt", host="www.valley-herald.example")
        assert status == 200
        assert b"User-agent: GPTBot" in body
        assert get(server, "/robots.txt", host="www.tideline-tools.example")[0] == 503


def test_demo_report_says_what_each_site_expects() -> None:
    """``crawlcheck demo``'s real report: verdicts, agent states, signals, problems."""
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    done = subprocess.run(
        [sys.executable, "-m", "crawlcheck", "demo", "--format", "jsonl", "-o", "-"],
        capture_output=True,
        text=True,
        env=env,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    reports = {
        line["origin"].split("//", 1)[1]: line for line in map(json.loads, done.stdout.splitlines())
    }
    expectations = _demo_expectations()
    assert sorted(reports) == sorted(expectations)
    for host, expect in expectations.items():
        report = reports[host]
        assert report["verdicts"] == expect["verdicts"], host
        agents = expect.get("agents", {})
        assert {token: report["agents"][token]["robots"] for token in agents} == agents, host
        assert set(expect.get("signals", [])) <= {f["signal"] for f in report["findings"]}, host
        assert set(expect.get("problems", [])) <= {p["code"] for p in report["problems"]}, host
