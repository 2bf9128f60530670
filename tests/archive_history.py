"""A history of one site's captures in a WARC written by warcio: robots.txt changes over 2023.

Each capture time has robots.txt and 404s for ai.txt, tdmrep.json and llms.txt (so nothing
is unknown for want of a capture). The answers for GPTBot / ai-train at each moment:

===================  ==========================  ===========
moment               robots.txt in force         decision
===================  ==========================  ===========
before 2023-01-01    none                        unknown
2023-01-01 …         ``Allow: /``                allowed
2023-03-01 …         GPTBot ``Disallow: /``      reserved
2023-06-01 …         500                         unknown
2023-07-01 …         ``Allow: /`` again          allowed
after 2023-07-31     older than the 30-day window  unknown
===================  ==========================  ===========
"""

from __future__ import annotations

from pathlib import Path

from warc_helpers import Rec, write_warcio

ORIGIN = "http://history.example"
ALLOW = b"User-agent: *\nAllow: /\n"
GPTBOT_OUT = b"User-agent: GPTBot\nDisallow: /\n\nUser-agent: *\nAllow: /\n"
CAPTURES = (
    ("2023-01-01T00:00:00Z", 200, ALLOW),
    ("2023-03-01T00:00:00Z", 200, GPTBOT_OUT),
    ("2023-06-01T00:00:00Z", 500, b"oops"),
    ("2023-07-01T00:00:00Z", 200, ALLOW),
)
#: (moment, decision for GPTBot / ai-train with the default 30-day window)
EXPECTED = (
    ("2022-12-15", "unknown"),
    ("2023-01-15", "allowed"),
    ("2023-03-01T00:00:00Z", "reserved"),
    ("2023-03-20", "reserved"),
    ("2023-06-10", "unknown"),
    ("2023-07-15", "allowed"),
    ("2023-09-15", "unknown"),
)


def write_history(path: Path) -> Path:
    """Write the history to *path* (a .warc.gz) with warcio's writer; return *path*."""
    records: list[Rec] = []
    for date, status, body in CAPTURES:
        records.append(Rec(url=f"{ORIGIN}/robots.txt", date=date, status=status, body=body))
        for missing in ("/ai.txt", "/.well-known/tdmrep.json", "/llms.txt"):
            records.append(Rec(url=ORIGIN + missing, date=date, status=404, body=b"not found"))
    return write_warcio(path, records)
