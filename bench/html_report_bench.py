"""Benchmark: how fast a large HTML report opens in headless Chromium, against a bare table.

The sites come from a real audit: the fixture web (tests/fixtureweb, 51 hosts, served on
loopback) is audited once with ``crawlcheck audit --format json``, and its site reports
are repeated under new host names until there are N of them (every finding, agent and
fetch kept, including the sites whose ``Disallow: /`` reaches all 165 agents). Then:

- ``render("html", …)`` is timed and the file's size written down;
- the peer is the least a browser can be given for the same sites: one plain ``<table>``
  row per site (site, origin, four verdicts), no style, no script, no details;
- headless Chromium (tests/chromium.py, the DevTools protocol over a pipe) opens each
  file from disk, ``--runs`` times in a fresh 1400 x 900 tab, and records the time to
  the first contentful paint, to the list being filterable (the report's script marks
  ``crawlcheck-list-ready``), to DOMContentLoaded and to the load event (``performance``
  entries, milliseconds from navigation start); for the report it then opens the last
  site's details and times that;
- the median of the runs is printed, and the ratio report / plain table for load.

    python bench/html_report_bench.py                  # N = 5000, 3 runs
    python bench/html_report_bench.py --sites 1000 --runs 5
    python bench/html_report_bench.py --from-json report.json   # your own audit's sites
"""

from __future__ import annotations

import argparse
import html
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from crawlcheck.model import (
    PURPOSES,
    AgentReport,
    Effect,
    FetchRecord,
    Finding,
    Problem,
    SiteReport,
    Verdict,
)
from crawlcheck.report import ReportMeta, render

# The fixture web and the DevTools client live with the tests (not shipped in the wheel).
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from chromium import Chromium
from webfixture import FixtureWeb

ROOT = Path(__file__).resolve().parents[1]

META = ReportMeta(
    generated_at="2026-12-01T00:00:00Z",
    catalogue_source="rules/agents.yaml",
    catalogue_date="2026-08-22",
    catalogue_count=165,
    command="crawlcheck audit -i sites.txt --format html -o report.html",
)


def site_from_dict(data: dict[str, Any]) -> SiteReport:
    """Return the SiteReport a ``sites[]`` object of the JSON report describes."""
    return SiteReport(
        site=data["site"],
        origin=data["origin"],
        verdicts=tuple(
            Verdict(purpose=p, verdict=v, reasons=tuple(data["verdict_reasons"].get(p, ())))
            for p, v in data["verdicts"].items()
        ),
        agents=tuple(
            AgentReport(
                token=token,
                robots=a["robots"],
                purposes=tuple(a["purposes"]),
                operator=a.get("operator", ""),
                evidence=a.get("evidence", ""),
                group=a.get("group", ""),
            )
            for token, a in data["agents"].items()
        ),
        findings=tuple(
            Finding(
                signal=f["signal"],
                source=f["source"],
                effect=Effect(f["effect"]),
                purposes=tuple(f["purposes"]),
                agents=tuple(f["agents"]),
                scope=f["scope"],
                evidence=f["evidence"],
                line=f.get("line"),
                key=f.get("key", ""),
                value=f.get("value", ""),
            )
            for f in data["findings"]
        ),
        fetches=tuple(
            FetchRecord(
                url=f["url"],
                kind=f.get("kind", ""),
                status=f["status"],
                final_url=f["final_url"],
                sha256=f["sha256"],
                fetched_at=f["fetched_at"],
                error=f["error"],
                content_type=f.get("content_type", ""),
                size=f.get("size", 0),
                redirects=tuple((r["status"], r["location"]) for r in f.get("redirects", ())),
                elapsed_ms=f.get("elapsed_ms"),
                truncated=f.get("truncated", False),
            )
            for f in data["fetches"]
        ),
        problems=tuple(
            Problem(
                code=p["code"],
                message=p["message"],
                source=p["source"],
                line=p.get("line"),
                level=p.get("level", "warning"),
            )
            for p in data["problems"]
        ),
        skipped=tuple((s["url"], s["reason"]) for s in data.get("skipped", ())),
        started_at=data.get("started_at", ""),
        finished_at=data.get("finished_at", ""),
    )


def audit_fixture_web(out: Path) -> None:
    """Audit every host of the fixture web (loopback only) into the JSON report *out*."""
    with FixtureWeb(paths=[ROOT / "tests" / "fixtureweb"]) as web:
        sites = out.with_suffix(".txt")
        sites.write_text("".join(f"http://{host}\n" for host in sorted(web.hosts)))
        env = {**os.environ, "http_proxy": web.proxy_url, "no_proxy": ""}
        command = [sys.executable, "-m", "crawlcheck", "audit", "-i", str(sites)]
        command += ["--format", "json", "-o", str(out)]
        subprocess.run(command, env=env, check=True, stderr=subprocess.DEVNULL)


def repeat(sites: list[dict[str, Any]], count: int) -> list[SiteReport]:
    """Return *count* site reports: *sites* again and again, each copy on its own host."""
    reports = []
    for number in range(count):
        template = sites[number % len(sites)]
        origin = template["origin"]
        host = origin.split("://", 1)[1]
        copy = json.dumps(template).replace(host, f"s{number}.{host}")
        reports.append(site_from_dict(json.loads(copy)))
    return reports


def _timed(fn: Any) -> tuple[Any, float]:
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


_TIMINGS = """new Promise(done => {
  const finish = () => {
    const nav = performance.getEntriesByType("navigation")[0];
    const paint = performance.getEntriesByName("first-contentful-paint")[0];
    const ready = performance.getEntriesByName("crawlcheck-list-ready")[0];
    done({fcp: paint ? paint.startTime : null, list_ready: ready ? ready.startTime : null,
          dcl: nav.domContentLoadedEventEnd, load: nav.loadEventEnd});
  };
  // The paint entry can arrive a frame or two after the load event.
  if (performance.getEntriesByName("first-contentful-paint").length) return finish();
  new PerformanceObserver(finish).observe({type: "paint", buffered: true});
  setTimeout(finish, 5000);
})"""

_OPEN_LAST = """new Promise(done => {
  const rows = document.querySelectorAll("details.site");
  const row = rows[rows.length - 1];
  const start = performance.now();
  row.open = true;
  requestAnimationFrame(() => setTimeout(() => done({
    ms: performance.now() - start, built: !!row.querySelector(".body table")}), 0));
})"""


def plain_table(reports: list[SiteReport]) -> str:
    """Return the peer: the same sites as one bare HTML table, nothing else."""
    rows = "".join(
        f"<tr><td>{html.escape(r.site)}</td><td>{html.escape(r.origin)}</td>"
        + "".join(f"<td>{html.escape(r.verdict(p))}</td>" for p in PURPOSES)
        + "</tr>\n"
        for r in reports
    )
    head = "".join(f"<th>{p}</th>" for p in PURPOSES)
    return (
        '<!DOCTYPE html><meta charset="utf-8"><title>sites</title>\n'
        f"<table><tr><th>site</th><th>origin</th>{head}</tr>\n{rows}</table>\n"
    )


def measure(browser: Chromium, path: Path, *, details: bool) -> dict[str, float]:
    """Open *path* in a fresh 1400 x 900 tab; return its timings in milliseconds."""
    page = browser.open(1400, 900)
    page.load(path.as_uri())
    timings: dict[str, float] = page.evaluate(_TIMINGS)
    if details:
        opened = page.evaluate(_OPEN_LAST)
        if not opened["built"]:
            raise RuntimeError("the last site's details were not built")
        timings["open_details"] = opened["ms"]
    page.close()
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--sites", type=int, default=5000, help="sites in the report (5000)")
    parser.add_argument("--runs", type=int, default=3, help="browser runs per file (3)")
    parser.add_argument("--from-json", type=Path, help="a JSON report to take sites from")
    parser.add_argument("--keep", type=Path, help="also write the HTML report here")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="crawlcheck-html-bench-") as tmp:
        work = Path(tmp)
        source = args.from_json
        if source is None:
            source = work / "fixture-web.json"
            audit_fixture_web(source)
        template = json.loads(source.read_text(encoding="utf-8"))["sites"]
        reports = repeat(template, args.sites)
        page, seconds = _timed(lambda: render("html", reports, META))
        files = {"report": work / "report.html", "plain table": work / "plain.html"}
        files["report"].write_text(page, encoding="utf-8")
        files["plain table"].write_text(plain_table(reports), encoding="utf-8")
        if args.keep:
            args.keep.write_text(page, encoding="utf-8")
        mib = 1024 * 1024
        print(f"{args.sites:,} sites (repeating {len(template)} audited sites)")
        print(f"render html: {seconds:.2f} s")
        for name, path in files.items():
            print(f"{name}: {path.stat().st_size / mib:.2f} MiB")
        runs: dict[str, list[dict[str, float]]] = {name: [] for name in files}
        with Chromium(timeout=300) as browser:
            for _ in range(args.runs):  # interleaved, so that both see the same machine
                for name, path in files.items():
                    runs[name].append(measure(browser, path, details=name == "report"))
        for name, results in runs.items():
            keys = [k for k in results[0] if results[0][k] is not None]
            medians = {k: statistics.median(r[k] for r in results) for k in keys}
            parts = ", ".join(f"{k} {v:,.0f} ms" for k, v in medians.items())
            print(f"chromium, {name} (median of {args.runs}): {parts}")
        report_load = statistics.median(r["load"] for r in runs["report"])
        plain_load = statistics.median(r["load"] for r in runs["plain table"])
        print(f"load, report / plain table: {report_load / plain_load:.2f}")


if __name__ == "__main__":
    main()
