"""What the pipeline steps share: their settings, checked once, and the keep rule."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from crawlcheck.decide.checker import CheckerOptions
from crawlcheck.errors import UsageError
from crawlcheck.model import PURPOSES, UrlDecision, UrlVerdict
from crawlcheck.tables.writers import is_malformed

__all__ = ["StepSettings", "kept_by"]


class StepSettings:
    """A step's question (agent, purpose), what it keeps, and its checker's settings."""

    def __init__(
        self,
        agent: str | None,
        purpose: str,
        keep: Iterable[str] | str,
        settings: CheckerOptions,
        what: str,
    ) -> None:
        if purpose not in PURPOSES:
            raise UsageError(f"unknown purpose {purpose!r}; expected one of {', '.join(PURPOSES)}")
        if "cache" in settings and settings["cache"] is None:
            # Each worker process would keep its own throw-away cache and fetch every origin.
            raise UsageError(
                f"{what} runs in many processes: give cache=PATH (a file they share), or "
                "leave the default cache"
            )
        self.agent = agent
        self.purpose = purpose
        kept = frozenset([keep] if isinstance(keep, str) else keep)
        unknown = sorted(kept - set(UrlVerdict))
        if unknown or not kept:
            raise UsageError(
                f"keep: {unknown[0] if unknown else 'nothing'!r} is not a decision; expected "
                f"some of {', '.join(UrlVerdict)}"
            )
        self.keep = kept
        self.settings: dict[str, Any] = dict(settings)


def kept_by(keep: frozenset[str], decision: UrlDecision) -> bool:
    """Return True when *decision* is kept: its verdict asked for, and the URL usable."""
    return decision.decision in keep and not is_malformed(decision)
