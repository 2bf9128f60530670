"""Differential run: crawlcheck (Google's reading) against Protego on real robots.txt files.

Every disagreement is explained one decision at a time, by its cause, never by what the
file contains somewhere else. A disagreement (file, agent, URL) has a documented cause when

1. crawlcheck's answer is the answer of the slow reference reading (tests/robots_reference.py:
   Google's grouping and robots.cc's matching, written plainly), so crawlcheck answers as
   Google's parser would; and
2. one documented difference between the parsers explains Protego's answer for this very
   URL: ``/robots.txt`` itself (Protego always allows it), or an edit of the file that
   Google's parser reads exactly as before (crawlcheck's answer does not change) after which
   Protego gives crawlcheck's answer. The edit removes one feature — the byte-order mark,
   the records between user-agent lines, what follows a user-agent value's product token, a
   value Protego finds inside the crawler's name, or the ``/x/`` rule Google adds for
   ``Allow: /x/index.html`` — so that feature is the cause (or two of them together).

A wrong crawlcheck decision fails step 1 (and the edits cannot repair it), so it can never be
filed as documented. Run by hand for the full counts::

    python tests/robots_differential.py
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import combinations

from protego import Protego
from robots_reference import ReferenceRules, reference_groups, reference_parse

from crawlcheck import parse_robots
from crawlcheck.parsers._robots_syntax import LineKind, is_global_agent, product_token
from crawlcheck.parsers.pattern import path_of
from crawlcheck.parsers.robots import RobotsTxt

AGENTS = ("GPTBot", "ClaudeBot", "CCBot", "Google-Extended", "Googlebot", "Bingbot", "AI2Bot")
_GENERIC_PATHS = ("/", "/index.html", "/search?q=a", "/robots.txt", "/a%2Fb", "/caf%C3%A9")
_BOM = b"\xef\xbb\xbf"
#: Not a cause but the lack of one: crawlcheck's answer is not the reference's.
NOT_GOOGLE = "crawlcheck-differs-from-reference"
UNEXPLAINED = "unexplained"


@dataclass(frozen=True, slots=True)
class Disagreement:
    """One (file, agent, url) on which the two parsers answer differently, and why."""

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


# -- edits that Google's parser reads exactly as the original (each removes one feature)

_LINE_END = re.compile(rb"(\r\n|\r|\n)")


def _physical_lines(body: bytes) -> list[tuple[bytes, bytes]]:
    """Return (content, line end) for each line as robots.cc splits them (CR, LF, CRLF)."""
    parts = _LINE_END.split(body)
    return list(zip(parts[::2], [*parts[1::2], b""], strict=True))


def _edit_lines(body: bytes, edit: Callable[[LineKind, str, bytes], bytes | None]) -> bytes:
    """Return *body* with each line replaced by ``edit(kind, raw value, line)`` (None: kept)."""
    start = _BOM if body.startswith(_BOM) else b""
    physical = _physical_lines(body[len(start) :])
    readings = parse_robots(body).lines
    if len(readings) != len(physical):  # a file cut at the read limit: leave it alone
        return body
    out = [start]
    for (content, end), line in zip(physical, readings, strict=True):
        replaced = edit(line.kind, line.raw_value, content)
        out += [content if replaced is None else replaced, end]
    return b"".join(out)


def _without_bom(body: bytes, _: str) -> bytes:
    return body[len(_BOM) :] if body.startswith(_BOM) else body


def _without_records(body: bytes, _: str) -> bytes:
    # Records other than rules and user-agent lines never end a group (RFC 9309 §2.2.4).
    return _edit_lines(
        body, lambda kind, _, __: b"#" if kind in (LineKind.OTHER, LineKind.SITEMAP) else None
    )


def _agent_values_as_google_reads_them(body: bytes, agent: str) -> bytes:
    # Google compares only the value's product token with the crawler's name (robots.cc
    # ExtractUserAgent): a value with more after its token is written as the outcome of
    # that comparison for *agent*: its name when they match, else a name nobody has.
    def edit(kind: LineKind, value: str, content: bytes) -> bytes | None:
        token = product_token(value)
        if kind is not LineKind.USER_AGENT or is_global_agent(value) or token == value.strip():
            return None
        same = agent.isascii() and token.lower() == agent.lower()
        return b"User-agent: " + (agent.encode() if same else b"no-such-crawler")

    return _edit_lines(body, edit)


def _names_inside_the_agents_name_dropped(body: bytes, agent: str) -> bytes:
    # Google matches a group only when its product token equals the crawler's name
    # (robots.cc, RFC 9309 §2.2.1); Protego also when it occurs inside the name ("google"
    # in "Google-Extended", "bing" in "Bingbot"). Such values name another crawler.
    def edit(kind: LineKind, value: str, content: bytes) -> bytes | None:
        name = value.strip().lower()
        if kind is not LineKind.USER_AGENT or product_token(value).lower() != name:
            return None
        if name == agent.lower() or name not in agent.lower():
            return None
        return b"User-agent: no-such-crawler"

    return _edit_lines(body, edit)


def _index_html_spelt_out(body: bytes, _: str) -> bytes:
    # robots.cc HandleAllow: "Allow: /x/index.htm(l)" also allows "/x/" exactly.
    def edit(kind: LineKind, value: str, content: bytes) -> bytes | None:
        slash = value.rfind("/")
        if kind is not LineKind.ALLOW or not value.startswith("/index.htm", max(slash, 0)):
            return None
        return content + b"\nAllow: " + value[: slash + 1].encode() + b"$"

    return _edit_lines(body, edit)


#: The documented causes that are edits of the file (for the agent asked), in the order
#: they are tried.
EDITS: dict[str, Callable[[bytes, str], bytes]] = {
    "byte-order-mark": _without_bom,
    "other-record-ends-group": _without_records,
    "agent-value-with-other-characters": _agent_values_as_google_reads_them,
    "agent-matching": _names_inside_the_agents_name_dropped,
    "index-html": _index_html_spelt_out,
}


class File:
    """One file read by both parsers, and its edited forms (each read once)."""

    def __init__(self, name: str, body: bytes) -> None:
        self.name = name
        self.body = body
        self.robots = parse_robots(body, source=name)
        self.protego = Protego.parse(body.decode("utf-8", errors="replace"))
        self._edited: dict[tuple[tuple[str, ...], str], tuple[RobotsTxt, Protego] | None] = {}
        self._reference = reference_parse(self.robots).groups

    def reference_allows(self, agent: str, url: str) -> bool:
        groups, _ = reference_groups(self._reference, agent)
        return ReferenceRules([r for g in groups for r in g.rules]).decide(path_of(url)).allowed

    def edited(self, causes: tuple[str, ...], agent: str) -> tuple[RobotsTxt, Protego] | None:
        """Return both parsers' reading of the file with *causes* edited out (None: no change)."""
        key = (causes, agent)
        if key not in self._edited:
            body = self.body
            for cause in causes:
                body = EDITS[cause](body, agent)
            self._edited[key] = (
                None
                if body == self.body
                else (parse_robots(body), Protego.parse(body.decode("utf-8", errors="replace")))
            )
        return self._edited[key]


def _rules_for(robots: RobotsTxt, agent: str) -> frozenset[tuple[bool, str]]:
    """Return the (allow, pattern) pairs of the rules that apply to *agent*."""
    groups, _ = robots.groups_for(agent)
    return frozenset((rule.allow, rule.pattern) for group in groups for rule in group.rules)


def cause(file: File, agent: str, url: str, ours: bool, theirs: bool) -> str:
    """Return the documented cause of one disagreement (see the module docstring)."""
    if file.reference_allows(agent, url) != ours:
        return NOT_GOOGLE
    if path_of(url) == "/robots.txt" and theirs:
        return "implicit-robots-txt"  # Protego allows /robots.txt itself, whatever the rules
    for size in (1, 2):
        for causes in combinations(EDITS, size):
            edited = file.edited(causes, agent)
            if edited is None:
                continue
            robots, protego = edited
            # Google reads the same rules for the agent in the edited file (its decision is
            # a function of the set of (allow, pattern) pairs), and Protego now answers as
            # Google does.
            if (
                _rules_for(robots, agent) == _rules_for(file.robots, agent)
                and robots.allows(agent, url) == ours
                and protego.can_fetch(url, agent) == ours
            ):
                return "+".join(causes)
    return UNEXPLAINED


def compare(name: str, body: bytes) -> Iterator[Disagreement]:
    """Yield every disagreement between crawlcheck and Protego on one file."""
    file = File(name, body)
    for agent in AGENTS:
        for path in probe_urls(file.robots):
            url = "https://example.com" + path
            ours = file.robots.allows(agent, url)
            theirs = file.protego.can_fetch(url, agent)
            if ours != theirs:
                yield Disagreement(
                    name, agent, path, ours, theirs, cause(file, agent, url, ours, theirs)
                )


def run(files: Iterable[tuple[str, bytes]]) -> tuple[int, Counter[str], list[Disagreement]]:
    """Return (files compared, disagreement counts per cause, the disagreements)."""
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
    """Print the disagreement causes over the whole corpus."""
    from test_robots_corpus import corpus_files

    total, counts, found = run(corpus_files())
    print(f"{total} files, {len(AGENTS)} agents, {sum(counts.values())} disagreements")
    for kind, count in counts.most_common():
        example = next(d for d in found if d.kind == kind)
        print(
            f"  {kind:<34} {count:>6}   e.g. {example.name} {example.agent} {example.url} "
            f"ours={example.ours}"
        )


if __name__ == "__main__":
    sys.path.insert(0, __file__.rsplit("/", 1)[0])
    main()
