"""The ``crawlcheck`` command line: parse arguments, dispatch to one command module.

Exit codes (docs/cli.md): 0 ran and nothing asked for failed; 1 a requested gate failed
(``--fail-on``, or ``robots`` with a disallowed URL); 2 usage, configuration or input error,
with one line on stderr naming what is wrong; 130 interrupted (SIGINT), 143 terminated
(SIGTERM).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import signal
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from crawlcheck._version import __version__
from crawlcheck.errors import CrawlcheckError, Interrupted, Terminated

#: Command modules in ``crawlcheck.commands``, in the order ``--help`` lists them.
COMMANDS: tuple[str, ...] = (
    "audit",
    "check",
    "filter",
    "snapshot",
    "robots",
    "media",
    "agents",
    "diff",
    "demo",
)


class _Parser(argparse.ArgumentParser):
    """An argparse parser whose usage errors are one line and exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        command = self.prog.removeprefix("crawlcheck").strip()
        raise CrawlcheckError(f"{command}: {message}" if command else message)


def _show_warnings() -> None:
    """Print the library's warnings (the ``crawlcheck`` logger) on stderr, one line each."""
    logger = logging.getLogger("crawlcheck")
    if not any(getattr(h, "_crawlcheck_cli", False) for h in logger.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("crawlcheck: warning: %(message)s"))
        handler.setLevel(logging.WARNING)
        handler._crawlcheck_cli = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
        logger.setLevel(logging.WARNING)


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser with every available command."""
    parser = _Parser(
        prog="crawlcheck",
        description="Is this content reserved from AI training? By which signal, for which "
        "crawlers, for which uses — with evidence.",
    )
    parser.add_argument("--version", action="version", version=f"crawlcheck {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMANDS:
        # A command that fails to import is a packaging bug: let it be seen, never hidden.
        module = importlib.import_module(f"crawlcheck.commands.{name}")
        sub = subparsers.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(sub)
        sub.set_defaults(_run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit code.

    Every error is one line on stderr with one prefix, ``crawlcheck: error: COMMAND: …``
    (docs/cli.md), whether argparse or the command found it.
    """
    _show_warnings()
    parser = build_parser()
    try:
        args = _parse(parser, argv)
    except CrawlcheckError as exc:
        print(f"crawlcheck: error: {exc}", file=sys.stderr)
        return exc.exit_code
    if not getattr(args, "_run", None):
        parser.print_help(sys.stderr)
        return 2
    with _terminate_as_interrupt():
        try:
            code: int = args._run(args)
            return code
        except Interrupted as exc:
            print(f"crawlcheck: {exc}", file=sys.stderr)
            return exc.exit_code
        except CrawlcheckError as exc:
            print(f"crawlcheck: error: {args.command}: {exc}", file=sys.stderr)
            return exc.exit_code
        except Terminated:
            print("crawlcheck: terminated", file=sys.stderr)
            return Terminated.exit_code
        except KeyboardInterrupt:
            print("crawlcheck: interrupted", file=sys.stderr)
            return 130
        except BrokenPipeError:
            # The reader went away (e.g. `| head`); nothing more to say.
            return 0


def _parse(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> argparse.Namespace:
    args, extras = parser.parse_known_args(argv)
    # Positionals after an option (``robots FILE --agent X URL…``) are left over by
    # argparse; commands that take a list of positionals name it in ``_extras``.
    target = getattr(args, "_extras", None)
    unknown = [e for e in extras if e.startswith("-") and e != "-"] if target else extras
    if unknown:
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    if target and extras:
        setattr(args, target, [*getattr(args, target), *extras])
    return args


@contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """Turn SIGTERM into :class:`Terminated` while a command runs, so it can clean up.

    ``kill PID`` (and CI runners' timeouts) then unwind like Ctrl-C does: finally blocks
    run, the crawl's child process is stopped, and ``audit`` names its checkpoint.
    """

    def on_term(signum: int, frame: object) -> None:
        raise Terminated()

    try:
        previous = signal.signal(signal.SIGTERM, on_term)
    except ValueError:  # not the main thread (main() called from a library's thread)
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def entry_point() -> None:
    """Console-script entry point."""
    sys.exit(main())
