"""llms.txt (llmstxt.org proposal): recorded as present, never read as a reservation.

llms.txt is Markdown for agents at inference time (an H1 name, a summary, link lists). It
has no vocabulary for permission or prohibition (standards.md §10), so crawlcheck records
only that it exists, its size and hash, and its title. Robots-style lines and "no training"
prose inside it are reported as information: no crawler reads them as a reservation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

from crawlcheck.model import Evidence, Fetched, Observation, Problem, Signal
from crawlcheck.parsers.text import charset_of, decode_text, looks_like_html

#: Text beyond this is not scanned (llms-full.txt-style files can be megabytes; §10 edge 3).
SCAN_BYTES = 1024 * 1024
#: At most this many natural-language statements are reported per file.
MAX_STATEMENTS = 5

_ATX_H1 = re.compile(r"^ {0,3}#[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(```|~~~)")
_ROBOTS_LINE = re.compile(r"^\s*(user-agent|disallow|allow)\s*:", re.IGNORECASE)
_NO_TRAINING = re.compile(
    r"\b(?:"
    r"(?:do|must|may|shall|should)\s+not\s+(?:be\s+)?(?:use[ds]?|train(?:ed)?|scrape[ds]?)"
    r"|not\s+(?:permitted|allowed|authori[sz]ed)\s+(?:to|for)\s+(?:\w+\s+){0,3}?(?:ai|train)"
    r"|no\s+(?:ai\s+|llm\s+|model\s+)?training"
    r"|training\s+(?:is\s+)?(?:prohibited|forbidden|not\s+(?:permitted|allowed))"
    r"|opt(?:s|ed)?[\s-]+out\s+of\s+(?:ai|training|machine)"
    r"|tdm\s+(?:rights\s+)?reserved|reserv\w*\s+(?:the\s+)?(?:tdm|text\s+and\s+data\s+mining)"
    r")",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class LlmsTxt:
    """A fetched /llms.txt: presence, size, hash and title."""

    source: str
    present: bool
    """A 2xx, non-empty, non-HTML body was served."""
    size: int
    """Bytes received."""
    sha256: str
    title: str
    """The first level-1 heading (``# Name``), or ``""``."""
    observations: tuple[Observation, ...]
    problems: tuple[Problem, ...]


def parse_llms_txt(doc: Fetched) -> LlmsTxt:
    """Return what /llms.txt of *doc* shows; never raises on any content.

    >>> llms = parse_llms_txt(Fetched(url="https://e.com/llms.txt", status=200, body=b"# Example\\n"))
    >>> llms.present, llms.title
    (True, 'Example')
    """
    source = doc.url
    problems: list[Problem] = []

    def result(present: bool, title: str = "", shown: tuple[str, int] | None = None) -> LlmsTxt:
        observations: tuple[Observation, ...] = ()
        if present and shown is not None:
            text, line = shown
            observations = (
                Observation(
                    signal=Signal.LLMS_TXT,
                    key="present",
                    scope="/",
                    evidence=Evidence(source=source, text=text, line=line),
                ),
            )
        return LlmsTxt(
            source=source,
            present=present,
            size=len(doc.body),
            sha256=doc.sha256,
            title=title,
            observations=observations,
            problems=tuple(problems),
        )

    def problem(code: str, message: str, level: str = "info", line: int | None = None) -> None:
        problems.append(Problem(code=code, message=message, source=source, line=line, level=level))

    if not doc.ok:
        # No spec defines errors; absence (4xx) is normal and not a defect.
        if doc.status is None or doc.status >= 500:
            what = doc.error if doc.status is None else f"HTTP {doc.status}"
            problem("llms-txt.fetch-failed", f"llms.txt could not be fetched ({what})")
        return result(False)
    if not doc.body.strip():
        problem("llms-txt.empty", "empty llms.txt")
        return result(False)
    if looks_like_html(doc.body, doc.content_type):
        problem("llms-txt.html-served", "an HTML page was served as llms.txt", "warning")
        return result(False)
    if doc.truncated or len(doc.body) > SCAN_BYTES:
        problem("llms-txt.large", f"{len(doc.body):,} bytes; only the first {SCAN_BYTES:,} read")
    text, _ = decode_text(doc.body[:SCAN_BYTES], charset_of(doc.header("Content-Type")))
    title, shown = _scan(text, problem)
    if not title:
        problem("llms-txt.no-title", "no '# Name' heading, which the llms.txt proposal requires")
    return result(True, title, shown)


def _scan(text: str, problem: _Sink) -> tuple[str, tuple[str, int]]:
    """Return (first H1, its evidence line), reporting robots-style lines and no-training prose.

    The evidence line is the H1 line, else the first non-blank line: (raw text, number).
    """
    title = ""
    shown: tuple[str, int] | None = None
    in_fence = False
    robots_lines: list[int] = []
    statements = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if shown is None and line.strip():
            shown = (line.strip(), number)
        if _FENCE.match(line):
            in_fence = not in_fence
            continue
        if in_fence:
            continue
        heading = _ATX_H1.match(line)
        if heading and not title and heading.group(1):
            title, shown = heading.group(1).strip(), (line.strip(), number)
        if _ROBOTS_LINE.match(line):
            robots_lines.append(number)
        elif statements < MAX_STATEMENTS and _NO_TRAINING.search(line):
            statements += 1
            problem(
                "llms-txt.natural-language-statement",
                f"text that reads like a reservation ({line.strip()[:120]!r}) is not a "
                "machine-readable signal",
                "info",
                number,
            )
    if robots_lines:
        problem(
            "llms-txt.robots-syntax",
            f"{len(robots_lines)} robots.txt-style line(s) (User-agent/Allow/Disallow): llms.txt "
            "has no such records; put them in robots.txt or ai.txt",
            "info",
            robots_lines[0],
        )
    return title, shown or ("", 1)


class _Sink(Protocol):
    def __call__(
        self, code: str, message: str, level: str = "info", line: int | None = None
    ) -> None: ...
