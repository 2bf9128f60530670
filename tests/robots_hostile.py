"""Generated hostile robots.txt files: what a site could serve to slow a parser down.

Each entry is (body, URLs to decide). Used by the benchmark (``bench/robots_bench.py
--hostile``, decisions per second against Protego) and by the differential test
(``tests/test_robots_fast_paths.py``), so the fast paths are proved on them too.
"""

from __future__ import annotations

import random
from collections.abc import Callable

Hostile = tuple[bytes, list[str]]
_ORIGIN = "https://example.com"


def _file(lines: list[str]) -> bytes:
    return ("User-agent: *\n" + "".join(line + "\n" for line in lines)).encode()


def _urls(paths: list[str]) -> list[str]:
    return [_ORIGIN + path for path in paths]


def wildcards_13k_shared_head(count: int = 13_000) -> Hostile:
    """13,000 wildcard rules that all start ``/*`` (issue 7 saw ~120 URLs/s on such a file)."""
    rng = random.Random(13)
    words = [f"{rng.randrange(16**6):06x}" for _ in range(count)]
    body = _file([f"Disallow: /*{word}*" for word in words])
    paths = [f"/a/{word}/b" for word in words[:: max(1, count // 10)]]
    paths += [f"/catalog/{rng.randrange(10**9)}/page.html?sort={n}" for n in range(40)]
    return body, _urls(paths)


def wildcards_13k_distinct_heads(count: int = 13_000) -> Hostile:
    """13,000 wildcard rules under 13,000 directories (``/d123/*.php$``)."""
    body = _file([f"Disallow: /d{n}/*.php$" for n in range(count)])
    step = max(1, count // 19)
    paths = [f"/d{n}/x/y.php" for n in range(0, count, step)]
    paths += [f"/d{n}/x/y.html" for n in range(0, count, step)]
    return body, _urls(paths)


def wildcards_13k_same_letters(count: int = 13_000) -> Hostile:
    """13,000 wildcard rules over two letters: every rule's text occurs in every path.

    The worst case of the required-text index: no rule can be ruled out by the text it
    needs, so each path is checked against every rule (each check linear in the path).
    """
    rng = random.Random(7)
    lines = [
        "Disallow: /*" + "*".join(rng.choice("ab") for _ in range(rng.randrange(2, 12))) + "*b*a$"
        for _ in range(count)
    ]
    paths = ["/" + "a" * 200 + "b", "/" + "ab" * 100, "/" + "b" * 50 + "a" * 50 + "c"]
    return _file(lines), _urls(paths * 4)


def many_stars(stars: int = 2_000) -> Hostile:
    """``/*a*a*a…*b`` with 2,000 stars against long paths of ``a`` (backtracking regexes hang)."""
    body = _file(["Disallow: /" + "*a" * stars + "*b", "Allow: /*a*a*a*a*a*a*a*a*c$"])
    length = 4 * stars
    paths = ["/" + "a" * length, "/" + "a" * length + "b", "/" + "a" * (length // 2) + "c"]
    return body, _urls(paths * 10)


def long_paths(length: int = 16_000) -> Hostile:
    """Rules and paths near Google's 16,663-byte line limit."""
    rng = random.Random(3)
    prefixes = ["/" + "".join(rng.choice("abc/") for _ in range(length)) for _ in range(20)]
    half = length // 2
    lines = [f"Disallow: {p}" for p in prefixes] + [f"Allow: {p[:half]}*x$" for p in prefixes]
    paths = [p + "x" for p in prefixes] + [p[: half + half // 2] for p in prefixes]
    return _file(lines), _urls(paths)


def plain_50k(count: int = 50_000) -> Hostile:
    """A 500 KiB file of 50,000 plain prefixes (``/p12345/``)."""
    body = _file([f"Disallow: /p{n}/" for n in range(count)])[: 500 * 1024]
    paths = [f"/p{n}/index.html" for n in range(0, count + count // 5, max(1, count // 33))]
    return body, _urls(paths)


def groups_10k(count: int = 10_000) -> Hostile:
    """10,000 groups for 10,000 named crawlers, then the ``*`` group."""
    lines = [f"User-agent: bot{n}\nDisallow: /only-bot{n}/\n" for n in range(count)]
    body = ("".join(lines) + "User-agent: *\nDisallow: /private/\n").encode()
    return body, _urls([f"/private/{n}" for n in range(20)] + [f"/public/{n}" for n in range(20)])


HOSTILE: dict[str, Callable[[], Hostile]] = {
    "13k wildcards, all '/*…'": wildcards_13k_shared_head,
    "13k wildcards, distinct heads": wildcards_13k_distinct_heads,
    "13k wildcards over two letters": wildcards_13k_same_letters,
    "'/*a*a*a…*b', 2,000 stars": many_stars,
    "16 KB rules and paths": long_paths,
    "50k plain prefixes (500 KiB)": plain_50k,
    "10k groups": groups_10k,
}


#: The same shapes, small enough for the slow reference of the differential test.
HOSTILE_SMALL: dict[str, Callable[[], Hostile]] = {
    "wildcards-shared-head": lambda: wildcards_13k_shared_head(300),
    "wildcards-distinct-heads": lambda: wildcards_13k_distinct_heads(300),
    "wildcards-two-letters": lambda: wildcards_13k_same_letters(200),
    "many-stars": lambda: many_stars(60),
    "long-paths": lambda: long_paths(400),
    "plain-prefixes": lambda: plain_50k(2_000),
    "groups": lambda: groups_10k(300),
}


def hostile_files() -> dict[str, Hostile]:
    """Return every hostile file, generated (deterministic)."""
    return {name: make() for name, make in HOSTILE.items()}
