"""SSRF: a site cannot send crawlcheck to loopback, private, link-local or metadata addresses.

The rule (crawlcheck.addresses) on its own, then real runs against a hostile site served on
127.0.0.1 whose robots.txt, pages and redirects point at a second loopback server (the
"secret", which records every hit) and at cloud metadata addresses. The crawl goes direct
to 127.0.0.1 and the machine's own host name (``no_proxy``) and through the fixture web's
proxy for everything else, so even a broken guard sends nothing past this machine: a
metadata request would only reach the fixture web's log.
"""

from __future__ import annotations

import ipaddress
import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from webfixture import FixtureWeb, parse_site

from crawlcheck.addresses import address_refusal, host_refusal, url_refusal

HERE = Path(__file__).parent
METADATA = "http://169.254.169.254/latest/meta-data/"
HOSTNAME = socket.gethostname().lower()


def _own_name_is_local() -> bool:
    try:
        address = ipaddress.ip_address(socket.gethostbyname(HOSTNAME))
    except (OSError, ValueError):
        return False
    return address_refusal(address) is not None


# -- the rule --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "why"),
    [
        ("127.0.0.1", "loopback"),
        ("127.1", "loopback"),  # inet_aton's short form
        ("2130706433", "loopback"),  # one decimal number
        ("0x7f.0.0.1", "loopback"),
        ("0177.0.0.1", "loopback"),  # octal
        ("[::1]", "loopback"),
        ("::ffff:127.0.0.1", "loopback"),  # IPv4-mapped IPv6
        ("0.0.0.0", "unspecified"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("fd12:3456::1", "private"),  # RFC 4193 unique local
        ("169.254.1.1", "link-local"),
        ("fe80::1", "link-local"),
        ("100.64.0.1", "carrier-grade NAT"),
        ("169.254.169.254", "metadata"),
        ("fd00:ec2::254", "metadata"),
        ("100.100.100.200", "metadata"),
        ("64:ff9b::a9fe:a9fe", "metadata"),  # NAT64 form of 169.254.169.254
        ("2002:a9fe:a9fe::", "metadata"),  # 6to4 form
        ("224.0.0.1", "multicast"),
        ("240.0.0.1", "reserved"),
        ("metadata.google.internal", "metadata"),
        ("metadata.goog", "metadata"),
        ("instance-data", "metadata"),
        ("localhost", "this machine"),
        ("api.localhost", "this machine"),
        ("printer.local", "private network"),
        ("db.corp.internal", "private network"),
        ("router.home.arpa", "private network"),
        ("127%2e0.0.1", "loopback"),  # percent-encoded
        ("LOCALHOST.", "this machine"),  # case and the root's dot
    ],
)
def test_non_public_hosts_are_refused_with_a_reason(host: str, why: str) -> None:
    reason = host_refusal(host)
    assert reason is not None
    assert why in reason


@pytest.mark.parametrize(
    "host", ["93.184.215.14", "8.8.8.8", "2606:4700::1111", "example.com", "internal.example.com"]
)
def test_public_addresses_and_ordinary_names_pass(host: str) -> None:
    assert host_refusal(host) is None


def test_the_audited_origin_itself_is_always_fetched() -> None:
    site = "http://127.0.0.1:8080"
    assert url_refusal("http://127.0.0.1:8080/robots.txt", site) is None
    assert url_refusal("http://127.0.0.1:8081/admin", site) is not None  # another service
    assert url_refusal("http://localhost:8080/", site) is not None  # another name
    assert url_refusal(METADATA, "https://example.com") is not None
    assert url_refusal(METADATA, "https://example.com", allow_private=True) is None
    assert url_refusal("not a url", "https://example.com") is None  # the fetch fails itself


# -- real runs ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def secret() -> Iterator[FixtureWeb]:
    """The second loopback server: every path answers, every hit is logged."""
    page = {"body": "<rsl><content url='/'><license><prohibits type='usage'>all</prohibits>"}
    sites = [
        parse_site({"host": host, "resources": {"*": page}})
        for host in sorted({"127.0.0.1", HOSTNAME})
    ]
    with FixtureWeb(sites) as web:
        yield web


@pytest.fixture(scope="module")
def hostile(secret: FixtureWeb) -> Iterator[FixtureWeb]:
    """The audited site on 127.0.0.1, pointing at the secret server and at metadata hosts."""
    port = secret.port
    robots = (
        "User-agent: *\nAllow: /\n"
        f"License: {METADATA}\n"
        f"License: http://127.0.0.1:{port}/licence.xml\n"
        f"Sitemap: http://127.0.0.1:{port}/secret\n"
    )
    home = (
        "<html><head>"
        f'<link rel="license" type="application/rsl+xml" href="http://{HOSTNAME}:{port}/named.xml">'
        '</head><body><a href="/a">a</a></body></html>'
    )
    site = {
        "host": "127.0.0.1",
        "resources": {
            "/robots.txt": {"body": robots},
            "/": {"body": home, "content_type": "text/html"},
            "/ai.txt": {"redirect": {"to": f"http://0x7f.0.0.1:{port}/ai-secret"}},
            "/.well-known/tdmrep.json": {
                "redirect": {"to": "http://metadata.google.internal/computeMetadata/v1/"}
            },
            "*": {"body": "<html>a page</html>", "content_type": "text/html"},
        },
    }
    # The hosts a broken guard would reach through the proxy: only the log would see them.
    decoys = [
        parse_site({"host": host, "resources": {"*": {"body": "secret"}}})
        for host in ("169.254.169.254", "metadata.google.internal", "0x7f.0.0.1")
    ]
    with FixtureWeb([parse_site(site), *decoys]) as web:
        yield web


def _env(proxy: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k.lower() not in ("http_proxy", "no_proxy")}
    env["http_proxy"] = proxy
    env["no_proxy"] = f"127.0.0.1,localhost,{HOSTNAME}"
    return env


def _audit(hostile: FixtureWeb, secret: FixtureWeb, *extra: str) -> dict[str, Any]:
    """Return the report of one audit of the hostile site, with who was hit during it."""
    hostile.clear_log()
    secret.clear_log()
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "crawlcheck",
            "audit",
            f"http://127.0.0.1:{hostile.port}",
            "--format",
            "json",
            "--timeout",
            "10",
            *extra,
        ],
        capture_output=True,
        text=True,
        env=_env(hostile.proxy_url),
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    [report] = json.loads(result.stdout)["sites"]
    return {
        "report": report,
        "secret_hits": secret.requests,
        "hostile_hosts": {r.host for r in hostile.requests},
    }


@pytest.fixture(scope="module")
def refused(hostile: FixtureWeb, secret: FixtureWeb) -> dict[str, Any]:
    """One audit with the default rule."""
    return _audit(hostile, secret)


def test_audit_refuses_what_a_site_points_to_and_says_why(
    refused: dict[str, Any], secret: FixtureWeb
) -> None:
    report = refused["report"]
    assert refused["secret_hits"] == []
    assert refused["hostile_hosts"] == {"127.0.0.1"}
    blocked = {
        p["source"]: p["message"]
        for p in report["problems"]
        if p["code"] == "crawl.blocked-address"
    }
    port = secret.port
    assert "cloud instance-metadata address" in blocked[METADATA]
    assert "loopback" in blocked[f"http://127.0.0.1:{port}/licence.xml"]
    assert "loopback" in blocked[f"http://127.0.0.1:{port}/secret"]  # the sitemap
    assert "loopback" in blocked[f"http://0x7f.0.0.1:{port}/ai-secret"]  # a redirect hop
    assert "metadata" in blocked["http://metadata.google.internal/computeMetadata/v1/"]
    licences = {f["url"]: f for f in report["fetches"] if f["url"] == METADATA}
    assert licences[METADATA]["error"] == "blocked-address"
    # A licence that could not be read leaves what it reserves unknown (fail closed).
    assert report["verdicts"]["ai-train"] == "unknown"


@pytest.mark.skipif(not _own_name_is_local(), reason="this machine's name is not local")
def test_a_name_resolving_to_loopback_is_refused_without_a_proxy(
    refused: dict[str, Any], secret: FixtureWeb
) -> None:
    assert not any(r.host == HOSTNAME for r in refused["secret_hits"])
    named = f"http://{HOSTNAME}:{secret.port}/named.xml"
    [problem] = [
        p
        for p in refused["report"]["problems"]
        if p["source"] == named and p["code"] == "crawl.blocked-address"
    ]
    assert f"{HOSTNAME} resolves to 127." in problem["message"]


def test_allow_private_addresses_fetches_them(hostile: FixtureWeb, secret: FixtureWeb) -> None:
    allowed = _audit(hostile, secret, "--allow-private-addresses")
    hits = {r.path for r in allowed["secret_hits"]}
    assert {"/secret", "/licence.xml"} <= hits
    assert not any(p["code"] == "crawl.blocked-address" for p in allowed["report"]["problems"])


def test_the_scrapy_addon_refuses_the_same_licences(
    hostile: FixtureWeb, secret: FixtureWeb
) -> None:
    def run(settings: dict[str, Any]) -> dict[str, Any]:
        config = {"urls": [f"http://127.0.0.1:{hostile.port}/a"], "settings": settings}
        result = subprocess.run(
            [sys.executable, str(HERE / "scrapy_addon_crawl.py"), json.dumps(config)],
            capture_output=True,
            text=True,
            env=_env(hostile.proxy_url),
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        return dict(json.loads(result.stdout))

    hostile.clear_log()
    secret.clear_log()
    seen = run({})
    assert secret.requests == []
    assert {r.host for r in hostile.requests} == {"127.0.0.1"}
    assert seen["stats"]["crawlcheck/site_file/blocked_address"] >= 3
    assert seen["dropped"] == [f"http://127.0.0.1:{hostile.port}/a"]  # unknown: fail closed
    assert seen["events"][0]["decision"] == "unknown"
    run({"CRAWLCHECK_ALLOW_PRIVATE_ADDRESSES": True})
    assert "/licence.xml" in {r.path for r in secret.requests}
