"""RFC 8288 ``Link`` header values, resolved against the response URL.

One parser for every reader: RSL licence discovery (``rel="license"``) and C2PA remote
manifests (``rel="c2pa-manifest"``). Commas and semicolons inside ``<…>`` or quoted strings
do not split; parameter names are lower-cased; the first occurrence of a parameter counts
(RFC 8288 §3.3, §3.4).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urljoin


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

    def param(self, name: str) -> str:
        """Return the value of parameter *name* (lower-case), '' when absent."""
        return next((value for key, value in self.params if key == name), "")


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


def _parse_link_header(value: str) -> list[tuple[str, str, dict[str, str]]]:
    """Return (raw link, target, params) for each link-value of an RFC 8288 ``Link`` header.

    Commas inside ``<…>`` or quoted strings do not separate links; parameter names are
    lower-cased; only the first occurrence of a parameter counts (RFC 8288 §3.3, §3.4).
    """
    links: list[tuple[str, str, dict[str, str]]] = []
    for raw in _split_outside(value, ","):
        raw = raw.strip()
        if not raw.startswith("<") or ">" not in raw:
            continue
        end = raw.index(">")
        target = raw[1:end]
        params: dict[str, str] = {}
        for param in _split_outside(raw[end + 1 :], ";"):
            name, _, val = param.partition("=")
            name = name.strip().lower().rstrip("*")
            if name:
                params.setdefault(name, _unquote(val.strip()))
        links.append((raw, target, params))
    return links


def _split_outside(text: str, sep: str) -> list[str]:
    """Split *text* on *sep* outside ``<…>`` and double-quoted strings."""
    parts: list[str] = []
    current: list[str] = []
    in_quotes = in_angle = escaped = False
    for ch in text:
        if escaped:
            escaped = False
        elif in_quotes:
            if ch == "\\":
                escaped = True
            elif ch == '"':
                in_quotes = False
        elif in_angle:
            in_angle = ch != ">"
        elif ch == '"':
            in_quotes = True
        elif ch == "<":
            in_angle = True
        elif ch == sep:
            parts.append("".join(current))
            current = []
            continue
        current.append(ch)
    parts.append("".join(current))
    return parts


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        inner = value[1:-1]
        out: list[str] = []
        escaped = False
        for ch in inner:
            if escaped or ch != "\\":
                out.append(ch)
                escaped = False
            else:
                escaped = True
        return "".join(out)
    return value
