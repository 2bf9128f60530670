"""IETF AI Preferences (aipref) usage values and the ``Content-Usage`` HTTP header.

draft-ietf-aipref-vocab-07 §"Serialization": the value is an RFC 9651 Structured Fields
Dictionary; for each known category the Token ``y`` allows and ``n`` disallows, anything
else (absent, Boolean, String, another token) is unknown; parameters and unknown keys are
ignored; a parse failure makes every category unknown. Parsed with ``http_sf``.
"""

from __future__ import annotations

from dataclasses import dataclass

import http_sf
from http_sf import Token

from crawlcheck.model import Evidence, Fetched, Observation, Problem, Signal

#: Categories of vocab-07 (``train-ai``, ``search``); older drafts' labels are unknown keys.
KNOWN_CATEGORIES: tuple[str, ...] = ("train-ai", "search")


@dataclass(frozen=True, slots=True)
class UsagePreference:
    """The parsed preferences of one usage value: category → ``y``/``n``."""

    text: str
    preferences: tuple[tuple[str, str], ...]
    """Known categories with a ``y`` or ``n`` Token, in the order written."""
    ignored: tuple[str, ...]
    """Keys present but unknown, or known keys whose value was not the Token y/n."""
    error: str | None
    """Why the value failed to parse as an SF Dictionary (then every category is unknown)."""
    invalid: tuple[tuple[str, str], ...] = ()
    """Known categories whose value was not the Token y/n, with the value as written
    (``("train-ai", "no")``): the publisher stated something the vocabulary cannot read."""

    def get(self, category: str) -> str | None:
        """Return ``y``, ``n`` or None (unknown) for *category*."""
        for key, value in self.preferences:
            if key == category:
                return value
        return None


def parse_usage(text: str) -> UsagePreference:
    """Return the preferences an aipref usage value states; never raises.

    >>> parse_usage("train-ai=n, search=y").preferences
    (('train-ai', 'n'), ('search', 'y'))
    >>> parse_usage("train-ai=no").preferences
    ()
    >>> parse_usage("train-ai=no").invalid
    (('train-ai', 'no'),)
    """
    try:
        parsed = http_sf.parse(text.encode("utf-8"), tltype="dictionary")
    except Exception as exc:  # http_sf raises StructuredFieldError, but bad bytes vary
        return UsagePreference(text=text, preferences=(), ignored=(), error=str(exc))
    if not isinstance(parsed, dict):  # pragma: no cover - tltype guarantees a dict
        return UsagePreference(text=text, preferences=(), ignored=(), error="not a dictionary")
    preferences: list[tuple[str, str]] = []
    ignored: list[str] = []
    invalid: list[tuple[str, str]] = []
    for key, member in parsed.items():
        value = member[0] if isinstance(member, tuple) else member
        if key in KNOWN_CATEGORIES and isinstance(value, Token) and str(value) in ("y", "n"):
            preferences.append((key, str(value)))
        else:
            ignored.append(key)
            if key in KNOWN_CATEGORIES:
                invalid.append((key, _written(value)))
    return UsagePreference(
        text=text,
        preferences=tuple(preferences),
        ignored=tuple(ignored),
        error=None,
        invalid=tuple(invalid),
    )


def _written(value: object) -> str:
    """Return an SF bare item roughly as written (RFC 9651 §3.3): for messages only."""
    if isinstance(value, bool):
        return "?1" if value else "?0"
    if isinstance(value, str) and not isinstance(value, Token):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "(" + " ".join(_written(v[0] if isinstance(v, tuple) else v) for v in value) + ")"
    return str(value)


def invalid_value_message(key: str, value: str) -> str:
    """Return what is wrong with ``key=value`` and how the publisher writes it instead.

    >>> invalid_value_message("train-ai", "no")[:60]
    "Content-Usage train-ai=no: 'no' is not a preference (the aip"
    """
    return (
        f"Content-Usage {key}={value}: {value!r} is not a preference (the aipref vocabulary "
        f"takes only the Token y or n), so the {key} preference is unknown: write {key}=n to "
        f"disallow it, or {key}=y to allow it"
    )


def combine_restrictively(prefs: list[UsagePreference]) -> dict[str, str]:
    """Return category → y/n combined as vocab "Combining Preferences": any n wins, then y."""
    combined: dict[str, str] = {}
    for pref in prefs:
        for key, value in pref.preferences:
            if value == "n" or key not in combined:
                combined[key] = value
    return combined


@dataclass(frozen=True, slots=True, kw_only=True)
class ContentUsageHeader:
    """Every ``Content-Usage`` header of one response, read."""

    observations: tuple[Observation, ...]
    problems: tuple[Problem, ...]


def parse_content_usage_header(doc: Fetched) -> ContentUsageHeader:
    """Return the observations of the ``Content-Usage`` headers of *doc* (attach-05 §3)."""
    values = doc.header_values("Content-Usage")
    if not values:
        return ContentUsageHeader(observations=(), problems=())
    # Several field lines combine into one Dictionary (RFC 9651 §4.2, RFC 9110 §5.3).
    text = ", ".join(values)
    pref = parse_usage(text)
    evidence = Evidence(source=doc.url, text=text, where="header Content-Usage")
    problems: list[Problem] = []
    if pref.error is not None:
        problems.append(
            Problem(
                code="content-usage.invalid",
                message=f"Content-Usage is not a Structured Fields Dictionary ({pref.error}); "
                "every category is unknown",
                source=doc.url,
            )
        )
    elif pref.ignored:
        problems.append(
            Problem(
                code="content-usage.ignored-keys",
                message="ignored (unknown key or value not the Token y/n): "
                + ", ".join(pref.ignored),
                source=doc.url,
            )
        )
    observations = tuple(
        Observation(
            signal=Signal.CONTENT_USAGE, key=key, value=value, scope="page", evidence=evidence
        )
        for key, value in pref.preferences
    )
    return ContentUsageHeader(observations=observations, problems=tuple(problems))
