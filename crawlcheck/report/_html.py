"""Escaping helpers for the HTML report: the only way site text reaches the page.

Every string a website supplied goes through :func:`text` (element content) or
:func:`link` (an ``<a>`` only for plain http(s) URLs). Attribute values are always
escaped with ``quote=True``; class names come from fixed tables, never from the data.
"""

from __future__ import annotations

import html
import re

# Invisible or direction-changing characters an auditor must see, not obey: C0/C1
# controls (but tab and newline), zero-width characters, bidi embeddings, overrides and
# isolates (Unicode TR9 "Explicit Directional Formatting"), BOM.
_HIDDEN = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff]"
)
_HTTP_URL = re.compile(r"https?://[^\s\x00-\x1f\x7f]+", re.IGNORECASE)


def _visible(match: re.Match[str]) -> str:
    return f'<span class="ctl">U+{ord(match.group()):04X}</span>'


def text(value: object) -> str:
    """Return *value* as HTML text: escaped, with hidden characters shown as ``U+XXXX``.

    >>> text('<script>"x"\\u202e')
    '&lt;script&gt;&quot;x&quot;<span class="ctl">U+202E</span>'
    """
    escaped = html.escape(str(value), quote=True)
    return _HIDDEN.sub(_visible, escaped)


def inline(value: object) -> str:
    """Return *value* as escaped text isolated from the surrounding sentence's direction."""
    return f"<bdi>{text(value)}</bdi>"


def attr(value: object) -> str:
    """Return *value* escaped for a double-quoted attribute."""
    return html.escape(str(value), quote=True)


def link(url: str) -> str:
    """Return *url* as a link if it is a plain http(s) URL, else as text.

    >>> link("javascript:alert(1)")
    '<bdi>javascript:alert(1)</bdi>'
    """
    if _HTTP_URL.fullmatch(url) is None:
        return inline(url)
    return f'<a href="{attr(url)}" rel="noopener noreferrer nofollow">{inline(url)}</a>'


def badge(value: str, classes: dict[str, str]) -> str:
    """Return a coloured pill for a fixed vocabulary value (verdict, agent state)."""
    return f'<span class="badge {classes.get(value, "v-other")}">{text(value)}</span>'


def human_size(size: int) -> str:
    """Return *size* bytes as a short human-readable string.

    >>> human_size(512), human_size(2048), human_size(3 * 1024 * 1024)
    ('512 B', '2.0 KiB', '3.0 MiB')
    """
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KiB"
    return f"{size / (1024 * 1024):.1f} MiB"
