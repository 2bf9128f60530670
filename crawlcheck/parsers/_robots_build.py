"""Reading robots.txt lines into groups, as robots.cc does while it reads them."""

from __future__ import annotations

from functools import lru_cache

from crawlcheck.model import Problem
from crawlcheck.parsers._robots_syntax import MAX_BYTES, LineKind, RobotsLine
from crawlcheck.parsers._robots_types import ExtensionRecord, Group, Rule
from crawlcheck.parsers.aipref import UsagePreference, invalid_value_message, parse_usage
from crawlcheck.parsers.pattern import escape_pattern

#: Problem code of a robots.txt Content-Usage value that is not the Token y/n.
USAGE_VALUE = "robots.content-usage-value"

#: Records Google documents as unsupported but that are common and harmless.
_KNOWN_UNSUPPORTED = frozenset(
    {"crawl-delay", "host", "noindex", "clean-param", "request-rate", "visit-time", "nofollow"}
)


class Builder:
    """Group lines the way robots.cc does while it reads them."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.groups: list[Group] = []
        self.sitemaps: list[ExtensionRecord] = []
        self.licenses: list[ExtensionRecord] = []
        self.outside: list[ExtensionRecord] = []
        self.problems: list[Problem] = []
        self._agents: list[str] = []
        self._agent_lines: list[int] = []
        self._rules: list[Rule] = []
        self._records: list[ExtensionRecord] = []

    def feed(self, line: RobotsLine) -> None:
        if line.too_long:
            self._problem(
                "robots.line-too-long",
                line,
                "line longer than 16,663 bytes: Google ignores the rest of it",
            )
        if line.kind is LineKind.USER_AGENT:
            if self._rules:  # a user-agent line after a rule starts a new group
                self._close()
            self._agents.append(line.raw_value)
            self._agent_lines.append(line.number)
        elif line.kind in (LineKind.ALLOW, LineKind.DISALLOW):
            if not self._agents:
                self._problem(
                    "robots.rule-outside-group",
                    line,
                    "rule before any User-agent line: ignored (RFC 9309 §2.2.1)",
                )
                return
            allow = line.kind is LineKind.ALLOW
            self._rules.append(Rule(allow, line.value, line.number, line.text))
            if allow:
                self._index_html_rule(line)
        elif line.kind is LineKind.SITEMAP:
            self.sitemaps.append(ExtensionRecord("sitemap", line.raw_value, line.number, line.text))
        elif line.kind is LineKind.OTHER:
            self._other(line)
        elif line.kind is LineKind.INVALID:
            self._problem(
                "robots.invalid-line", line, "not a 'key: value' record: ignored", level="info"
            )
        if line.typo:
            self._problem(
                "robots.typo",
                line,
                f"misspelt key '{line.key}': Google accepts it, other crawlers may not",
                level="info",
            )
        if line.missing_colon:
            self._problem(
                "robots.missing-colon",
                line,
                "no ':' after the key: Google accepts it, other crawlers may not",
                level="info",
            )

    def _index_html_rule(self, line: RobotsLine) -> None:
        # Google-specific: "Allow: /x/index.htm(l)" also allows "/x/" exactly (robots.cc HandleAllow).
        slash = line.value.rfind("/")
        if slash >= 0 and line.value[slash:].startswith("/index.htm"):
            self._rules.append(Rule(True, line.value[: slash + 1] + "$", line.number, line.text))

    def _other(self, line: RobotsLine) -> None:
        name = line.key.strip().lower()
        if name == "license":
            self.licenses.append(ExtensionRecord(name, line.raw_value, line.number, line.text))
            return
        record = ExtensionRecord(name, line.raw_value, line.number, line.text)
        if name in ("content-signal", "content-usage"):
            if self._agents:
                self._records.append(record)
            else:
                self.outside.append(record)
                self._problem(
                    f"robots.{name}-outside-group",
                    line,
                    f"{line.key} before any User-agent line applies to no crawler",
                )
            if name == "content-signal":
                for message in parse_content_signal(line.raw_value)[1]:
                    self._problem("robots.content-signal-invalid", line, message)
            else:
                pref = split_usage_rule(line.raw_value)[1]
                if pref.error:
                    self._problem(
                        "robots.content-usage-invalid",
                        line,
                        f"Content-Usage is not an SF Dictionary ({pref.error}): every category "
                        "unknown",
                    )
                for key, value in pref.invalid:
                    # A statement the vocabulary cannot read: the purpose is unknown (fail
                    # closed, crawlcheck.evaluate.signals), and the publisher is told the fix.
                    self._problem(
                        USAGE_VALUE, line, invalid_value_message(key, value), level="error"
                    )
            return
        if self._agents:
            self._records.append(record)
        if name in _KNOWN_UNSUPPORTED:
            self._problem(
                "robots.unsupported-directive",
                line,
                f"'{line.key}' is not part of RFC 9309; Google ignores it",
                level="info",
            )
        else:
            self._problem(
                "robots.unknown-directive", line, f"unknown directive '{line.key}'", level="info"
            )

    def _problem(self, code: str, line: RobotsLine, message: str, level: str = "warning") -> None:
        self.problems.append(
            Problem(code=code, message=message, source=self.source, line=line.number, level=level)
        )

    def _close(self) -> None:
        if self._agents:
            self.groups.append(
                Group(
                    tuple(self._agents),
                    tuple(self._agent_lines),
                    tuple(self._rules),
                    tuple(self._records),
                )
            )
        self._agents, self._agent_lines, self._rules, self._records = [], [], [], []

    def finish(self) -> tuple[Group, ...]:
        self._close()
        return tuple(self.groups)


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


def file_problems(
    source: str, data: bytes, had_bom: bool, truncated: bool, valid_utf8: bool, is_html: bool
) -> list[Problem]:
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
    if had_bom:
        problems.append(
            Problem(
                code="robots.bom",
                message="file starts with a UTF-8 byte-order mark (Google skips it; some parsers read the first line wrong)",
                source=source,
                level="info",
            )
        )
    if truncated:
        problems.append(
            Problem(
                code="robots.too-large",
                message=f"file is {len(data):,} bytes; only the first {MAX_BYTES:,} are read (RFC 9309 §2.5)",
                source=source,
            )
        )
    if not valid_utf8:
        problems.append(
            Problem(
                code="robots.not-utf8",
                message="file is not valid UTF-8 (RFC 9309 §2.3); undecodable bytes were kept as-is",
                source=source,
            )
        )
    return problems
