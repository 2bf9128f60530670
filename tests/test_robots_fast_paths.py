"""The fast paths answer exactly as the slow, straightforward reading (tests/robots_reference.py).

The parser's lean group builder, its per-agent rule index (prefix tables, exact paths,
wildcards indexed by required text) and the http(s) shortcut of ``path_of`` exist only for
speed; here each is compared with the reference over the real corpus (every agent a file
names, a file's rule paths and generated URLs), the hostile files and generated input, so
speed can never change an answer. ``python tests/test_robots_fast_paths.py`` runs the
corpus comparison without the sampling limits.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from robots_hostile import HOSTILE_SMALL
from robots_reference import Answer, ReferenceRules, reference_groups, reference_parse
from test_robots_corpus import corpus_files

from crawlcheck import parse_robots
from crawlcheck.parsers.pattern import _general_path_of, path_of
from crawlcheck.parsers.robots import RobotsTxt

#: Agents no real file names: they fall to the '*' groups.
UNNAMED = ("NoSuchBot", "")
GENERATED = ("/", "/index.html", "/search?q=a", "/a%2Fb", "/caf%C3%A9", "/x/y/z.pdf?download=1")
#: Sampling limits per file for the test run (the script runs without them).
MAX_AGENTS = 6
MAX_PATHS = 24


def _spread(items: list[str], limit: int | None) -> list[str]:
    """Return at most *limit* of *items*, evenly spread (all of them when limit is None)."""
    if limit is None or len(items) <= limit:
        return items
    step = len(items) / limit
    return [items[int(i * step)] for i in range(limit)]


def probes(robots: RobotsTxt, limit: int | None) -> tuple[list[str], list[str]]:
    """Return (agents, paths) to decide: the agents the file names and its rule paths."""
    named = list(dict.fromkeys(t for g in robots.groups for t in g.tokens if t != "*"))
    paths: list[str] = []
    for group in robots.groups:
        for rule in group.rules:
            concrete = path_of(rule.pattern.rstrip("$").replace("*", "x"))
            paths += [concrete, concrete + "z"]
    paths = _spread(list(dict.fromkeys(paths)), limit)
    return [*_spread(named, limit and MAX_AGENTS), *UNNAMED], [*paths, *GENERATED]


def differences(robots: RobotsTxt, agents: list[str], urls: list[str]) -> Iterator[str]:
    """Yield a description of every decision where the fast path and the reference differ."""
    answers: dict[tuple[int, ...], dict[str, Answer]] = {}
    reference: dict[tuple[int, ...], ReferenceRules] = {}
    for agent in agents:
        groups, _ = reference_groups(robots.groups, agent)
        key = tuple(id(g) for g in groups)
        if key not in answers:
            answers[key] = {}
            reference[key] = ReferenceRules([rule for group in groups for rule in group.rules])
        known = answers[key]
        for url in urls:
            path = path_of(url)
            expected = known.get(path)
            if expected is None:
                expected = known[path] = reference[key].decide(path)
            decision = robots.decide(agent, url)
            rule = decision.rule
            if decision.allowed is not expected.allowed or robots.allows(agent, url) is not (
                expected.allowed
            ):
                yield f"{agent!r} {url!r}: fast {decision.allowed}, reference {expected}"
            elif rule is None and (expected.allow_priority or expected.disallow_priority):
                yield f"{agent!r} {url!r}: no deciding rule, reference {expected}"
            elif rule is not None and len(rule.pattern) != max(
                expected.allow_priority, expected.disallow_priority
            ):
                yield f"{agent!r} {url!r}: decided by {rule}, reference {expected}"


def _corpus_differences(limit: int | None) -> Iterator[str]:
    for name, body in corpus_files():
        robots = parse_robots(body, source=name)
        agents, paths = probes(robots, limit)
        for found in differences(robots, agents, paths):
            yield f"{name}: {found}"


def test_decisions_agree_with_the_reference_over_the_corpus() -> None:
    assert list(_corpus_differences(MAX_PATHS)) == []


def test_groups_agree_with_the_line_by_line_reading_over_the_corpus() -> None:
    for name, body in corpus_files():
        robots = parse_robots(body, source=name)
        expected = reference_parse(robots)
        assert robots.groups == expected.groups, name
        assert robots.sitemaps == expected.sitemaps, name
        assert robots.licenses == expected.licenses, name
        assert robots.outside_records == expected.outside, name


@pytest.mark.parametrize("name", sorted(HOSTILE_SMALL))
def test_hostile_files_agree_with_the_reference(name: str) -> None:
    body, urls = HOSTILE_SMALL[name]()
    robots = parse_robots(body)
    assert reference_parse(robots).groups == robots.groups
    paths = [path_of(url) for url in urls]
    agents, _ = probes(robots, MAX_PATHS)
    assert list(differences(robots, [*agents, "GPTBot"], paths)) == []


_LINE_PIECES = st.sampled_from(
    [
        "User-agent: *",
        "user-agent:GPTBot/1.0",
        "useragent ccbot",
        "Disallow: /a*b$",
        "dissallow /x",
        "Allow: /x/index.html",
        "Allow:",
        "Sitemap: /s.xml",
        "Content-Signal: ai-train=no",
        "License: /l.xml",
        "Crawl-delay: 5",
        "# comment: with colon",
        "Disallow: /é # note",
        "   ",
        "\x00Disallow: /nul",
        "Disallow: /before\x00after",
        ": no key",
        "no colon here at all",
        "x" * 5000 + ": long",
    ]
)
_BREAKS = st.sampled_from(["\n", "\r\n", "\r", "\n\r"])


@settings(max_examples=300, deadline=None)
@given(
    lines=st.lists(st.tuples(_LINE_PIECES, _BREAKS), max_size=15),
    prefix=st.sampled_from([b"", b"\xef\xbb\xbf", b"\xef\xbb", b"\xff"]),
    garbage=st.binary(max_size=40),
)
def test_generated_files_group_as_the_line_by_line_reading(
    lines: list[tuple[str, str]], prefix: bytes, garbage: bytes
) -> None:
    """Any bytes: line breaks, BOMs, NULs, invalid UTF-8, long lines, odd keys."""
    body = prefix + "".join(line + end for line, end in lines).encode() + garbage
    robots = parse_robots(body)
    expected = reference_parse(robots)
    assert robots.groups == expected.groups
    assert (robots.sitemaps, robots.licenses, robots.outside_records) == (
        expected.sitemaps,
        expected.licenses,
        expected.outside,
    )


_PIECES = st.sampled_from(["/", "a", "b", "ab", "*", "$", "?", "%2F", "é", "x/", "index.html"])
_PATTERN = st.lists(_PIECES, max_size=8).map("".join)


@settings(max_examples=300, deadline=None)
@given(
    rules=st.lists(st.tuples(st.booleans(), _PATTERN), max_size=40),
    paths=st.lists(st.lists(_PIECES, max_size=10).map(lambda p: "/" + "".join(p)), max_size=8),
)
def test_generated_rules_agree_with_the_reference(
    rules: list[tuple[bool, str]], paths: list[str]
) -> None:
    """Random rule sets, large enough to use the wildcard index, over a small alphabet."""
    body = "User-agent: *\n" + "".join(
        f"{'Allow' if allow else 'Disallow'}: {pattern}\n" for allow, pattern in rules
    )
    robots = parse_robots(body)
    assert list(differences(robots, ["x"], paths)) == []


@settings(max_examples=500, deadline=None)
@given(
    url=st.one_of(
        st.text(alphabet="htps:/?;#a.b%", max_size=30),
        st.builds(
            lambda scheme, rest: scheme + rest,
            st.sampled_from(["http://", "https://", "HTTP://", "//", ""]),
            st.text(alphabet="/?;#a.b:@%", max_size=20),
        ),
    )
)
def test_path_of_shortcut_agrees_with_the_general_reading(url: str) -> None:
    assert path_of(url) == _general_path_of(url)
    long_url = url + "/" + "a" * 300 + url  # the shortcut for long URLs
    assert path_of(long_url) == _general_path_of(long_url)


if __name__ == "__main__":
    count = 0
    for difference in _corpus_differences(None):
        print(difference)
        count += 1
    decisions = 0
    for _, body in corpus_files():
        agents, paths = probes(parse_robots(body), None)
        decisions += len(agents) * len(paths)
    print(f"{decisions:,} decisions, {count} differences", file=sys.stderr)
