"""``crawlcheck audit SITE... [-i FILE]``: crawl each site and write the per-site report."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import IO

from crawlcheck.crawl.options import CrawlOptions
from crawlcheck.errors import UsageError
from crawlcheck.model import PURPOSES, SiteReport, SiteVerdict
from crawlcheck.report import FORMATS, ReportMeta, render, render_site_jsonl
from crawlcheck.ruleset import load_ruleset
from crawlcheck.site_audit import audit_targets, iter_audit, report_meta

NAME = "audit"
HELP = "Crawl each site politely and write the per-site report (json, jsonl, csv, html, md)."
VERDICTS: tuple[str, ...] = tuple(SiteVerdict)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the command's arguments to *parser*."""
    parser.add_argument("sites", metavar="SITE", nargs="*", help="bare host or origin URL")
    parser.add_argument(
        "-i", "--input", metavar="FILE", help="read sites from FILE, one per line ('-': stdin)"
    )
    parser.add_argument("--format", choices=FORMATS, default="json")
    parser.add_argument("-o", "--output", metavar="PATH", help="write here instead of stdout")
    parser.add_argument(
        "--fail-on",
        metavar="VERDICT[,…]",
        help="exit 1 when any site has one of these verdicts, for any purpose "
        "(or PURPOSE=VERDICT for one purpose), e.g. 'unknown' or 'ai-train=not-reserved'",
    )
    parser.add_argument("--concurrency", type=_positive_int, default=64, metavar="N")
    parser.add_argument("--timeout", type=_positive_float, default=15.0, metavar="SECONDS")
    parser.add_argument("--pages", type=_non_negative_int, default=5, metavar="N")
    parser.add_argument(
        "--media-sample",
        type=_non_negative_int,
        default=5,
        metavar="N",
        help="images and documents the sampled pages show or link, read per site (default 5; "
        "0: none)",
    )
    parser.add_argument("--proxy", metavar="URL", help="proxy for every request")
    parser.add_argument("--rules", metavar="PATH", action="append", default=[])
    parser.set_defaults(_extras="sites")


def run(args: argparse.Namespace) -> int:
    """Run the audit; return 1 when a --fail-on gate matched, else 0."""
    gates = parse_gates(args.fail_on)
    targets = audit_targets([*args.sites, *_read_sites(args.input)])
    if not targets:
        raise UsageError("no sites to audit: give SITE arguments or -i FILE")
    ruleset = load_ruleset(args.rules)
    check_writable(args.output)
    options = CrawlOptions(
        concurrency=args.concurrency, timeout=args.timeout, pages=args.pages, proxy=args.proxy
    )
    options = replace(options, media_sample=args.media_sample, rules=tuple(args.rules))
    reports = write_reports(
        iter_audit(targets, options, ruleset),
        args.format,
        args.output,
        report_meta(ruleset, command=" ".join(["crawlcheck", *sys.argv[1:]])),
        total=len(targets),
    )
    return 1 if any(gate_matches(gates, report) for report in reports) else 0


def write_reports(
    reports: Iterable[SiteReport],
    fmt: str,
    output: str | None,
    meta: ReportMeta,
    total: int,
) -> list[SiteReport]:
    """Write *reports* (in input order) in *fmt* to *output* (stdout when None).

    JSONL goes out site by site, flushed, so a run that is killed keeps every finished
    site. Other formats are written whole at the end through a temporary file renamed into
    place, so an existing file is never left half-written.
    """
    done: list[SiteReport] = []
    progress = _Progress(total)
    if fmt == "jsonl":
        with _open_stream(output) as stream:
            for report in reports:
                stream.write(render_site_jsonl(report))
                stream.flush()
                done.append(report)
                progress.step(report)
        progress.close()
        return done
    for report in reports:
        done.append(report)
        progress.step(report)
    progress.close()
    text = render(fmt, done, meta)
    if output is None or output == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        _write_atomically(output, text)
    return done


def parse_gates(value: str | None) -> list[tuple[str | None, str]]:
    """Return (purpose or None, verdict) pairs of a --fail-on value; UsageError if bad."""
    if not value:
        return []
    gates: list[tuple[str | None, str]] = []
    for part in value.split(","):
        part = part.strip()
        purpose, sep, verdict = part.rpartition("=")
        if not sep:
            purpose, sep, verdict = part.rpartition(":")
        if verdict not in VERDICTS or (sep and purpose not in PURPOSES):
            raise UsageError(
                f"--fail-on: {part!r} is not VERDICT or PURPOSE=VERDICT "
                f"(verdicts: {', '.join(VERDICTS)}; purposes: {', '.join(PURPOSES)})"
            )
        gates.append((purpose or None, verdict))
    return gates


def gate_matches(gates: list[tuple[str | None, str]], report: SiteReport) -> bool:
    """Return True when *report* has a verdict a gate asks to fail on."""
    return any(
        v.verdict == verdict and (purpose is None or v.purpose == purpose)
        for purpose, verdict in gates
        for v in report.verdicts
    )


def check_writable(output: str | None) -> None:
    """Raise UsageError now, before any crawl, if *output* cannot be written."""
    if output is None or output == "-":
        return
    directory = os.path.dirname(os.path.abspath(output))
    if os.path.isdir(output):
        raise UsageError(f"-o {output!r} is a directory")
    if not os.path.isdir(directory) or not os.access(directory, os.W_OK):
        raise UsageError(
            f"-o {output!r}: directory {directory!r} does not exist or is not writable"
        )


def _read_sites(path: str | None) -> list[str]:
    if path is None:
        return []
    try:
        if path == "-":
            return sys.stdin.read().splitlines()
        with open(path, encoding="utf-8") as handle:
            return handle.read().splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read sites file '{path}': {exc}") from exc


@contextmanager
def _open_stream(output: str | None) -> Iterator[IO[str]]:
    if output is None or output == "-":
        yield sys.stdout
        return
    try:
        handle = open(output, "w", encoding="utf-8")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise UsageError(f"cannot write '{output}': {exc.strerror or exc}") from exc
    with handle:
        yield handle


def _write_atomically(path: str, text: str) -> None:
    directory = os.path.dirname(os.path.abspath(path))
    try:
        fd, temp = tempfile.mkstemp(prefix=".crawlcheck-", dir=directory)
    except OSError as exc:
        raise UsageError(f"cannot write '{path}': {exc.strerror or exc}") from exc
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        # mkstemp creates the file 0600; give it the mode a plain open() would have.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temp, 0o666 & ~umask)
        os.replace(temp, path)
    except OSError as exc:
        os.unlink(temp)
        raise UsageError(f"cannot write '{path}': {exc.strerror or exc}") from exc


class _Progress:
    """One status line on stderr while sites finish, only when stderr is a terminal."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.done = 0
        self.enabled = sys.stderr.isatty()

    def step(self, report: SiteReport) -> None:
        self.done += 1
        if self.enabled:
            verdict = report.verdict("ai-train")
            line = f"[{self.done}/{self.total}] {report.origin}: ai-train {verdict}"
            sys.stderr.write("\r\033[K" + line[:200])
            sys.stderr.flush()

    def close(self) -> None:
        if self.enabled and self.done:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()


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
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be positive: {text}")
    return value
