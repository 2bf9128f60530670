"""``crawlcheck media PATH|URL...``: the reservations embedded in images and documents.

Local files and folders are read through the planner directly; URLs through the crawl's
process (``crawlcheck.crawl``), with bounded range requests, obeying each host's
robots.txt (docs/media.md, "URLs").
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from collections.abc import Iterator
from datetime import UTC, datetime

from crawlcheck.commands._output import check_writable, open_output
from crawlcheck.commands.check import add_rules_argument
from crawlcheck.crawl.media_reads import MEDIA_BUDGET
from crawlcheck.crawl.options import CrawlOptions
from crawlcheck.crawl.runner import fetch_resources
from crawlcheck.errors import UsageError
from crawlcheck.media import Limits, MediaResult, scan_path
from crawlcheck.media.document import render_csv, render_json, render_jsonl_line, render_text
from crawlcheck.media.planner import STATES
from crawlcheck.model import PURPOSES, Fetched, MediaFetch, Problem
from crawlcheck.ruleset import Ruleset, load_ruleset
from crawlcheck.urls import malformed_reason

NAME = "media"
HELP = (
    "Read the reservations embedded in images and documents (IPTC Data Mining, C2PA/CAWG "
    "training-mining, TDMRep XMP/EPUB): files, folders (recursive) and http(s) URLs."
)
FORMATS = ("text", "json", "jsonl", "csv")
#: ``missing`` is "anything but reserved": the reservation the owner meant is not there.
GATE_KINDS = ("missing", *STATES)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the command's arguments to *parser*."""
    parser.add_argument(
        "paths",
        metavar="PATH|URL",
        nargs="+",
        help="file, folder (recursive), or http(s) URL (read with bounded range requests)",
    )
    parser.add_argument(
        "--format", choices=FORMATS, default="text", help="output format (default: text)"
    )
    parser.add_argument(
        "-o", "--output", metavar="PATH", help="write here instead of stdout (default: stdout)"
    )
    parser.add_argument(
        "--fail-on",
        metavar="KIND:PURPOSE[,…]",
        action="append",
        default=[],
        help="exit 1 (naming each file on stderr) when a file matches: missing:PURPOSE (it "
        "does not reserve PURPOSE), permitted:PURPOSE, unknown[:PURPOSE], not-reserved:PURPOSE, "
        "reserved:PURPOSE; e.g. --fail-on missing:ai-train (default: none)",
    )
    parser.add_argument(
        "--max-bytes",
        type=_positive_int,
        default=None,
        metavar="N",
        help=f"most bytes read per file (default: {Limits().budget:,} for a local file, "
        f"{MEDIA_BUDGET:,} received per URL)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=15.0,
        metavar="S",
        help="seconds allowed for one download of a URL (default: 15)",
    )
    parser.add_argument(
        "--c2pa-trust",
        metavar="PEM",
        help="PEM file of C2PA trust anchors (roots) besides the SDK's: signers chaining to "
        "them make a manifest 'valid' (needed for its permissions to count; default: none)",
    )
    add_rules_argument(parser)
    parser.set_defaults(_extras="paths")


def run(args: argparse.Namespace) -> int:
    """Read every file; return 1 when a --fail-on gate matched, else 0."""
    gates = parse_gates(args.fail_on)
    for path in args.paths:
        if _is_url(path):
            reason = malformed_reason(path)
            if reason is not None:
                raise UsageError(f"URL {path!r}: {reason}")
        elif not os.path.exists(path):
            raise UsageError(f"cannot read '{path}': no such file or folder")
    if not math.isfinite(args.timeout) or args.timeout <= 0:
        raise UsageError(f"--timeout: must be a positive number of seconds, not {args.timeout}")
    check_writable(args.output)
    trust = _read_trust(args.c2pa_trust)
    ruleset = load_ruleset(args.rules)
    limits = Limits(budget=args.max_bytes or Limits().budget)
    fetched = _fetch_urls(
        [p for p in args.paths if _is_url(p)],
        CrawlOptions(
            timeout=args.timeout,
            media="ranges",
            media_budget=args.max_bytes or MEDIA_BUDGET,
            rules=tuple(args.rules),
            c2pa_trust=trust,
        ),
    )
    results: list[MediaResult] = []
    skipped = 0
    chunks: list[str] = []
    with open_output(args.output, stream=args.format in ("text", "jsonl")) as out:
        for path, explicit in _files(args.paths):
            result = fetched[path] if _is_url(path) else _scan(path, ruleset, limits, trust)
            if not explicit and not result.media_type:
                skipped += 1  # a folder's other files: not images or documents
                continue
            results.append(result)
            if args.format == "text":
                out.write(render_text(result))
                out.flush()
            elif args.format == "jsonl":
                out.write(render_jsonl_line(result, key=_key(path)))
                out.flush()
        if args.format == "json":
            keys = [_key(r.source) for r in results]
            chunks.append(render_json(results, generated_at=_now(), keys=keys))
        elif args.format == "csv":
            chunks.append(render_csv(results))
        for chunk in chunks:
            out.write(chunk)
    if skipped:
        print(
            f"crawlcheck: media: {skipped} file(s) in the folders given are not images or "
            "documents crawlcheck reads; skipped",
            file=sys.stderr,
        )
    failed = False
    for result in results:
        for kind, purpose in gates:
            hit = _gate_hit(result, kind, purpose)
            if hit:
                failed = True
                gate = f"{kind}:{purpose}" if purpose else kind
                print(f"crawlcheck: media: {result.source}: {gate} ({hit})", file=sys.stderr)
    return 1 if failed else 0


def parse_gates(values: list[str]) -> list[tuple[str, str | None]]:
    """Return (kind, purpose or None) pairs of the --fail-on values; UsageError if bad."""
    gates: list[tuple[str, str | None]] = []
    for value in values:
        for part in value.split(","):
            part = part.strip()
            kind, _, purpose = part.partition(":")
            if kind not in GATE_KINDS or (purpose and purpose not in PURPOSES):
                raise UsageError(
                    f"--fail-on: {part!r} is not KIND:PURPOSE (kinds: {', '.join(GATE_KINDS)}; "
                    f"purposes: {', '.join(PURPOSES)})"
                )
            if not purpose and kind != "unknown":
                raise UsageError(f"--fail-on: {part!r} needs a purpose, e.g. {kind}:ai-train")
            gates.append((kind, purpose or None))
    return gates


def _gate_hit(result: MediaResult, kind: str, purpose: str | None) -> str:
    """Return ``PURPOSE (state)`` when the gate matches *result*, else ``""``."""
    for candidate in [purpose] if purpose else list(PURPOSES):
        state = result.state(candidate)
        matched = state != "reserved" if kind == "missing" else state == kind
        if matched:
            return f"{candidate} is {state}"
    return ""


def _is_url(path: str) -> bool:
    return path.lower().startswith(("http://", "https://"))


def _key(source: str) -> str:
    """Return the JSON key naming a file: ``url`` for a URL, else ``path``."""
    return "url" if _is_url(source) else "path"


def _fetch_urls(urls: list[str], options: CrawlOptions) -> dict[str, MediaResult]:
    """Return each URL's result, read in one crawl (concurrent across hosts)."""
    found: dict[str, MediaResult] = {}
    for item in fetch_resources(list(dict.fromkeys(urls)), options):
        if isinstance(item, MediaFetch) and item.result is not None:
            found[item.url] = item.result
        else:
            error = item.error if isinstance(item, Fetched) else None
            found[item.url] = _not_read(item.url, error or "not fetched")
    for url in urls:
        found.setdefault(url, _not_read(url, "not fetched"))
    return found


def _not_read(url: str, why: str) -> MediaResult:
    reason = {
        "robots-disallowed": "robots.txt of its host disallows crawlcheck",
        "robots-unreachable": "robots.txt of its host is unreachable (RFC 9309 §2.3.1.4)",
    }.get(why, why)
    problem = Problem(
        code="media.not-read",
        message=f"the file was not fetched ({reason}): its embedded signals are unknown",
        source=url,
        level="error",
    )
    return MediaResult(source=url, media_type="", size=None, bytes_read=0, problems=(problem,))


def _files(paths: list[str]) -> Iterator[tuple[str, bool]]:
    """Yield (file, given explicitly) for every path; folders recursively, sorted."""
    for path in paths:
        if _is_url(path):
            yield path, True
            continue
        if not os.path.isdir(path):
            yield path, True
            continue
        for root, dirs, names in os.walk(path):
            dirs.sort()
            for name in sorted(names):
                full = os.path.join(root, name)
                if os.path.isfile(full):
                    yield full, False


def _scan(path: str, ruleset: Ruleset, limits: Limits, trust: str | None) -> MediaResult:
    try:
        return scan_path(path, ruleset=ruleset, limits=limits, trust_anchors=trust)
    except OSError as exc:
        problem = Problem(
            code="media.unreadable-file",
            message=f"cannot read the file: {exc.strerror or exc}",
            source=path,
            level="error",
        )
        return MediaResult(source=path, media_type="", size=None, bytes_read=0, problems=(problem,))


def _read_trust(path: str | None) -> str | None:
    if path is None:
        return None
    try:
        with open(path, encoding="ascii") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read --c2pa-trust '{path}': {exc}") from exc
    if "-----BEGIN CERTIFICATE-----" not in text:
        raise UsageError(f"--c2pa-trust '{path}': no PEM certificate in it")
    return text


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {text}")
    return value
