"""``crawlcheck filter``: stream a URL list or a table and keep the URLs whose decision is asked for.

Input (stdin by default) is a URL list, one a line, or a table (CSV/TSV, JSON Lines,
Parquet) whose ``--column`` holds the URLs; gzip and zstd are read through, and the kind
comes from the content, then the name (:mod:`crawlcheck.tables.sniff`). In a URL list,
blank lines and lines starting with ``#`` are skipped silently; a row whose value is not
an absolute http(s) URL (or not UTF-8) is malformed: it is counted, the first few are
named on stderr, and it is never written in ``text`` mode, whatever ``--keep`` says. The
table formats (``jsonl``, ``csv``, ``parquet``) write it as ``unknown`` with a
``url.malformed`` problem, so the output has one row per input row. Reading and writing
live in :mod:`crawlcheck.tables` (docs/pipelines.md).
"""

from __future__ import annotations

import argparse
import io
import os
import stat
import sys
from contextlib import ExitStack
from typing import IO, BinaryIO

from crawlcheck.commands._archive import row_times, time_settings
from crawlcheck.commands._filter_progress import FilterTally
from crawlcheck.commands._output import check_writable, to_stdout
from crawlcheck.commands.check import (
    add_decision_arguments,
    cache_choice,
    chosen_agent,
    crawl_options,
    load_rules,
    max_age,
    snapshot_choice,
)
from crawlcheck.decide.checker import UrlChecker
from crawlcheck.errors import UsageError
from crawlcheck.model import UrlVerdict
from crawlcheck.tables.batch import decide_rows
from crawlcheck.tables.readers import Reader, open_reader
from crawlcheck.tables.sniff import kind_from_name, sniff
from crawlcheck.tables.writers import FORMATS, Writer, is_malformed, open_writer

NAME = "filter"
HELP = (
    "Stream a URL list or a table (stdin by default) and keep the URLs asked for (default: "
    "allowed). Site-level files are fetched once per origin and cached; --pages also fetches "
    "every URL."
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
        help="URL list (one per line), CSV/TSV, JSON Lines or Parquet file, plain or "
        "gzip/zstd-compressed ('-' for stdin, the default)",
    )
    parser.add_argument(
        "--column",
        metavar="NAME",
        help="the URL column of a table (default: 'url'); in JSON Lines and Parquet a dotted "
        "path reaches a nested field (metadata.url)",
    )
    parser.add_argument(
        "-o",
        "--output",
        metavar="PATH",
        help="write here instead of stdout (required for parquet; the format follows the "
        "extension unless --format is given; default: stdout)",
    )
    add_decision_arguments(parser)
    parser.add_argument(
        "--at-column",
        metavar="NAME",
        help="decide each row as of its own date in this column (e.g. a crawl's fetch time; "
        "needs --snapshot; a row without a readable date is unknown; docs/archives.md; "
        "default: none)",
    )
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
        choices=FORMATS,
        help="text: kept URLs one per line; jsonl, csv, parquet: every row with its input "
        "columns, decision and reasons (default: from -o's extension, else text)",
    )
    parser.add_argument(
        "--only-kept",
        action="store_true",
        help="table formats: write only the rows --keep keeps (default: every row)",
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


def output_format(args: argparse.Namespace) -> str:
    """Return the output format: ``--format``, else what ``-o``'s extension names, else text."""
    if args.format is not None:
        return str(args.format)
    if args.output:
        _, kind = kind_from_name(args.output)
        if kind is not None:
            return "csv" if kind in ("csv", "tsv") else str(kind)
    return "text"


def _open_input(name: str, stack: ExitStack) -> tuple[BinaryIO, str, bool]:
    """Return the input's byte stream, its name for messages, and whether it is a file."""
    if name == "-":
        return sys.stdin.buffer, "<stdin>", False
    try:
        handle = stack.enter_context(open(name, "rb"))  # noqa: SIM115 - closed by the stack
    except OSError as exc:
        raise UsageError(f"-i: cannot read '{name}': {exc.strerror or exc}") from exc
    if os.path.isdir(name):
        raise UsageError(f"-i: '{name}' is a directory")
    return handle, name, stat.S_ISREG(os.fstat(handle.fileno()).st_mode)


def _refuse_same_file(output: str | None, source: str) -> None:
    if output and source != "-" and os.path.exists(output) and os.path.samefile(output, source):
        raise UsageError(f"-o: '{output}' is the input file")


def _open_output(path: str | None, stack: ExitStack) -> IO[str]:
    """Return the text stream rows are written to: ``-o PATH``, else stdout.

    Encoded as UTF-8 whatever the locale (data files, not terminal text); a lone surrogate
    (from a JSON escape in a JSON Lines input) is written as ``\\udXXX`` rather than
    stopping the run. Tables are streamed, so this is ``commands._output``'s streamed
    case with the encoding fixed.
    """
    if path is None or to_stdout(path):
        out = io.TextIOWrapper(
            sys.stdout.buffer, encoding="utf-8", errors="backslashreplace", newline="\n"
        )
        stack.callback(out.detach)
        stack.callback(out.flush)
        return out
    try:
        handle = open(path, "w", encoding="utf-8", errors="backslashreplace", newline="\n")  # noqa: SIM115
    except OSError as exc:
        raise UsageError(f"-o: cannot write '{path}': {exc.strerror or exc}") from exc
    return stack.enter_context(handle)


def run(args: argparse.Namespace) -> int:
    """Filter the URL list; return 0 (decisions are data, not failures)."""
    keep = parse_keep(args.keep)
    options = crawl_options(args)
    ruleset = load_rules(args)
    if (args.pages or args.media) and args.snapshot is not None:
        flag = "--pages" if args.pages else "--media"
        raise UsageError(f"{flag} fetches every URL; --snapshot decides with no network")
    fmt = output_format(args)
    timed = time_settings(args)
    with ExitStack() as stack:
        stream, name, seekable = _open_input(args.input, stack)
        sniffed = sniff(stream, name, seekable=seekable, table=args.column is not None)
        reader = open_reader(sniffed, name, args.input, args.column)
        _refuse_same_file(args.output, args.input)
        check_writable(args.output)
        if fmt == "parquet":
            writer = open_writer(fmt, None, args.output, reader, keep, args.only_kept)
        else:
            out = _open_output(args.output, stack)
            writer = open_writer(fmt, out, None, reader, keep, args.only_kept)
        stack.callback(writer.abort)  # a no-op once the output is finished
        tally = FilterTally(sys.stderr)
        snapshot = snapshot_choice(args)
        if snapshot is not None:
            stack.enter_context(snapshot)
            checker = stack.enter_context(
                UrlChecker(
                    chosen_agent(args, ruleset),
                    args.purpose,
                    snapshot=snapshot,
                    ruleset=ruleset,
                    on_fetch=tally.fetched,
                    **timed,
                )
            )
        else:
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
            malformed = _write(checker, reader, writer, tally, args.at_column)
        except BrokenPipeError:
            # The reader went away (`| head`): stop quietly, and keep Python's final
            # flush of stdout from complaining about the closed pipe.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            os.close(devnull)
            tally.progress.close()
            return 0
        stats = checker.stats
    every_row = fmt != "text" and not args.only_kept
    summary = tally.summary(kept=keep, malformed=malformed.count, stats=stats, every_url=every_row)
    print(f"crawlcheck: {summary}", file=sys.stderr)
    _summarise(reader, malformed, "skipped" if fmt == "text" else "written as unknown")
    return 0


class _Malformed:
    """Rows without a usable URL: counted, the first few kept for the stderr summary."""

    def __init__(self) -> None:
        self.count = 0
        self.examples: list[str] = []

    def note(self, text: str) -> None:
        self.count += 1
        if len(self.examples) < SHOWN_MALFORMED:
            self.examples.append(text)


def _write(
    checker: UrlChecker,
    reader: Reader,
    writer: Writer,
    tally: FilterTally,
    at_column: str | None = None,
) -> _Malformed:
    malformed = _Malformed()
    table = reader.kind != "text"
    # Windows start small (`| head` sees output early) and grow while their origins fit in
    # memory (UrlChecker.window_sizes); the reader bounds a table's chunks in bytes too.
    seen = 0
    for chunk in reader.chunks(checker.window_sizes()):
        times = None if at_column is None else row_times(reader, chunk, at_column)
        decided = decide_rows(checker, chunk.values, chunk.unreadable, times)
        # Read once per distinct outcome; rows are visited only when some are malformed.
        messages = [is_malformed(outcome) for outcome in decided.outcomes]
        for row, index in enumerate(decided.rows if any(messages) else ()):
            message = messages[index]
            if not message:
                continue
            shown = decided.urls[row][:_SHOWN_CHARS]
            if row in chunk.unreadable:
                malformed.note(message)  # it names its line
            elif table:
                malformed.note(
                    f"row {seen + row + 1}" + (f" {shown!r}" if shown else "") + f": {message}"
                )
            else:
                malformed.note(f"{shown!r}: {message}")
        seen += len(decided)
        # Written (and flushed) per window, so `| head` sees output before the next window.
        writer.write(chunk, decided)
        tally.window(decided)
    writer.close()
    return malformed


def _summarise(reader: Reader, malformed: _Malformed, fate: str) -> None:
    for note in reader.notes:
        print(f"crawlcheck: {reader.name}: {note}", file=sys.stderr)
    if not malformed.count:
        return
    what = "line(s)" if reader.kind == "text" else "row(s)"
    print(
        f"crawlcheck: {malformed.count} malformed {what} in {reader.name} {fate}: "
        + "; ".join(malformed.examples)
        + ("; …" if malformed.count > len(malformed.examples) else ""),
        file=sys.stderr,
    )
