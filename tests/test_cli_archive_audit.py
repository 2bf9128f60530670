"""``audit --warc-out`` then ``audit --from-warc``: the report round-trips through its evidence.

Real subprocess runs of the CLI against the fixture web (``http_proxy``); the evidence
archive is checked with warcio's own validator (``warcio check`` recomputes every digest).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cliproc import run_cli
from webfixture import FixtureWeb, load_sites

FIXTURES = Path(__file__).parent / "fixtureweb"
NAMES = ("daily-chronicle", "northwind-library", "harbor-weekly", "meridian-press")
SITES = (
    "http://www.daily-chronicle.example",
    "http://archive.northwind-library.example",
    "http://www.harbor-weekly.example",
    "http://books.meridian-press.example",
)
_CITED = re.compile(r" \[archive (?:\w+ )?record [^\]]*\]$")


@pytest.fixture(scope="module")
def web() -> Iterator[FixtureWeb]:
    sites = [site for name in NAMES for site in load_sites(FIXTURES / f"{name}.yaml")]
    with FixtureWeb(sites) as served:
        yield served


@pytest.fixture(scope="module")
def recorded(web: FixtureWeb, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """One network audit with --warc-out: (its JSON report, its evidence archive)."""
    folder = tmp_path_factory.mktemp("evidence")
    report, archive = folder / "live.json", folder / "evidence.warc.gz"
    result = run_cli(
        [
            "audit",
            *SITES,
            "--media-sample",
            "0",
            "--timeout",
            "5",
            "--warc-out",
            str(archive),
            "-o",
            str(report),
        ],
        web.proxy_url,
    )
    assert result.returncode == 0, result.stderr
    return report, archive


def comparable(site: dict[str, Any]) -> dict[str, Any]:
    """Return what must round-trip: verdicts, agent states, findings (bar record citations)."""
    agents = {
        name: {k: v for k, v in agent.items() if k != "evidence"}
        | {"evidence": _CITED.sub("", agent.get("evidence", ""))}
        for name, agent in site["agents"].items()
    }
    findings = sorted(
        json.dumps(finding | {"evidence": _CITED.sub("", finding["evidence"])}, sort_keys=True)
        for finding in site["findings"]
    )
    return {
        "origin": site["origin"],
        "verdicts": site["verdicts"],
        "agents": agents,
        "findings": findings,
        "fetches": sorted(
            (f["url"], f["status"], f["final_url"], f["sha256"], f["error"])
            for f in site["fetches"]
        ),
    }


def test_the_evidence_archive_validates(recorded: tuple[Path, Path]) -> None:
    _, archive = recorded
    check = subprocess.run(
        [sys.executable, "-m", "warcio.cli", "check", "-v", str(archive)],
        capture_output=True,
        text=True,
        check=False,
    )
    if "No module named warcio.cli" in check.stderr:  # pragma: no cover - older warcio
        check = subprocess.run(
            ["warcio", "check", "-v", str(archive)], capture_output=True, text=True, check=False
        )
    assert check.returncode == 0, check.stdout + check.stderr
    from warcio.archiveiterator import ArchiveIterator

    with archive.open("rb") as handle:
        types = [record.rec_type for record in ArchiveIterator(handle)]
    assert types[0] == "warcinfo"
    assert {"request", "response", "metadata"} <= set(types)


def test_auditing_the_evidence_reproduces_the_report(recorded: tuple[Path, Path]) -> None:
    report, archive = recorded
    live = json.loads(report.read_text())["sites"]
    result = run_cli(["audit", "--format", "json", "--from-warc", str(archive)], None)
    assert result.returncode == 0, result.stderr
    replayed = {site["origin"]: site for site in json.loads(result.stdout)["sites"]}
    assert sorted(replayed) == sorted(site["origin"] for site in live)
    for site in live:
        again = replayed[site["origin"]]
        assert comparable(again) == comparable(site)
        # Every finding read from the archive names its record.
        for finding in again["findings"]:
            assert "[archive record <urn:uuid:" in finding["evidence"], finding


def test_sites_given_are_audited_from_the_archive_in_input_order(
    recorded: tuple[Path, Path],
) -> None:
    _, archive = recorded
    result = run_cli(
        ["audit", SITES[1], SITES[0], "--format", "jsonl", "--from-warc", str(archive)], None
    )
    assert result.returncode == 0, result.stderr
    origins = [json.loads(line)["origin"] for line in result.stdout.splitlines()]
    assert origins == [SITES[1], SITES[0]]


def test_a_site_the_archive_lacks_is_unknown_never_not_reserved(
    recorded: tuple[Path, Path],
) -> None:
    _, archive = recorded
    result = run_cli(
        ["audit", "http://absent.example", "--format", "json", "--from-warc", str(archive)], None
    )
    assert result.returncode == 0, result.stderr
    (site,) = json.loads(result.stdout)["sites"]
    assert set(site["verdicts"].values()) == {"unknown"}
    assert "archive.no-captures" in {p["code"] for p in site["problems"]}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["audit", "x.example", "--at", "2023-01-01"], "--at decides from archived captures"),
        (["audit", "--from-warc", "/nonexistent.warc"], "does not exist"),
        (["audit", "--from-warc", "{archive}", "--at", "yesterday"], "not a date"),
        (["audit", "--from-warc", "{archive}", "--window", "3w"], "--window"),
        (["audit", "--from-warc", "{archive}", "--warc-out", "x.warc.gz"], "--warc-out"),
    ],
)
def test_usage_errors_are_one_line_and_exit_2(
    recorded: tuple[Path, Path], args: list[str], message: str
) -> None:
    _, archive = recorded
    result = run_cli([a.replace("{archive}", str(archive)) for a in args], None)
    assert result.returncode == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
