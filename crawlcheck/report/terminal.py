"""What a terminal shows of an audit: a verdict table, one row per site, and a summary line.

Shared by ``audit`` (its default on a terminal, ``--format text``) and ``demo``. Rows can
be written one by one as sites finish (:class:`VerdictTable`); every value goes through
:func:`~crawlcheck.safe_text.safe_text`, and colour (only when asked: a terminal without
``NO_COLOR``) is never the only carrier of meaning: the verdict words are always there.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from crawlcheck.model import PURPOSES, SiteReport, SiteVerdict
from crawlcheck.report.document import VERDICTS, ordered_verdicts, unreachable_reason
from crawlcheck.safe_text import safe_text

__all__ = ["AuditTally", "VerdictTable", "render_text"]

#: The purpose the one-line summary counts: the question crawlcheck is named for.
SUMMARY_PURPOSE = "ai-train"
_CELL = max(len(v) for v in VERDICTS)
# SGR colours per verdict (ECMA-48 §8.3.117); the word itself always says the verdict.
_COLOURS = {
    SiteVerdict.RESERVED: "35",  # magenta
    SiteVerdict.PARTIAL: "33",  # yellow
    SiteVerdict.NOT_RESERVED: "32",  # green
    SiteVerdict.UNKNOWN: "1;31",  # bold red: nothing can be concluded
}


def site_notes(report: SiteReport) -> str:
    """Return the short note of a row: unreachable, else errors and warnings by count."""
    if unreachable_reason(report) is not None:
        return "unreachable"
    levels = [p.level for p in report.problems]
    parts = [
        f"{levels.count(level)} {level}{'' if levels.count(level) == 1 else 's'}"
        for level in ("error", "warning")
        if level in levels
    ]
    return ", ".join(parts)


class VerdictTable:
    """Rows of ``SITE  tdm  ai-train  ai-input  search  NOTES``, aligned for *sites*."""

    def __init__(self, sites: Iterable[str], *, colour: bool = False) -> None:
        self.width = max([len(safe_text(s)) for s in sites] + [len("SITE")])
        self.colour = colour

    def header(self) -> str:
        """Return the header line."""
        cells = "  ".join(p.ljust(_CELL) for p in PURPOSES)
        return f"{'SITE'.ljust(self.width)}  {cells}  NOTES".rstrip()

    def row(self, report: SiteReport) -> str:
        """Return the row of *report*."""
        cells = "  ".join(self._cell(v.verdict) for v in ordered_verdicts(report)[: len(PURPOSES)])
        line = f"{safe_text(report.origin).ljust(self.width)}  {cells}  {site_notes(report)}"
        return line.rstrip()

    def _cell(self, verdict: str) -> str:
        padded = verdict.ljust(_CELL)
        if not self.colour or verdict not in _COLOURS:
            return padded
        return f"\x1b[{_COLOURS[SiteVerdict(verdict)]}m{verdict}\x1b[0m{padded[len(verdict) :]}"


@dataclass(slots=True)
class AuditTally:
    """Counts of a run, kept as sites finish: the summary line and the CI messages."""

    sites: int = 0
    verdicts: dict[str, dict[str, int]] = field(
        default_factory=lambda: {p: dict.fromkeys(VERDICTS, 0) for p in PURPOSES}
    )
    unreachable: list[tuple[str, str]] = field(default_factory=list)
    """(origin, why) of every site that could not be reached at all, in input order."""
    seconds: float | None = None
    """How long the run took, once it is over."""

    def add(self, report: SiteReport) -> None:
        """Count one finished site."""
        self.sites += 1
        for verdict in ordered_verdicts(report):
            row = self.verdicts.setdefault(verdict.purpose, dict.fromkeys(VERDICTS, 0))
            row[verdict.verdict] = row.get(verdict.verdict, 0) + 1
        why = unreachable_reason(report)
        if why is not None:
            self.unreachable.append((report.origin, why))

    def summary(self) -> str:
        """Return the one-line summary: sites, the ai-train verdict counts, unreachable."""
        noun = "site" if self.sites == 1 else "sites"
        took = f" in {_duration(self.seconds)}" if self.seconds is not None else ""
        counts = self.verdicts[SUMMARY_PURPOSE]
        shown = ", ".join(f"{counts[v]} {v}" for v in VERDICTS if counts[v])
        line = f"{self.sites} {noun} audited{took} · {SUMMARY_PURPOSE}: {shown or 'nothing'}"
        if self.unreachable:
            line += f" · {len(self.unreachable)} unreachable"
        return line


def render_text(reports: Sequence[SiteReport], *, colour: bool = False) -> str:
    """Return the whole table and the summary line (``audit --format text`` to a file)."""
    table = VerdictTable((r.origin for r in reports), colour=colour)
    tally = AuditTally()
    lines = [table.header()]
    for report in reports:
        lines.append(table.row(report))
        tally.add(report)
    lines += ["", tally.summary()]
    return "\n".join(lines) + "\n"


def _duration(seconds: float) -> str:
    """Return *seconds* as ``0.4 s``, ``38 s`` or ``2 min 05 s``."""
    if seconds < 10:
        return f"{seconds:.1f} s"
    if seconds < 60:
        return f"{seconds:.0f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s"
