"""The ``CRAWLCHECK_*`` Scrapy settings of the add-on, their defaults, and their validation.

Plain data (no Scrapy import): :func:`options_from_settings` reads any object with
Scrapy's ``get``/``getbool``/``getlist`` getters. Every setting is documented in
docs/scrapy-addon.md ("Settings"); keep this list alphabetical, and document any addition
there.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from crawlcheck.errors import UsageError
from crawlcheck.model import PURPOSES, UrlVerdict

#: The per-URL decisions (contract: "Per URL").
DECISIONS: tuple[str, ...] = tuple(UrlVerdict)

#: Default of every setting, alphabetised (Scrapy's default_settings.py convention).
#: ``CRAWLCHECK_AGENT`` None means ``ROBOTSTXT_USER_AGENT`` if set, else any catalogued
#: agent of the purpose; ``"*"`` asks for any catalogued agent explicitly.
DEFAULTS: dict[str, Any] = {
    "CRAWLCHECK_AGENT": None,
    "CRAWLCHECK_ALLOW_PRIVATE_ADDRESSES": False,
    "CRAWLCHECK_CHECK_RESPONSES": True,
    "CRAWLCHECK_ENABLED": True,
    "CRAWLCHECK_KEEP": ["allowed"],
    "CRAWLCHECK_MEDIA": True,
    "CRAWLCHECK_PURPOSE": "ai-train",
    "CRAWLCHECK_RULES": [],
    "CRAWLCHECK_SNAPSHOT": None,
    "CRAWLCHECK_SNAPSHOT_MAX_AGE": 24 * 3600.0,
}


class SettingsLike(Protocol):
    """The typed getters of :class:`scrapy.settings.BaseSettings` used here."""

    def get(self, name: str, default: Any = None) -> Any: ...

    def getbool(self, name: str, default: bool = False) -> bool: ...

    def getlist(self, name: str, default: list[Any] | None = None) -> list[Any]: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class MiddlewareOptions:
    """What the middleware decides, for whom, and what it lets through."""

    purpose: str = "ai-train"
    agent: str | None = None
    """The crawler token decisions are made for; None: any catalogued agent of the purpose.
    As the setting gives it: the middleware reads its product token with the ruleset
    (:func:`crawlcheck.agent_names.resolve_agent`)."""
    agent_setting: str = "CRAWLCHECK_AGENT"
    """The setting *agent* came from (named in warnings and errors)."""
    keep: frozenset[str] = frozenset({"allowed"})
    """Decisions whose requests and responses pass; the others are dropped (fail closed)."""
    rules: tuple[str, ...] = ()
    """Extra rules files merged over the shipped ones."""
    check_responses: bool = True
    """Also decide each 2xx response with its own headers and meta."""
    snapshot: str | None = None
    """Origin snapshot (path or URL) to take site files from instead of fetching them."""
    snapshot_max_age: float = 24 * 3600.0
    """Seconds a snapshot capture may be old (RFC 9309 §2.4: 24 hours)."""
    allow_private_addresses: bool = False
    """Fetch licences and redirect hops on loopback, private, link-local and metadata
    addresses too (crawlcheck.addresses); the origin itself is always fetched."""
    media: bool = True
    """Also read what a 2xx image or document response embeds (docs/media.md)."""


def options_from_settings(settings: SettingsLike) -> MiddlewareOptions:
    """Return the options that the ``CRAWLCHECK_*`` *settings* ask for.

    Raises :class:`~crawlcheck.errors.UsageError` (a ``ValueError``) naming the setting
    when a value is unusable: a user's mistake must stop the crawl at start-up, not be
    silently ignored as Scrapy's ``NotConfigured`` would be.
    """
    purpose = settings.get("CRAWLCHECK_PURPOSE") or DEFAULTS["CRAWLCHECK_PURPOSE"]
    if purpose not in PURPOSES:
        raise UsageError(
            f"CRAWLCHECK_PURPOSE: unknown purpose {purpose!r}; expected one of "
            f"{', '.join(PURPOSES)}"
        )
    keep = _strings(settings, "CRAWLCHECK_KEEP")
    wrong = [value for value in keep if value not in DECISIONS]
    if wrong:
        raise UsageError(
            f"CRAWLCHECK_KEEP: unknown decision {wrong[0]!r}; expected some of "
            f"{', '.join(DECISIONS)}"
        )
    agent, agent_setting = _agent(settings)
    return MiddlewareOptions(
        purpose=purpose,
        agent=agent,
        agent_setting=agent_setting,
        keep=frozenset(keep),
        rules=tuple(_strings(settings, "CRAWLCHECK_RULES")),
        check_responses=settings.getbool(
            "CRAWLCHECK_CHECK_RESPONSES", DEFAULTS["CRAWLCHECK_CHECK_RESPONSES"]
        ),
        snapshot=_snapshot(settings),
        snapshot_max_age=_max_age(settings),
        allow_private_addresses=settings.getbool(
            "CRAWLCHECK_ALLOW_PRIVATE_ADDRESSES", DEFAULTS["CRAWLCHECK_ALLOW_PRIVATE_ADDRESSES"]
        ),
        media=settings.getbool("CRAWLCHECK_MEDIA", DEFAULTS["CRAWLCHECK_MEDIA"]),
    )


def _snapshot(settings: SettingsLike) -> str | None:
    """Return CRAWLCHECK_SNAPSHOT (a path or URL), or None."""
    value = settings.get("CRAWLCHECK_SNAPSHOT")
    if value is None:
        return None
    if not isinstance(value, str | os.PathLike) or not os.fspath(value).strip():
        raise UsageError(f"CRAWLCHECK_SNAPSHOT: expected a snapshot path or URL, got {value!r}")
    return os.fspath(value).strip()


def _max_age(settings: SettingsLike) -> float:
    """Return CRAWLCHECK_SNAPSHOT_MAX_AGE in seconds (a non-negative number)."""
    value = settings.get("CRAWLCHECK_SNAPSHOT_MAX_AGE", DEFAULTS["CRAWLCHECK_SNAPSHOT_MAX_AGE"])
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = -1.0
    if not seconds >= 0:
        raise UsageError(
            f"CRAWLCHECK_SNAPSHOT_MAX_AGE: expected a number of seconds, got {value!r}"
        )
    return seconds


def _agent(settings: SettingsLike) -> tuple[str | None, str]:
    """Return (CRAWLCHECK_AGENT, else the crawler's own robots.txt agent, else None; its name)."""
    name = "CRAWLCHECK_AGENT"
    agent = settings.get(name)
    if agent is None:
        name = "ROBOTSTXT_USER_AGENT"
        agent = settings.get(name)
    if agent is None:
        return None, "CRAWLCHECK_AGENT"
    if not isinstance(agent, str):
        raise UsageError(f"{name}: expected a crawler token, got {agent!r}")
    agent = agent.strip()
    return (None if agent in ("", "*") else agent), name


def _strings(settings: SettingsLike, name: str) -> list[str]:
    """Return the list setting *name* (a list, or a comma-separated string) as strings."""
    values: Sequence[Any] = settings.getlist(name, list(DEFAULTS[name]))
    found: list[str] = []
    for value in values:
        if not isinstance(value, str | os.PathLike):
            raise UsageError(f"{name}: expected strings, got {value!r}")
        text = os.fspath(value).strip()
        if text:
            found.append(text)
    return found
