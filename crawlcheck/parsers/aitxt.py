"""Spawning ai.txt: robots.txt-style records at ``/ai.txt``, read for media downloads.

There is no published grammar (standards.md §4, DE-FACTO): the file is read exactly like
robots.txt (crawlcheck.parsers.robots, Google's grouping and matching). Spawning's
generator writes extension globs such as ``Disallow: *.jpg``; Google's matcher anchors the
pattern at the start of the path and lets ``*`` match any run, so ``*.jpg`` reserves every
path containing ``.jpg`` (``/a.jpg``, ``/a.jpg.html``) and ``Disallow: *`` reserves all.

No spec defines fetch outcomes either; crawlcheck's choice: 2xx is parsed, 4xx means no
ai.txt (not a signal), 5xx or a network failure means unknown (reported as a problem).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from crawlcheck.model import Evidence, Fetched, Observation, Problem, Signal
from crawlcheck.parsers._robots_syntax import LineKind
from crawlcheck.parsers._robots_types import matches_everything
from crawlcheck.parsers.pattern import path_of
from crawlcheck.parsers.robots import (
    Decision,
    Group,
    RobotsTxt,
    Rule,
    parse_robots,
)
from crawlcheck.parsers.text import looks_like_html

#: An extension glob as Spawning writes it (``*.jpg``), optionally anchored (``/*.jpg$``).
_MEDIA_GLOB = re.compile(r"^/?\*\.[A-Za-z0-9]+\$?$")
_RECORD_KINDS = (LineKind.USER_AGENT, LineKind.ALLOW, LineKind.DISALLOW)


@dataclass(frozen=True, slots=True, kw_only=True)
class AiTxt:
    """A fetched /ai.txt, read; query it with :meth:`allows` and :meth:`decide`."""

    source: str
    usable: bool
    """False when there is nothing to read: not 2xx, HTML, prose, or no record at all."""
    observations: tuple[Observation, ...]
    problems: tuple[Problem, ...]
    robots: RobotsTxt | None = field(default=None, repr=False)
    """The body read as robots.txt (None when the file is not usable)."""

    def allows(self, agent: str, url: str) -> bool:
        """Return True if ai.txt lets *agent* use *url* (True when there is no usable file)."""
        if self.robots is None:
            return True
        return self.robots.allows(agent, url)

    def decide(self, agent: str, url: str) -> Decision:
        """Return the decision for *agent* and *url* with the line that made it."""
        if self.robots is None:
            return Decision(agent, path_of(url), True, None, (), False)
        return self.robots.decide(agent, url)

    def reserves_everything(self, agent: str = "*") -> bool:
        """Return True when the groups for *agent* disallow every path and no allow reopens any.

        Longest match decides (robots.txt conventions; unspecified for ai.txt, standards.md
        §4 edge case 3): an allow at least as long as the widest disallow wins somewhere.
        """
        rules = self._rules(agent)
        widest = [r.priority for r in rules if not r.allow and matches_everything(r.pattern)]
        if not widest:
            return False
        needed = max(widest)
        return not any(r.allow and r.priority >= needed for r in rules)

    def reserved_media(self, agent: str = "*") -> tuple[str, ...]:
        """Return the extension globs (``*.jpg``) disallowed for *agent*, in file order."""
        rules = self._rules(agent)
        allowed = {r.pattern for r in rules if r.allow}
        globs = (
            r.pattern
            for r in rules
            if not r.allow and _MEDIA_GLOB.match(r.pattern) and r.pattern not in allowed
        )
        return tuple(dict.fromkeys(globs))

    def _rules(self, agent: str) -> list[Rule]:
        if self.robots is None:
            return []
        groups, _ = self.robots.groups_for(agent)
        return [rule for group in groups for rule in group.rules if rule.priority > 0]


def parse_ai_txt(doc: Fetched) -> AiTxt:
    """Return the ai.txt of *doc*; never raises on any content.

    >>> ai = parse_ai_txt(Fetched(url="https://e.com/ai.txt", status=200,
    ...                           body=b"User-Agent: *\\nDisallow: *.jpg\\n"))
    >>> ai.allows("*", "https://e.com/cat.jpg"), ai.reserved_media()
    (False, ('*.jpg',))
    """
    source = doc.url
    status_problem = _status_problem(doc)
    if status_problem is not None:
        return _unusable(source, status_problem)
    if not doc.body.strip():
        return _unusable(source, _problem(source, "ai-txt.empty", "empty file: no rules", "info"))
    if looks_like_html(doc.body, doc.content_type):
        return _unusable(
            source,
            _problem(
                source,
                "ai-txt.html-served",
                "an HTML page was served as ai.txt (a soft 404): it has no rules",
                "warning",
            ),
        )
    robots = parse_robots(doc.body, source, doc.content_type)
    problems = [_renamed(p) for p in robots.problems]
    if not any(line.kind in _RECORD_KINDS for line in robots.lines):
        has_text = any(line.kind is not LineKind.BLANK for line in robots.lines)
        code, message = (
            (
                "ai-txt.prose",
                "free text with no User-agent/Allow/Disallow record: not machine-readable, so "
                "what it reserves is unknown",
            )
            if has_text
            else ("ai-txt.empty", "only comments: no rules")
        )
        return _unusable(
            # Prose ("I do not consent to AI training") may well be a reservation that no
            # machine can read: an error, so the purposes ai.txt speaks to are unknown.
            source,
            _problem(source, code, message, "error" if has_text else "info"),
        )
    observations: list[Observation] = []
    for group in robots.groups:
        observations.extend(_group_observations(group, source))
    problems.extend(_pattern_problems(robots, source))
    return AiTxt(
        source=source,
        usable=True,
        observations=tuple(observations),
        problems=tuple(problems),
        robots=robots,
    )


def _group_observations(group: Group, source: str) -> list[Observation]:
    agents = tuple(dict.fromkeys(group.tokens))
    found: list[Observation] = []
    seen_lines: set[int] = set()
    for rule in group.rules:
        # Skip Google's synthetic "/dir/$" rule added for "Allow: /dir/index.html" (same line),
        # and empty rules, which state nothing (RFC 9309 §2.2.2).
        if rule.line in seen_lines or not rule.pattern:
            continue
        seen_lines.add(rule.line)
        found.append(
            Observation(
                signal=Signal.AI_TXT,
                key="allow" if rule.allow else "disallow",
                value=rule.pattern,
                agents=agents,
                scope=rule.pattern,
                evidence=Evidence(source=source, text=rule.text.strip(), line=rule.line),
            )
        )
    return found


def _pattern_problems(robots: RobotsTxt, source: str) -> list[Problem]:
    """Report patterns that do not start with ``/`` (standards.md §4 edge case 1)."""
    globs: list[Rule] = []
    problems: list[Problem] = []
    for group in robots.groups:
        for rule in group.rules:
            if not rule.pattern or rule.pattern.startswith("/"):
                continue
            if rule.pattern.startswith("*"):
                globs.append(rule)
            else:
                problems.append(
                    _problem(
                        source,
                        "ai-txt.pattern-never-matches",
                        f"'{rule.pattern}' starts with neither '/' nor '*': it matches no path",
                        "warning",
                        rule.line,
                    )
                )
    if globs:
        problems.insert(
            0,
            _problem(
                source,
                "ai-txt.pattern-not-path",
                f"{len(globs)} pattern(s) such as '{globs[0].pattern}' do not start with '/': "
                f"matched Google-style (like '/{globs[0].pattern}', anywhere in the path); "
                "strict RFC 9309 parsers ignore them",
                "info",
                globs[0].line,
            ),
        )
    return problems


def _status_problem(doc: Fetched) -> Problem | None:
    if doc.ok:
        return None
    if doc.status is None:
        return _problem(
            doc.url, "ai-txt.fetch-failed", f"fetch failed ({doc.error}): ai.txt unknown", "warning"
        )
    if 400 <= doc.status < 500:
        code = "ai-txt.not-found" if doc.status in (404, 410) else "ai-txt.client-error"
        return _problem(doc.url, code, f"HTTP {doc.status}: no ai.txt (not a signal)", "info")
    if doc.status >= 500:
        return _problem(
            doc.url, "ai-txt.server-error", f"HTTP {doc.status}: ai.txt unknown", "warning"
        )
    return _problem(
        doc.url, "ai-txt.unexpected-status", f"HTTP {doc.status}: ai.txt unknown", "warning"
    )


def _unusable(source: str, problem: Problem) -> AiTxt:
    return AiTxt(source=source, usable=False, observations=(), problems=(problem,))


def _renamed(problem: Problem) -> Problem:
    code = problem.code
    if code.startswith("robots."):
        code = "ai-txt." + code.removeprefix("robots.")
    return Problem(
        code=code,
        message=problem.message,
        source=problem.source,
        line=problem.line,
        level=problem.level,
    )


def _problem(source: str, code: str, message: str, level: str, line: int | None = None) -> Problem:
    return Problem(code=code, message=message, source=source, line=line, level=level)
