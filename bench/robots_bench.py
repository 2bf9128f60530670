"""Benchmark: robots.txt parse + decisions per second, crawlcheck vs Protego vs urllib.robotparser.

All three run in one process on the same real files (the test corpus) and the same
(agent, URL) pairs; the script prints each rate and its ratio to the named baseline,
Protego. Usage::

    python bench/robots_bench.py [--files N] [--repeat R]
"""

from __future__ import annotations

import argparse
import sys
import time
import urllib.robotparser
from collections.abc import Callable
from pathlib import Path

from protego import Protego

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from robots_differential import probe_urls  # noqa: E402
from test_robots_corpus import corpus_files  # noqa: E402

from crawlcheck import parse_robots  # noqa: E402

AGENTS = ("GPTBot", "ClaudeBot", "CCBot", "Google-Extended", "Googlebot")


def _workload(limit: int) -> list[tuple[bytes, str, list[str]]]:
    work = []
    for _, body in corpus_files():
        text = body.decode("utf-8", errors="replace")
        urls = ["https://example.com" + p for p in probe_urls(parse_robots(body))]
        work.append((body, text, urls))
        if len(work) >= limit:
            break
    return work


def _crawlcheck(work: list[tuple[bytes, str, list[str]]]) -> int:
    decisions = 0
    for body, _, urls in work:
        robots = parse_robots(body)
        for agent in AGENTS:
            for url in urls:
                robots.allows(agent, url)
                decisions += 1
    return decisions


def _protego(work: list[tuple[bytes, str, list[str]]]) -> int:
    decisions = 0
    for _, text, urls in work:
        robots = Protego.parse(text)
        for agent in AGENTS:
            for url in urls:
                robots.can_fetch(url, agent)
                decisions += 1
    return decisions


def _stdlib(work: list[tuple[bytes, str, list[str]]]) -> int:
    decisions = 0
    for _, text, urls in work:
        robots = urllib.robotparser.RobotFileParser()
        robots.parse(text.splitlines())
        for agent in AGENTS:
            for url in urls:
                robots.can_fetch(agent, url)
                decisions += 1
    return decisions


def _parse_only(
    parse: Callable[[bytes, str], object], work: list[tuple[bytes, str, list[str]]]
) -> int:
    for body, text, _ in work:
        parse(body, text)
    return len(work)


def _best(fn: Callable[[], int], repeat: int) -> tuple[float, int]:
    best = float("inf")
    count = 0
    for _ in range(repeat):
        start = time.perf_counter()
        count = fn()
        best = min(best, time.perf_counter() - start)
    return best, count


def _stdlib_parse(_: bytes, text: str) -> object:
    robots = urllib.robotparser.RobotFileParser()
    robots.parse(text.splitlines())
    return robots


def main() -> None:
    """Run the benchmark and print rates and ratios."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=1500)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    work = _workload(args.files)
    pairs = sum(len(urls) for _, _, urls in work) * len(AGENTS)
    print(
        f"{len(work)} real robots.txt files, {pairs:,} (agent, URL) decisions, best of {args.repeat}"
    )
    rows = {
        "parse + decisions": {
            "crawlcheck": lambda: _crawlcheck(work),
            "protego": lambda: _protego(work),
            "urllib.robotparser": lambda: _stdlib(work),
        },
        "parse only": {
            "crawlcheck": lambda: _parse_only(lambda b, _t: parse_robots(b), work),
            "protego": lambda: _parse_only(lambda _b, t: Protego.parse(t), work),
            "urllib.robotparser": lambda: _parse_only(_stdlib_parse, work),
        },
    }
    for title, contenders in rows.items():
        print(f"\n{title} (baseline: protego)")
        rates = {}
        for name, fn in contenders.items():
            seconds, count = _best(fn, args.repeat)
            rates[name] = count / seconds
        for name, rate in rates.items():
            unit = "decisions/s" if title.startswith("parse +") else "files/s"
            print(f"  {name:<20} {rate:>12,.0f} {unit}   {rate / rates['protego']:.2f}x protego")


if __name__ == "__main__":
    main()
