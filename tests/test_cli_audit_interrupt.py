"""``audit -o`` stopped by SIGINT or SIGTERM keeps every finished site; ``--resume`` finishes.

A real audit in a subprocess on a pseudo-terminal, through the fixture web: one site
answers at once, one hangs. The test waits for the progress line to count the first site
(output, not time), then signals the process.
"""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from cliproc import Terminal, environment, run_cli
from webfixture import FixtureWeb, load_sites

FIXTURES = Path(__file__).parent / "fixtureweb"
FAST = "http://www.daily-chronicle.example"
HANGING = "http://www.slow-river.example"  # robots.txt never answers


@pytest.fixture
def web() -> Iterator[FixtureWeb]:
    sites = [
        *load_sites(FIXTURES / "daily-chronicle.yaml"),
        *load_sites(FIXTURES / "slow-river.yaml"),
    ]
    with FixtureWeb(sites) as served:
        yield served


def _robots_fetches(web: FixtureWeb, host: str) -> int:
    return sum(1 for r in web.requests if r.host == host and r.path == "/robots.txt")


@pytest.mark.parametrize(
    ("signum", "code", "name", "group"),
    [
        # Ctrl-C: the terminal signals the whole process group, the crawl's child too.
        (signal.SIGINT, 130, "report.json", True),
        (signal.SIGTERM, 143, "report.html", False),
        (signal.SIGTERM, 143, "report.jsonl", False),
    ],
)
def test_an_interrupted_audit_keeps_finished_sites_and_resume_finishes_it(
    web: FixtureWeb, tmp_path: Path, signum: int, code: int, name: str, group: bool
) -> None:
    out = tmp_path / name
    checkpoint = tmp_path / f"{name}.checkpoint.jsonl"
    args = ["audit", HANGING, FAST, "-o", str(out)]
    term = Terminal([*args, "--timeout", "120"], environment(web.proxy_url), new_session=group)
    term.wait_for("1/2")  # the fast site has finished; the hanging one is in flight
    if group:
        os.killpg(term.proc.pid, signum)
    else:
        term.proc.send_signal(signum)
    assert term.finish() == code
    last = term.text.strip().split("\n")[-1].split("\r")[-1]
    assert last == (
        f"crawlcheck: interrupted: 1 of 2 sites finished are kept in {checkpoint}; "
        "run the same command with --resume to finish"
    )
    lines = checkpoint.read_text(encoding="utf-8").splitlines()
    assert json.loads(lines[0])["schema"] == "crawlcheck.checkpoint/1"
    assert [json.loads(line)["origin"] for line in lines[1:]] == [FAST]
    if name != "report.jsonl":
        assert not out.exists()  # never a partial report where a whole one is expected

    # Without --resume the checkpoint is not thrown away.
    refused = run_cli(args, web.proxy_url)
    assert refused.returncode == 2
    assert f"{checkpoint} holds the sites of an interrupted run: add --resume" in refused.stderr

    before = _robots_fetches(web, "www.daily-chronicle.example")
    resumed = run_cli([*args, "--resume", "--timeout", "1", "--format", "json"], web.proxy_url)
    assert resumed.returncode == 0, resumed.stderr
    assert _robots_fetches(web, "www.daily-chronicle.example") == before  # not audited again
    sites = json.loads(out.read_text(encoding="utf-8"))["sites"]
    assert [s["origin"] for s in sites] == [HANGING, FAST]  # input order
    assert not checkpoint.exists()


def test_a_damaged_checkpoint_line_is_audited_again(web: FixtureWeb, tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    first = run_cli(["audit", FAST, "-o", str(out), "--format", "jsonl"], web.proxy_url)
    assert first.returncode == 0, first.stderr
    site = out.read_text(encoding="utf-8")
    checkpoint = tmp_path / "report.json.checkpoint.jsonl"
    header = json.dumps({"schema": "crawlcheck.checkpoint/1", "command": ""})
    checkpoint.write_text(f"{header}\n{site}{site[: len(site) // 2]}", encoding="utf-8")
    before = _robots_fetches(web, "www.daily-chronicle.example")
    result = run_cli(
        ["audit", FAST, HANGING, "-o", str(out), "--resume", "--timeout", "1"], web.proxy_url
    )
    assert result.returncode == 0, result.stderr
    assert _robots_fetches(web, "www.daily-chronicle.example") == before
    assert [s["origin"] for s in json.loads(out.read_text())["sites"]] == [FAST, HANGING]


def test_a_file_that_is_not_a_checkpoint_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    (tmp_path / "report.json.checkpoint.jsonl").write_text("hello\n", encoding="utf-8")
    result = run_cli(["audit", FAST, "-o", str(out), "--resume"])
    assert result.returncode == 2
    assert "is not a crawlcheck checkpoint" in result.stderr


def test_resume_needs_an_output_file() -> None:
    result = run_cli(["audit", FAST, "--resume"])
    assert result.returncode == 2
    assert result.stderr == (
        "crawlcheck: error: audit: --resume needs -o PATH: the checkpoint is kept beside "
        "the report\n"
    )
