"""``crawlcheck diff OLD NEW``: changes between two reports, formats, gates, bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from crawlcheck.commands.diff import parse_diff_gates
from crawlcheck.diff import diff_reports
from crawlcheck.errors import UsageError
from crawlcheck.model import (
    AgentReport,
    Effect,
    Finding,
    SiteReport,
    Verdict,
)
from crawlcheck.report import ReportMeta, render


def finding(agent: str, evidence: str, *, key: str = "", value: str = "") -> Finding:
    return Finding(
        signal="robots.txt" if not key else "content-signal",
        source="https://a.example/robots.txt",
        effect=Effect.RESERVE if value != "yes" else Effect.PERMIT,
        purposes=("ai-train",),
        agents=(agent,),
        scope="/",
        evidence=evidence,
        key=key,
        value=value,
    )


def report(origin: str, ai_train: str, gptbot: str, findings: tuple[Finding, ...]) -> SiteReport:
    verdicts = tuple(
        Verdict(purpose=p, verdict=ai_train if p == "ai-train" else "not-reserved")
        for p in ("tdm", "ai-train", "ai-input", "search")
    )
    return SiteReport(
        site=origin,
        origin=origin,
        verdicts=verdicts,
        agents=(AgentReport(token="GPTBot", robots=gptbot, purposes=("ai-train",)),),
        findings=findings,
        fetches=(),
        problems=(),
    )


META = ReportMeta(
    generated_at="2026-01-01T00:00:00Z", catalogue_source="x", catalogue_date="d", catalogue_count=1
)


@pytest.fixture
def reports(tmp_path: Path) -> tuple[Path, Path]:
    old = [
        report(
            "https://a.example",
            "partial",
            "allowed",
            (
                finding("CCBot", "line 2: Disallow: /"),
                finding("*", "line 5: Content-Signal: ai-train=yes", key="ai-train", value="yes"),
            ),
        ),
        report("https://same.example", "not-reserved", "allowed", ()),
        report("https://gone.example", "unknown", "unreachable", ()),
    ]
    new = [
        report(
            "https://a.example",
            "reserved",
            "disallowed",
            (
                finding("CCBot", "line 9: Disallow: /"),  # moved: not a change
                finding("GPTBot", "line 2: Disallow: /"),
                finding("*", "line 5: Content-Signal: ai-train=no", key="ai-train", value="no"),
            ),
        ),
        report("https://same.example", "not-reserved", "allowed", ()),
        report("https://new.example", "reserved", "disallowed", ()),
    ]
    old_path, new_path = tmp_path / "old.json", tmp_path / "new.jsonl"
    old_path.write_text(render("json", old, META), encoding="utf-8")
    new_path.write_text(render("jsonl", new, META), encoding="utf-8")
    return old_path, new_path


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "crawlcheck", "diff", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def test_text_lists_what_changed_per_site(reports: tuple[Path, Path]) -> None:
    result = run(*map(str, reports))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "1 changed, 1 added, 1 removed, 1 unchanged" in out
    assert "verdict ai-train: partial -> reserved" in out
    assert "agent GPTBot: allowed -> disallowed" in out
    assert "+ finding robots.txt reserve [GPTBot] /: line 2: Disallow: /" in out
    assert "~ finding content-signal ai-train=no" in out
    assert "(was permit yes, now reserve no)" in out
    assert "CCBot" not in out  # a finding that only moved lines did not change
    assert "+ https://new.example (added)" in out
    assert "- https://gone.example (removed)" in out
    assert "same.example" not in out


def test_json_output(reports: tuple[Path, Path]) -> None:
    result = run(*map(str, reports), "--format", "json", "--all")
    data: dict[str, Any] = json.loads(result.stdout)
    assert data["schema"] == "crawlcheck.diff/1"
    sites = {s["origin"]: s for s in data["sites"]}
    assert sites["https://same.example"]["status"] == "unchanged"
    changed = sites["https://a.example"]
    assert changed["verdicts"] == {"ai-train": {"old": "partial", "new": "reserved"}}
    assert changed["agents"] == {"GPTBot": {"old": "allowed", "new": "disallowed"}}
    assert [f["agents"] for f in changed["findings"]["added"]] == [["GPTBot"]]
    assert changed["findings"]["changed"][0]["new"]["value"] == "no"
    assert sites["https://gone.example"]["status"] == "removed"


def test_markdown_output(reports: tuple[Path, Path]) -> None:
    out = run(*map(str, reports), "--format", "md").stdout
    assert out.startswith("## crawlcheck diff")
    assert "| verdict ai-train | partial | reserved |" in out


@pytest.mark.parametrize(
    ("gate", "code", "origins"),
    [
        ("ai-train=reserved", 1, {"https://a.example", "https://new.example"}),
        ("search=reserved", 0, set()),
        ("reserved", 1, {"https://a.example", "https://new.example"}),
        ("GPTBot=disallowed", 1, {"https://a.example", "https://new.example"}),
        ("sites", 1, {"https://new.example", "https://gone.example"}),
        ("findings", 1, {"https://a.example"}),
        ("any", 1, {"https://a.example", "https://new.example", "https://gone.example"}),
        ("unknown", 0, set()),
    ],
)
def test_fail_on_gates(reports: tuple[Path, Path], gate: str, code: int, origins: set[str]) -> None:
    result = run(*map(str, reports), "--fail-on", gate, "--format", "json")
    assert result.returncode == code
    failed = json.loads(result.stdout)["failed_gates"]
    assert {f["origin"] for f in failed} == origins


def test_identical_reports_change_nothing(reports: tuple[Path, Path]) -> None:
    old, _ = reports
    result = run(str(old), str(old), "--fail-on", "any")
    assert result.returncode == 0
    assert "0 changed, 0 added, 0 removed, 3 unchanged" in result.stdout


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is empty"),
        (b"{not json", "is not JSON"),
        (b'{"schema": "other/1", "sites": []}', "is not a crawlcheck.report/1 report"),
        (b"\xff\xfe\x00binary", "is not UTF-8"),
        (b"[1, 2]\n", "has no origin"),
    ],
)
def test_bad_input_is_one_line_exit_2(
    reports: tuple[Path, Path], tmp_path: Path, content: bytes, message: str
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_bytes(content)
    result = run(str(reports[0]), str(bad))
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert str(bad) in result.stderr
    assert message in result.stderr


def test_missing_file_and_bad_gate_exit_2(reports: tuple[Path, Path], tmp_path: Path) -> None:
    missing = run(str(reports[0]), str(tmp_path / "nope.json"))
    assert (missing.returncode, "nope.json" in missing.stderr) == (2, True)
    bad_gate = run(*map(str, reports), "--fail-on", "ai-train=maybe")
    assert bad_gate.returncode == 2
    assert "--fail-on" in bad_gate.stderr


def test_gate_parsing_shares_audit_verdict_syntax() -> None:
    gates = parse_diff_gates("ai-train:reserved, any ,GPTBot=restricted")
    assert [(g.kind, g.subject, g.value) for g in gates] == [
        ("verdict", "ai-train", "reserved"),
        ("any", None, None),
        ("agent", "GPTBot", "restricted"),
    ]
    with pytest.raises(UsageError):
        parse_diff_gates("nonsense")


def test_sites_are_matched_by_origin_not_input_text() -> None:
    old = [{"site": "a.example", "origin": "https://a.example", "verdicts": {"tdm": "partial"}}]
    new = [
        {
            "site": "https://a.example/",
            "origin": "https://a.example",
            "verdicts": {"tdm": "partial"},
        }
    ]
    assert [s.status for s in diff_reports(old, new).sites] == ["unchanged"]
