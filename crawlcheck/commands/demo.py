"""``crawlcheck demo``: the whole audit, offline, on a small web of bundled example sites."""

from __future__ import annotations

import argparse
import sys

from crawlcheck.commands.audit import check_writable, write_reports
from crawlcheck.crawl.options import CrawlOptions
from crawlcheck.demo.server import StaticWeb
from crawlcheck.demo.sites import bundled_sites
from crawlcheck.model import PURPOSES
from crawlcheck.report import FORMATS
from crawlcheck.ruleset import load_ruleset
from crawlcheck.site_audit import audit_targets, iter_audit, report_meta

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
        help="report file (default: crawlcheck-demo.html; '-' for stdout)",
    )
    parser.add_argument("--format", choices=FORMATS, default="html")


def run(args: argparse.Namespace) -> int:
    """Serve the demo web, audit every site through it, write the report, print a summary."""
    check_writable(args.output)
    ruleset = load_ruleset()
    with StaticWeb(bundled_sites()) as web:
        targets = audit_targets(f"http://{host}" for host in web.hosts)
        # Through the demo web's proxy, as a crawl through http_proxy would go.
        options = CrawlOptions(proxy=web.proxy_url, timeout=10.0)
        reports = write_reports(
            iter_audit(targets, options, ruleset),
            args.format,
            args.output,
            report_meta(ruleset, command="crawlcheck demo"),
            total=len(targets),
        )
    out = sys.stderr if args.output == "-" else sys.stdout
    width = max(len(r.origin) for r in reports)
    print(f"{'SITE'.ljust(width)}  " + "  ".join(f"{p:<12}" for p in PURPOSES), file=out)
    for report in sorted(reports, key=lambda r: r.origin):
        cells = "  ".join(f"{report.verdict(p):<12}" for p in PURPOSES)
        print(f"{report.origin.ljust(width)}  {cells}", file=out)
    if args.output != "-":
        print(f"\nreport written to {args.output}", file=out)
    return 0
