"""Every command's --help shows every option's default; every error has one prefix."""

from __future__ import annotations

import argparse

import pytest
from cliproc import run_cli

from crawlcheck.cli import COMMANDS, build_parser


def _commands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    (sub,) = (a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(sub.choices)


@pytest.mark.parametrize("name", COMMANDS)
def test_every_option_says_its_default(name: str) -> None:
    for action in _commands()[name]._actions:
        if not action.option_strings or isinstance(action, argparse._HelpAction):
            continue
        assert "default" in (action.help or ""), (name, action.option_strings)


def test_help_shows_the_defaults_of_the_crawl_options() -> None:
    result = run_cli(["audit", "--help"])
    assert result.returncode == 0
    text = " ".join(result.stdout.split())
    for shown in ("(default: 64)", "(default: 15)", "(default: 5)", "(default: none)"):
        assert shown in text


@pytest.mark.parametrize(
    ("args", "start"),
    [
        (["audit", "--timeout", "0"], "crawlcheck: error: audit: argument --timeout: must be"),
        (["audit"], "crawlcheck: error: audit: no sites to audit"),
        (["check", "ftp://x"], "crawlcheck: error: check: URL 'ftp://x': "),
        (["check", "http://x.example/", "--agent", "123"], "crawlcheck: error: check: --agent: "),
        (["filter", "--agent", ""], "crawlcheck: error: filter: --agent: empty"),
        (["robots", "/nonexistent/robots.txt"], "crawlcheck: error: robots: cannot read"),
        (["agents", "--rules", "/nonexistent.yaml"], "crawlcheck: error: agents: /nonexistent"),
        (["nope"], "crawlcheck: error: argument COMMAND: invalid choice: 'nope'"),
    ],
)
def test_every_error_is_one_line_with_one_prefix(args: list[str], start: str) -> None:
    result = run_cli(args)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith(start), result.stderr
    assert result.stderr.count("crawlcheck:") == 1


def test_a_huge_rules_file_fails_fast_naming_it(tmp_path: object) -> None:
    from pathlib import Path

    huge = Path(str(tmp_path)) / "huge.yaml"
    with huge.open("wb") as handle:
        handle.truncate(100 * 1024 * 1024)
    result = run_cli(["robots", "-", "--rules", str(huge)], stdin="User-agent: *\n")
    assert result.returncode == 2
    assert result.stderr == (
        f"crawlcheck: error: robots: {huge}: (document): larger than 2 MiB, the limit for a "
        "rules file (the shipped catalogue is under 64 KiB)\n"
    )
