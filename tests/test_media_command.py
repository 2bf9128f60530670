"""``crawlcheck media``: real subprocess runs over files and folders."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from media_support import VOCAB, data_mining, with_xmp


def _run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "crawlcheck", "media", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=cwd,
    )


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("export")
    (root / "sub").mkdir()
    with_xmp(root, "reserved.jpg", data_mining(VOCAB + "DMI-PROHIBITED-AIMLTRAINING"))
    with_xmp(root / "sub", "generative.png", data_mining(VOCAB + "DMI-PROHIBITED-GENAIMLTRAINING"))
    with_xmp(root / "sub", "open.webp", data_mining(VOCAB + "DMI-ALLOWED"))
    (root / "notes.txt").write_text("not an image")
    return root


def test_json_report(folder: Path) -> None:
    result = _run(str(folder), "--format", "json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["schema"] == "crawlcheck.media/1"
    files = document["files"]
    assert [Path(f["path"]).name for f in files] == ["reserved.jpg", "generative.png", "open.webp"]
    first = files[0]
    assert first["media_type"] == "image/jpeg"
    assert first["states"]["ai-train"] == "reserved"
    [finding] = first["findings"]
    assert set(finding) >= {"signal", "source", "effect", "purposes", "agents", "scope", "evidence"}
    assert finding["signal"] == "iptc-data-mining"
    assert finding["effect"] == "reserve"
    assert finding["purposes"] == ["ai-train"]
    assert "JPEG APP1" in finding["evidence"]
    assert "Generative AI/ML training only" in files[1]["findings"][0]["note"]
    assert files[2]["states"]["ai-train"] == "permitted"
    assert "1 file(s) in the folders given are not images" in result.stderr


def test_text_and_jsonl_and_csv(folder: Path) -> None:
    text = _run(str(folder / "reserved.jpg"))
    assert text.returncode == 0
    assert "ai-train: reserved" in text.stdout
    assert "data-mining=DMI-PROHIBITED-AIMLTRAINING" in text.stdout
    lines = _run(str(folder), "--format", "jsonl").stdout.splitlines()
    assert [json.loads(line)["states"]["ai-train"] for line in lines] == [
        "reserved",
        "reserved",
        "permitted",
    ]
    table = list(csv.DictReader(io.StringIO(_run(str(folder), "--format", "csv").stdout)))
    findings = [row for row in table if row["row_type"] == "finding"]
    assert {row["value"] for row in findings} == {
        "DMI-PROHIBITED-AIMLTRAINING",
        "DMI-PROHIBITED-GENAIMLTRAINING",
        "DMI-ALLOWED",
    }


def test_fail_on_missing_names_each_file(folder: Path) -> None:
    result = _run(str(folder), "--fail-on", "missing:ai-train", "--format", "jsonl")
    assert result.returncode == 1
    failed = [line for line in result.stderr.splitlines() if "missing:ai-train" in line]
    assert len(failed) == 1
    assert "open.webp: missing:ai-train (ai-train is permitted)" in failed[0]
    assert _run(str(folder / "sub"), "--fail-on", "missing:tdm").returncode == 1
    assert _run(str(folder / "reserved.jpg"), "--fail-on", "missing:ai-train").returncode == 0


def test_fail_on_permitted_and_unknown(folder: Path, tmp_path: Path) -> None:
    permitted = _run(str(folder), "--fail-on", "permitted:ai-train")
    assert permitted.returncode == 1
    assert "open.webp: permitted:ai-train" in permitted.stderr
    broken = tmp_path / "cut.jpg"
    broken.write_bytes((folder / "reserved.jpg").read_bytes()[:30])
    unknown = _run(str(broken), "--fail-on", "unknown")
    assert unknown.returncode == 1
    assert "cut.jpg: unknown (tdm is unknown)" in unknown.stderr


def test_output_file(folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    result = _run(str(folder), "--format", "json", "-o", str(out))
    assert result.returncode == 0
    assert result.stdout == ""
    assert len(json.loads(out.read_text())["files"]) == 3


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["/nonexistent/x.jpg"], "cannot read '/nonexistent/x.jpg'"),
        (["http:///a.jpg"], "URL 'http:///a.jpg'"),
        (["{folder}", "--fail-on", "missing"], "needs a purpose"),
        (["{folder}", "--fail-on", "absent:ai-train"], "is not KIND:PURPOSE"),
        (["{folder}", "--c2pa-trust", "{folder}/notes.txt"], "no PEM certificate"),
    ],
)
def test_usage_errors_exit_2(folder: Path, args: list[str], message: str) -> None:
    result = _run(*(a.format(folder=folder) for a in args))
    assert result.returncode == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
