"""Time as crawlcheck records it: RFC 3339 UTC strings, to the millisecond."""

from __future__ import annotations

import datetime


def now() -> str:
    """Return the current UTC time in RFC 3339 form, to the millisecond."""
    stamp = datetime.datetime.now(datetime.UTC)
    return stamp.isoformat(timespec="milliseconds").replace("+00:00", "Z")
