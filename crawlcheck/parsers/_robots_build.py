"""Reading robots.txt lines into groups, as robots.cc does while it reads them.

This is the parse every decision pays for, so it is lean: one pass over the lines that
keeps what a decision or a report's observations need (groups, their rules and records,
sitemaps, licences) and nothing else. Problems are not looked for here: ``_robots_lint``
reads the lines again, through ``iter_lines``, when a report asks for them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from crawlcheck.parsers._robots_syntax import (
    MAX_LINE_BYTES,
    LineKind,
    PreparedBody,
    classify_key,
    cut_line,
    displayable,
    escape_value,
    key_and_value,
    physical_lines,
)
from crawlcheck.parsers._robots_types import ExtensionRecord, Group, Rule
from crawlcheck.parsers.aipref import UsagePreference, parse_usage
from crawlcheck.parsers.pattern import escape_pattern

_ALLOW = LineKind.ALLOW
_DISALLOW = LineKind.DISALLOW
_USER_AGENT = LineKind.USER_AGENT
_SITEMAP = LineKind.SITEMAP
_ASCII_SPACE = " \t\n\r\x0b\x0c"  # absl::ascii_isspace
#: Lines at most this many characters cannot exceed Google's line limit in bytes.
_SURELY_SHORT = MAX_LINE_BYTES // 4
#: The spellings nearly every file uses, classified once (others go through classify_key).
_COMMON_KINDS = {
    spelling: classify_key(spelling)[0]
    for key in ("user-agent", "allow", "disallow", "sitemap", "crawl-delay", "noindex", "host")
    for spelling in (key, key.upper(), key.capitalize(), key.title())
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Built:
    """What one pass over a robots.txt's lines finds."""

    groups: tuple[Group, ...]
    sitemaps: tuple[ExtensionRecord, ...]
    licenses: tuple[ExtensionRecord, ...]
    outside: tuple[ExtensionRecord, ...]
    """Content-Signal / Content-Usage records before any user-agent line (apply to nobody)."""


def build_groups(prepared: PreparedBody) -> Built:
    """Return the groups of *prepared* as robots.cc forms them while it reads the lines.

    A group is a run of user-agent lines followed by rules; it ends at the next user-agent
    line after a rule (RFC 9309 §2.2.1). Other records never end a group (§2.2.4); rules
    before any user-agent line are ignored.
    """
    clean = prepared.valid_utf8
    may_hold_nul = "\0" in prepared.text
    # Locals: this loop runs once per line of every file parsed.
    new = tuple.__new__
    space = _ASCII_SPACE
    surely_short = _SURELY_SHORT
    common_kinds = _COMMON_KINDS
    allow_kind, disallow_kind, user_agent_kind = _ALLOW, _DISALLOW, _USER_AGENT
    groups: list[Group] = []
    sitemaps: list[ExtensionRecord] = []
    licenses: list[ExtensionRecord] = []
    outside: list[ExtensionRecord] = []
    agents: list[str] = []
    agent_lines: list[int] = []
    rules: list[Rule] = []
    records: list[ExtensionRecord] = []
    number = 0
    for raw in physical_lines(prepared.text):
        number += 1
        if len(raw) > surely_short or (may_hold_nul and "\0" in raw):
            raw = cut_line(raw)[0]
        hash_at = raw.find("#")
        content = raw if hash_at < 0 else raw[:hash_at]
        sep = content.find(":")
        if sep >= 0:
            key = content[:sep].strip(space)
            if not key:
                continue
            value = content[sep + 1 :].strip(space)
        else:
            # Rare: blank, comment-only, or "key value" without a colon (Google accepts it).
            content = content.strip(space)
            if not content:
                continue
            key_value = key_and_value(content)
            if key_value is None:
                continue
            key, value, _ = key_value
        kind = common_kinds.get(key)
        if kind is None:
            kind = classify_key(key)[0]
        if kind is disallow_kind or kind is allow_kind:
            if not agents:
                continue  # a rule before any user-agent line (RFC 9309 §2.2.1)
            allow = kind is allow_kind
            pattern = value if value.isascii() and "%" not in value else escape_value(value)
            text = raw if clean else displayable(raw)
            rules.append(new(Rule, (allow, pattern, number, text)))
            if allow and "/index.htm" in pattern:
                # Google-specific: "Allow: /x/index.htm(l)" also allows "/x/" exactly
                # (robots.cc HandleAllow).
                slash = pattern.rfind("/")
                if pattern.startswith("/index.htm", slash):
                    rules.append(new(Rule, (True, pattern[: slash + 1] + "$", number, text)))
        elif kind is user_agent_kind:
            if rules:  # a user-agent line after a rule starts a new group
                groups.append(
                    Group(tuple(agents), tuple(agent_lines), tuple(rules), tuple(records))
                )
                agents, agent_lines, rules, records = [], [], [], []
            agents.append(value if clean else displayable(value))
            agent_lines.append(number)
        else:
            if not clean:
                key, value, raw = displayable(key), displayable(value), displayable(raw)
            if kind is _SITEMAP:
                sitemaps.append(new(ExtensionRecord, ("sitemap", value, number, raw)))
                continue
            name = key.strip().lower()
            record = new(ExtensionRecord, (name, value, number, raw))
            if name == "license":
                licenses.append(record)  # RSL: global, never part of a group
            elif agents:
                records.append(record)
            elif name in ("content-signal", "content-usage"):
                outside.append(record)
    if agents:
        groups.append(Group(tuple(agents), tuple(agent_lines), tuple(rules), tuple(records)))
    return Built(
        groups=tuple(groups),
        sitemaps=tuple(sitemaps),
        licenses=tuple(licenses),
        outside=tuple(outside),
    )


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
