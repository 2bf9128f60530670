"""One audit run for ``audit`` and ``demo``: crawl, keep finished sites, write the report.

The pieces a user sees are put together here: the progress line (stderr, terminals
only), the checkpoint beside ``-o PATH`` (every finished site, in completion order), the
report (input order: streamed for ``jsonl`` and the terminal table, rendered whole and
renamed into place for the others) and the interrupt rule: on SIGINT or SIGTERM the
checkpoint keeps what finished and the run ends with one line naming it (exit 130/143).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass, replace

from crawlcheck.checkpoint import Checkpoint
from crawlcheck.commands._output import open_stream, to_stdout, write_atomically
from crawlcheck.crawl.options import CrawlOptions
from crawlcheck.errors import Interrupted, Terminated
from crawlcheck.model import SiteReport
from crawlcheck.progress import Progress
from crawlcheck.report import ReportMeta, render, render_site_jsonl
from crawlcheck.report.terminal import AuditTally, VerdictTable, render_text
from crawlcheck.ruleset import Ruleset
from crawlcheck.site_audit import AuditTarget, iter_audit

__all__ = ["AuditRun"]

#: Formats written site by site as sites finish (in input order); the others at the end.
STREAMED = ("jsonl", "text")


@dataclass(slots=True, kw_only=True)
class AuditRun:
    """What to audit and where the report goes; :meth:`run` does it."""

    targets: Sequence[AuditTarget]
    options: CrawlOptions
    ruleset: Ruleset
    fmt: str
    output: str | None
    meta: ReportMeta
    resume: bool = False
    colour: bool = False
    """Colour the verdict words of the terminal table."""
    csv_layout: str = "site"
    """The CSV layout (``crawlcheck.report.CSV_LAYOUTS``)."""
    on_report: Callable[[SiteReport], None] | None = None
    """Called with each report in input order (``--fail-on``, ``demo``'s table)."""

    def run(self) -> AuditTally:
        """Audit every target, write the report, and return the run's counts."""
        started = time.monotonic()
        checkpoint = None
        if not to_stdout(self.output):
            assert self.output is not None
            command = self.meta.command or ""
            checkpoint = Checkpoint.open(self.output, resume=self.resume, command=command)
        kept = checkpoint.kept if checkpoint is not None else {}
        remaining = [t for t in self.targets if t.origin not in kept]
        tally = AuditTally()
        progress = Progress("audit", "site", total=len(self.targets), stream=sys.stderr)
        progress.advance(len(self.targets) - len(remaining))
        finished = [len(self.targets) - len(remaining)]

        def on_finished(report: SiteReport) -> None:
            if checkpoint is not None:
                checkpoint.add(report)
            finished[0] += 1
            progress.status(f"{len(self.targets) - finished[0]} pending")
            progress.advance()

        fresh = iter_audit(remaining, self.options, self.ruleset, on_finished=on_finished)
        reports = _in_input_order(self.targets, kept, fresh)
        try:
            self._write(reports, tally, progress)
        except (KeyboardInterrupt, Terminated) as exc:
            progress.close()
            reports.close()
            fresh.close()  # stops the crawl's child process now, not at garbage collection
            code = Terminated.exit_code if isinstance(exc, Terminated) else 130
            if checkpoint is None:
                raise
            checkpoint.close()
            raise Interrupted(
                f"interrupted: {checkpoint.count} of {len(self.targets)} sites finished are kept "
                f"in {checkpoint.path}; run the same command with --resume to finish",
                code,
            ) from None
        except BaseException:
            progress.close()
            reports.close()
            fresh.close()
            if checkpoint is not None:
                checkpoint.close()
            raise
        progress.close()
        if checkpoint is not None:
            checkpoint.finish()
        tally.seconds = time.monotonic() - started
        return tally

    def _write(self, reports: Iterator[SiteReport], tally: AuditTally, progress: Progress) -> None:
        def count(report: SiteReport) -> SiteReport:
            tally.add(report)
            if self.on_report is not None:
                self.on_report(report)
            return report

        if self.fmt == "text" and to_stdout(self.output):
            table = VerdictTable((t.origin for t in self.targets), colour=self.colour)
            with progress.above():
                print(table.header(), flush=True)
            for report in reports:
                row = table.row(count(report))
                with progress.above():
                    print(row, flush=True)
            return
        if self.fmt == "jsonl":
            with open_stream(self.output) as stream:
                for report in reports:
                    stream.write(render_site_jsonl(count(report)))
                    stream.flush()
            return
        done = [count(report) for report in reports]
        if self.fmt == "text":
            text = render_text(done)
        else:
            text = render(self.fmt, done, self.meta, csv_layout=self.csv_layout)
        if to_stdout(self.output):
            sys.stdout.write(text)
            sys.stdout.flush()
        else:
            assert self.output is not None
            write_atomically(self.output, text)


def _in_input_order(
    targets: Sequence[AuditTarget], kept: dict[str, SiteReport], fresh: Iterator[SiteReport]
) -> Generator[SiteReport, None, None]:
    """Yield one report per target in input order: kept ones (resumed) and fresh ones."""
    for target in targets:
        old = kept.get(target.origin)
        if old is None:
            yield next(fresh)
        else:
            yield replace(old, site=target.site, inputs=target.inputs)
