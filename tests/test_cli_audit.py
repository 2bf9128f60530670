"""``audit`` as users and CI jobs meet it: terminal table, formats, summary, gates, order.

Real subprocess runs of the CLI through the fixture web (``http_proxy``), with pipes or on
a pseudo-terminal (tests/cliproc.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from cliproc import Terminal, environment, run_cli
from webfixture import FixtureWeb, load_sites

FIXTURES = Path(__file__).parent / "fixtureweb"
CHRONICLE = "http://www.daily-chronicle.example"  # ai-train partial, reachable
NORTHWIND = "http://archive.northwind-library.example"  # * Disallow: / → ai-train reserved
SLOW = "http://www.slow-river.example"  # robots.txt hangs
NOWHERE = "http://nowhere.example"  # not served: the proxy answers 502 to everything


@pytest.fixture(scope="module")
def web() -> Iterator[FixtureWeb]:
    names = ("daily-chronicle", "northwind-library", "slow-river", "harbor-weekly")
    sites = [site for name in names for site in load_sites(FIXTURES / f"{name}.yaml")]
    with FixtureWeb(sites) as served:
        yield served


def test_piped_output_stays_the_json_report_and_stderr_stays_quiet(web: FixtureWeb) -> None:
    result = run_cli(["audit", CHRONICLE, "--timeout", "5"], web.proxy_url)
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["schema"] == "crawlcheck.report/1"
    assert result.stderr == ""


def test_a_report_file_is_followed_by_the_summary_and_its_path(
    web: FixtureWeb, tmp_path: Path
) -> None:
    out = tmp_path / "report.md"
    result = run_cli(["audit", CHRONICLE, NORTHWIND, "-o", str(out)], web.proxy_url)
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert out.read_text(encoding="utf-8").startswith("# crawlcheck report")  # from .md
    summary, written = result.stderr.splitlines()
    assert summary.startswith("2 sites audited in ")
    assert summary.endswith("· ai-train: 1 reserved, 1 partial")
    assert written == f"report written to {out}"
    assert not (tmp_path / "report.md.checkpoint.jsonl").exists()


def test_fail_on_names_each_site_purpose_and_verdict_that_tripped(web: FixtureWeb) -> None:
    result = run_cli(
        ["audit", CHRONICLE, NORTHWIND, "--fail-on", "ai-train=partial,search=reserved"],
        web.proxy_url,
    )
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"crawlcheck: fail-on: {CHRONICLE}: ai-train is partial",
        f"crawlcheck: fail-on: {NORTHWIND}: search is reserved",
    ]


def test_an_unreachable_site_is_said_and_can_fail_ci(web: FixtureWeb) -> None:
    quiet = run_cli(["audit", NOWHERE, CHRONICLE, "--format", "jsonl"], web.proxy_url)
    assert quiet.returncode == 0
    (warning,) = quiet.stderr.splitlines()
    assert warning.startswith(f"crawlcheck: warning: {NOWHERE}: unreachable: robots.txt: HTTP 502")
    gated = run_cli(["audit", NOWHERE, CHRONICLE, "--fail-on", "unreachable"], web.proxy_url)
    assert gated.returncode == 1
    assert gated.stderr.splitlines()[-1] == f"crawlcheck: fail-on: {NOWHERE}: unreachable"


@pytest.mark.parametrize(
    ("value", "shown"),
    [("", "''"), ("ai-train=", "'ai-train='"), ("nope", "'nope'"), ("search=unreachable", "")],
)
def test_a_bad_gate_is_a_usage_error(value: str, shown: str) -> None:
    result = run_cli(["audit", "http://x.example", "--fail-on", value])
    assert result.returncode == 2
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"crawlcheck: error: audit: --fail-on: {shown}")


def test_a_bad_line_of_a_sites_file_names_the_file_and_line(tmp_path: Path) -> None:
    sites = tmp_path / "sites.txt"
    sites.write_text("# my sites\nhttp://a.example\n\nftp://b.example\n", encoding="utf-8")
    result = run_cli(["audit", "-i", str(sites)])
    assert result.returncode == 2
    assert result.stderr == (
        f"crawlcheck: error: audit: {sites}:4: not a host or an http(s) origin URL: "
        "'ftp://b.example'\n"
    )
    from_stdin = run_cli(["audit", "-i", "-"], stdin="a.example\n::\n")
    assert from_stdin.stderr.startswith("crawlcheck: error: audit: <stdin>:2: not a host")


def test_jsonl_is_in_input_order_with_one_report_per_origin(web: FixtureWeb) -> None:
    """The hanging site first: finished later, still written first; three spellings once."""
    same = [
        CHRONICLE,
        "http://WWW.Daily-Chronicle.example/",
        "http://www.daily-chronicle.example:80/y",
    ]
    result = run_cli(
        ["audit", SLOW, *same, NORTHWIND, "--format", "jsonl", "--timeout", "2"], web.proxy_url
    )
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["origin"] for line in lines] == [SLOW, CHRONICLE, NORTHWIND]
    assert lines[1]["inputs"] == same
    assert lines[1]["site"] == CHRONICLE


def test_a_terminal_gets_the_table_progress_and_summary(web: FixtureWeb) -> None:
    term = Terminal(["audit", CHRONICLE, NORTHWIND, NOWHERE], environment(web.proxy_url))
    assert term.finish() == 0
    text = term.text
    assert "audit: " in text  # the progress line, on stderr
    # What stays on the screen: each line after the progress line's last carriage return.
    shown = [line.split("\r")[-1] for line in text.split("\n")]
    lines = [line for line in shown if line.startswith(("SITE", "http"))]
    assert lines[0].split() == ["SITE", "tdm", "ai-train", "ai-input", "search", "NOTES"]
    rows = lines[1:]
    assert [row.split()[0] for row in rows] == [CHRONICLE, NORTHWIND, NOWHERE]
    assert "\x1b[" in rows[0]  # verdict words coloured on a terminal …
    assert rows[2].endswith("unreachable")
    assert shown[-2].startswith("3 sites audited in ")
    assert shown[-2].endswith("· 1 unreachable")


def test_no_color_keeps_the_words_and_drops_the_colour(web: FixtureWeb) -> None:
    term = Terminal(["audit", NORTHWIND], environment(web.proxy_url, NO_COLOR="1"))
    assert term.finish() == 0
    row = next(line for line in term.text.split("\n") if NORTHWIND in line)
    assert "\x1b[3" not in row
    assert "reserved" in row


def test_csv_is_one_row_per_site_or_the_long_form(web: FixtureWeb, tmp_path: Path) -> None:
    out = tmp_path / "report.csv"
    site = run_cli(["audit", CHRONICLE, NORTHWIND, "-o", str(out)], web.proxy_url)
    assert site.returncode == 0, site.stderr
    rows = [line for line in out.read_text(encoding="utf-8").splitlines() if "://" in line]
    assert len(rows) == 2
    long = run_cli(["audit", CHRONICLE, "-o", str(out), "--csv-layout", "long"], web.proxy_url)
    assert long.returncode == 0, long.stderr
    assert len(out.read_text(encoding="utf-8").splitlines()) > 10
