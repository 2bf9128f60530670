"""The value types of a parsed robots.txt: rules, extension records, groups."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from crawlcheck.parsers._robots_syntax import is_global_agent, product_token


class Rule(NamedTuple):
    """One Allow or Disallow rule.

    A named tuple, not a dataclass: a large file has tens of thousands of rules, and a
    tuple is built several times faster than a frozen dataclass (immutable all the same).
    """

    allow: bool
    pattern: str
    """The path pattern as Google matches it (percent-escaped)."""
    line: int
    text: str

    @property
    def priority(self) -> int:
        """Return the match priority: the pattern's length in octets (longest match)."""
        return len(self.pattern)


class ExtensionRecord(NamedTuple):
    """A Content-Signal, Content-Usage, or other non-rule record (a named tuple, as Rule)."""

    name: str
    """Lower-cased record name: ``content-signal``, ``content-usage``, ``crawl-delay``…"""
    value: str
    line: int
    text: str


@dataclass(frozen=True, slots=True)
class Group:
    """One group: its user-agent values, rules and extension records."""

    agents: tuple[str, ...]
    """User-agent values as written."""
    agent_lines: tuple[int, ...]
    rules: tuple[Rule, ...]
    records: tuple[ExtensionRecord, ...]

    @property
    def is_global(self) -> bool:
        """Return True when the group names ``*``."""
        return any(is_global_agent(agent) for agent in self.agents)

    @property
    def tokens(self) -> tuple[str, ...]:
        """Return the product tokens Google compares (``*`` for the global agent)."""
        return tuple("*" if is_global_agent(a) else product_token(a) for a in self.agents)

    def describe(self) -> str:
        """Return the group's user-agent lines as one line of evidence."""
        return ", ".join(
            f"line {n}: User-agent: {a}" for n, a in zip(self.agent_lines, self.agents, strict=True)
        )


def matches_everything(pattern: str) -> bool:
    """Return True for patterns that match every path: ``/``, ``*``, ``/*``, ``/**``…"""
    return pattern.replace("*", "") in ("", "/") and not pattern.endswith("$")
