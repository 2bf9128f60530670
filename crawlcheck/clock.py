"""Time as crawlcheck records it: RFC 3339 UTC strings, to the millisecond."""

from __future__ import annotations

import datetime


def now() -> str:
    """Return the current UTC time in RFC 3339 form, to the millisecond."""
    stamp = datetime.datetime.now(datetime.UTC)
    return stamp.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_time(text: str) -> float | None:
    """Return the POSIX time of an RFC 3339 string (``Z`` or an offset), or None.

    A time without an offset is read as UTC (crawlcheck writes UTC only).

    >>> parse_time("2026-01-02T03:04:05.500Z")
    1767323045.5
    >>> parse_time("yesterday") is None
    True
    """
    try:
        stamp = datetime.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except (ValueError, AttributeError):
        return None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=datetime.UTC)
    return stamp.timestamp()


def format_time(seconds: float) -> str:
    """Return POSIX time *seconds* as an RFC 3339 UTC string, to the millisecond.

    >>> format_time(1767323045.5)
    '2026-01-02T03:04:05.500Z'
    """
    stamp = datetime.datetime.fromtimestamp(seconds, datetime.UTC)
    return stamp.isoformat(timespec="milliseconds").replace("+00:00", "Z")
