"""The offline ``crawlcheck robots`` command: per-URL answers, exit codes, the agent table."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib.resources import files
from pathlib import Path

import pytest

from crawlcheck.cli import main

EXAMPLE = str(files("crawlcheck") / "examples" / "robots.txt")


@pytest.fixture
def robots_file(tmp_path: Path) -> str:
    path = tmp_path / "robots.txt"
    path.write_text("User-agent: GPTBot\nDisallow: /private/\n\nUser-agent: *\nDisallow: /x\n")
    return str(path)


def test_urls_allowed_exit_0(robots_file: str, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["robots", robots_file, "--agent", "GPTBot", "https://a.example/public"])
    assert code == 0
    assert capsys.readouterr().out == "allowed https://a.example/public\n"


def test_any_url_disallowed_exit_1(robots_file: str, capsys: pytest.CaptureFixture[str]) -> None:
    urls = ["https://a.example/public", "https://a.example/private/1"]
    code = main(["robots", robots_file, "--agent", "GPTBot", *urls])
    assert code == 1
    assert capsys.readouterr().out.splitlines() == [
        "allowed https://a.example/public",
        "disallowed https://a.example/private/1",
    ]


def test_without_agent_any_catalogued_agent_of_the_purpose(
    robots_file: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Contract "Defaults": disallowed when any catalogued agent of the purpose is kept out."""
    code = main(["robots", robots_file, "https://a.example/x"])
    assert code == 1  # every ai-train agent without a group of its own falls to '*'
    assert capsys.readouterr().out == "disallowed https://a.example/x\n"


def test_json_explains_the_deciding_line(
    robots_file: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["robots", robots_file, "--agent", "GPTBot", "--format", "json", "/private/a"])
    assert code == 1
    data = json.loads(capsys.readouterr().out)
    agent = data["urls"][0]["agents"][0]
    assert agent == {
        "agent": "GPTBot",
        "allowed": False,
        "line": 2,
        "rule": "Disallow: /private/",
        "explanation": "disallowed by line 2 (Disallow: /private/) in its own group",
    }


def test_table_and_lint_of_the_bundled_example(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["robots", EXAMPLE]) == 0
    out = capsys.readouterr().out
    assert "GPTBot" in out
    assert "disallowed" in out
    assert "robots.agent-never-matches" in out  # AI2Bot is read as 'AI'
    assert "content-signal: search=yes, ai-train=no" in out


def test_table_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["robots", EXAMPLE, "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["agents"]["GPTBot"]["robots"] == "disallowed"
    assert data["agents"]["OAI-SearchBot"]["robots"] == "restricted"
    assert data["agents"]["GPTBot"]["evidence"].startswith("line 12: Disallow: /")


def test_missing_file_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["robots", str(tmp_path / "nope.txt"), "/x"])
    assert code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "nope.txt" in err


def test_unknown_option_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["robots", EXAMPLE, "--purpose", "cooking"]) == 2
    assert "--purpose" in capsys.readouterr().err


def test_stdin_in_a_subprocess() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "crawlcheck", "robots", "-", "--agent", "CCBot", "/a", "/b"],
        input=b"User-agent: CCBot\nDisallow: /b\n",
        capture_output=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 1
    assert result.stdout.decode().splitlines() == ["allowed /a", "disallowed /b"]
