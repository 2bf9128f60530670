"""The ``Content-Signal`` HTTP response header (Cloudflare Content Signals, standards.md §8).

Cloudflare defines ``Content-Signal`` as a robots.txt record; some services also send it
as a response header (Markdown-for-Agents, several libraries). No specification gives the
header a meaning, so crawlcheck reads it as a hint about that one response: scope
``page``, every crawler. Values are parsed exactly as the robots.txt record is
(:func:`crawlcheck.parsers.robots.parse_content_signal`).
"""

from __future__ import annotations

from crawlcheck.model import Evidence, Fetched, Observation, Problem, Signal
from crawlcheck.parsers.robots import parse_content_signal


def parse_content_signal_header(
    doc: Fetched,
) -> tuple[tuple[Observation, ...], tuple[Problem, ...]]:
    """Return one observation per ``key=value`` of every ``Content-Signal`` header of *doc*.

    >>> doc = Fetched(url="https://e.com/", status=200,
    ...               headers=(("content-signal", "ai-train=no, search=yes"),))
    >>> [(o.key, o.value, o.scope) for o in parse_content_signal_header(doc)[0]]
    [('ai-train', 'no', 'page'), ('search', 'yes', 'page')]
    """
    observations: list[Observation] = []
    problems: list[Problem] = []
    for value in doc.header_values("Content-Signal"):
        pairs, messages = parse_content_signal(value)
        evidence = Evidence(source=doc.url, text=value, where="header Content-Signal")
        observations.extend(
            Observation(
                signal=Signal.CONTENT_SIGNAL, key=key, value=val, scope="page", evidence=evidence
            )
            for key, val in pairs
        )
        problems.extend(
            Problem(code="content-signal.invalid", message=message, source=doc.url)
            for message in messages
        )
        if not pairs and not messages:
            problems.append(
                Problem(
                    code="content-signal.empty",
                    message="empty Content-Signal header: no signal",
                    source=doc.url,
                    level="info",
                )
            )
    return tuple(observations), tuple(problems)
