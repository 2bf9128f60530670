"""``audit -o PATH``'s checkpoint: every finished site kept beside the report as it finishes.

``PATH.checkpoint.jsonl`` holds one header line, then one ``crawlcheck.report/1`` site
object per line, written and flushed (to the operating system, not fsync'ed) in
completion order, so a run stopped by SIGINT, SIGTERM or even SIGKILL keeps every site
that had finished. The report itself is rendered at the end; the checkpoint is then
removed. ``audit --resume`` reads it back (:func:`~crawlcheck.report.document.site_from_dict`)
and audits only the sites it lacks. A line that does not read (the last one, cut by a
kill mid-write) is skipped, and that site is audited again: nothing unread counts as done.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from typing import IO

from crawlcheck.errors import UsageError
from crawlcheck.model import SiteReport
from crawlcheck.report.document import site_from_dict, site_to_dict
from crawlcheck.safe_text import json_safe

__all__ = ["SCHEMA", "SUFFIX", "Checkpoint", "checkpoint_path"]

#: The header line's ``schema``.
SCHEMA = "crawlcheck.checkpoint/1"
#: Appended to the report's path.
SUFFIX = ".checkpoint.jsonl"
#: Longest line read back (one site object); a longer one is skipped as damaged.
MAX_LINE = 64 * 1024 * 1024


def checkpoint_path(output: str) -> str:
    """Return the checkpoint's path for the report at *output*."""
    return output + SUFFIX


class Checkpoint:
    """The checkpoint of one run: open it, :meth:`add` each finished site, then finish."""

    def __init__(self, path: str, handle: IO[str], kept: dict[str, SiteReport]) -> None:
        self.path = path
        self._handle: IO[str] | None = handle
        self.kept = kept
        """Sites read back from an earlier run, by origin (empty unless resuming)."""
        self.count = len(kept)
        """Sites in the file: read back plus added."""
        self.damaged = 0
        """Lines of an earlier run that did not read (those sites are audited again)."""

    @classmethod
    def open(cls, output: str, *, resume: bool, command: str = "") -> Checkpoint:
        """Start the checkpoint for *output*; with *resume*, read an earlier one first.

        Without *resume*, an existing checkpoint is a usage error: it holds an interrupted
        run's sites, which a fresh run must not silently throw away.
        """
        path = checkpoint_path(output)
        exists = os.path.exists(path)
        if exists and not resume:
            raise UsageError(
                f"{path} holds the sites of an interrupted run: add --resume to finish it, "
                "or delete the file to start again"
            )
        kept: dict[str, SiteReport] = {}
        damaged = 0
        if exists:
            kept, damaged = _read(path)
        # Rewrite what was read (dropping a cut last line) so that appends start clean.
        temp = path + ".tmp"
        try:
            handle = open(temp, "w", encoding="utf-8")  # noqa: SIM115 - owned by the Checkpoint
            header = {"schema": SCHEMA, "command": command}
            handle.write(json.dumps(header, ensure_ascii=False) + "\n")
            for report in kept.values():
                handle.write(_line(report))
            handle.flush()
            os.replace(temp, path)
        except OSError as exc:
            raise UsageError(f"cannot write checkpoint {path}: {exc.strerror or exc}") from exc
        checkpoint = cls(path, handle, kept)
        checkpoint.damaged = damaged
        return checkpoint

    def add(self, report: SiteReport) -> None:
        """Keep one finished site: one line, flushed."""
        if self._handle is None:
            return
        self._handle.write(_line(report))
        self._handle.flush()
        self.count += 1

    def close(self) -> None:
        """Close the file and keep it (an interrupted run)."""
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    def finish(self) -> None:
        """Close and remove the file: the report it served is written."""
        self.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)


def _line(report: SiteReport) -> str:
    return json_safe(json.dumps(site_to_dict(report), ensure_ascii=False)) + "\n"


def _read(path: str) -> tuple[dict[str, SiteReport], int]:
    """Return the sites of the checkpoint at *path* by origin, and how many lines failed."""
    kept: dict[str, SiteReport] = {}
    damaged = 0
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            lines = _lines(handle)
            header = next(lines, "")
            if not _is_header(header):
                raise UsageError(f"{path} is not a crawlcheck checkpoint ({SCHEMA})")
            for line in lines:
                try:
                    report = site_from_dict(json.loads(line))
                except ValueError:  # json.JSONDecodeError is one too
                    damaged += 1
                    continue
                kept[report.origin] = report
    except OSError as exc:
        raise UsageError(f"cannot read checkpoint {path}: {exc.strerror or exc}") from exc
    return kept, damaged


def _lines(handle: IO[str]) -> Iterator[str]:
    while line := handle.readline(MAX_LINE + 1):
        if len(line) > MAX_LINE:
            while line and not line.endswith("\n"):  # skip the rest of an overlong line
                line = handle.readline(MAX_LINE)
            yield ""
            continue
        yield line


def _is_header(line: str) -> bool:
    try:
        header = json.loads(line)
    except ValueError:
        return False
    return isinstance(header, dict) and header.get("schema") == SCHEMA
