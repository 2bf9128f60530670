"""Tests for ``crawlcheck agents`` (crawlcheck/commands/agents.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from crawlcheck.cli import main
from crawlcheck.ruleset import load_ruleset

RULES = Path(__file__).parent / "data" / "rules"


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["agents", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_text_table_is_aligned_and_ends_with_the_source(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys)
    assert (code, err) == (0, "")
    lines = out.splitlines()
    header = lines[0]
    assert header.split() == [
        "TOKEN",
        "OPERATOR",
        "PURPOSES",
        "RESPECTS",
        "ROBOTS.TXT",
        "VALID",
        "TOKEN",
    ]
    rows = lines[1 : lines.index("")]
    assert len(rows) == len(load_ruleset().agents)
    column = header.index("PURPOSES")
    gptbot = next(row for row in rows if row.startswith("GPTBot "))
    assert gptbot[column:].split() == ["ai-train", "yes", "yes"]
    assert next(row for row in rows if row.startswith("ChatGPT Agent ")).endswith(" no")
    assert all(row[column - 2 : column] == "  " and row[column] != " " for row in rows)
    footer = lines[-1]
    assert footer.startswith(f"{len(rows)} agents; source: ")
    assert "738c80d" in footer
    assert "dataset date 2026-08-22, curated 2026-11-26" in footer


def test_purpose_filter(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "--purpose", "search")
    assert code == 0
    tokens = [line.split()[0] for line in out.splitlines()[1:] if line and not line[0].isdigit()]
    assert {"Googlebot", "OAI-SearchBot"} <= set(tokens)
    assert "GPTBot" not in tokens


def test_json_lists_every_field(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "--format", "json", "--purpose", "ai-train")
    assert code == 0
    doc = json.loads(out)
    assert doc["date"] == "2026-08-22"
    assert doc["purpose"] == "ai-train"
    assert doc["count"] == len(doc["agents"]) == len(load_ruleset().agents_for("ai-train"))
    gptbot = next(agent for agent in doc["agents"] if agent["token"] == "GPTBot")
    assert gptbot["purposes"] == ["ai-train"]
    assert gptbot["valid_token"] is True
    assert set(gptbot) >= {"operator", "respects_robots", "docs_url", "category", "aliases", "note"}


def test_rules_files_are_layered(capsys: pytest.CaptureFixture[str]) -> None:
    override = str(RULES / "good" / "override.yaml")
    code, out, _ = _run(capsys, "--format", "json", "--rules", override)
    assert code == 0
    doc = json.loads(out)
    assert doc["count"] == len(load_ruleset().agents) + 2
    assert override in doc["source"]
    example = next(agent for agent in doc["agents"] if agent["token"] == "ExampleBot")
    assert example["aliases"] == ["Example-Bot"]
    second = str(RULES / "good" / "second.yaml")
    code, out, _ = _run(capsys, "--rules", override, "--rules", second, "--purpose", "search")
    assert code == 0
    assert any(line.startswith("examplebot ") for line in out.splitlines())


def test_bad_rules_file_is_one_line_and_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    bad = RULES / "bad" / "unknown_purpose.yaml"
    code, out, err = _run(capsys, "--rules", str(bad))
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith(f"crawlcheck: error: agents: {bad}: agents[0].purposes[1]: ")


def test_unknown_purpose_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(capsys, "--purpose", "training")
    assert code == 2
    assert "--purpose" in err


def test_python_dash_m_runs_the_same_command() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "crawlcheck", "agents", "--format", "json"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["count"] == len(load_ruleset().agents)
