"""A slow, straightforward reading of robots.txt, to check the fast paths against.

Nothing here is clever: groups are formed from the per-line reading (``RobotsTxt.lines``,
Google's line syntax), an agent's groups are found by comparing product tokens one group
at a time, and a decision tries every rule with robots.cc's own matching algorithm
(``RobotsMatchStrategy::Matches``, transliterated) and keeps the longest match, Allow
winning ties (robots.cc ``RobotsMatcher::disallow``).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from crawlcheck.parsers._robots_syntax import LineKind, is_global_agent, product_token
from crawlcheck.parsers.robots import ExtensionRecord, Group, RobotsTxt, Rule


def google_matches(path: str, pattern: str) -> bool:
    """Return robots.cc ``Matches(path, pattern)``: the set of positions the pattern can reach."""
    positions = [0]
    for index, char in enumerate(pattern):
        if char == "$" and index == len(pattern) - 1:
            return positions[-1] == len(path)
        if char == "*":
            positions = list(range(positions[0], len(path) + 1))
        else:
            positions = [p + 1 for p in positions if p < len(path) and path[p] == char]
            if not positions:
                return False
    return True


def reference_groups(groups: tuple[Group, ...], agent: str) -> tuple[list[Group], bool]:
    """Return (the groups that apply to *agent*, whether they name it) (RFC 9309 §2.2.1)."""
    own = [
        group
        for group in groups
        if agent.isascii()
        and any(
            not is_global_agent(value) and product_token(value).lower() == agent.lower()
            for value in group.agents
        )
    ]
    if own:
        return own, True
    return [g for g in groups if any(is_global_agent(v) for v in g.agents)], False


@dataclass(frozen=True, slots=True)
class Answer:
    """The reference decision: allowed, and the longest matching allow / disallow lengths."""

    allowed: bool
    allow_priority: int
    disallow_priority: int


@functools.lru_cache(maxsize=4096)
def _as_regex(pattern: str) -> re.Pattern[str]:
    """Return the textbook regex for a pattern: ``*`` is ``.*``, a final ``$`` is the end."""
    body, end = (pattern[:-1], r"\Z") if pattern.endswith("$") else (pattern, "")
    return re.compile(".*".join(re.escape(part) for part in body.split("*")) + end, re.DOTALL)


def matches(path: str, pattern: str) -> bool:
    """Return :func:`google_matches`, in the quickest way that is plainly the same.

    Without ``*``: a prefix or (``$``) equality test; with a few ``*``: the textbook regex
    (its backtracking is harmless at this size); with more: robots.cc's algorithm.
    """
    stars = pattern.count("*")
    if not stars:
        return path == pattern[:-1] if pattern.endswith("$") else path.startswith(pattern)
    if stars <= 3:
        return _as_regex(pattern).match(path) is not None
    return google_matches(path, pattern)


class ReferenceRules:
    """An agent's rules, found by their literal head (what a path must start with)."""

    def __init__(self, rules: list[Rule]) -> None:
        self.by_head: dict[str, list[Rule]] = {}
        for rule in rules:
            if not rule.pattern:
                continue  # robots.cc: an empty pattern matches with priority 0, never counted
            head = rule.pattern.split("*", 1)[0]
            if "*" not in rule.pattern and head.endswith("$"):
                head = head[:-1]
            self.by_head.setdefault(head, []).append(rule)

    def decide(self, path: str) -> Answer:
        """Return the decision at *path*: every rule whose head starts the path is tried."""
        allow = disallow = 0
        for length in range(len(path) + 1):
            for rule in self.by_head.get(path[:length], ()):
                if matches(path, rule.pattern):
                    if rule.allow:
                        allow = max(allow, len(rule.pattern))
                    else:
                        disallow = max(disallow, len(rule.pattern))
        return Answer(disallow <= allow, allow, disallow)


@dataclass(frozen=True, slots=True)
class ReferenceParse:
    """What the reference reading of the lines finds."""

    groups: tuple[Group, ...]
    sitemaps: tuple[ExtensionRecord, ...]
    licenses: tuple[ExtensionRecord, ...]
    outside: tuple[ExtensionRecord, ...]


def reference_parse(robots: RobotsTxt) -> ReferenceParse:
    """Return the groups and records formed line by line from ``robots.lines``."""
    groups: list[Group] = []
    sitemaps: list[ExtensionRecord] = []
    licenses: list[ExtensionRecord] = []
    outside: list[ExtensionRecord] = []
    agents: list[str] = []
    agent_lines: list[int] = []
    rules: list[Rule] = []
    records: list[ExtensionRecord] = []
    for line in robots.lines:
        if line.kind is LineKind.USER_AGENT:
            if rules:
                groups.append(
                    Group(tuple(agents), tuple(agent_lines), tuple(rules), tuple(records))
                )
                agents, agent_lines, rules, records = [], [], [], []
            agents.append(line.raw_value)
            agent_lines.append(line.number)
        elif line.kind in (LineKind.ALLOW, LineKind.DISALLOW):
            if not agents:
                continue
            allow = line.kind is LineKind.ALLOW
            rules.append(Rule(allow, line.value, line.number, line.text))
            slash = line.value.rfind("/")
            if allow and slash >= 0 and line.value[slash:].startswith("/index.htm"):
                rules.append(Rule(True, line.value[: slash + 1] + "$", line.number, line.text))
        elif line.kind is LineKind.SITEMAP:
            sitemaps.append(ExtensionRecord("sitemap", line.raw_value, line.number, line.text))
        elif line.kind is LineKind.OTHER:
            name = line.key.strip().lower()
            record = ExtensionRecord(name, line.raw_value, line.number, line.text)
            if name == "license":
                licenses.append(record)
            elif agents:
                records.append(record)
            elif name in ("content-signal", "content-usage"):
                outside.append(record)
    if agents:
        groups.append(Group(tuple(agents), tuple(agent_lines), tuple(rules), tuple(records)))
    return ReferenceParse(tuple(groups), tuple(sitemaps), tuple(licenses), tuple(outside))
