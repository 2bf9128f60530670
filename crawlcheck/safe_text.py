"""Text from websites and files made inert for terminals and JSON: one neutraliser for all.

A robots.txt line, a header value or a URL can carry ESC (CSI and OSC sequences that move
the cursor, retitle the window, write hyperlinks or the clipboard), 8-bit C1 controls
(U+009B is a CSI of its own on terminals that honour C1), line breaks that forge output
lines, and bidirectional overrides that make text read differently from what it is
(CVE-2021-42574, "Trojan Source"). Every text output runs values through :func:`safe_text`,
which shows such characters as visible escapes (``\\x1b``, ``\\u202e``) instead of sending
them; JSON written by crawlcheck goes through :func:`dumps`, which keeps the value exactly
(a JSON reader gets the same string) but writes those characters as ``\\uXXXX`` escapes, so
a JSON document shown on a terminal is inert too.
"""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = ["HIDDEN", "UNSAFE", "dumps", "json_safe", "safe_text"]

#: C0 controls, DEL, C1 controls, the Unicode line and paragraph separators, the
#: bidirectional formatting characters (Unicode UAX #9: marks, embeddings, overrides,
#: isolates), zero-width and invisible format characters and the BOM: everything that can
#: move, recolour, retitle or reorder what a terminal shows, or hide what a value is.
UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff]"
)
#: The same, less tab, newline and the line separators: for views that keep a value's
#: lines (the HTML and CSV reports show each character of it as ``U+XXXX``).
HIDDEN = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff]"
)


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def safe_text(text: str) -> str:
    """Return *text* with every terminal-unsafe character shown as a visible escape.

    >>> safe_text("User-agent: \\x1b]0;owned\\x07GPTBot")
    'User-agent: \\\\x1b]0;owned\\\\x07GPTBot'
    >>> safe_text("abc\\u202edef")
    'abc\\\\u202edef'
    """
    return UNSAFE.sub(_visible, text)


# In JSON text, characters other than ASCII punctuation, digits, letters and whitespace
# occur only inside strings; C0 controls are already escaped by json.dumps (RFC 8259 §7).
_JSON_UNSAFE = re.compile(
    "[\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff]"
)


def json_safe(document: str) -> str:
    """Return JSON text with DEL, C1, line separators and bidi controls as ``\\uXXXX``.

    The parsed value is unchanged (RFC 8259 §7 allows any character to be escaped).

    >>> json_safe(json.dumps("a\\x9bb\\u2028", ensure_ascii=False))
    '"a\\\\u009bb\\\\u2028"'
    """
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group(0)):04x}", document)


def dumps(value: Any, indent: int | None = None) -> str:
    """Return *value* as JSON (UTF-8 text, not ASCII-escaped), inert on a terminal."""
    return json_safe(json.dumps(value, ensure_ascii=False, indent=indent))
