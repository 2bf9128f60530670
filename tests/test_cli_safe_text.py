"""Terminal escapes from remote files never reach a terminal raw (issue 7), and --agent."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cliproc import run_cli

from crawlcheck.safe_text import dumps, safe_text

HOSTILE = (
    "User-agent: \x1b]0;owned\x07GPTBot\x1b[2J\n"
    "Disallow: /\x9b31mred\n"
    "Content-Signal: ai-train=no \u202eevil\u202c\n"
    "User-agent: *\nDisallow: /private\n"
)
RAW = ("\x1b", "\x07", "\x9b", "\u202e", "\u202c")


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("a\x1b[31mb", "a\\x1b[31mb"),
        ("\x1b]8;;http://x\x07y", "\\x1b]8;;http://x\\x07y"),
        ("a\x9bb\x85c", "a\\x9bb\\x85c"),
        ("a\nb\rc\td", "a\\x0ab\\x0dc\\x09d"),
        ("abc\u202edcba\u2066x\u2069", "abc\\u202edcba\\u2066x\\u2069"),
        ("zero\u200bwidth\ufeff", "zero\\u200bwidth\\ufeff"),
        ("line\u2028sep", "line\\u2028sep"),
        ("café → 日本 ✓", "café → 日本 ✓"),
    ],
)
def test_safe_text_shows_every_unsafe_character_as_an_escape(text: str, shown: str) -> None:
    assert safe_text(text) == shown


def test_json_keeps_the_value_and_escapes_what_a_terminal_would_obey() -> None:
    value = {"e": "a\x1bb\x9bc\u2028d\u202ee\x7f"}
    text = dumps(value)
    assert json.loads(text) == value
    assert not any(ch in text for ch in ("\x1b", "\x9b", "\u2028", "\u202e", "\x7f"))


def test_robots_table_and_lint_are_inert(tmp_path: Path) -> None:
    robots = tmp_path / "robots.txt"
    robots.write_text(HOSTILE, encoding="utf-8")
    result = run_cli(["robots", str(robots)])
    assert result.returncode == 0, result.stderr
    assert not any(ch in result.stdout for ch in RAW)
    assert "\\x1b]0;owned\\x07GPTBot" in result.stdout  # shown, not obeyed
    as_json = run_cli(["robots", str(robots), "--format", "json"])
    assert not any(ch in as_json.stdout for ch in RAW)
    assert json.loads(as_json.stdout)["file"] == str(robots)


def test_robots_urls_say_which_agent_group_and_line_decided(tmp_path: Path) -> None:
    robots = tmp_path / "robots.txt"
    robots.write_text("User-agent: GPTBot\nDisallow: /private\n", encoding="utf-8")
    url = "https://a.example/private/1"
    result = run_cli(["robots", str(robots), "--agent", "GPTBot/1.2", url])
    assert result.returncode == 1
    assert result.stdout == f"disallowed {url}\n"  # the contract's line, unchanged
    note, why = result.stderr.splitlines()
    assert note.startswith("crawlcheck: warning: --agent: using the product token 'GPTBot'")
    assert why == (
        "  GPTBot: disallowed by line 2 (Disallow: /private) in its own group "
        "(group line 1: User-agent: GPTBot)"
    )


def test_a_typo_in_agent_warns_with_the_nearest_names(tmp_path: Path) -> None:
    robots = tmp_path / "robots.txt"
    robots.write_text("User-agent: GPTBot\nDisallow: /\n", encoding="utf-8")
    result = run_cli(["robots", str(robots), "--agent", "GTPBot", "https://a.example/"])
    assert result.returncode == 0  # GTPBot is not GPTBot: allowed, and the user is told
    assert "'GTPBot' is not in the AI agent catalogue (did you mean GPTBot" in result.stderr


def test_an_agent_without_a_token_is_refused(tmp_path: Path) -> None:
    robots = tmp_path / "robots.txt"
    robots.write_text("User-agent: *\nDisallow: /\n", encoding="utf-8")
    result = run_cli(["robots", str(robots), "--agent", "123", "https://a.example/"])
    assert result.returncode == 2
    assert result.stderr.startswith("crawlcheck: error: robots: --agent: '123' has no product")
