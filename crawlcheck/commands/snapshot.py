"""``crawlcheck snapshot``: build an origin snapshot, or describe one.

``snapshot build [-i FILE] -o PATH [SITE_OR_URL…]`` reads URLs, origins or bare hosts (one
per line; blank lines and ``#`` comments skipped), fetches each distinct origin's
site-level files once and writes a read-only snapshot (docs/snapshots.md).
``snapshot info PATH`` prints its manifest.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from typing import IO

from crawlcheck.commands.check import add_rules_argument, crawl_options, load_rules
from crawlcheck.errors import UsageError
from crawlcheck.model import SiteFetches
from crawlcheck.snapshot.build import build_snapshot
from crawlcheck.snapshot.reader import Snapshot
from crawlcheck.urls import site_origin

NAME = "snapshot"
HELP = (
    "Build a read-only snapshot of origins' site-level files (fetched once each), "
    "for decisions with no network: filter --snapshot, check --snapshot, the add-on."
)
#: Unusable input lines named on stderr before the count says the rest.
SHOWN_MALFORMED = 5


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the command's sub-commands to *parser*."""
    actions = parser.add_subparsers(dest="action", metavar="ACTION", parser_class=type(parser))
    build = actions.add_parser(
        "build",
        help="fetch each distinct origin's site-level files once and write a snapshot",
        description="Fetch each distinct origin's site-level files once (robots.txt, ai.txt, "
        "tdmrep.json, llms.txt, robots.txt's licences) and write a read-only snapshot.",
    )
    build.add_argument(
        "sites", nargs="*", metavar="SITE_OR_URL", help="URLs, origins or bare hosts"
    )
    build.add_argument(
        "-i",
        "--input",
        metavar="FILE",
        help="file with one URL, origin or host per line ('-' for stdin)",
    )
    build.add_argument(
        "-o",
        "--output",
        metavar="PATH",
        required=True,
        help="the new snapshot directory, or an fsspec URL (s3://…, needs crawlcheck[snapshot])",
    )
    build.add_argument(
        "--shards",
        metavar="N",
        type=int,
        default=1,
        help="shard files, each holding whole registrable domains (default: 1)",
    )
    add_rules_argument(build)
    build.add_argument(
        "--timeout",
        metavar="S",
        type=float,
        default=15.0,
        help="seconds allowed for one download (default: 15)",
    )
    build.add_argument(
        "--concurrency",
        metavar="N",
        type=int,
        default=64,
        help="requests in flight over all hosts (default: 64)",
    )
    build.set_defaults(_extras="sites")
    info = actions.add_parser("info", help="print a snapshot's manifest as JSON")
    info.add_argument("path", metavar="PATH", help="snapshot directory or URL")


def run(args: argparse.Namespace) -> int:
    """Run the sub-command; return 0."""
    if args.action == "build":
        return _build(args)
    if args.action == "info":
        with Snapshot(args.path) as snapshot:
            json.dump(snapshot.manifest.to_json(), sys.stdout, indent=2)
            sys.stdout.write("\n")
        return 0
    raise UsageError("snapshot: expected an action: build or info")


class _Origins:
    """Yield the origin of each input line; count and remember the unusable ones."""

    def __init__(self) -> None:
        self.read = 0
        self.malformed = 0
        self.examples: list[str] = []

    def of(self, lines: Iterator[str], name: str) -> Iterator[str]:
        """Yield the origin of each line of *lines* that is neither blank nor a comment."""
        for raw in lines:
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            self.read += 1
            origin = site_origin(line)
            if origin is None:
                self.malformed += 1
                if len(self.examples) < SHOWN_MALFORMED:
                    self.examples.append(f"{name}: {line[:120]!r}")
                continue
            yield origin


def _lines(handle: IO[bytes], name: str) -> Iterator[str]:
    try:
        for raw in handle:
            yield raw.decode("utf-8", "replace")
    except OSError as exc:
        raise UsageError(f"cannot read {name}: {exc.strerror or exc}") from exc


def _build(args: argparse.Namespace) -> int:
    if args.shards < 1:
        raise UsageError(f"--shards: must be at least 1, not {args.shards}")
    if not args.output.strip():
        raise UsageError("-o: empty path")
    if args.input is None and not args.sites:
        raise UsageError("snapshot build: give sites or URLs, or -i FILE ('-' for stdin)")
    options = crawl_options(args)
    ruleset = load_rules(args)
    origins = _Origins()
    counts = {"complete": 0, "failed": 0}

    def count(fetches: SiteFetches) -> None:
        robots = fetches.robots
        ok = robots is not None and robots.status is not None and robots.status < 500
        counts["complete" if ok else "failed"] += 1

    with ExitStack() as stack:
        streams: list[Iterator[str]] = []
        if args.sites:
            streams.append(origins.of(iter(args.sites), "argument"))
        if args.input is not None:
            if args.input == "-":
                handle, name = sys.stdin.buffer, "<stdin>"
            else:
                try:
                    handle = stack.enter_context(open(args.input, "rb"))
                except OSError as exc:
                    raise UsageError(
                        f"-i: cannot read '{args.input}': {exc.strerror or exc}"
                    ) from exc
                name = args.input
            streams.append(origins.of(_lines(handle, name), name))
        manifest = build_snapshot(
            (origin for stream in streams for origin in stream),
            args.output,
            options=options,
            shards=args.shards,
            ruleset=ruleset,
            on_site=count,
        )
    if origins.malformed:
        print(
            f"crawlcheck: {origins.malformed} line(s) that name no http(s) site skipped: "
            + "; ".join(origins.examples)
            + ("; …" if origins.malformed > len(origins.examples) else ""),
            file=sys.stderr,
        )
    size = sum(s.bytes for s in manifest.shards)
    print(
        f"crawlcheck: snapshot {args.output}: {manifest.origins} origin(s) "
        f"({counts['complete']} with robots.txt answered, {counts['failed']} unreachable) "
        f"in {len(manifest.shards)} shard(s), {size / 2**20:.1f} MiB",
        file=sys.stderr,
    )
    return 0
