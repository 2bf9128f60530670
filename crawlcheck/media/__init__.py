"""Reservations embedded in images and documents: IPTC Data Mining, C2PA/CAWG, TDMRep XMP.

Pure: bytes in, frozen values out. :func:`scan_path` reads a local file through the
bounded-read planner (:func:`plan`), which a range-request fetcher can drive as well
(:func:`drive`). Signals, spec clauses and limits: docs/signals/ and docs/media.md.
"""

from __future__ import annotations

from crawlcheck.media.api import drive, scan_bytes, scan_path
from crawlcheck.media.c2pa import manifest_links, sdk_available
from crawlcheck.media.containers import detect
from crawlcheck.media.planner import STATES, Limits, NeedRange, plan
from crawlcheck.media.view import ByteRange, ByteView
from crawlcheck.model import MediaResult

__all__ = [
    "STATES",
    "ByteRange",
    "ByteView",
    "Limits",
    "MediaResult",
    "NeedRange",
    "detect",
    "drive",
    "manifest_links",
    "plan",
    "scan_bytes",
    "scan_path",
    "sdk_available",
]
