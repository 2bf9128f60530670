"""Warnings a publisher can act on, derived from a parsed robots.txt."""

from __future__ import annotations

from typing import TYPE_CHECKING

from crawlcheck.model import Problem
from crawlcheck.parsers._robots_syntax import is_global_agent, product_token

if TYPE_CHECKING:
    from crawlcheck.parsers.robots import RobotsTxt


def lint(robots: RobotsTxt) -> tuple[Problem, ...]:
    """Return the lint warnings for *robots* (the problems the file itself causes)."""
    return (
        *_truncated_agents(robots),
        *_dropped_global_rules(robots),
        *_signals_not_inherited(robots),
    )


def _truncated_agents(robots: RobotsTxt) -> list[Problem]:
    found: list[Problem] = []
    for group in robots.groups:
        for value, line in zip(group.agents, group.agent_lines, strict=True):
            if is_global_agent(value):
                continue
            token = product_token(value)
            if token == value:
                continue
            if token:
                read = f"is read as '{token}' (Google keeps only the leading letters, '-' and '_')"
                message = f"User-agent '{value}' {read}: a crawler named '{value}' never matches it"
            else:
                message = f"User-agent '{value}' has no letters before its first other character: it matches no crawler"
            found.append(
                Problem(
                    code="robots.agent-never-matches",
                    message=message,
                    source=robots.source,
                    line=line,
                )
            )
    return found


def _dropped_global_rules(robots: RobotsTxt) -> list[Problem]:
    global_rules = [
        rule
        for group in robots.groups
        if group.is_global
        for rule in group.rules
        if not rule.allow and rule.pattern
    ]
    if not global_rules:
        return []
    found: list[Problem] = []
    seen: set[str] = set()
    for group in robots.groups:
        if group.is_global:
            continue
        # Tokens of one group that lose the same * rules are reported together.
        by_dropped: dict[tuple[int, ...], list[str]] = {}
        for token in dict.fromkeys(t for t in group.tokens if t):
            if token.lower() in seen:
                continue
            seen.add(token.lower())
            if robots.agent_state(token).state == "disallowed":
                continue  # nothing of the * group could matter to an agent kept out entirely
            own_groups, _ = robots.groups_for(token)
            own = {rule.pattern for g in own_groups for rule in g.rules if not rule.allow}
            dropped = tuple(i for i, rule in enumerate(global_rules) if rule.pattern not in own)
            if dropped:
                by_dropped.setdefault(dropped, []).append(token)
        for dropped, tokens in by_dropped.items():
            rules = [global_rules[i] for i in dropped]
            shown = ", ".join(f"Disallow: {r.pattern} (line {r.line})" for r in rules[:5])
            more = f" and {len(rules) - 5} more" if len(rules) > 5 else ""
            names = ", ".join(tokens)
            found.append(
                Problem(
                    code="robots.group-drops-global",
                    message=f"the group for {names} replaces the * group, so {shown}{more} "
                    f"do not apply to {names} (RFC 9309 §2.2.1)",
                    source=robots.source,
                    line=group.agent_lines[0],
                )
            )
    return found


def _signals_not_inherited(robots: RobotsTxt) -> list[Problem]:
    found: list[Problem] = []
    for group in robots.groups:
        if not group.is_global:
            continue
        for record in group.records:
            if record.name not in ("content-signal", "content-usage"):
                continue
            others = sorted({t for g in robots.groups if not g.is_global for t in g.tokens if t})
            if others:
                names = ", ".join(others[:8]) + (" …" if len(others) > 8 else "")
                if record.name == "content-signal":
                    # The contract reads a *-group Content-Signal site-wide (Cloudflare's
                    # deployment); strict RFC 9309 group selection would not (standards §8).
                    message = (
                        f"Content-Signal in the * group: by RFC 9309 group selection it does "
                        f"not reach crawlers with a group of their own ({names}); crawlcheck "
                        "reads it site-wide, as Cloudflare deploys it"
                    )
                else:
                    message = (
                        f"Content-Usage in the * group does not apply to crawlers with a "
                        f"group of their own ({names}) (aipref attach-05 §4)"
                    )
                found.append(
                    Problem(
                        code=f"robots.{record.name}-not-inherited",
                        message=message,
                        source=robots.source,
                        line=record.line,
                        level="info",
                    )
                )
    return found
