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
from dataclasses import dataclass, replace
from typing import Final

from crawlcheck.model import Evidence, Observation, Problem, Signal
from crawlcheck.parsers._robots_build import (
    Built,
    build_groups,
    parse_content_signal,
    split_usage_rule,
)
from crawlcheck.parsers._robots_index import AgentRules, index_rules
from crawlcheck.parsers._robots_lint import USAGE_VALUE, file_problems, line_problems, lint
from crawlcheck.parsers._robots_syntax import (
    FETCH_BYTES,
    MAX_BYTES,
    PreparedBody,
    RobotsLine,
    is_global_agent,
    iter_lines,
    prepare,
    product_token,
)
from crawlcheck.parsers._robots_types import ExtensionRecord, Group, Rule, matches_everything
from crawlcheck.parsers.pattern import path_of
from crawlcheck.parsers.text import looks_like_html

#: Agent names whose index a parsed file keeps by name (any further name costs a lower()).
_AGENT_NAMES_KEPT = 64

__all__ = [
    "FETCH_BYTES",
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


class RobotsTxt:
    """A parsed robots.txt; query it with :meth:`allows` and :meth:`decide`.

    Immutable: every field is read-only and set once by :func:`parse_robots`. It is not a
    frozen dataclass because three views are derived from the fields on first use and kept,
    openly, in private slots: each agent's rule index (built when an agent is first asked
    about), the per-line reading (:attr:`lines`) and the problems (:attr:`problems`). Each
    is a pure function of the fields, so keeping it can never change an answer, and parsing
    costs only what a decision needs.
    """

    __slots__ = (
        "_body",
        "_built",
        "_by_agent",
        "_by_token",
        "_facts",
        "_indexes",
        "_is_html",
        "_lines",
        "_problems",
        "_size",
        "_source",
    )

    def __init__(
        self, *, source: str, prepared: PreparedBody, size: int, is_html: bool, built: Built
    ) -> None:
        self._source: Final = source
        self._built: Final = built
        # Kept for the per-line reading and the problems: the bytes (not their decoded
        # text, which would double the memory a parsed file holds) and the facts about them.
        self._body: Final = prepared.body
        self._facts: Final = replace(prepared, text="")
        self._size: Final = size
        self._is_html: Final = is_html
        # The derived views (see the class docstring). Indexes are kept per product token
        # ('*' for every agent without a group of its own) and, for the first few agent
        # names asked about, per name.
        self._by_token: dict[str, tuple[Group, ...]] | None = None
        self._indexes: Final[dict[str, AgentRules]] = {}
        self._by_agent: Final[dict[str, AgentRules]] = {}
        self._lines: tuple[RobotsLine, ...] | None = None
        self._problems: tuple[Problem, ...] | None = None

    @property
    def source(self) -> str:
        """Return where the file came from (its URL, or a name), as evidence cites it."""
        return self._source

    @property
    def groups(self) -> tuple[Group, ...]:
        """Return the groups in file order (RFC 9309 §2.2.1, as robots.cc forms them)."""
        return self._built.groups

    @property
    def sitemaps(self) -> tuple[ExtensionRecord, ...]:
        """Return the Sitemap records (global: they belong to no group)."""
        return self._built.sitemaps

    @property
    def licenses(self) -> tuple[ExtensionRecord, ...]:
        """Return the RSL License records (global: they belong to no group)."""
        return self._built.licenses

    @property
    def outside_records(self) -> tuple[ExtensionRecord, ...]:
        """Return Content-Signal / Content-Usage records before any user-agent line (apply to nobody)."""
        return self._built.outside

    @property
    def had_bom(self) -> bool:
        """Return True when the file started with a UTF-8 byte-order mark (skipped)."""
        return self._facts.had_bom

    @property
    def is_html(self) -> bool:
        """Return True when an HTML page was served instead of a robots.txt."""
        return self._is_html

    def __repr__(self) -> str:
        return f"RobotsTxt(source={self.source!r}, groups={len(self.groups)})"

    @property
    def problems(self) -> tuple[Problem, ...]:
        """Return the file's defects and lint warnings (computed on first use)."""
        if self._problems is None:
            self._problems = (
                *file_problems(self.source, self._size, self._facts, self.is_html),
                *line_problems(self.source, self._lines or iter_lines(self._body, blanks=False)),
                *lint(self.source, self.groups, self._rules_for),
            )
        return self._problems

    @property
    def lines(self) -> tuple[RobotsLine, ...]:
        """Return every line of the file as Google's parser reads it (computed on first use)."""
        if self._lines is None:
            self._lines = tuple(iter_lines(self._body, blanks=True))
        return self._lines

    def allows(self, agent: str, url: str) -> bool:
        """Return True if *agent* may fetch *url*, exactly as Google's parser decides."""
        compiled = self._by_agent.get(agent)
        if compiled is None:
            compiled = self._rules_for(agent)
        rule = compiled.match(path_of(url))
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
        state, behind = compiled.state()
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
            if not group.records:
                continue  # most groups: rules only (and their tokens cost a parse each)
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
        compiled = self._by_agent.get(agent)
        if compiled is not None:
            return compiled
        by_token = self._by_token
        if by_token is None:
            by_token = self._by_token = _groups_by_token(self.groups)
        # Google compares the crawler's name as given with each value's product token,
        # ASCII case-insensitively (robots.cc HandleUserAgent / EqualsIgnoreCase).
        token = agent.lower() if agent.isascii() else "*"
        own = by_token.get(token) if token != "*" else None
        key = token if own else "*"
        compiled = self._indexes.get(key)
        if compiled is None:
            groups = own or by_token.get("*", ())
            compiled = self._indexes[key] = index_rules(groups, bool(own))
        if len(self._by_agent) < _AGENT_NAMES_KEPT:
            self._by_agent[agent] = compiled
        return compiled


def _groups_by_token(groups: tuple[Group, ...]) -> dict[str, tuple[Group, ...]]:
    """Return the groups naming each product token (lower-cased), the '*' groups under '*'."""
    found: dict[str, list[Group]] = {}
    for group in groups:
        tokens: set[str] = set()
        for value in group.agents:
            # A product token never contains '*', so the global groups cannot collide.
            tokens.add("*" if is_global_agent(value) else product_token(value).lower())
        for token in tokens:
            found.setdefault(token, []).append(group)
    return {token: tuple(named) for token, named in found.items()}


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
    return RobotsTxt(
        source=source,
        prepared=prepared,
        size=len(data),
        is_html=looks_like_html(data, content_type),
        built=build_groups(prepared),
    )
