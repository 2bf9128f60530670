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
from functools import lru_cache
from typing import Any, cast

from crawlcheck.model import Evidence, Observation, Problem, Signal
from crawlcheck.parsers._pattern import Matcher, compile_pattern, escape_pattern, path_of
from crawlcheck.parsers._robots_lint import lint
from crawlcheck.parsers._robots_syntax import (
    MAX_BYTES,
    LineKind,
    RobotsLine,
    is_global_agent,
    iter_lines,
    prepare,
    product_token,
)
from crawlcheck.parsers._text import looks_like_html
from crawlcheck.parsers.aipref import UsagePreference, combine_restrictively, parse_usage

#: Records Google documents as unsupported but that are common and harmless.
_KNOWN_UNSUPPORTED = frozenset(
    {"crawl-delay", "host", "noindex", "clean-param", "request-rate", "visit-time", "nofollow"}
)


@dataclass(frozen=True, slots=True)
class Rule:
    """One Allow or Disallow rule."""

    allow: bool
    pattern: str
    """The path pattern as Google matches it (percent-escaped)."""
    line: int
    text: str

    @property
    def priority(self) -> int:
        """Return the match priority: the pattern's length in octets (longest match)."""
        return len(self.pattern)


@dataclass(frozen=True, slots=True)
class ExtensionRecord:
    """A Content-Signal, Content-Usage, or other non-rule record inside a group."""

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


@dataclass(frozen=True, slots=True)
class _AgentRules:
    """An agent's effective rules, indexed so one lookup finds the longest match."""

    groups: tuple[Group, ...]
    specific: bool
    ordered: tuple[Rule, ...]
    """Every rule that can decide, longest first, Allow before Disallow on ties."""
    plain_prefixes: tuple[str, ...]
    """Patterns without ``*`` or ``$``: a single ``startswith`` rejects most paths."""
    plain_by_length: tuple[tuple[int, dict[str, Rule]], ...]
    """Plain patterns by length (longest first), each a prefix → winning rule table."""
    exact: dict[str, Rule]
    """``/path$`` patterns without ``*``: an exact-path table."""
    special: tuple[tuple[int, bool, Rule, str, Matcher], ...]
    """(priority, allow, rule, text before the first ``*``, matcher), in decision order."""

    def match(self, path: str) -> Rule | None:
        """Return the rule Google's longest-match strategy picks for *path* (None: no rule)."""
        best = self.exact.get(path)
        if self.plain_prefixes and path.startswith(self.plain_prefixes):
            for length, table in self.plain_by_length:
                if best is not None and length < len(best.pattern):
                    break
                rule = table.get(path[:length])
                if rule is not None:
                    best = _better(best, rule)
                    break
        if not self.special:
            return best
        # Longest match wins; on equal length Allow wins (robots.cc disallow()). Specials are
        # in decision order, so only those that could still beat *best* are tried.
        priority, allow = (len(best.pattern), best.allow) if best is not None else (-1, False)
        for rule_priority, rule_allow, rule, head, matcher in self.special:
            if rule_priority < priority or (
                rule_priority == priority and (allow or not rule_allow)
            ):
                break
            # Most paths fail on the literal head; test it before calling the matcher.
            if path.startswith(head) and matcher(path):
                return rule
        return best


def _better(best: Rule | None, rule: Rule) -> Rule:
    # Longest match wins; on equal length Allow wins (robots.cc disallow()).
    if best is None:
        return rule
    rule_priority, best_priority = len(rule.pattern), len(best.pattern)
    if rule_priority > best_priority or (
        rule_priority == best_priority and rule.allow and not best.allow
    ):
        return rule
    return best


def _index_rules(groups: tuple[Group, ...], specific: bool) -> _AgentRules:
    rules = [rule for group in groups for rule in group.rules if rule.pattern]
    rules.sort(key=lambda rule: (-len(rule.pattern), not rule.allow))
    exact: dict[str, Rule] = {}
    plain: dict[int, dict[str, Rule]] = {}
    special: list[tuple[int, bool, Rule, str, Matcher]] = []
    for rule in rules:  # in decision order, so the first rule stored per key wins
        pattern = rule.pattern
        if "*" in pattern:
            head = pattern.split("*", 1)[0]
            special.append((len(pattern), rule.allow, rule, head, compile_pattern(pattern)))
        elif pattern.endswith("$"):
            exact.setdefault(pattern[:-1], rule)
        else:
            plain.setdefault(len(pattern), {}).setdefault(pattern, rule)
    return _AgentRules(
        groups=groups,
        specific=specific,
        ordered=tuple(rules),
        plain_prefixes=tuple(p for table in plain.values() for p in table),
        plain_by_length=tuple(sorted(plain.items(), reverse=True)),
        exact=exact,
        special=tuple(special),
    )


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
    _cache: dict[str, _AgentRules] = field(default_factory=dict, repr=False)
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
        if root.rule is not None and not root.allowed and _matches_everything(root.rule.pattern):
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

    def content_usage(self, agent: str, url: str) -> dict[str, str] | None:
        """Return the aipref preferences for *agent* at *url* (attach-05 §4).

        None when the path is not crawlable for the agent: disallowed paths carry no
        preferences. Otherwise the longest matching Content-Usage rule wins; rules with
        identical paths combine restrictively.
        """
        decision = self.decide(agent, url)
        if not decision.allowed:
            return None
        best: list[UsagePreference] = []
        best_len = -1
        for group in decision.groups:
            for record in group.records:
                if record.name != "content-usage":
                    continue
                pattern, pref = split_usage_rule(record.value)
                if not compile_pattern(pattern)(decision.path):
                    continue
                if len(pattern) > best_len:
                    best, best_len = [pref], len(pattern)
                elif len(pattern) == best_len:
                    best.append(pref)
        return combine_restrictively(best)

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

    def _rules_for(self, agent: str) -> _AgentRules:
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
            compiled = self._cache[key] = _index_rules(own or self._global, bool(own))
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
    builder = _Builder(source)
    for line in iter_lines(prepared.body, blanks=False):
        builder.feed(line)
    groups = builder.finish()
    is_html = looks_like_html(data, content_type)
    problems = _file_problems(
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


class _Builder:
    """Group lines the way robots.cc does while it reads them."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.groups: list[Group] = []
        self.sitemaps: list[ExtensionRecord] = []
        self.licenses: list[ExtensionRecord] = []
        self.outside: list[ExtensionRecord] = []
        self.problems: list[Problem] = []
        self._agents: list[str] = []
        self._agent_lines: list[int] = []
        self._rules: list[Rule] = []
        self._records: list[ExtensionRecord] = []

    def feed(self, line: RobotsLine) -> None:
        if line.too_long:
            self._problem(
                "robots.line-too-long",
                line,
                "line longer than 16,663 bytes: Google ignores the rest of it",
            )
        if line.kind is LineKind.USER_AGENT:
            if self._rules:  # a user-agent line after a rule starts a new group
                self._close()
            self._agents.append(line.raw_value)
            self._agent_lines.append(line.number)
        elif line.kind in (LineKind.ALLOW, LineKind.DISALLOW):
            if not self._agents:
                self._problem(
                    "robots.rule-outside-group",
                    line,
                    "rule before any User-agent line: ignored (RFC 9309 §2.2.1)",
                )
                return
            allow = line.kind is LineKind.ALLOW
            self._rules.append(Rule(allow, line.value, line.number, line.text))
            if allow:
                self._index_html_rule(line)
        elif line.kind is LineKind.SITEMAP:
            self.sitemaps.append(ExtensionRecord("sitemap", line.raw_value, line.number, line.text))
        elif line.kind is LineKind.OTHER:
            self._other(line)
        elif line.kind is LineKind.INVALID:
            self._problem(
                "robots.invalid-line", line, "not a 'key: value' record: ignored", level="info"
            )
        if line.typo:
            self._problem(
                "robots.typo",
                line,
                f"misspelt key '{line.key}': Google accepts it, other crawlers may not",
                level="info",
            )
        if line.missing_colon:
            self._problem(
                "robots.missing-colon",
                line,
                "no ':' after the key: Google accepts it, other crawlers may not",
                level="info",
            )

    def _index_html_rule(self, line: RobotsLine) -> None:
        # Google-specific: "Allow: /x/index.htm(l)" also allows "/x/" exactly (robots.cc HandleAllow).
        slash = line.value.rfind("/")
        if slash >= 0 and line.value[slash:].startswith("/index.htm"):
            self._rules.append(Rule(True, line.value[: slash + 1] + "$", line.number, line.text))

    def _other(self, line: RobotsLine) -> None:
        name = line.key.strip().lower()
        if name == "license":
            self.licenses.append(ExtensionRecord(name, line.raw_value, line.number, line.text))
            return
        record = ExtensionRecord(name, line.raw_value, line.number, line.text)
        if name in ("content-signal", "content-usage"):
            if self._agents:
                self._records.append(record)
            else:
                self.outside.append(record)
                self._problem(
                    f"robots.{name}-outside-group",
                    line,
                    f"{line.key} before any User-agent line applies to no crawler",
                )
            if name == "content-signal":
                for message in parse_content_signal(line.raw_value)[1]:
                    self._problem("robots.content-signal-invalid", line, message)
            else:
                error = split_usage_rule(line.raw_value)[1].error
                if error:
                    self._problem(
                        "robots.content-usage-invalid",
                        line,
                        f"Content-Usage is not an SF Dictionary ({error}): every category unknown",
                    )
            return
        if self._agents:
            self._records.append(record)
        if name in _KNOWN_UNSUPPORTED:
            self._problem(
                "robots.unsupported-directive",
                line,
                f"'{line.key}' is not part of RFC 9309; Google ignores it",
                level="info",
            )
        else:
            self._problem(
                "robots.unknown-directive", line, f"unknown directive '{line.key}'", level="info"
            )

    def _problem(self, code: str, line: RobotsLine, message: str, level: str = "warning") -> None:
        self.problems.append(
            Problem(code=code, message=message, source=self.source, line=line.number, level=level)
        )

    def _close(self) -> None:
        if self._agents:
            self.groups.append(
                Group(
                    tuple(self._agents),
                    tuple(self._agent_lines),
                    tuple(self._rules),
                    tuple(self._records),
                )
            )
        self._agents, self._agent_lines, self._rules, self._records = [], [], [], []

    def finish(self) -> tuple[Group, ...]:
        self._close()
        return tuple(self.groups)


def parse_content_signal(value: str) -> tuple[tuple[tuple[str, str], ...], list[str]]:
    """Return ((key, value)…, problems) for a Content-Signal value such as ``ai-train=no``.

    Keys are lower-cased; values other than yes/no are kept but reported (they neither
    grant nor restrict: contentsignals.org).
    """
    pairs: list[tuple[str, str]] = []
    problems: list[str] = []
    for part in value.split(","):
        part = part.strip()
        if not part:
            continue
        key, sep, val = part.partition("=")
        key, val = key.strip().lower(), val.strip().lower()
        if not sep or not key:
            problems.append(f"'{part}' is not key=value")
            continue
        if key in ("search", "ai-input", "ai-train") and val not in ("yes", "no"):
            problems.append(f"'{part}': only yes or no have a meaning")
        pairs.append((key, val))
    return tuple(pairs), problems


@lru_cache(maxsize=4096)
def split_usage_rule(value: str) -> tuple[str, UsagePreference]:
    """Split a robots.txt Content-Usage value into (path pattern, preference).

    attach-05 §4: a value starting with ``/`` is a path up to the first SP/HTAB, then the
    preference; otherwise the whole value is the preference and applies to every path.
    """
    if value.startswith("/"):
        cut = min((i for i in (value.find(" "), value.find("\t")) if i >= 0), default=len(value))
        return escape_pattern(value[:cut].encode("utf-8")), parse_usage(value[cut:].strip())
    return "/", parse_usage(value.strip())


def _matches_everything(pattern: str) -> bool:
    """Return True for patterns that match every path: ``/``, ``*``, ``/*``, ``/**``…"""
    return pattern.replace("*", "") in ("", "/") and not pattern.endswith("$")


def _dominated(rule: Rule, allows: list[Rule]) -> bool:
    """Return True when an allow at least as long matches everything *rule* matches."""
    return any(
        allow.priority >= rule.priority
        and (_matches_everything(allow.pattern) or allow.pattern == rule.pattern)
        for allow in allows
    )


def _file_problems(
    source: str, data: bytes, had_bom: bool, truncated: bool, valid_utf8: bool, is_html: bool
) -> list[Problem]:
    problems: list[Problem] = []
    if is_html:
        problems.append(
            Problem(
                code="robots.html-served",
                message="an HTML page was served as robots.txt: it has no rules, so everything is allowed",
                source=source,
                level="error",
            )
        )
    if had_bom:
        problems.append(
            Problem(
                code="robots.bom",
                message="file starts with a UTF-8 byte-order mark (Google skips it; some parsers read the first line wrong)",
                source=source,
                level="info",
            )
        )
    if truncated:
        problems.append(
            Problem(
                code="robots.too-large",
                message=f"file is {len(data):,} bytes; only the first {MAX_BYTES:,} are read (RFC 9309 §2.5)",
                source=source,
            )
        )
    if not valid_utf8:
        problems.append(
            Problem(
                code="robots.not-utf8",
                message="file is not valid UTF-8 (RFC 9309 §2.3); undecodable bytes were kept as-is",
                source=source,
            )
        )
    return problems
