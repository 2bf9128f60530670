"""``audit --format jsonl`` writes each report and keeps none (memory flat in the site count)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from crawlcheck.commands.audit import write_reports
from crawlcheck.evaluate import evaluate_site
from crawlcheck.model import SiteFetches, SiteReport
from crawlcheck.ruleset import load_ruleset
from crawlcheck.site_audit import report_meta


def _reports(count: int) -> Iterator[SiteReport]:
    ruleset = load_ruleset()
    for number in range(count):
        origin = f"http://s{number}.example"
        yield evaluate_site(SiteFetches(site=origin, origin=origin), ruleset)


def test_jsonl_reports_are_written_one_by_one_and_not_kept(tmp_path: Path) -> None:
    out = tmp_path / "report.jsonl"
    meta = report_meta(load_ruleset())
    kept = write_reports(_reports(5), "jsonl", str(out), meta, total=5, keep=False)
    assert kept == []
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [line["origin"] for line in lines] == [f"http://s{n}.example" for n in range(5)]
    # The demo keeps them for its summary table.
    assert len(write_reports(_reports(2), "jsonl", str(out), meta, total=2)) == 2
