"""``filter`` on a terminal: a progress line on stderr, then the end-of-run summary."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from cliproc import Terminal, environment, run_cli
from webfixture import FixtureWeb, load_sites

FIXTURES = Path(__file__).parent / "fixtureweb"


@pytest.fixture(scope="module")
def web() -> Iterator[FixtureWeb]:
    with FixtureWeb(load_sites(FIXTURES / "daily-chronicle.yaml")) as served:
        yield served


def test_progress_then_summary_on_a_terminal(web: FixtureWeb, tmp_path: Path) -> None:
    urls = tmp_path / "urls.txt"
    urls.write_text(
        "http://www.daily-chronicle.example/a\nnope\nhttp://www.daily-chronicle.example/admin/\n",
        encoding="utf-8",
    )
    args = ["filter", "-i", str(urls), "--no-cache", "--agent", "Googlebot"]
    term = Terminal(args, environment(web.proxy_url), stdout_pipe=True)
    assert term.finish() == 0
    assert term.proc.stdout is not None
    with term.proc.stdout as stdout:
        assert stdout.read() == b"http://www.daily-chronicle.example/a\n"
    text = term.text
    assert "filter: " in text.split("crawlcheck: filter:")[0]  # the live line came first
    summary = next(line for line in text.split("\n") if "crawlcheck: filter:" in line)
    assert summary.split("\r")[-1].startswith("crawlcheck: filter: 3 URLs in ")
    assert "1 reserved, 1 allowed (kept), 0 unknown, 1 malformed (never kept)" in summary


def test_no_progress_when_stderr_is_not_a_terminal(web: FixtureWeb) -> None:
    result = run_cli(
        ["filter", "--no-cache", "--refresh"],
        web.proxy_url,
        stdin="http://www.daily-chronicle.example/a\n",
    )
    assert result.returncode == 0, result.stderr
    (line,) = result.stderr.splitlines()  # the summary only: no progress drawing
    assert line.startswith("crawlcheck: filter: 1 URLs in ")
    assert "\r" not in result.stderr
