"""``crawlcheck demo``: the whole audit, offline, on a small web of bundled example sites."""

from __future__ import annotations

import argparse
import sys

from crawlcheck.commands._audit_run import AuditRun
from crawlcheck.commands._output import check_writable, to_stdout
from crawlcheck.commands.audit import colour_wanted
from crawlcheck.crawl.options import CrawlOptions
from crawlcheck.demo.server import StaticWeb
from crawlcheck.demo.sites import bundled_sites
from crawlcheck.model import SiteReport
from crawlcheck.report import FORMATS
from crawlcheck.report.terminal import VerdictTable
from crawlcheck.ruleset import load_ruleset
from crawlcheck.site_audit import audit_targets, report_meta

NAME = "demo"
HELP = (
    "Audit a small web of bundled example sites served on loopback (no internet needed) "
    "and write the report (HTML by default)."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the command's arguments to *parser*."""
    parser.add_argument(
        "-o",
        "--output",
        metavar="PATH",
        default="crawlcheck-demo.html",
        help="report file ('-' for stdout; default: crawlcheck-demo.html)",
    )
    parser.add_argument(
        "--format", choices=FORMATS, default="html", help="report format (default: html)"
    )


def run(args: argparse.Namespace) -> int:
    """Serve the demo web, audit every site through it, write the report, print the table."""
    check_writable(args.output)
    ruleset = load_ruleset()
    rows: list[SiteReport] = []
    with StaticWeb(bundled_sites()) as web:
        targets = audit_targets(f"http://{host}" for host in sorted(web.hosts))
        tally = AuditRun(
            targets=targets,
            # Through the demo web's proxy, as a crawl through http_proxy would go.
            options=CrawlOptions(proxy=web.proxy_url, timeout=10.0),
            ruleset=ruleset,
            fmt=args.format,
            output=args.output,
            meta=report_meta(ruleset, command="crawlcheck demo"),
            on_report=rows.append,
        ).run()
    # The same table as `audit` shows on a terminal; on stderr when stdout has the report.
    out = sys.stderr if to_stdout(args.output) else sys.stdout
    table = VerdictTable((t.origin for t in targets), colour=colour_wanted(out))
    print(table.header(), file=out)
    for report in rows:
        print(table.row(report), file=out)
    print(f"\n{tally.summary()}", file=out)
    if not to_stdout(args.output):
        print(f"report written to {args.output}", file=out)
    return 0
