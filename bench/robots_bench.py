"""Benchmark: robots.txt parsing and decisions, crawlcheck vs Protego vs urllib.robotparser.

Everything runs in one process on the same real files and the same (agent, URL) pairs.
Each measurement is repeated for several rounds, the contenders take turns inside a round
(so machine noise hits them alike), and the script prints the median rate and the median
of the per-round ratios to the named peer, Protego. Rates are per second of this process's
CPU time unless ``--wall`` is given. The corpus is the 4,231 real files of
``../shared/data/robots/top-sites-2019`` (Protego's own test data), read as bytes.

    python bench/robots_bench.py                    # the corpus, 5 rounds
    python bench/robots_bench.py --rounds 3 --files 1000
    python bench/robots_bench.py --hostile          # also the generated hostile files

It says which crawlcheck build it measured: pure Python, or compiled (mypyc, see
docs/signals/robots.md "Speed").
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
import urllib.robotparser
from collections.abc import Callable, Iterator
from pathlib import Path

from protego import Protego

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from robots_differential import probe_urls  # noqa: E402
from robots_hostile import hostile_files  # noqa: E402

from crawlcheck import parse_robots  # noqa: E402
from crawlcheck.parsers import compiled_modules  # noqa: E402

CORPUS = ROOT.parent / "shared" / "data" / "robots" / "top-sites-2019"
AGENTS = ("GPTBot", "ClaudeBot", "CCBot", "Google-Extended", "Googlebot")
#: CPU time of this process: on a shared machine it varies far less than the wall clock,
#: and every contender is single-threaded (``--wall`` measures the wall clock instead).
CLOCK = time.process_time

Work = list[tuple[bytes, str, list[str]]]


def corpus(directory: Path, limit: int) -> Work:
    """Return (bytes, text as Protego is given it, probe URLs) for each file, sorted by name."""
    work: Work = []
    for path in sorted(directory.iterdir())[:limit]:
        body = path.read_bytes()
        text = body.decode("utf-8", errors="replace")
        urls = ["https://example.com" + p for p in probe_urls(parse_robots(body))]
        work.append((body, text, urls))
    return work


def _crawlcheck(work: Work) -> int:
    decisions = 0
    for body, _, urls in work:
        robots = parse_robots(body)
        for agent in AGENTS:
            for url in urls:
                robots.allows(agent, url)
            decisions += len(urls)
    return decisions


def _protego(work: Work) -> int:
    decisions = 0
    for _, text, urls in work:
        robots = Protego.parse(text)
        for agent in AGENTS:
            for url in urls:
                robots.can_fetch(url, agent)
            decisions += len(urls)
    return decisions


def _stdlib(work: Work) -> int:
    decisions = 0
    for _, text, urls in work:
        robots = urllib.robotparser.RobotFileParser()
        robots.parse(text.splitlines())
        for agent in AGENTS:
            for url in urls:
                robots.can_fetch(agent, url)
            decisions += len(urls)
    return decisions


def _parse_only(parse: Callable[[bytes, str], object], work: Work) -> int:
    for body, text, _ in work:
        parse(body, text)
    return len(work)


def _stdlib_parse(_: bytes, text: str) -> object:
    robots = urllib.robotparser.RobotFileParser()
    robots.parse(text.splitlines())
    return robots


def _decide_only(work: Work) -> dict[str, Callable[[], int]]:
    """Decisions with every parser built beforehand (Protego's footing in Scrapy)."""
    ours = [(parse_robots(body), urls) for body, _, urls in work]
    theirs = [(Protego.parse(text), urls) for _, text, urls in work]

    def crawlcheck() -> int:
        count = 0
        for robots, urls in ours:
            for agent in AGENTS:
                for url in urls:
                    robots.allows(agent, url)
                count += len(urls)
        return count

    def protego() -> int:
        count = 0
        for robots, urls in theirs:
            for agent in AGENTS:
                for url in urls:
                    robots.can_fetch(url, agent)
                count += len(urls)
        return count

    return {"crawlcheck": crawlcheck, "protego": protego}


def _hostile(body: bytes, urls: list[str]) -> dict[str, Callable[[], int]]:
    """Decisions on one generated file (parsed once); the first call builds the index."""
    ours = parse_robots(body)
    theirs = Protego.parse(body.decode("utf-8", errors="replace"))

    def crawlcheck() -> int:
        for url in urls:
            ours.allows("GPTBot", url)
        return len(urls)

    def protego() -> int:
        for url in urls:
            theirs.can_fetch(url, "GPTBot")
        return len(urls)

    return {"crawlcheck": crawlcheck, "protego": protego}


def measure(contenders: dict[str, Callable[[], int]], rounds: int) -> dict[str, list[float]]:
    """Return each contender's rate (items per second) in every round, contenders in turn."""
    rates: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(rounds):
        for name, run in contenders.items():
            start = CLOCK()
            count = run()
            rates[name].append(count / (CLOCK() - start))
    return rates


def report(title: str, unit: str, rates: dict[str, list[float]]) -> Iterator[str]:
    """Yield the lines of one table: median rate and median per-round ratio to Protego."""
    yield f"\n{title}"
    peer = rates["protego"]
    for name, values in rates.items():
        ratio = statistics.median(v / p for v, p in zip(values, peer, strict=True))
        yield f"  {name:<20} {statistics.median(values):>12,.0f} {unit:<12} {ratio:5.2f}x protego"


def main() -> None:
    """Run the benchmark and print rates and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--files", type=int, default=10_000, help="use at most this many files")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--hostile", action="store_true", help="also the hostile files")
    parser.add_argument("--wall", action="store_true", help="measure wall-clock time")
    args = parser.parse_args()
    if args.wall:
        global CLOCK
        CLOCK = time.perf_counter
    compiled = compiled_modules()
    build = f"compiled ({len(compiled)} modules, mypyc)" if compiled else "pure Python"
    work = corpus(args.corpus, args.files)
    pairs = sum(len(urls) for _, _, urls in work) * len(AGENTS)
    clock = "wall-clock" if args.wall else "CPU"
    print(f"crawlcheck build: {build}; Python {sys.version.split()[0]}; {clock} time")
    print(
        f"{len(work)} real robots.txt files from {args.corpus.name}, {pairs:,} (agent, URL) "
        f"decisions; median of {args.rounds} rounds"
    )
    tables: list[tuple[str, str, Callable[[], dict[str, Callable[[], int]]]]] = [
        (
            "parse only",
            "files/s",
            lambda: {
                "crawlcheck": lambda: _parse_only(lambda b, _t: parse_robots(b), work),
                "protego": lambda: _parse_only(lambda _b, t: Protego.parse(t), work),
                "urllib.robotparser": lambda: _parse_only(_stdlib_parse, work),
            },
        ),
        (
            "parse + decisions",
            "decisions/s",
            lambda: {
                "crawlcheck": lambda: _crawlcheck(work),
                "protego": lambda: _protego(work),
                "urllib.robotparser": lambda: _stdlib(work),
            },
        ),
        ("decisions, files parsed beforehand", "decisions/s", lambda: _decide_only(work)),
    ]
    for title, unit, contenders in tables:
        # Each table starts from a clean heap: what one table keeps alive (parsed files)
        # must not make the garbage collector slow down the next one.
        gc.collect()
        for line in report(title, unit, measure(contenders(), args.rounds)):
            print(line, flush=True)
    if args.hostile:
        for name, (body, urls) in hostile_files().items():
            gc.collect()
            rates = measure(_hostile(body, urls), args.rounds)
            title = f"hostile: {name} ({len(body):,} bytes, {len(urls)} URLs, one agent)"
            for line in report(title, "URLs/s", rates):
                print(line, flush=True)


if __name__ == "__main__":
    main()
