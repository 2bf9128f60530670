"""Where a command's output goes: stdout, a file streamed as it comes, or a file replaced whole.

One place for every command (``audit``, ``demo``, ``media``, ``filter``…): an output path is
checked before any work starts, a streamed format (JSONL, text) is written and flushed as
results come, and a whole-document format (JSON, HTML, CSV…) goes through a temporary file
renamed into place, so an existing file is never left half-written.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

from crawlcheck.errors import UsageError

__all__ = [
    "atomic_file",
    "check_writable",
    "open_output",
    "open_stream",
    "to_stdout",
    "write_atomically",
]


def to_stdout(output: str | None) -> bool:
    """Return True when the output goes to stdout (no ``-o``, or ``-o -``)."""
    return output is None or output == "-"


def check_writable(output: str | None) -> None:
    """Raise UsageError now, before any work, if *output* cannot be written."""
    if to_stdout(output):
        return
    assert output is not None
    directory = os.path.dirname(os.path.abspath(output))
    if os.path.isdir(output):
        raise UsageError(f"-o {output!r} is a directory")
    if not os.path.isdir(directory) or not os.access(directory, os.W_OK):
        raise UsageError(
            f"-o {output!r}: directory {directory!r} does not exist or is not writable"
        )


@contextmanager
def open_stream(output: str | None) -> Iterator[IO[str]]:
    """Yield stdout (left open), or the file at *output* (closed after)."""
    if to_stdout(output):
        yield sys.stdout
        return
    assert output is not None
    try:
        handle = open(output, "w", encoding="utf-8")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise UsageError(f"cannot write '{output}': {exc.strerror or exc}") from exc
    with handle:
        yield handle


@contextmanager
def atomic_file(path: str) -> Iterator[IO[str]]:
    """Yield a temporary file beside *path*; it replaces *path* only if the block succeeds."""
    directory = os.path.dirname(os.path.abspath(path))
    try:
        fd, temp = tempfile.mkstemp(prefix=".crawlcheck-", dir=directory)
    except OSError as exc:
        raise UsageError(f"cannot write '{path}': {exc.strerror or exc}") from exc
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            yield handle
        # mkstemp creates the file 0600; give it the mode a plain open() would have.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temp, 0o666 & ~umask)
        os.replace(temp, path)
    except OSError as exc:
        os.unlink(temp)
        raise UsageError(f"cannot write '{path}': {exc.strerror or exc}") from exc
    except BaseException:
        os.unlink(temp)
        raise


def write_atomically(path: str, text: str) -> None:
    """Write *text* to *path* through a temporary file renamed into place."""
    with atomic_file(path) as handle:
        handle.write(text)


@contextmanager
def open_output(output: str | None, *, stream: bool) -> Iterator[IO[str]]:
    """Yield where a command writes: stdout, the file as it comes (*stream*), or the file
    replaced whole once the block succeeds."""
    if stream or to_stdout(output):
        with open_stream(output) as handle:
            yield handle
    else:
        assert output is not None
        with atomic_file(output) as handle:
            yield handle
