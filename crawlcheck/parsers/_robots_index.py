"""Each agent's robots.txt rules indexed for Google's longest-match decision."""

from __future__ import annotations

from dataclasses import dataclass

from crawlcheck.parsers._robots_types import Group, Rule
from crawlcheck.parsers.pattern import Matcher, compile_pattern


@dataclass(frozen=True, slots=True)
class AgentRules:
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


def index_rules(groups: tuple[Group, ...], specific: bool) -> AgentRules:
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
    return AgentRules(
        groups=groups,
        specific=specific,
        ordered=tuple(rules),
        plain_prefixes=tuple(p for table in plain.values() for p in table),
        plain_by_length=tuple(sorted(plain.items(), reverse=True)),
        exact=exact,
        special=tuple(special),
    )
