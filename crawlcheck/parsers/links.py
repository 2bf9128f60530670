"""RFC 8288 ``Link`` header values, resolved against the response URL: the public form.

The parsing itself is the one RSL discovery uses (:mod:`crawlcheck.parsers._rsl_links`:
commas and semicolons inside ``<…>`` or quoted strings do not split; parameter names are
lower-cased; the first occurrence of a parameter counts, RFC 8288 §3.3 and §3.4). This module
gives other readers (C2PA's ``rel="c2pa-manifest"``) that parser without reaching into a
private module.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urljoin

from crawlcheck.parsers._rsl_links import _parse_link_header


@dataclass(frozen=True, slots=True, kw_only=True)
class Link:
    """One link-value of a ``Link`` header."""

    url: str
    """The target resolved against the response URL."""
    rels: tuple[str, ...]
    """The ``rel`` tokens, lower-cased (RFC 8288 §3.3: relation types compare case-insensitively)."""
    params: tuple[tuple[str, str], ...]
    raw: str
    """The link-value as written."""


def parse_link_header(value: str, base_url: str) -> tuple[Link, ...]:
    """Return every link of one ``Link`` header value; unresolvable targets are dropped.

    >>> [(l.url, l.rels) for l in parse_link_header('<a.c2pa>; rel="c2pa-manifest"', "https://e.com/x/y")]
    [('https://e.com/x/a.c2pa', ('c2pa-manifest',))]
    """
    links: list[Link] = []
    for raw, target, params in _parse_link_header(value):
        try:
            url = urljoin(base_url, target.strip())
        except ValueError:
            continue
        rels = tuple(params.get("rel", "").lower().split())
        links.append(Link(url=url, rels=rels, params=tuple(params.items()), raw=raw))
    return tuple(links)
