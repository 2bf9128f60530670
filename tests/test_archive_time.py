"""Decisions at a time: a history of robots.txt captures gives the right answer at each --at.

The history is written by warcio's own writer (tests/archive_history.py), built into a
snapshot by ``snapshot build --from-warc`` (a real CLI run), then asked through the Python
API (``UrlChecker(at=…)``, ``decide_rows(times=…)``) and the CLI (``check``, ``filter``).
"""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest
from archive_history import EXPECTED, ORIGIN, write_history
from cliproc import run_cli

from crawlcheck.archive.captures import parse_warc_date
from crawlcheck.archive.moment import CAPTURE_KEY, OUTSIDE_WINDOW
from crawlcheck.decide.checker import UrlChecker
from crawlcheck.errors import UsageError
from crawlcheck.model import Problem
from crawlcheck.snapshot import Snapshot
from crawlcheck.tables.batch import decide_rows


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_history(tmp_path_factory.mktemp("history") / "history.warc.gz")


@pytest.fixture(scope="module")
def snapshot(archive: Path) -> Path:
    out = archive.parent / "snapshot"
    result = run_cli(["snapshot", "build", "-o", str(out), "--from-warc", str(archive)])
    assert result.returncode == 0, result.stderr
    assert "1 origin(s), 4 capture(s)" in result.stderr
    return out


def moment(text: str) -> datetime.datetime:
    stamp = parse_warc_date(text)
    assert stamp is not None
    return stamp


def test_the_snapshot_keeps_every_capture(snapshot: Path) -> None:
    with Snapshot(snapshot) as opened:
        captures = opened.captures(ORIGIN)
    assert len(captures) == 4
    assert all(c.source.startswith("archive ") for c in captures)
    robots = [c.fetches.robots for c in captures]
    assert [doc.status for doc in robots if doc is not None] == [200, 200, 500, 200]
    assert all(doc is not None and doc.record is not None for doc in robots)


@pytest.mark.parametrize(("at", "expected"), EXPECTED)
def test_each_moment_gets_the_capture_in_force(snapshot: Path, at: str, expected: str) -> None:
    with UrlChecker("GPTBot", "ai-train", snapshot=snapshot, at=moment(at)) as checker:
        (decision,) = checker.check([f"{ORIGIN}/page"])
    assert decision.decision == expected, decision
    captured = [r for r in decision.reasons if r.key == CAPTURE_KEY]
    if expected == "unknown" and not captured:
        assert decision.problems  # why: no capture, or none in the window
        return
    # The output names the capture that decided: its WARC-Record-ID and date.
    robots = next(r for r in captured if r.signal == "robots.txt")
    assert robots.value.startswith("<urn:uuid:")
    assert "archive record <urn:uuid:" in robots.evidence


def test_a_reservation_cites_its_record(snapshot: Path) -> None:
    with UrlChecker("GPTBot", snapshot=snapshot, at=moment("2023-03-20")) as checker:
        (decision,) = checker.check([f"{ORIGIN}/x"])
    (disallow,) = [r for r in decision.reasons if r.effect == "reserve"]
    assert "Disallow: /" in disallow.evidence
    assert "2023-03-01T00:00:00Z" in disallow.evidence
    assert "[archive record <urn:uuid:" in disallow.evidence


def test_a_wider_window_lets_an_old_capture_speak(snapshot: Path) -> None:
    late = moment("2023-09-15")
    with UrlChecker("GPTBot", snapshot=snapshot, at=late) as checker:
        (strict,) = checker.check([f"{ORIGIN}/"])
    assert strict.decision == "unknown"
    assert OUTSIDE_WINDOW in {p.code for p in strict.problems}
    wide = datetime.timedelta(days=90)
    with UrlChecker("GPTBot", snapshot=snapshot, at=late, freshness=wide) as checker:
        (relaxed,) = checker.check([f"{ORIGIN}/"])
    assert relaxed.decision == "allowed"


def test_rows_are_decided_at_their_own_times(snapshot: Path) -> None:
    times: list[datetime.datetime | Problem] = [moment(at) for at, _ in EXPECTED]
    times.append(Problem(code="time.unreadable", message="no date", source="t", level="error"))
    urls = [f"{ORIGIN}/p{n}" for n in range(len(times))]
    with UrlChecker("GPTBot", snapshot=snapshot) as checker:
        decided = decide_rows(checker, urls, times=times)
    got = [decided.decision(row).decision for row in range(len(urls))]
    assert got == [expected for _, expected in EXPECTED] + ["unknown"]


def test_at_needs_a_snapshot_and_an_aware_time() -> None:
    with pytest.raises(UsageError, match="--snapshot"):
        UrlChecker(at=moment("2023-01-01"), cache=None)
    with pytest.raises(UsageError, match="timezone"):
        UrlChecker(at=datetime.datetime(2023, 1, 1), cache=None)


@pytest.mark.parametrize(("at", "expected"), [EXPECTED[2], EXPECTED[5]])
def test_check_at_on_the_command_line(snapshot: Path, at: str, expected: str) -> None:
    result = run_cli(
        [
            "check",
            f"{ORIGIN}/a",
            "--agent",
            "GPTBot",
            "--snapshot",
            str(snapshot),
            "--at",
            at,
            "--format",
            "json",
        ]
    )
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["decision"] == expected
    assert any(r["key"] == CAPTURE_KEY for r in document["reasons"])


def test_filter_at_column_decides_each_row_at_its_date(snapshot: Path, tmp_path: Path) -> None:
    table = tmp_path / "rows.csv"
    lines = ["url,fetched"] + [f"{ORIGIN}/r{n},{at}" for n, (at, _) in enumerate(EXPECTED)]
    table.write_text("\n".join([*lines, f"{ORIGIN}/bad,not a date"]) + "\n")
    result = run_cli(
        [
            "filter",
            "-i",
            str(table),
            "--column",
            "url",
            "--agent",
            "GPTBot",
            "--snapshot",
            str(snapshot),
            "--at-column",
            "fetched",
            "--format",
            "jsonl",
        ]
    )
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["decision"] for r in rows] == [e for _, e in EXPECTED] + ["unknown"]
    assert rows[-1]["problems"][0]["code"] == "time.unreadable"


def test_filter_at_column_reads_parquet_timestamps(snapshot: Path, tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    when = [moment(at) for at, _ in EXPECTED]
    table = pa.table({"url": [f"{ORIGIN}/q{n}" for n in range(len(when))], "ts": pa.array(when)})
    source, out = tmp_path / "in.parquet", tmp_path / "out.parquet"
    pq.write_table(table, source)
    result = run_cli(
        [
            "filter",
            "-i",
            str(source),
            "--column",
            "url",
            "--agent",
            "GPTBot",
            "--snapshot",
            str(snapshot),
            "--at-column",
            "ts",
            "-o",
            str(out),
        ]
    )
    assert result.returncode == 0, result.stderr
    decisions = pq.read_table(out).column("decision").to_pylist()
    assert decisions == [e for _, e in EXPECTED]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["check", "http://x.example/", "--at", "2023-01-01"], "--at decides from archived"),
        (["check", "http://x.example/", "--snapshot", "{s}", "--window", "3d"], "--window"),
        (
            [
                "check",
                "http://x.example/",
                "--snapshot",
                "{s}",
                "--at",
                "2023-01-01",
                "--max-age",
                "5",
            ],
            "--max-age",
        ),
        (["check", "http://x.example/", "--snapshot", "{s}", "--at", "soon"], "not a date"),
        (["filter", "-i", "-", "--snapshot", "{s}", "--at-column", "t"], "needs a table"),
        (["filter", "-i", "-", "--at-column", "t"], "--at-column decides from archived"),
    ],
)
def test_time_usage_errors_are_one_line_and_exit_2(
    snapshot: Path, args: list[str], message: str
) -> None:
    result = run_cli([a.replace("{s}", str(snapshot)) for a in args], stdin=f"{ORIGIN}/\n")
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_diff_two_moments_of_one_history(snapshot: Path) -> None:
    moments = ["--old-at", "2023-01-15", "--new-at", "2023-03-20"]
    result = run_cli(
        [
            "diff",
            str(snapshot),
            str(snapshot),
            *moments,
            "--format",
            "json",
            "--fail-on",
            "GPTBot=disallowed",
        ]
    )
    assert result.returncode == 1, result.stderr
    document = json.loads(result.stdout)
    (site,) = document["sites"]
    assert site["origin"] == ORIGIN
    assert site["agents"]["GPTBot"] == {"old": "allowed", "new": "disallowed"}
    assert site["verdicts"]["ai-train"] == {"old": "not-reserved", "new": "partial"}
    (added,) = site["findings"]["added"]
    assert "[archive record <urn:uuid:" in added["evidence"]
    same = run_cli(["diff", str(snapshot), str(snapshot), "--fail-on", "any"])
    assert same.returncode == 0, same.stdout + same.stderr
    assert "0 changed" in same.stdout


def test_diff_a_history_back_to_unknown_in_markdown(snapshot: Path) -> None:
    result = run_cli(
        [
            "diff",
            str(snapshot),
            str(snapshot),
            "--old-at",
            "2023-03-20",
            "--new-at",
            "2023-06-10",
            "--format",
            "md",
            "--fail-on",
            "ai-train=unknown",
        ]
    )
    assert result.returncode == 1, result.stderr
    assert "| verdict ai-train | partial | unknown |" in result.stdout


def test_diff_at_needs_a_snapshot(snapshot: Path, tmp_path: Path) -> None:
    report = tmp_path / "r.jsonl"
    report.write_text('{"origin": "http://a.example", "verdicts": {}}\n')
    result = run_cli(["diff", str(report), str(snapshot), "--old-at", "2023-01-01"])
    assert result.returncode == 2
    assert "is a report, not a snapshot" in result.stderr


def test_the_batch_api_takes_a_time_column(snapshot: Path) -> None:
    import pyarrow as pa

    from crawlcheck.tables.arrow import annotate_table

    moments = [at for at, _ in EXPECTED] + [None]
    table = pa.table(
        {"url": [f"{ORIGIN}/t{n}" for n in range(len(moments))], "when": pa.array(moments)}
    )
    annotated = annotate_table(
        table, "url", "GPTBot", "ai-train", at_column="when", snapshot=str(snapshot)
    )
    assert annotated.column("decision").to_pylist() == [e for _, e in EXPECTED] + ["unknown"]
    with pytest.raises(UsageError, match="at_column"):
        annotate_table(table, "url", at_column="missing", snapshot=str(snapshot))


def test_the_batch_api_takes_one_time_for_all(snapshot: Path) -> None:
    from crawlcheck.tables.arrow import decide_column

    decided = decide_column(
        [f"{ORIGIN}/a", f"{ORIGIN}/b"], "GPTBot", snapshot=str(snapshot), at=moment("2023-03-20")
    )
    assert decided.column("decision").to_pylist() == ["reserved", "reserved"]
