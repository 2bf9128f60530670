"""Differential run: crawlcheck (Google's reading) against Protego on real robots.txt files.

Every disagreement is put in a named class, each documented in docs/signals/robots.md with
who is right. Run by hand for the full counts::

    python tests/robots_differential.py
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from protego import Protego

from crawlcheck import parse_robots
from crawlcheck.parsers._robots_syntax import LineKind, product_token
from crawlcheck.parsers.pattern import path_of
from crawlcheck.parsers.robots import RobotsTxt

AGENTS = ("GPTBot", "ClaudeBot", "CCBot", "Google-Extended", "Googlebot", "Bingbot", "AI2Bot")
_GENERIC_PATHS = ("/", "/index.html", "/search?q=a", "/robots.txt", "/a%2Fb", "/caf%C3%A9")


@dataclass(frozen=True, slots=True)
class Disagreement:
    """One (file, agent, url) on which the two parsers answer differently."""

    name: str
    agent: str
    url: str
    ours: bool
    protego: bool
    kind: str


def probe_urls(robots: RobotsTxt, limit: int = 12) -> list[str]:
    """Return paths that exercise the file's own patterns (a few per file)."""
    paths = list(_GENERIC_PATHS)
    for group in robots.groups:
        for rule in group.rules:
            concrete = rule.pattern.rstrip("$").replace("*", "x") or "/"
            paths += [concrete, concrete + "z"]
    return list(dict.fromkeys(paths))[: limit + len(_GENERIC_PATHS)]


def compare(name: str, body: bytes) -> Iterator[Disagreement]:
    """Yield every disagreement between crawlcheck and Protego on one file."""
    robots = parse_robots(body, source=name)
    protego = Protego.parse(body.decode("utf-8", errors="replace"))
    for agent in AGENTS:
        for url in probe_urls(robots):
            full = "https://example.com" + url
            ours = robots.allows(agent, full)
            theirs = protego.can_fetch(full, agent)
            if ours != theirs:
                kind = classify(body, robots, protego, agent, url)
                yield Disagreement(name, agent, url, ours, theirs, kind)


def classify(body: bytes, robots: RobotsTxt, protego: Protego, agent: str, url: str) -> str:
    """Return the documented class of one disagreement (``unexplained`` if none fits)."""
    path = path_of(url)
    if path == "/robots.txt":
        return "implicit-robots-txt"
    if body.startswith(b"\xef\xbb\xbf"):
        return "byte-order-mark"
    groups, specific = robots.groups_for(agent)
    ruleset = protego._get_matching_rule_set(agent)
    theirs_specific = ruleset is not None and ruleset.user_agent != "*"
    if specific != theirs_specific:
        values = {a.lower() for g in robots.groups for a in g.agents}
        if any(
            product_token(v) != v and agent.lower().startswith(product_token(v).lower())
            for v in values
        ):
            return "agent-value-with-other-characters"
        if _other_record_inside_group(body):
            return "other-record-ends-group"
        return "agent-matching"
    decision = robots.decide(agent, url)
    patterns = [rule.pattern for group in groups for rule in group.rules]
    if (
        decision.rule is not None
        and decision.rule.pattern.endswith("/$")
        and "index.htm" in decision.rule.text
    ):
        return "index-html"
    if _other_record_inside_group(body):
        return "other-record-ends-group"
    texts = [rule.text for group in groups for rule in group.rules]
    if "%" in path or any("%" in p for p in patterns) or not all(t.isascii() for t in texts):
        return "percent-encoding"
    if any("$" in p[:-1] or "*" in p for p in patterns):
        return "wildcards"
    if _lines_read_differently(body):
        return "line-syntax"
    return "unexplained"


def _other_record_inside_group(body: bytes) -> bool:
    """Return True when a non-rule record sits between user-agent lines (Protego splits there)."""
    after_agent = seen_other = False
    for line in parse_robots(body).lines:
        if line.kind is LineKind.USER_AGENT:
            if after_agent and seen_other:
                return True
            after_agent, seen_other = True, False
        elif line.kind in (LineKind.ALLOW, LineKind.DISALLOW):
            after_agent = False
        elif line.kind is LineKind.OTHER and after_agent:
            seen_other = True
    return False


def _lines_read_differently(body: bytes) -> bool:
    """Return True when the file has lines only Google's parser reads (typos, no colon, …)."""
    return (
        any(
            line.typo or line.missing_colon or line.too_long or line.kind is LineKind.INVALID
            for line in parse_robots(body).lines
        )
        or b"\0" in body
        or b"\r" in body
    )


def run(files: Iterable[tuple[str, bytes]]) -> tuple[int, Counter[str], list[Disagreement]]:
    """Return (files compared, disagreement counts per class, the disagreements)."""
    counts: Counter[str] = Counter()
    found: list[Disagreement] = []
    total = 0
    for name, body in files:
        total += 1
        for disagreement in compare(name, body):
            counts[disagreement.kind] += 1
            found.append(disagreement)
    return total, counts, found


def main() -> None:
    """Print the disagreement classes over the whole corpus."""
    from test_robots_corpus import corpus_files

    total, counts, found = run(corpus_files())
    print(f"{total} files, {len(AGENTS)} agents, {sum(counts.values())} disagreements")
    for kind, count in counts.most_common():
        example = next(d for d in found if d.kind == kind)
        print(
            f"  {kind:<34} {count:>6}   e.g. {example.name} {example.agent} {example.url} ours={example.ours}"
        )


if __name__ == "__main__":
    sys.path.insert(0, __file__.rsplit("/", 1)[0])
    main()
