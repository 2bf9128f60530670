"""The per-(site, purpose, agent) plan behind :func:`crawlcheck.decide.decide_url`.

Everything a decision needs that does not depend on the URL is computed once and cached
on the :class:`SiteSignals`: the catalogued agents grouped by the robots.txt groups that
apply to them (agents sharing the ``*`` group are decided once), those groups'
Content-Signal findings and compiled Content-Usage rules, and the ai.txt tokens to ask.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from crawlcheck._evaluate_signals import SiteSignals
from crawlcheck.model import Effect, Finding
from crawlcheck.parsers._pattern import Matcher, compile_pattern
from crawlcheck.parsers.aipref import UsagePreference
from crawlcheck.parsers.robots import Group, Rule, split_usage_rule

if TYPE_CHECKING:
    from crawlcheck.ruleset import Ruleset


@dataclass(frozen=True, slots=True)
class UsageRule:
    """One robots.txt Content-Usage rule, its path pattern compiled."""

    pattern: str
    matches: Matcher
    pref: UsagePreference
    line: int


@dataclass(slots=True)
class Bucket:
    """Catalogued agents that robots.txt treats alike: the same groups apply to them."""

    agent: str
    """The token robots.txt is asked with (``*`` for the global group alone)."""
    tokens: tuple[str, ...]
    """Catalogued agents of the purpose in this bucket (empty: the ``*`` group only)."""
    groups: tuple[Group, ...]
    usage: tuple[UsageRule, ...]
    match: Callable[[str], Rule | None]
    """Path → the rule deciding it for ``agent`` (RobotsTxt.matcher)."""
    findings: dict[Rule, Finding] = field(default_factory=dict)
    """Disallow findings already built, by deciding rule (the same for every URL)."""


@dataclass(slots=True)
class Plan:
    """Everything about (site, purpose, agent) that does not depend on the URL."""

    ruleset: Ruleset
    buckets: tuple[Bucket, ...]
    signal_reserves: tuple[Finding, ...]
    signal_permits: tuple[Finding, ...]
    ai_agents: tuple[str, ...]
    ai_findings: dict[int, Finding]
    """ai.txt Disallow findings by line."""
    scoped_agents: frozenset[str]
    """Lower-cased crawler tokens whose scoped page directives apply."""
    cache: dict[object, tuple[tuple[Finding, ...], tuple[Finding, ...]]] = field(
        default_factory=dict
    )


def plan_for(site: SiteSignals, purpose: str, agent: str | None, ruleset: Ruleset) -> Plan:
    """Return the cached plan for (*purpose*, *agent*) on *site*, building it on first use."""
    key = (purpose, agent)
    plan = site._cache.get(key)
    if isinstance(plan, Plan) and plan.ruleset is ruleset:
        return plan
    plan = _build_plan(site, purpose, agent, ruleset)
    site._cache[key] = plan
    return plan


def _build_plan(site: SiteSignals, purpose: str, agent: str | None, ruleset: Ruleset) -> Plan:
    tokens = (agent,) if agent is not None else tuple(a.token for a in ruleset.agents_for(purpose))
    buckets: list[Bucket] = []
    signal_groups: list[Group] = []
    if site.robots is not None:
        by_groups: dict[tuple[int, ...], Bucket] = {}
        for token in tokens:
            groups, _ = site.robots.groups_for(token)
            ident = tuple(id(g) for g in groups)
            if ident in by_groups:
                by_groups[ident].tokens += (token,)
            else:
                by_groups[ident] = Bucket(
                    token, (token,), groups, _usage_rules(groups), site.robots.matcher(token)
                )
        global_groups, _ = site.robots.groups_for("*")
        ident = tuple(id(g) for g in global_groups)
        if agent is None and ident not in by_groups:
            # The * group speaks for every crawler: its Content-Usage counts without agent.
            by_groups[ident] = Bucket(
                "*", (), global_groups, _usage_rules(global_groups), site.robots.matcher("*")
            )
        buckets = list(by_groups.values())
        signal_groups = [g for b in buckets for g in b.groups]
        # Content-Signal of the * group is read site-wide (standards.md §8 edge 2).
        signal_groups += [g for g in global_groups if g not in signal_groups]
    reserves: list[Finding] = []
    permits: list[Finding] = []
    seen: set[int] = set()
    for group in signal_groups:
        for record in group.records:
            if record.name != "content-signal" or record.line in seen:
                continue
            seen.add(record.line)
            for finding in site.robots_records.get(record.line, ()):
                if purpose not in finding.purposes:
                    continue
                if finding.effect is Effect.RESERVE:
                    reserves.append(finding)
                elif finding.effect is Effect.PERMIT:
                    permits.append(finding)
    return Plan(
        ruleset=ruleset,
        buckets=tuple(buckets),
        signal_reserves=tuple(reserves),
        signal_permits=tuple(permits),
        ai_agents=_ai_agents(site, purpose, agent, tokens, ruleset),
        ai_findings=_ai_findings(site, purpose, ruleset),
        scoped_agents=frozenset(t.lower() for t in tokens),
    )


def _ai_agents(
    site: SiteSignals, purpose: str, agent: str | None, tokens: tuple[str, ...], ruleset: Ruleset
) -> tuple[str, ...]:
    """Return the tokens ai.txt is asked with: the agent, else ``*`` and own-group agents."""
    ai_txt = site.ai_txt
    if ai_txt is None or ai_txt.robots is None:
        return ()
    if purpose not in ruleset.meaning("ai.txt", "disallow", "/").purposes:
        return ()
    if agent is not None:
        return (agent,)
    own = tuple(t for t in tokens if ai_txt.robots.groups_for(t)[1])
    return ("*", *own)


def _ai_findings(site: SiteSignals, purpose: str, ruleset: Ruleset) -> dict[int, Finding]:
    found: dict[int, Finding] = {}
    if site.ai_txt is not None:
        for observation in site.ai_txt.observations:
            finding = ruleset.classify(observation)
            if finding.effect is Effect.RESERVE and purpose in finding.purposes:
                found[observation.evidence.line or 0] = finding
    return found


def _usage_rules(groups: tuple[Group, ...]) -> tuple[UsageRule, ...]:
    rules: list[UsageRule] = []
    for group in groups:
        for record in group.records:
            if record.name == "content-usage":
                pattern, pref = split_usage_rule(record.value)
                rules.append(UsageRule(pattern, compile_pattern(pattern), pref, record.line))
    return tuple(rules)
