"""Which crawler a user means by ``--agent`` (or the add-on's agent setting): one reading.

A crawler is matched in robots.txt by its *product token*, and Google's reference parser
takes the token from a full User-Agent string by keeping its leading ``[A-Za-z_-]``
characters (``GPTBot/1.2 (+https://openai.com/gptbot)`` → ``GPTBot``; RFC 9309 §2.2.1).
:func:`resolve_agent` reads a value the same way, says when it did, refuses a value that
has no token at all (a user's mistake must not silently mean "nobody reserved anything"),
and names the nearest catalogued agents when the token is not in the catalogue, while
keeping it usable: a user's own crawler is a legitimate answer.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from crawlcheck.errors import UsageError
from crawlcheck.parsers.robots import product_token

if TYPE_CHECKING:
    from crawlcheck.ruleset import Ruleset

__all__ = ["AgentChoice", "resolve_agent"]

#: Nearest catalogued names offered for a token outside the catalogue.
SUGGESTIONS = 3
# Where a User-Agent string's product ends: "Name/1.0", "Name (+url)", "Name; ...".
_PRODUCT_END = re.compile(r"[/\s;(]")


@dataclass(frozen=True, slots=True)
class AgentChoice:
    """The crawler token decisions are made for, and what to tell the user about it."""

    token: str | None
    """The product token (the catalogue's spelling when catalogued); None: any agent."""
    notes: tuple[str, ...] = ()
    """One-line warnings: a token taken out of a longer string, a token not catalogued."""


def resolve_agent(value: str | None, ruleset: Ruleset, *, option: str = "--agent") -> AgentChoice:
    """Return the crawler token *value* names; UsageError (naming *option*) if it names none.

    ``None`` and ``*`` mean any catalogued agent of the purpose.

    >>> from crawlcheck.ruleset import load_ruleset
    >>> resolve_agent("gptbot/1.2 (+https://openai.com/gptbot)", load_ruleset()).token
    'GPTBot'
    """
    if value is None:
        return AgentChoice(None)
    text = value.strip()
    if text == "*":
        return AgentChoice(None)
    if not text:
        raise UsageError(f"{option}: empty; give a crawler's product token, e.g. GPTBot")
    # A catalogued name is taken whole, even one Google's parser would cut (AI2Bot → AI).
    whole = ruleset.agent(text)
    if whole is not None:
        return AgentChoice(whole.token)
    head = _PRODUCT_END.split(text, maxsplit=1)[0]
    known = ruleset.agent(head)
    if known is not None:
        return AgentChoice(known.token, (_extracted(option, text, known.token),))
    token = product_token(text)
    if not token:
        raise UsageError(
            f"{option}: {text!r} has no product token (a crawler name starts with a letter, "
            "'_' or '-': robots.txt groups are matched on the leading [A-Za-z_-] characters)"
        )
    notes: list[str] = [] if token == text else [_extracted(option, text, token)]
    known = ruleset.agent(token)
    if known is not None:
        return AgentChoice(known.token, tuple(notes))
    names = {agent.token.casefold(): agent.token for agent in ruleset.agents}
    close = difflib.get_close_matches(token.casefold(), names, n=SUGGESTIONS, cutoff=0.6)
    hint = f" (did you mean {', '.join(names[c] for c in close)}?)" if close else ""
    notes.append(
        f"{option}: {token!r} is not in the AI agent catalogue{hint}; deciding for it as "
        "given: its own robots.txt groups, else the * group"
    )
    return AgentChoice(token, tuple(notes))


def _extracted(option: str, text: str, token: str) -> str:
    return (
        f"{option}: using the product token {token!r} of {text!r} (robots.txt groups are "
        "matched on it, as Google's parser does)"
    )
