"""robots.txt: RFC 9309 exactly as Google's open-source reference parser applies it.

Parsing happens once (:func:`parse_robots`); each agent's rules are then compiled on first
use, so deciding many URLs is cheap. Grouping follows robots.cc: a group is a run of
user-agent lines followed by rules, and ends at the next user-agent line after a rule
(RFC 9309 §2.2.1); other records (Sitemap, Content-Signal, …) never end a group
(§2.2.4). Extension records are kept with their line numbers: Content-Signal (Cloudflare),
Content-Usage (draft-ietf-aipref-attach-05 §4), License (RSL 1.0) and Sitemap.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

from crawlcheck.model import Evidence, Observation, Problem, Signal
from crawlcheck.parsers._robots_build import (
    USAGE_VALUE,
    Builder,
    file_problems,
    parse_content_signal,
    split_usage_rule,
)
from crawlcheck.parsers._robots_index import AgentRules, index_rules
from crawlcheck.parsers._robots_lint import lint
from crawlcheck.parsers._robots_syntax import (
    MAX_BYTES,
    RobotsLine,
    iter_lines,
    prepare,
    product_token,
)
from crawlcheck.parsers._robots_types import ExtensionRecord, Group, Rule, matches_everything
from crawlcheck.parsers.pattern import path_of
from crawlcheck.parsers.text import looks_like_html

__all__ = [
    "MAX_BYTES",
    "USAGE_VALUE",
    "AgentState",
    "Decision",
    "ExtensionRecord",
    "Group",
    "RobotsTxt",
    "Rule",
    "matches_everything",
    "parse_content_signal",
    "parse_robots",
    "product_token",
    "split_usage_rule",
]


@dataclass(frozen=True, slots=True)
class Decision:
    """Why a URL is allowed or disallowed for one agent."""

    agent: str
    path: str
    allowed: bool
    rule: Rule | None
    """The rule that decided; None when no rule matched (allowed by default)."""
    groups: tuple[Group, ...]
    """The groups that applied to the agent (merged, RFC 9309 §2.2.1)."""
    specific: bool
    """The agent has a group of its own (False: the ``*`` group, or no group, applied)."""

    def explain(self) -> str:
        """Return a one-line, human-readable explanation of the decision."""
        verdict = "allowed" if self.allowed else "disallowed"
        if not self.groups:
            return f"{verdict}: no group applies to {self.agent}"
        which = "its own group" if self.specific else "the * group"
        if self.rule is None:
            return f"{verdict}: no rule in {which} matches {self.path}"
        return f"{verdict} by line {self.rule.line} ({self.rule.text.strip()}) in {which}"


@dataclass(frozen=True, slots=True)
class AgentState:
    """How robots.txt treats one agent as a whole: the contract's per-agent state."""

    agent: str
    state: str
    """``disallowed`` (its rules disallow ``/``), ``restricted`` (some paths) or ``allowed``."""
    rules: tuple[Rule, ...]
    """The disallow rules behind the state (the deciding one first)."""
    groups: tuple[Group, ...]
    specific: bool


@dataclass(frozen=True, slots=True, eq=False)
class RobotsTxt:
    """A parsed robots.txt; query it with :meth:`allows` and :meth:`decide`."""

    source: str
    groups: tuple[Group, ...]
    sitemaps: tuple[ExtensionRecord, ...]
    licenses: tuple[ExtensionRecord, ...]
    outside_records: tuple[ExtensionRecord, ...]
    """Content-Signal / Content-Usage records before any user-agent line (apply to nobody)."""
    had_bom: bool
    is_html: bool
    _problems: tuple[Problem, ...] = field(repr=False)
    _body: bytes = field(repr=False)
    _by_token: dict[str, tuple[Group, ...]] = field(repr=False)
    _global: tuple[Group, ...] = field(repr=False)
    _cache: dict[str, AgentRules] = field(default_factory=dict, repr=False)
    _memo: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def problems(self) -> tuple[Problem, ...]:
        """Return the file's defects and lint warnings (computed on first use)."""
        found = self._memo.get("problems")
        if found is None:
            found = self._memo["problems"] = (*self._problems, *lint(self))
        return cast("tuple[Problem, ...]", found)

    @property
    def lines(self) -> tuple[RobotsLine, ...]:
        """Return every line of the file as Google's parser reads it (computed on first use)."""
        found = self._memo.get("lines")
        if found is None:
            found = self._memo["lines"] = tuple(iter_lines(self._body, blanks=True))
        return cast("tuple[RobotsLine, ...]", found)

    def allows(self, agent: str, url: str) -> bool:
        """Return True if *agent* may fetch *url*, exactly as Google's parser decides."""
        rule = self._rules_for(agent).match(path_of(url))
        return rule is None or rule.allow

    def matcher(self, agent: str) -> Callable[[str], Rule | None]:
        """Return a function from a path (see :func:`path_of`) to the rule deciding it.

        For callers deciding many URLs for one agent: no lookups are left per call.
        """
        return self._rules_for(agent).match

    def rule_for(self, agent: str, url: str) -> Rule | None:
        """Return the rule that decides *url* for *agent* (None: no rule, so allowed)."""
        return self._rules_for(agent).match(path_of(url))

    def decide(self, agent: str, url: str) -> Decision:
        """Return the decision for *agent* and *url* with the line that made it."""
        compiled = self._rules_for(agent)
        path = path_of(url)
        rule = compiled.match(path)
        allowed = rule is None or rule.allow
        return Decision(agent, path, allowed, rule, compiled.groups, compiled.specific)

    def groups_for(self, agent: str) -> tuple[tuple[Group, ...], bool]:
        """Return (the groups that apply to *agent*, whether they are its own)."""
        compiled = self._rules_for(agent)
        return compiled.groups, compiled.specific

    def agent_state(self, agent: str) -> AgentState:
        """Return whether *agent* is disallowed everywhere, on some paths, or nowhere."""
        compiled = self._rules_for(agent)
        root = self.decide(agent, "/")
        allows = [rule for rule in compiled.ordered if rule.allow]
        if root.rule is not None and not root.allowed and matches_everything(root.rule.pattern):
            state = "disallowed"
            behind: tuple[Rule, ...] = (root.rule,)
        else:
            live = tuple(
                rule for rule in compiled.ordered if not rule.allow and not _dominated(rule, allows)
            )
            state = "restricted" if live else "allowed"
            behind = live
        return AgentState(agent, state, behind, compiled.groups, compiled.specific)

    def content_signals(self, agent: str) -> tuple[ExtensionRecord, ...]:
        """Return the Content-Signal records of the groups that apply to *agent*."""
        return tuple(
            record
            for group in self._rules_for(agent).groups
            for record in group.records
            if record.name == "content-signal"
        )

    def observations(self) -> tuple[Observation, ...]:
        """Return the extension records as observations (Content-Signal, -Usage, License)."""
        found: list[Observation] = []
        for group in self.groups:
            agents = tuple(dict.fromkeys(group.tokens))
            for record in group.records:
                evidence = Evidence(source=self.source, text=record.text.strip(), line=record.line)
                if record.name == "content-signal":
                    for key, value in parse_content_signal(record.value)[0]:
                        found.append(
                            Observation(
                                signal=Signal.CONTENT_SIGNAL,
                                key=key,
                                value=value,
                                agents=agents,
                                evidence=evidence,
                            )
                        )
                elif record.name == "content-usage":
                    pattern, pref = split_usage_rule(record.value)
                    found.extend(
                        Observation(
                            signal=Signal.CONTENT_USAGE,
                            key=key,
                            value=value,
                            agents=agents,
                            scope=pattern,
                            evidence=evidence,
                        )
                        for key, value in pref.preferences
                    )
        for record in self.licenses:
            found.append(
                Observation(
                    signal=Signal.RSL,
                    key="license",
                    value=record.value,
                    evidence=Evidence(
                        source=self.source, text=record.text.strip(), line=record.line
                    ),
                )
            )
        return tuple(found)

    def _rules_for(self, agent: str) -> AgentRules:
        cached = self._cache.get(agent)
        if cached is not None:
            return cached
        # Google compares the crawler's name as given with each value's product token,
        # ASCII case-insensitively (robots.cc HandleUserAgent / EqualsIgnoreCase).
        own = self._by_token.get(agent.lower(), ()) if agent.isascii() else ()
        # Agents that fall to the same groups (most fall to '*') share one index.
        key = "\0groups:" + ",".join(str(id(group)) for group in own) if own else "\0global"
        compiled = self._cache.get(key)
        if compiled is None:
            compiled = self._cache[key] = index_rules(own or self._global, bool(own))
        self._cache[agent] = compiled
        return compiled


def parse_robots(
    body: bytes | str, source: str = "robots.txt", content_type: str = ""
) -> RobotsTxt:
    """Return the parsed robots.txt *body*; never raises on any content.

    >>> robots = parse_robots(b"User-agent: GPTBot\\nDisallow: /\\n")
    >>> robots.allows("GPTBot", "https://example.com/x"), robots.allows("Googlebot", "/x")
    (False, True)
    """
    data = body.encode("utf-8") if isinstance(body, str) else bytes(body)
    prepared = prepare(data, MAX_BYTES)
    builder = Builder(source)
    for line in iter_lines(prepared.body, blanks=False):
        builder.feed(line)
    groups = builder.finish()
    is_html = looks_like_html(data, content_type)
    problems = file_problems(
        source, data, prepared.had_bom, prepared.truncated, prepared.valid_utf8, is_html
    )
    by_token: dict[str, list[Group]] = {}
    global_groups: list[Group] = []
    for group in groups:
        if group.is_global:
            global_groups.append(group)
        for token in dict.fromkeys(t.lower() for t in group.tokens if t != "*"):
            by_token.setdefault(token, []).append(group)
    return RobotsTxt(
        source=source,
        groups=groups,
        sitemaps=tuple(builder.sitemaps),
        licenses=tuple(builder.licenses),
        outside_records=tuple(builder.outside),
        had_bom=prepared.had_bom,
        is_html=is_html,
        _problems=(*problems, *builder.problems),
        _body=prepared.body,
        _by_token={token: tuple(found) for token, found in by_token.items()},
        _global=tuple(global_groups),
    )


def _dominated(rule: Rule, allows: list[Rule]) -> bool:
    """Return True when an allow at least as long matches everything *rule* matches."""
    return any(
        allow.priority >= rule.priority
        and (matches_everything(allow.pattern) or allow.pattern == rule.pattern)
        for allow in allows
    )
