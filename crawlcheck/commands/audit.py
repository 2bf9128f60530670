"""``crawlcheck audit SITE... [-i FILE]``: crawl each site and write the per-site report."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TextIO

from crawlcheck.commands._audit_run import AuditRun
from crawlcheck.commands._output import check_writable, to_stdout
from crawlcheck.commands.check import add_address_argument, add_rules_argument
from crawlcheck.crawl.options import CrawlOptions
from crawlcheck.errors import UsageError
from crawlcheck.model import PURPOSES, SiteReport, SiteVerdict
from crawlcheck.report import CSV_LAYOUTS, FORMATS
from crawlcheck.report.document import unreachable_reason
from crawlcheck.report.terminal import AuditTally
from crawlcheck.ruleset import load_ruleset
from crawlcheck.safe_text import safe_text
from crawlcheck.site_audit import audit_targets, report_meta

NAME = "audit"
HELP = "Crawl each site politely and write the per-site report (json, jsonl, csv, html, md)."
VERDICTS: tuple[str, ...] = tuple(SiteVerdict)
#: ``--fail-on`` word for a site that could not be reached at all (not a verdict).
UNREACHABLE = "unreachable"
#: ``--format`` of the terminal table (besides the report formats).
TEXT = "text"
#: Report format by the extension of ``-o PATH`` when ``--format`` is not given.
EXTENSIONS = {
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".csv": "csv",
    ".html": "html",
    ".htm": "html",
    ".md": "md",
    ".markdown": "md",
    ".txt": TEXT,
}
#: Longest line of a sites file (a site is a host or an origin URL).
MAX_SITE_LINE = 4096
#: Lines on stderr naming sites that tripped --fail-on or were unreachable, at most.
MAX_NAMED = 100


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the command's arguments to *parser*."""
    parser.add_argument("sites", metavar="SITE", nargs="*", help="bare host or origin URL")
    parser.add_argument(
        "-i",
        "--input",
        metavar="FILE",
        help="also read sites from FILE, one per line ('-': stdin; default: none)",
    )
    parser.add_argument(
        "--format",
        choices=(TEXT, *FORMATS),
        help="text: the verdict table; json, jsonl, csv, html, md: the report (default: with "
        "-o, from PATH's extension, else json; without -o, text on a terminal, else json)",
    )
    parser.add_argument(
        "--csv-layout",
        choices=CSV_LAYOUTS,
        default=CSV_LAYOUTS[0],
        help="csv: one row per site, or long: rows per site and purpose and per site and "
        f"agent (default: {CSV_LAYOUTS[0]})",
    )
    parser.add_argument(
        "-o", "--output", metavar="PATH", help="write the report here (default: stdout)"
    )
    parser.add_argument(
        "--resume",
        action="store_true",
        help="finish an interrupted run: keep the sites in PATH's checkpoint and audit only "
        "the others (needs -o; default: off)",
    )
    parser.add_argument(
        "--fail-on",
        metavar="GATE[,…]",
        help="exit 1 when any site has one of these verdicts for any purpose, or "
        "PURPOSE=VERDICT for one purpose, or 'unreachable' when a site could not be reached "
        "at all, e.g. 'unknown' or 'ai-train=not-reserved,unreachable' (default: none)",
    )
    parser.add_argument(
        "--concurrency",
        type=_positive_int,
        default=64,
        metavar="N",
        help="requests in flight over all hosts; per host always 2 (default: 64)",
    )
    parser.add_argument(
        "--timeout",
        type=_positive_float,
        default=15.0,
        metavar="SECONDS",
        help="seconds allowed for one download (default: 15)",
    )
    parser.add_argument(
        "--pages",
        type=_non_negative_int,
        default=5,
        metavar="N",
        help="same-origin pages sampled besides the home page (default: 5)",
    )
    parser.add_argument(
        "--media-sample",
        type=_non_negative_int,
        default=5,
        metavar="N",
        help="images and documents the sampled pages show or link, read per site for what "
        "they embed (0: none; default: 5)",
    )
    parser.add_argument(
        "--proxy",
        metavar="URL",
        help="proxy for every request (default: http_proxy, https_proxy, no_proxy)",
    )
    add_rules_argument(parser)
    add_address_argument(parser)
    parser.set_defaults(_extras="sites")


@dataclass(frozen=True, slots=True)
class Gate:
    """One ``--fail-on`` condition: a verdict (for one purpose or any), or unreachable."""

    purpose: str | None
    verdict: str

    def tripped(self, report: SiteReport) -> list[str]:
        """Return what *report* trips, as ``PURPOSE is VERDICT`` (or ``unreachable``)."""
        if self.verdict == UNREACHABLE:
            return [UNREACHABLE] if unreachable_reason(report) is not None else []
        return [
            f"{v.purpose} is {v.verdict}"
            for v in report.verdicts
            if v.verdict == self.verdict and (self.purpose is None or v.purpose == self.purpose)
        ]


def run(args: argparse.Namespace) -> int:
    """Run the audit; return 1 when a --fail-on gate matched, else 0."""
    gates = parse_gates(args.fail_on)
    texts, locations = _site_entries(args.sites, args.input)
    targets = audit_targets(texts, locations=locations)
    if not targets:
        raise UsageError("no sites to audit: give SITE arguments or -i FILE")
    fmt = report_format(args.format, args.output)
    if args.resume and to_stdout(args.output):
        raise UsageError("--resume needs -o PATH: the checkpoint is kept beside the report")
    ruleset = load_ruleset(args.rules)
    check_writable(args.output)
    options = CrawlOptions(
        concurrency=args.concurrency,
        timeout=args.timeout,
        pages=args.pages,
        proxy=args.proxy,
        allow_private_addresses=args.allow_private_addresses,
        media_sample=args.media_sample,
        rules=tuple(args.rules),
    )
    tripped: list[str] = []

    def gate(report: SiteReport) -> None:
        for what in dict.fromkeys(w for g in gates for w in g.tripped(report)):
            tripped.append(f"{report.origin}: {what}")

    tally = AuditRun(
        targets=targets,
        options=options,
        ruleset=ruleset,
        fmt=fmt,
        output=args.output,
        meta=report_meta(ruleset, command=" ".join(["crawlcheck", *sys.argv[1:]])),
        resume=args.resume,
        colour=colour_wanted(sys.stdout),
        csv_layout=args.csv_layout,
        on_report=gate,
    ).run()
    say_how_it_went(tally, fmt, args.output)
    _name_all(f"fail-on: {line}" for line in tripped)
    return 1 if tripped else 0


def say_how_it_went(tally: AuditTally, fmt: str, output: str | None) -> None:
    """Print the end of a run: unreachable sites (always), the summary and the report's path.

    The table on a terminal ends with the summary on stdout; a report written to a file
    is followed by the summary and its path on stderr; a report piped elsewhere gets the
    summary only when stderr is a terminal (a script's stderr stays quiet).
    """
    _name_all(f"warning: {origin}: unreachable: {why}" for origin, why in tally.unreachable)
    if fmt == TEXT and to_stdout(output):
        print(f"\n{tally.summary()}")
    elif not to_stdout(output):
        print(f"{tally.summary()}\nreport written to {output}", file=sys.stderr)
    elif sys.stderr.isatty():
        print(tally.summary(), file=sys.stderr)


def _name_all(lines: Iterable[str]) -> None:
    """Print ``crawlcheck: LINE`` for each line on stderr, at most MAX_NAMED, then a count."""
    shown = 0
    for line in lines:
        if shown < MAX_NAMED:
            print(safe_text(f"crawlcheck: {line}"), file=sys.stderr)
        shown += 1
    if shown > MAX_NAMED:
        print(f"crawlcheck: … and {shown - MAX_NAMED} more", file=sys.stderr)


def report_format(fmt: str | None, output: str | None) -> str:
    """Return the format asked for, else the one ``-o``'s extension names, else the default."""
    if fmt is not None:
        return fmt
    if not to_stdout(output):
        assert output is not None
        return EXTENSIONS.get(os.path.splitext(output)[1].lower(), "json")
    return TEXT if sys.stdout.isatty() else "json"


def parse_gates(value: str | None) -> list[Gate]:
    """Return the gates of a --fail-on value; UsageError if any part is not one."""
    if value is None:
        return []
    gates: list[Gate] = []
    for part in value.split(","):
        part = part.strip()
        purpose, sep, verdict = part.rpartition("=")
        if not sep:
            purpose, sep, verdict = part.rpartition(":")
        known = verdict in VERDICTS or (verdict == UNREACHABLE and not sep)
        if not known or (sep and purpose not in PURPOSES):
            raise UsageError(
                f"--fail-on: {part!r} is not VERDICT, PURPOSE=VERDICT or {UNREACHABLE} "
                f"(verdicts: {', '.join(VERDICTS)}; purposes: {', '.join(PURPOSES)})"
            )
        gates.append(Gate(purpose or None, verdict))
    return gates


def _site_entries(sites: list[str], path: str | None) -> tuple[list[str], list[str]]:
    """Return every site given, and where each came from (``argument 2``, ``FILE:LINE``)."""
    texts = list(sites)
    locations = [f"argument {n}" for n in range(1, len(sites) + 1)]
    if path is None:
        return texts, locations
    name = "<stdin>" if path == "-" else path
    try:
        if path == "-":
            _read_lines(sys.stdin, name, texts, locations)
        else:
            if os.path.isdir(path):
                raise UsageError(f"-i: '{path}' is a directory")
            with open(path, encoding="utf-8") as handle:
                _read_lines(handle, name, texts, locations)
    except UnicodeDecodeError as exc:
        raise UsageError(f"-i: {name} is not UTF-8 text ({exc.reason})") from exc
    except OSError as exc:
        raise UsageError(f"-i: cannot read '{name}': {exc.strerror or exc}") from exc
    return texts, locations


def _read_lines(handle: TextIO, name: str, texts: list[str], locations: list[str]) -> None:
    number = 0
    while line := handle.readline(MAX_SITE_LINE + 1):
        number += 1
        if len(line) > MAX_SITE_LINE and not line.endswith("\n"):
            raise UsageError(f"{name}:{number}: longer than {MAX_SITE_LINE} characters")
        texts.append(line)
        locations.append(f"{name}:{number}")


def colour_wanted(stream: TextIO) -> bool:
    """Return True when verdict words may be coloured on *stream* (https://no-color.org)."""
    return stream.isatty() and not os.environ.get("NO_COLOR")


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {text}")
    return value


def _non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative: {text}")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number: {text}")
    return value
