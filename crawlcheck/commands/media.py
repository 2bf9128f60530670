"""``crawlcheck media PATH...``: the reservations embedded in local images and documents."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator
from datetime import UTC, datetime

from crawlcheck.commands._output import check_writable, open_output
from crawlcheck.errors import UsageError
from crawlcheck.media import Limits, MediaResult, scan_path
from crawlcheck.media.document import render_csv, render_json, render_jsonl_line, render_text
from crawlcheck.media.planner import STATES
from crawlcheck.model import PURPOSES, Problem
from crawlcheck.ruleset import Ruleset, load_ruleset

NAME = "media"
HELP = (
    "Read the reservations embedded in images and documents (IPTC Data Mining, C2PA/CAWG "
    "training-mining, TDMRep XMP/EPUB): files and folders (recursive)."
)
FORMATS = ("text", "json", "jsonl", "csv")
#: ``missing`` is "anything but reserved": the reservation the owner meant is not there.
GATE_KINDS = ("missing", *STATES)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the command's arguments to *parser*."""
    parser.add_argument("paths", metavar="PATH", nargs="+", help="file or folder (recursive)")
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
        default=Limits().budget,
        metavar="N",
        help=f"most bytes read per file (default: {Limits().budget:,})",
    )
    parser.add_argument(
        "--c2pa-trust",
        metavar="PEM",
        help="PEM file of C2PA trust anchors (roots) besides the SDK's: signers chaining to "
        "them make a manifest 'valid' (needed for its permissions to count; default: none)",
    )
    parser.add_argument(
        "--rules",
        metavar="PATH",
        action="append",
        default=[],
        help="extra rules YAML layered on the shipped ones; repeatable (default: none)",
    )
    parser.set_defaults(_extras="paths")


def run(args: argparse.Namespace) -> int:
    """Read every file; return 1 when a --fail-on gate matched, else 0."""
    gates = parse_gates(args.fail_on)
    for path in args.paths:
        if not os.path.exists(path):
            raise UsageError(f"cannot read '{path}': no such file or folder")
    check_writable(args.output)
    trust = _read_trust(args.c2pa_trust)
    ruleset = load_ruleset(args.rules)
    limits = Limits(budget=args.max_bytes)
    results: list[MediaResult] = []
    skipped = 0
    chunks: list[str] = []
    with open_output(args.output, stream=args.format in ("text", "jsonl")) as out:
        for path, explicit in _files(args.paths):
            result = _scan(path, ruleset, limits, trust)
            if not explicit and not result.media_type:
                skipped += 1  # a folder's other files: not images or documents
                continue
            results.append(result)
            if args.format == "text":
                out.write(render_text(result))
                out.flush()
            elif args.format == "jsonl":
                out.write(render_jsonl_line(result))
                out.flush()
        if args.format == "json":
            chunks.append(render_json(results, generated_at=_now()))
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


def _files(paths: list[str]) -> Iterator[tuple[str, bool]]:
    """Yield (file, given explicitly) for every path; folders recursively, sorted."""
    for path in paths:
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
