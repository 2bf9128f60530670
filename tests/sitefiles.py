"""Synthetic site-level files in a warm cache, for tests that must decide with no network.

Each origin ``https://siteN.example`` gets one of :data:`ROBOTS` (and sometimes an ai.txt
or a tdmrep.json), so the set covers whole-site reservations, path rules, Content-Signal,
Content-Usage, open sites and an unreachable robots.txt.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from crawlcheck.cache import OriginCache
from crawlcheck.model import Fetched, SiteFetches

ROBOTS: tuple[tuple[int, str], ...] = (
    (200, "User-agent: GPTBot\nDisallow: /\n\nUser-agent: *\nDisallow: /admin\n"),
    (200, "User-agent: *\nDisallow: /private/\nAllow: /private/public\n"),
    (200, "User-agent: *\nDisallow:\n"),
    (200, "User-agent: CCBot\nUser-agent: GPTBot\nDisallow: /\n"),
    (200, "User-agent: *\nContent-Signal: ai-train=no, search=yes\nAllow: /\n"),
    (200, "User-agent: *\nContent-Usage: /articles/ train-ai=n\n"),
    (404, "not found"),
    (503, "try later"),
)
PATHS = ("/", "/a/{n}", "/articles/{n}", "/private/x{n}", "/private/public", "/books/{n}", "/admin")


def _fetched(url: str, status: int, body: str, ctype: str = "text/plain") -> Fetched:
    return Fetched(
        url=url,
        status=status,
        headers=(("Content-Type", ctype),),
        body=body.encode(),
        final_url=url,
        fetched_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )


def site(index: int) -> SiteFetches:
    """Return the site-level files of ``https://site{index}.example`` (deterministic)."""
    origin = f"https://site{index}.example"
    status, body = ROBOTS[index % len(ROBOTS)]
    robots = _fetched(f"{origin}/robots.txt", status, body)
    ai_body = "User-agent: *\nDisallow: /a/\n" if index % 5 == 1 else ""
    ai_txt = _fetched(f"{origin}/ai.txt", 200 if ai_body else 404, ai_body or "no")
    rules = json.dumps([{"location": "/books/*", "tdm-reservation": 1}])
    tdmrep = _fetched(
        f"{origin}/.well-known/tdmrep.json",
        200 if index % 7 == 2 else 404,
        rules if index % 7 == 2 else "no",
        "application/json",
    )
    return SiteFetches(site=origin, origin=origin, robots=robots, ai_txt=ai_txt, tdmrep=tdmrep)


def fill_cache(path: Path, origins: int) -> Path:
    """Store origins ``0 .. origins-1`` in the cache file *path*; return *path*."""
    with OriginCache(path) as cache:
        cache.put_many(site(i) for i in range(origins))
    return path


def urls(count: int, origins: int, seed: int = 7) -> Iterator[str]:
    """Yield *count* URLs over the first *origins* synthetic origins, with repeats."""
    rng = random.Random(seed)
    for _ in range(count):
        path = rng.choice(PATHS).format(n=rng.randrange(count // 3 + 1))
        yield f"https://site{rng.randrange(origins)}.example{path}"
