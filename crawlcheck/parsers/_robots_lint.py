"""A robots.txt's problems: defects of the bytes and lines, and warnings a publisher can act on.

Only a report needs these, so they are computed on demand (``RobotsTxt.problems``), from the
per-line reading (``iter_lines``) and the parsed groups; the parse a decision pays for looks
for none of them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from crawlcheck.model import Problem
from crawlcheck.parsers._robots_build import parse_content_signal, split_usage_rule
from crawlcheck.parsers._robots_index import AgentRules
from crawlcheck.parsers._robots_syntax import (
    MAX_BYTES,
    LineKind,
    PreparedBody,
    RobotsLine,
    is_global_agent,
    product_token,
)
from crawlcheck.parsers._robots_types import Group
from crawlcheck.parsers.aipref import invalid_value_message

#: Problem code of a robots.txt Content-Usage value that is not the Token y/n.
USAGE_VALUE = "robots.content-usage-value"
#: Records Google documents as unsupported but that are common and harmless.
_KNOWN_UNSUPPORTED = frozenset(
    {"crawl-delay", "host", "noindex", "clean-param", "request-rate", "visit-time", "nofollow"}
)


def file_problems(source: str, size: int, prepared: PreparedBody, is_html: bool) -> list[Problem]:
    """Return the problems of the file as a whole (HTML, BOM, size, encoding)."""
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
    if prepared.had_bom:
        problems.append(
            Problem(
                code="robots.bom",
                message="file starts with a UTF-8 byte-order mark (Google skips it; some parsers read the first line wrong)",
                source=source,
                level="info",
            )
        )
    if prepared.truncated:
        problems.append(
            Problem(
                code="robots.too-large",
                message=f"file is {size:,} bytes; only the first {MAX_BYTES:,} are read "
                "(RFC 9309 §2.5), and a line cut there is ignored",
                source=source,
            )
        )
    if not prepared.valid_utf8:
        problems.append(
            Problem(
                code="robots.not-utf8",
                message="file is not valid UTF-8 (RFC 9309 §2.3); undecodable bytes were kept as-is",
                source=source,
            )
        )
    return problems


def line_problems(source: str, lines: Iterable[RobotsLine]) -> list[Problem]:
    """Return the problems of single lines, in line order."""
    found: list[Problem] = []
    seen_agent = False

    def problem(code: str, line: RobotsLine, message: str, level: str = "warning") -> None:
        found.append(
            Problem(code=code, message=message, source=source, line=line.number, level=level)
        )

    for line in lines:
        if line.too_long:
            problem(
                "robots.line-too-long",
                line,
                "line longer than 16,663 bytes: Google ignores the rest of it",
            )
        if line.kind is LineKind.USER_AGENT:
            seen_agent = True
        elif line.kind in (LineKind.ALLOW, LineKind.DISALLOW):
            if not seen_agent:
                problem(
                    "robots.rule-outside-group",
                    line,
                    "rule before any User-agent line: ignored (RFC 9309 §2.2.1)",
                )
                continue
        elif line.kind is LineKind.OTHER:
            name = line.key.strip().lower()
            if name in ("content-signal", "content-usage"):
                if not seen_agent:
                    problem(
                        f"robots.{name}-outside-group",
                        line,
                        f"{line.key} before any User-agent line applies to no crawler",
                    )
                if name == "content-signal":
                    for message in parse_content_signal(line.raw_value)[1]:
                        problem("robots.content-signal-invalid", line, message)
                else:
                    pref = split_usage_rule(line.raw_value)[1]
                    if pref.error:
                        problem(
                            "robots.content-usage-invalid",
                            line,
                            f"Content-Usage is not an SF Dictionary ({pref.error}): every "
                            "category unknown",
                        )
                    for key, value in pref.invalid:
                        # A statement the vocabulary cannot read: the purpose is unknown
                        # (fail closed, crawlcheck.evaluate.signals), and the publisher is
                        # told the fix.
                        problem(USAGE_VALUE, line, invalid_value_message(key, value), "error")
            elif name in _KNOWN_UNSUPPORTED:
                problem(
                    "robots.unsupported-directive",
                    line,
                    f"'{line.key}' is not part of RFC 9309; Google ignores it",
                    level="info",
                )
            elif name != "license":
                problem(
                    "robots.unknown-directive",
                    line,
                    f"unknown directive '{line.key}'",
                    level="info",
                )
        elif line.kind is LineKind.INVALID:
            problem("robots.invalid-line", line, "not a 'key: value' record: ignored", level="info")
        if line.typo:
            problem(
                "robots.typo",
                line,
                f"misspelt key '{line.key}': Google accepts it, other crawlers may not",
                level="info",
            )
        if line.missing_colon:
            problem(
                "robots.missing-colon",
                line,
                "no ':' after the key: Google accepts it, other crawlers may not",
                level="info",
            )
    return found


def lint(
    source: str, groups: tuple[Group, ...], rules_for: Callable[[str], AgentRules]
) -> list[Problem]:
    """Return the lint warnings of *groups* (*rules_for* gives an agent's indexed rules)."""
    return [
        *_truncated_agents(source, groups),
        *_dropped_global_rules(source, groups, rules_for),
        *_signals_not_inherited(source, groups),
    ]


def _truncated_agents(source: str, groups: tuple[Group, ...]) -> list[Problem]:
    found: list[Problem] = []
    for group in groups:
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
                    code="robots.agent-never-matches", message=message, source=source, line=line
                )
            )
    return found


def _dropped_global_rules(
    source: str, groups: tuple[Group, ...], rules_for: Callable[[str], AgentRules]
) -> list[Problem]:
    global_rules = [
        rule
        for group in groups
        if group.is_global
        for rule in group.rules
        if not rule.allow and rule.pattern
    ]
    if not global_rules:
        return []
    found: list[Problem] = []
    seen: set[str] = set()
    for group in groups:
        if group.is_global:
            continue
        # Tokens of one group that lose the same * rules are reported together.
        by_dropped: dict[tuple[int, ...], list[str]] = {}
        for token in dict.fromkeys(t for t in group.tokens if t):
            if token.lower() in seen:
                continue
            seen.add(token.lower())
            rules = rules_for(token)
            if rules.state()[0] == "disallowed":
                continue  # nothing of the * group could matter to an agent kept out entirely
            own = {rule.pattern for g in rules.groups for rule in g.rules if not rule.allow}
            dropped = tuple(i for i, rule in enumerate(global_rules) if rule.pattern not in own)
            if dropped:
                by_dropped.setdefault(dropped, []).append(token)
        for dropped, tokens in by_dropped.items():
            rules_shown = [global_rules[i] for i in dropped]
            shown = ", ".join(f"Disallow: {r.pattern} (line {r.line})" for r in rules_shown[:5])
            more = f" and {len(rules_shown) - 5} more" if len(rules_shown) > 5 else ""
            names = ", ".join(tokens)
            found.append(
                Problem(
                    code="robots.group-drops-global",
                    message=f"the group for {names} replaces the * group, so {shown}{more} "
                    f"do not apply to {names} (RFC 9309 §2.2.1)",
                    source=source,
                    line=group.agent_lines[0],
                )
            )
    return found


def _signals_not_inherited(source: str, groups: tuple[Group, ...]) -> list[Problem]:
    found: list[Problem] = []
    for group in groups:
        if not group.is_global:
            continue
        for record in group.records:
            if record.name not in ("content-signal", "content-usage"):
                continue
            others = sorted({t for g in groups if not g.is_global for t in g.tokens if t})
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
                        source=source,
                        line=record.line,
                        level="info",
                    )
                )
    return found
