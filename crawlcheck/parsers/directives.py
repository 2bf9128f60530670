"""Robots directives of the ``X-Robots-Tag`` header and ``<meta name="robots">`` tags.

Grammar as Google documents it (developers.google.com/search/docs/crawling-indexing/
robots-meta-tag): names and values are case-insensitive; directives are comma-separated;
several headers and several tags combine; a header value may start with a crawler token
(``googlebot: noindex, noai``) that scopes every directive after it; ``<meta
name="googlebot">`` scopes its directives to that crawler. ``noai``/``noimageai``
(DeviantArt, standards.md §6) and the vendor meanings of ``noarchive``/``nocache``
(§12) ride on the same grammar; this module only reads, ``rules/`` gives meanings.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable

from crawlcheck.model import Evidence, Fetched, Observation, Problem, Signal
from crawlcheck.parsers.html import MetaTag

#: Directive names crawlcheck knows (Google's list, Bing/Yandex extras, the AI ones).
KNOWN_DIRECTIVES: frozenset[str] = frozenset(
    {
        "all",
        "index",
        "follow",
        "noindex",
        "nofollow",
        "none",
        "noarchive",
        "nocache",
        "nosnippet",
        "indexifembedded",
        "max-snippet",
        "max-image-preview",
        "max-video-preview",
        "notranslate",
        "noimageindex",
        "unavailable_after",
        "nositelinkssearchbox",
        "noodp",
        "noydir",
        "noyaca",
        "noai",
        "noimageai",
        "noml",
        "noimageml",
    }
)

#: Directives whose value follows a colon (``max-snippet: 0``).
VALUED_DIRECTIVES: frozenset[str] = frozenset(
    {"max-snippet", "max-image-preview", "max-video-preview", "unavailable_after"}
)

#: Crawler meta names recognised without a catalogue, in their documented spelling.
WELL_KNOWN_CRAWLERS: tuple[str, ...] = (
    "Googlebot",
    "Googlebot-News",
    "Googlebot-Image",
    "Googlebot-Video",
    "Google-Extended",
    "Bingbot",
    "MSNBot",
    "AdIdxBot",
    "Slurp",
    "Yandex",
    "Baiduspider",
    "DuckDuckBot",
    "Applebot",
    "Applebot-Extended",
    "Amazonbot",
    "GPTBot",
    "ChatGPT-User",
    "OAI-SearchBot",
    "CCBot",
    "ClaudeBot",
    "anthropic-ai",
    "PerplexityBot",
    "Bytespider",
    "FacebookBot",
    "meta-externalagent",
    "img2dataset",
)
_CANONICAL = {name.lower(): name for name in WELL_KNOWN_CRAWLERS}

# A crawler token is a product token (RFC 9309 §2.2.1 allows [A-Za-z_-]; real names add
# digits and dots); a directive name is a lower-case word with - or _.
_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]*")
_DIRECTIVE = re.compile(r"[a-z0-9][a-z0-9_\-]*")
# RFC 850 / RFC 822 dates contain a comma after the weekday ("Sunday, 06-Nov-94 …").
_WEEKDAYS = frozenset(
    {"mon", "tue", "wed", "thu", "fri", "sat", "sun"}
    | {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}
)
# Meta names that carry robots directives for every crawler.
_GLOBAL_META_NAMES = frozenset({"robots", "x-robots-tag"})


def parse_directive_value(
    value: str,
    *,
    signal: Signal,
    source: str,
    where: str,
    agent: str = "*",
    text: str | None = None,
) -> tuple[tuple[Observation, ...], tuple[Problem, ...]]:
    """Return one observation per directive in one header value or meta content.

    *agent* is the initial scope (a meta tag's crawler name); a ``token:`` prefix before a
    directive switches the scope for it and every directive after it. *text* is the raw
    evidence (the element for a meta tag); the value itself by default.

    >>> obs, _ = parse_directive_value("googlebot: noindex, NoAI", signal=Signal.X_ROBOTS_TAG,
    ...                                source="u", where="header X-Robots-Tag")
    >>> [(o.key, o.agents) for o in obs]
    [('noindex', ('Googlebot',)), ('noai', ('Googlebot',))]
    """
    evidence = Evidence(source=source, text=value if text is None else text, where=where)
    observations: list[Observation] = []
    problems: list[Problem] = []

    def problem(code: str, message: str, level: str = "warning") -> None:
        problems.append(
            Problem(code=f"{signal.value}.{code}", message=message, source=source, level=level)
        )

    def add(name: str, argument: str) -> None:
        observations.append(
            Observation(
                signal=signal,
                key=name,
                value=argument,
                agents=(agent,),
                scope="page",
                evidence=evidence,
            )
        )

    items = _merge_dates(value.split(","))
    if not value.strip():
        problem("empty", f"empty {where}: no directive", level="info")
    for item in items:
        item = item.strip()
        if not item:
            continue
        head, colon, rest = item.partition(":")
        name = head.strip().lower()
        if colon and name not in KNOWN_DIRECTIVES and _TOKEN.fullmatch(head.strip()):
            # A crawler token; it scopes this item's directive and all that follow.
            agent = _canonical(head.strip())
            item = rest.strip()
            if not item:
                problem("no-directive", f"'{head.strip()}:' is followed by no directive", "info")
                continue
            head, colon, rest = item.partition(":")
            name = head.strip().lower()
        if colon:
            if name in KNOWN_DIRECTIVES and name not in VALUED_DIRECTIVES:
                problem("unexpected-value", f"'{item}': {name} takes no value; value ignored")
                add(name, "")
            elif _DIRECTIVE.fullmatch(name):
                add(name, rest.strip())
            else:
                problem("malformed", f"'{item}' is neither a directive nor 'crawler: directive'")
            continue
        if _DIRECTIVE.fullmatch(name):
            if name in VALUED_DIRECTIVES:
                problem("missing-value", f"'{item}': {name} needs a value after ':'")
            elif name not in KNOWN_DIRECTIVES:
                problem("unknown-directive", f"unknown directive '{item}'", level="info")
            add(name, "")
            continue
        words = name.split()
        if len(words) > 1 and all(word in KNOWN_DIRECTIVES for word in words):
            # "noai noimageai": the intent is plain, but the grammar wants commas.
            problem("space-separated", f"'{item}': directives must be separated by commas")
            for word in words:
                add(word, "")
            continue
        problem("malformed", f"'{item}' is not a directive")
    return tuple(observations), tuple(problems)


def parse_x_robots_tag(doc: Fetched) -> tuple[tuple[Observation, ...], tuple[Problem, ...]]:
    """Return the directives of every ``X-Robots-Tag`` header of *doc*.

    Each header line is read on its own: a crawler prefix in one line does not carry over
    to the next (Google's example sends ``googlebot: nofollow`` and ``otherbot: noindex``
    as two headers).
    """
    observations: list[Observation] = []
    problems: list[Problem] = []
    for value in doc.header_values("X-Robots-Tag"):
        found, issues = parse_directive_value(
            value, signal=Signal.X_ROBOTS_TAG, source=doc.url, where="header X-Robots-Tag"
        )
        observations.extend(found)
        problems.extend(issues)
    return tuple(observations), tuple(problems)


def parse_meta_robots(
    metas: Iterable[MetaTag], source: str, crawler_names: Collection[str] = ()
) -> tuple[tuple[Observation, ...], tuple[Problem, ...]]:
    """Return the directives of ``<meta name="robots">`` and per-crawler meta tags.

    ``robots`` applies to every crawler; a name equal (case-insensitively) to one of
    *crawler_names* or to a :data:`WELL_KNOWN_CRAWLERS` entry applies to that crawler;
    other names (description, viewport, …) are not robots tags.
    """
    catalogue = {name.lower(): name for name in crawler_names}
    observations: list[Observation] = []
    problems: list[Problem] = []
    for meta in metas:
        if meta.name in _GLOBAL_META_NAMES:
            agent = "*"
            if meta.name == "x-robots-tag":
                problems.append(
                    Problem(
                        code="meta-robots.http-equiv",
                        message="X-Robots-Tag given as a meta tag; Google reads only the HTTP "
                        "header, other crawlers may ignore it",
                        source=source,
                        level="info",
                    )
                )
        elif meta.name in catalogue:
            agent = catalogue[meta.name]
        elif meta.name in _CANONICAL:
            agent = _CANONICAL[meta.name]
        else:
            continue
        found, issues = parse_directive_value(
            meta.content,
            signal=Signal.META_ROBOTS,
            source=source,
            where=f"<meta name={meta.name}>",
            agent=agent,
            text=meta.text,
        )
        observations.extend(found)
        problems.extend(issues)
    return tuple(observations), tuple(problems)


def _canonical(token: str) -> str:
    return _CANONICAL.get(token.lower(), token)


def _merge_dates(parts: list[str]) -> list[str]:
    """Rejoin ``unavailable_after: Sunday, 06-Nov-94 …`` split at the weekday's comma."""
    merged: list[str] = []
    for part in parts:
        if merged:
            head, colon, rest = merged[-1].partition(":")
            # The previous item may itself be "crawler: unavailable_after: day".
            if colon and head.strip().lower() not in KNOWN_DIRECTIVES:
                head, colon, rest = rest.partition(":")
            if (
                colon
                and head.strip().lower() == "unavailable_after"
                and rest.strip().lower() in _WEEKDAYS
            ):
                merged[-1] = merged[-1] + "," + part
                continue
        merged.append(part)
    return merged
