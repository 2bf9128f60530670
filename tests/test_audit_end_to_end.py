"""End to end: the ``audit`` CLI in a subprocess, through ``http_proxy``, over the fixture web.

Every site of tests/fixtureweb/ states what the specs and the contract expect of it
(``expect:``); the real crawl's report must say exactly that.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from webfixture import FixtureWeb

from crawlcheck.demo.sites import SiteDef
from crawlcheck.report import load_schema

FIXTURES = Path(__file__).parent / "fixtureweb"


@pytest.fixture(scope="module")
def web() -> Iterator[FixtureWeb]:
    with FixtureWeb(paths=[FIXTURES]) as served:
        yield served


def _audited(web: FixtureWeb) -> list[SiteDef]:
    return [s for s in web.sites.values() if (s.expect or {}).get("verdicts")]


def _run_cli(
    args: list[str], proxy: str, timeout: float = 240.0
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "http_proxy": proxy, "https_proxy": proxy, "no_proxy": ""}
    return subprocess.run(
        [sys.executable, "-m", "crawlcheck", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        check=False,
    )


@pytest.fixture(scope="module")
def jsonl_reports(web: FixtureWeb, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Audit every fixture site once, via http_proxy, as JSON Lines."""
    sites = tmp_path_factory.mktemp("audit") / "sites.txt"
    sites.write_text("".join(f"http://{s.host}\n" for s in _audited(web)))
    result = _run_cli(
        ["audit", "-i", str(sites), "--format", "jsonl", "--timeout", "3"], web.proxy_url
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # silent when stderr is not a terminal
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    return {line["origin"].split("//", 1)[1]: line for line in lines}


def test_every_site_reported_once(web: FixtureWeb, jsonl_reports: dict[str, Any]) -> None:
    assert sorted(jsonl_reports) == sorted(s.host for s in _audited(web))


def test_reports_validate_against_the_schema(jsonl_reports: dict[str, Any]) -> None:
    schema = load_schema()
    for report in jsonl_reports.values():
        document = {
            "schema": "crawlcheck.report/1",
            "crawlcheck_version": "0",
            "generated_at": "2026-01-01T00:00:00Z",
            "agents_catalogue": {"source": "s", "date": "d", "count": 1},
            "sites": [report],
        }
        jsonschema.validate(document, schema)


def _expectations(kind: str) -> list[tuple[str, Any]]:
    from webfixture import load_sites

    return [
        (site.host, site.expect[kind])
        for site in load_sites(FIXTURES)
        if site.expect and site.expect.get(kind) and site.expect.get("verdicts")
    ]


@pytest.mark.parametrize(("host", "expected"), _expectations("verdicts"), ids=lambda v: str(v)[:40])
def test_verdicts(host: str, expected: dict[str, str], jsonl_reports: dict[str, Any]) -> None:
    report = jsonl_reports[host]
    assert report["verdicts"] == expected, report["verdict_reasons"]


@pytest.mark.parametrize(("host", "expected"), _expectations("agents"), ids=lambda v: str(v)[:40])
def test_agent_states(host: str, expected: dict[str, str], jsonl_reports: dict[str, Any]) -> None:
    agents = jsonl_reports[host]["agents"]
    assert {token: agents[token]["robots"] for token in expected} == expected


@pytest.mark.parametrize(("host", "expected"), _expectations("problems"), ids=lambda v: str(v)[:40])
def test_problem_codes(host: str, expected: list[str], jsonl_reports: dict[str, Any]) -> None:
    codes = {problem["code"] for problem in jsonl_reports[host]["problems"]}
    assert set(expected) <= codes


@pytest.mark.parametrize(("host", "expected"), _expectations("signals"), ids=lambda v: str(v)[:40])
def test_signals_found(host: str, expected: list[str], jsonl_reports: dict[str, Any]) -> None:
    signals = {finding["signal"] for finding in jsonl_reports[host]["findings"]}
    assert set(expected) <= signals


def test_robots_txt_first_and_user_agent(web: FixtureWeb, jsonl_reports: dict[str, Any]) -> None:
    """Contract "Network": robots.txt before any other request of a site, one User-Agent."""
    first: dict[str, str] = {}
    agents = set()
    for record in web.requests:
        first.setdefault(record.host, record.path)
        agents.add(record.user_agent)
    for host in jsonl_reports:
        assert first[host] == "/robots.txt", host
    assert len(agents) == 1
    (agent,) = agents
    assert agent is not None
    assert agent.startswith("crawlcheck/")
    assert "+http" in agent


def test_fail_on_gate_and_csv(web: FixtureWeb, tmp_path: Path) -> None:
    out = tmp_path / "report.csv"
    result = _run_cli(
        [
            "audit",
            "http://www.broken-kiln.example",
            "--format",
            "csv",
            "-o",
            str(out),
            "--fail-on",
            "ai-train=unknown",
            "--timeout",
            "3",
        ],
        web.proxy_url,
    )
    assert result.returncode == 1, result.stderr
    assert "unknown" in out.read_text()


def test_bad_site_is_a_usage_error_and_writes_nothing(web: FixtureWeb, tmp_path: Path) -> None:
    out = tmp_path / "kept.json"
    out.write_text("previous report\n")
    result = _run_cli(["audit", "ftp://nope", "-o", str(out)], web.proxy_url)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "ftp://nope" in result.stderr
    assert out.read_text() == "previous report\n"


def test_demo_writes_an_html_report(tmp_path: Path) -> None:
    out = tmp_path / "demo.html"
    result = _run_cli(["demo", "-o", str(out)], proxy="")
    assert result.returncode == 0, result.stderr
    html = out.read_text()
    assert "www.valley-herald.example" in html
    assert "reserved" in html
    assert "report written to" in result.stdout


def test_bare_host_falls_back_to_http_through_a_plain_proxy(web: FixtureWeb) -> None:
    """A bare host is tried over https; a proxy without CONNECT makes it audit http."""
    result = _run_cli(["audit", "blog.quiet-garden.example", "--timeout", "3"], web.proxy_url)
    assert result.returncode == 0, result.stderr
    (site,) = json.loads(result.stdout)["sites"]
    assert site["site"] == "blog.quiet-garden.example"
    assert site["origin"] == "http://blog.quiet-garden.example"
    assert any("https failed" in str(entry) for entry in site["skipped"])
