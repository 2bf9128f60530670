"""``crawlcheck filter``: stream a URL list and keep the URLs whose decision is asked for.

Input is read as bytes, one URL a line (stdin by default). Blank lines and lines starting
with ``#`` are skipped silently; a line that is not an absolute http(s) URL (or not UTF-8)
is malformed: it is counted, the first few are named on stderr, and it is never written in
``text`` mode, whatever ``--keep`` says. In ``jsonl`` mode it is written as ``unknown``
with a ``url.malformed`` problem, so the output has one line per input URL line.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from typing import IO, BinaryIO

from crawlcheck.commands._filter_progress import FilterTally
from crawlcheck.commands.check import (
    add_decision_arguments,
    cache_choice,
    chosen_agent,
    crawl_options,
    load_rules,
    max_age,
)
from crawlcheck.decide.checker import MALFORMED, UrlChecker
from crawlcheck.errors import UsageError
from crawlcheck.model import UrlDecision, UrlVerdict
from crawlcheck.report.document import decision_to_dict

NAME = "filter"
HELP = (
    "Stream a URL list (stdin by default) and keep the URLs asked for (default: allowed). "
    "Site-level files are fetched once per origin and cached; --pages also fetches every URL."
)
DECISIONS: tuple[str, ...] = tuple(UrlVerdict)
#: Malformed lines named on stderr before the count says the rest.
SHOWN_MALFORMED = 5
_SHOWN_CHARS = 120


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the command's arguments to *parser*."""
    parser.add_argument(
        "-i",
        "--input",
        metavar="FILE",
        default="-",
        help="file with one URL per line ('-' for stdin, the default)",
    )
    add_decision_arguments(parser)
    parser.add_argument(
        "--pages",
        action="store_true",
        help="also fetch every URL (obeying robots.txt for crawlcheck) and read its own "
        "headers and meta (default: off)",
    )
    parser.add_argument(
        "--media",
        action="store_true",
        help="also read what each URL embeds when it is an image or document (IPTC Data "
        "Mining, C2PA/CAWG, TDMRep XMP), with bounded range requests; unreadable is unknown "
        "(default: off)",
    )
    parser.add_argument(
        "--keep",
        metavar="DECISION",
        action="append",
        default=[],
        help="decisions to keep: allowed, reserved, unknown; repeat or comma-separate "
        "(default: allowed; unknown is excluded unless asked for)",
    )
    parser.add_argument(
        "--format",
        choices=("text", "jsonl"),
        default="text",
        help="text: kept URLs one per line; jsonl: every URL with its decision and reasons "
        "(default: text)",
    )
    parser.add_argument(
        "--concurrency",
        metavar="N",
        type=int,
        default=64,
        help="requests in flight over all hosts (default: 64)",
    )


def parse_keep(values: list[str]) -> frozenset[str]:
    """Return the decisions ``--keep`` names (``allowed`` when none)."""
    kept = {part.strip().lower() for value in values for part in value.split(",")}
    kept.discard("")
    unknown = sorted(kept - set(DECISIONS))
    if unknown:
        raise UsageError(
            f"--keep: unknown decision {unknown[0]!r}; expected {', '.join(DECISIONS)}"
        )
    return frozenset(kept or {"allowed"})


class _Reader:
    """Yield URLs from a byte stream; count and remember malformed lines."""

    def __init__(self, stream: BinaryIO, name: str) -> None:
        self.stream = stream
        self.name = name
        self.malformed = 0
        self.examples: list[str] = []

    def urls(self) -> Iterator[str | bytes]:
        """Yield each line that is neither blank nor a comment, stripped.

        A line that is not UTF-8 is yielded as bytes: the checker reports it as malformed
        in its place.
        """
        try:
            for raw in self.stream:
                line = raw.strip()
                if not line or line.startswith(b"#"):
                    continue
                try:
                    yield line.decode("utf-8")
                except UnicodeDecodeError:
                    yield line
        except OSError as exc:
            raise UsageError(f"cannot read {self.name}: {exc.strerror or exc}") from exc

    def note(self, text: str) -> None:
        """Count one malformed line and keep the first few for the stderr summary."""
        self.malformed += 1
        if len(self.examples) < SHOWN_MALFORMED:
            self.examples.append(text)


def _open_input(name: str, stack: ExitStack) -> tuple[BinaryIO, str]:
    if name == "-":
        return sys.stdin.buffer, "<stdin>"
    try:
        handle = stack.enter_context(open(name, "rb"))  # noqa: SIM115 - closed by the stack
    except OSError as exc:
        raise UsageError(f"-i: cannot read '{name}': {exc.strerror or exc}") from exc
    if os.path.isdir(name):
        raise UsageError(f"-i: '{name}' is a directory")
    return handle, name


def run(args: argparse.Namespace) -> int:
    """Filter the URL list; return 0 (decisions are data, not failures)."""
    keep = parse_keep(args.keep)
    options = crawl_options(args)
    ruleset = load_rules(args)
    with ExitStack() as stack:
        stream, name = _open_input(args.input, stack)
        reader = _Reader(stream, name)
        tally = FilterTally(sys.stderr)
        checker = stack.enter_context(
            UrlChecker(
                chosen_agent(args, ruleset),
                args.purpose,
                pages=args.pages,
                media=args.media,
                cache=cache_choice(args),
                options=options,
                ruleset=ruleset,
                max_age=max_age(args),
                on_fetch=tally.fetched,
            )
        )
        try:
            _write(checker, reader, keep, args.format, sys.stdout, tally)
        except BrokenPipeError:
            # The reader went away (`| head`): stop quietly, and keep Python's final
            # flush of stdout from complaining about the closed pipe.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            os.close(devnull)
            tally.progress.close()
            return 0
        stats = checker.stats
    summary = tally.summary(
        kept=keep, malformed=reader.malformed, stats=stats, every_url=args.format == "jsonl"
    )
    print(f"crawlcheck: {summary}", file=sys.stderr)
    _summarise(reader)
    return 0


def _write(
    checker: UrlChecker,
    reader: _Reader,
    keep: frozenset[str],
    fmt: str,
    out: IO[str],
    tally: FilterTally,
) -> None:
    for window in checker.windows(reader.urls()):
        for decision in window:
            malformed = _malformed(decision)
            if malformed:
                reader.note(f"{decision.url[:_SHOWN_CHARS]!r}: {malformed}")
            if fmt == "jsonl":
                out.write(json.dumps(decision_to_dict(decision), ensure_ascii=False) + "\n")
            elif decision.decision in keep and not malformed:
                out.write(decision.url + "\n")
        # Flush per window, so `| head` sees output before the next window is fetched.
        out.flush()
        tally.window(window)


def _malformed(decision: UrlDecision) -> str:
    for problem in decision.problems:
        if problem.code == MALFORMED:
            return problem.message
    return ""


def _summarise(reader: _Reader) -> None:
    if not reader.malformed:
        return
    print(
        f"crawlcheck: {reader.malformed} malformed line(s) in {reader.name} skipped: "
        + "; ".join(reader.examples)
        + ("; …" if reader.malformed > len(reader.examples) else ""),
        file=sys.stderr,
    )
