"""The per-(site, purpose, agent) plan behind :func:`crawlcheck.decide.decide_url`.

Everything a decision needs that does not depend on the URL is computed once per origin:
the catalogued agents grouped by the robots.txt groups that apply to them (agents sharing
the ``*`` group are decided once), those groups' Content-Signal findings and compiled
Content-Usage rules, and the ai.txt tokens to ask. A :class:`Plan` also memoises the
findings it builds per deciding rule; it is an explicit cache, owned by whoever decides
many URLs of the origin (``UrlChecker``, the Scrapy middleware), and dropped with them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from crawlcheck.evaluate.signals import SiteSignals
from crawlcheck.model import Finding, Purpose, UrlDecision, split_effects
from crawlcheck.parsers.aipref import UsagePreference
from crawlcheck.parsers.pattern import Matcher, compile_pattern
from crawlcheck.parsers.robots import Group, Rule, matches_everything, split_usage_rule
from crawlcheck.ruleset import Ruleset

__all__ = ["Bucket", "Plan", "UsageRule", "plan_for", "same_for_every_path"]


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
    """Memo: disallow findings already built, by deciding rule (the same for every URL)."""


@dataclass(slots=True)
class Plan:
    """Everything about (site, purpose, agent) that does not depend on the URL."""

    site: SiteSignals
    purpose: Purpose
    agent: str | None
    ruleset: Ruleset
    buckets: tuple[Bucket, ...]
    signal_reserves: tuple[Finding, ...]
    signal_permits: tuple[Finding, ...]
    ai_agents: tuple[str, ...]
    ai_findings: dict[int, Finding]
    """ai.txt Disallow findings by line."""
    scoped_agents: frozenset[str]
    """Lower-cased crawler tokens whose scoped page directives apply."""
    memo: dict[tuple[str, int, int], tuple[tuple[Finding, ...], tuple[Finding, ...]]] = field(
        default_factory=dict
    )
    """(reservations, permissions) already built per RSL content or tdmrep.json rule."""
    annotate: Callable[[UrlDecision], UrlDecision] | None = None
    """Applied to every decision of the plan: with ``--at``, it names the archived
    captures that decided (:class:`crawlcheck.archive.moment.CaptureCitation`)."""
    path_readers: tuple[Callable[[str], object], ...] = ()
    """Functions of the path besides robots.txt's deciding rules: each Content-Usage
    rule's match (attach-05 §4: the longest match is chosen among them) and the ai.txt
    rule of each token asked."""
    reads_more: bool = False
    """Besides robots.txt's deciding rules, something reads the path (:attr:`path_readers`,
    tdmrep.json or an RSL licence): the key of :attr:`decided` then holds what each of
    them makes of it too."""
    decided: dict[object, UrlDecision] = field(default_factory=dict)
    """Memo: a decision already made (its URL aside), by everything that read its path:
    ``()`` when the plan is :attr:`uniform`; the deciding rule (or None) when one bucket
    alone reads it; else each bucket's deciding rule, then what the other path readers
    found (``crawlcheck.decide._decide_group``)."""
    uniform: bool = False
    """Every URL of the site is decided alike (:func:`same_for_every_path`): one decision
    serves them all, and no path is read."""


def plan_for(
    site: SiteSignals, *, purpose: str = "ai-train", agent: str | None = None, ruleset: Ruleset
) -> Plan:
    """Return the plan for deciding URLs of *site* for *purpose* (and *agent*, if given)."""
    chosen = Purpose(purpose)
    tokens = (agent,) if agent is not None else tuple(a.token for a in ruleset.agents_for(chosen))
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
    records: list[Finding] = []
    seen: set[int] = set()
    for group in signal_groups:
        for record in group.records:
            if record.name == "content-signal" and record.line not in seen:
                seen.add(record.line)
                records.extend(site.robots_records.get(record.line, ()))
    reserves, permits = split_effects(records, chosen)
    ai_agents = _ai_agents(site, chosen, agent, tokens, ruleset)
    plan = Plan(
        site=site,
        purpose=chosen,
        agent=agent,
        ruleset=ruleset,
        buckets=tuple(buckets),
        signal_reserves=tuple(reserves),
        signal_permits=tuple(permits),
        ai_agents=ai_agents,
        ai_findings=_ai_findings(site, chosen, ruleset),
        scoped_agents=frozenset(t.lower() for t in tokens),
    )
    plan.path_readers = (
        *(rule.matches for bucket in buckets for rule in bucket.usage),
        *(
            site.ai_txt.robots.matcher(token)
            for token in ai_agents
            if site.ai_txt and site.ai_txt.robots
        ),
    )
    plan.reads_more = bool(plan.path_readers) or site.tdmrep is not None or bool(site.licenses)
    plan.uniform = same_for_every_path(plan)
    return plan


def same_for_every_path(plan: Plan) -> bool:
    """Return True when :func:`~crawlcheck.decide.decide_url` (without a page) answers alike.

    Then the decision, reasons and problems of one URL of the origin are those of all its
    URLs: the plan decides one and shares it (:attr:`Plan.uniform`). Conservative, and
    kept in step with ``decide_url``: robots.txt counts only when no Disallow and no
    Content-Usage rule applies to any bucket, or a bucket's one rule disallows every path;
    ai.txt rules, tdmrep.json and RSL licences, which depend on the path, make it False.
    """
    site = plan.site
    if site.tdmrep is not None or site.licenses:
        return False
    if plan.ai_agents and site.ai_txt is not None and site.ai_txt.robots is not None:
        return False
    for bucket in plan.buckets:
        # An empty Disallow matches nothing (robots.cc skips it), so it is no rule at all.
        rules = [rule for group in bucket.groups for rule in group.rules if rule.pattern]
        if all(rule.allow for rule in rules):
            if bucket.usage:  # read on every path no Disallow covers
                return False
        elif not (len(rules) == 1 and matches_everything(rules[0].pattern)):
            return False
    return True


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
            reserves, _ = split_effects([ruleset.classify(observation)], purpose)
            if reserves:
                found[observation.evidence.line or 0] = reserves[0]
    return found


def _usage_rules(groups: tuple[Group, ...]) -> tuple[UsageRule, ...]:
    rules: list[UsageRule] = []
    for group in groups:
        for record in group.records:
            if record.name == "content-usage":
                pattern, pref = split_usage_rule(record.value)
                rules.append(UsageRule(pattern, compile_pattern(pattern), pref, record.line))
    return tuple(rules)
