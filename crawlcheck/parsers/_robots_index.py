"""Each agent's robots.txt rules indexed for Google's longest-match decision.

Google's matcher (robots.cc) tries every rule and keeps the longest match, Allow winning
ties. The index gives the same answer with a few dictionary lookups: exact ``/path$``
patterns in one table, plain prefixes in another (tried longest first, only at the lengths
that occur under the path's first two characters), and wildcard patterns in decision order,
where the first one that matches and can still beat the best plain match decides. A large
set of wildcard patterns is indexed by a short piece of text each pattern requires, so a
path is checked only against the patterns whose required text it contains: matching stays
linear in the path for every pattern checked, and hostile files with thousands of
wildcards check only a few (never a backtracking regex).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from crawlcheck.parsers._robots_types import Group, Rule, matches_everything
from crawlcheck.parsers.pattern import Matcher, compile_pattern

#: Wildcard sets up to this size are scanned in order; larger ones get a required-text index.
_SCAN_LIMIT = 32
#: The length of the pieces of required text (shorter literals are used whole).
_GRAM = 3

#: (priority, allow, rule, text before the first ``*``, the text a ``$`` pattern ends with,
#: matcher), in decision order.
_Wildcard = tuple[int, bool, Rule, str, str, Matcher]


@dataclass(frozen=True, slots=True)
class Wildcards:
    """Wildcard patterns in decision order; when there are many, indexed by required text."""

    entries: tuple[_Wildcard, ...]
    required: dict[str, tuple[int, ...]] | None
    """A piece of text → the entries (by position) that every path they match contains."""
    always: tuple[int, ...]
    """Entries (by position) that require no indexed text: checked for every path."""
    gram_lengths: tuple[int, ...]
    """The lengths of the keys of :attr:`required`."""

    def first_beating(self, path: str, best: Rule | None) -> Rule | None:
        """Return the first entry matching *path* that beats *best* (else *best*)."""
        # Longest match wins; on equal length Allow wins (robots.cc). Entries are in
        # decision order, so the first that matches decides, and the scan stops at the
        # first that could no longer beat *best*.
        priority, allow = (len(best.pattern), best.allow) if best is not None else (-1, False)
        candidates = self.entries if self.required is None else self._candidates(path)
        for rule_priority, rule_allow, rule, head, tail, matcher in candidates:
            if rule_priority < priority or (
                rule_priority == priority and (allow or not rule_allow)
            ):
                break
            # Most paths fail on the literal head or tail; test them before the matcher.
            if path.startswith(head) and path.endswith(tail) and matcher(path):
                return rule
        return best

    def _candidates(self, path: str) -> list[_Wildcard]:
        """Return the entries whose required text *path* contains, in decision order."""
        required = self.required
        assert required is not None
        found = set(self.always)
        for size in self.gram_lengths:
            grams = {path[i : i + size] for i in range(len(path) - size + 1)}
            for gram in grams & required.keys():
                found.update(required[gram])
        entries = self.entries
        return [entries[i] for i in sorted(found)]


@dataclass(frozen=True, slots=True)
class AgentRules:
    """An agent's effective rules, indexed so one lookup finds the longest match."""

    groups: tuple[Group, ...]
    specific: bool
    rules: tuple[Rule, ...]
    """Every rule that can decide (non-empty pattern), in file order."""
    exact: dict[str, Rule]
    """``/path$`` patterns without ``*``: an exact-path table (the winner per path)."""
    plain: dict[str, Rule]
    """Patterns without ``*`` or ``$``: prefix → the winning rule."""
    plain_lengths: dict[str, tuple[int, ...]]
    """The first two characters of plain patterns of two or more → their lengths, longest first."""
    headed: dict[str, Wildcards]
    """Wildcard patterns whose text before the first ``*`` has two or more characters, by
    those first two characters."""
    rootless: Wildcards | None
    """Wildcard patterns that start ``*`` or ``/*``."""

    def match(self, path: str) -> Rule | None:
        """Return the rule Google's longest-match strategy picks for *path* (None: no rule)."""
        # An exact match is longer than any plain prefix of the path (it counts the '$').
        best = self.exact.get(path)
        if best is None:
            best = self._longest_plain(path)
        if self.headed:
            wildcards = self.headed.get(path[:2])
            if wildcards is not None:
                best = wildcards.first_beating(path, best)
        if self.rootless is not None:
            best = self.rootless.first_beating(path, best)
        return best

    def _longest_plain(self, path: str) -> Rule | None:
        """Return the rule of the longest plain pattern that *path* starts with."""
        lengths = self.plain_lengths.get(path[:2])
        if lengths is not None:
            plain = self.plain
            for length in lengths:
                found = plain.get(path[:length])
                if found is not None:
                    return found
        return self.plain.get(path[:1])

    def state(self) -> tuple[str, tuple[Rule, ...]]:
        """Return (``disallowed``, ``restricted`` or ``allowed``, the disallow rules behind it).

        ``disallowed``: a rule matching every path decides ``/`` against the agent;
        ``restricted``: some disallow that no equal-or-longer match-all allow overrides.
        """
        root = self.match("/")
        if root is not None and not root.allow and matches_everything(root.pattern):
            return "disallowed", (root,)
        ordered = sorted(self.rules, key=_decision_key, reverse=True)
        allows = [rule for rule in ordered if rule.allow]
        live = tuple(rule for rule in ordered if not rule.allow and not _dominated(rule, allows))
        return ("restricted" if live else "allowed"), live


def _dominated(rule: Rule, allows: list[Rule]) -> bool:
    """Return True when an allow at least as long matches everything *rule* matches."""
    return any(
        allow.priority >= rule.priority
        and (matches_everything(allow.pattern) or allow.pattern == rule.pattern)
        for allow in allows
    )


def index_rules(groups: tuple[Group, ...], specific: bool) -> AgentRules:
    """Return the rules of *groups* indexed for :meth:`AgentRules.match`."""
    rules = tuple(rule for group in groups for rule in group.rules if rule.pattern)
    exact: dict[str, Rule] = {}
    plain: dict[str, Rule] = {}
    lengths: dict[str, set[int]] = {}
    wildcard_rules: list[Rule] = []
    # One rule per pattern can decide: the first, unless a later one allows where it
    # disallows (on equal length Allow wins, robots.cc).
    for rule in rules:
        pattern = rule.pattern
        if "*" in pattern:
            wildcard_rules.append(rule)
            continue
        if pattern[-1] == "$":
            table, key = exact, pattern[:-1]
        else:
            table, key = plain, pattern
        known = table.get(key)
        if known is None:
            table[key] = rule
            if table is plain and len(pattern) >= 2:
                lengths.setdefault(pattern[:2], set()).add(len(pattern))
        elif rule.allow and not known.allow:
            table[key] = rule
    # Wildcards in decision order: longest first, Allow before Disallow on ties, then file
    # order (the sort is stable).
    wildcard_rules.sort(key=_decision_key, reverse=True)
    headed: dict[str, list[_Wildcard]] = {}
    rootless: list[_Wildcard] = []
    seen: set[str] = set()
    for rule in wildcard_rules:
        pattern = rule.pattern
        if pattern in seen:  # a repeated pattern can never decide
            continue
        seen.add(pattern)
        head = pattern[: pattern.index("*")]
        tail = pattern[pattern.rindex("*") + 1 : -1] if pattern[-1] == "$" else ""
        entry = (len(pattern), rule.allow, rule, head, tail, compile_pattern(pattern))
        if len(head) >= 2:
            headed.setdefault(head[:2], []).append(entry)
        else:
            rootless.append(entry)
    return AgentRules(
        groups=groups,
        specific=specific,
        rules=rules,
        exact=exact,
        plain=plain,
        plain_lengths={head: tuple(sorted(found, reverse=True)) for head, found in lengths.items()},
        headed={head: _wildcards(entries) for head, entries in headed.items()},
        rootless=_wildcards(rootless) if rootless else None,
    )


def _decision_key(rule: Rule) -> int:
    """Return a key that sorts rules, descending, in Google's decision order."""
    return 2 * len(rule.pattern) + rule.allow


def _wildcards(entries: list[_Wildcard]) -> Wildcards:
    """Return *entries* (in decision order) with a required-text index if there are many.

    Every literal run of a pattern (the text between ``*``s, a final ``$`` dropped) occurs
    in each path it matches, so each of its pieces of :data:`_GRAM` characters does too (a
    shorter run is a piece itself). Each pattern is indexed by its rarest piece; one whose
    only literal is ``/`` is checked for every path.
    """
    if len(entries) <= _SCAN_LIMIT:
        return Wildcards(tuple(entries), None, (), ())
    pieces: list[set[str]] = []
    counts: Counter[str] = Counter()
    for entry in entries:
        pattern = entry[2].pattern
        found: set[str] = set()
        for run in (pattern[:-1] if pattern[-1] == "$" else pattern).split("*"):
            if len(run) >= _GRAM:
                found |= {run[i : i + _GRAM] for i in range(len(run) - _GRAM + 1)}
            elif run and run != "/":
                found.add(run)
        pieces.append(found)
        counts.update(found)
    required: dict[str, list[int]] = {}
    always: list[int] = []
    for position, found in enumerate(pieces):
        if found:
            # The rarest piece; ties go to the smallest, so the index is deterministic.
            rarest = min(found, key=lambda piece: (counts[piece], piece))
            required.setdefault(rarest, []).append(position)
        else:
            always.append(position)
    return Wildcards(
        entries=tuple(entries),
        required={piece: tuple(positions) for piece, positions in required.items()},
        always=tuple(always),
        gram_lengths=tuple(sorted({len(piece) for piece in required})),
    )
