"""Measure per-URL decisions with a warm cache against Protego, and filter's memory use.

No network: synthetic robots.txt / ai.txt / tdmrep.json bodies for N origins go straight
into a throw-away cache file, then :func:`crawlcheck.decide.checker.check_urls` decides the URLs
(every site-level signal, every catalogued agent of the purpose), so does
:func:`crawlcheck.tables.decide_rows` (the path of the ``filter`` command), and Protego's
``can_fetch`` answers for the same URLs with its parsers prebuilt. Each question is asked
for several rounds, crawlcheck and Protego taking turns in each round; the script prints
median rates (per second of this process's CPU time, as bench/robots_bench.py: the 2-core
machine is shared) and the median of the per-round ratios. It says which build of the
robots.txt parser it measured (pure Python, or compiled: docs/signals/robots.md "Speed").

    python bench/filter_bench.py                 # 1M URLs over 10k origins; 10M-line memory run
    python bench/filter_bench.py --quick         # memory run over 1M lines instead
    python bench/filter_bench.py --urls 200000 --origins 2000 --memory-lines 0 --rounds 3
    python bench/filter_bench.py --cli --memory-lines 0   # also the commands, end to end

With ``--cli`` it also times the whole ``crawlcheck filter --agent GPTBot`` command over a
file of the URLs (warm cache, text in and out) against a script that builds Protego's
parsers, then reads the same file and writes the URLs GPTBot may fetch: the CPU time of
each child process, startup and parsing included on both sides.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from crawlcheck.cache import OriginCache
from crawlcheck.decide.checker import UrlChecker, check_urls
from crawlcheck.model import Fetched, SiteFetches
from crawlcheck.parsers import compiled_modules
from crawlcheck.ruleset import load_ruleset
from crawlcheck.tables import decide_rows

_ROBOTS = (
    # Training crawler shut out; generic housekeeping rules for everyone else.
    "User-agent: GPTBot\nDisallow: /\n\nUser-agent: *\nDisallow: /admin\nDisallow: /tmp/\n",
    # Path rules with an allow exception and a Content-Signal line.
    "User-agent: *\nDisallow: /private/\nAllow: /private/public\n"
    "Content-Signal: ai-train=no, search=yes\n",
    # A larger file: several AI groups, wildcards, Content-Usage.
    "User-agent: CCBot\nUser-agent: ClaudeBot\nDisallow: /\n\n"
    "User-agent: Google-Extended\nDisallow: /books/\nDisallow: /*.pdf$\n\n"
    "User-agent: *\n"
    + "".join(f"Disallow: /section{n}/*/draft\n" for n in range(20))
    + "Allow: /section1/public\nContent-Usage: /articles/ train-ai=n\nSitemap: /sitemap.xml\n",
    # Everything open.
    "User-agent: *\nDisallow:\n",
)
_PATHS = (
    "/",
    "/article/{n}",
    "/articles/{n}?ref=home",
    "/images/{n}.jpg",
    "/books/{n}/chapter",
    "/private/x{n}",
    "/admin/login",
    "/section3/a/draft",
    "/docs/{n}.pdf",
)


def _fetched(url: str, status: int, body: str, ctype: str = "text/plain") -> Fetched:
    return Fetched(
        url=url,
        status=status,
        headers=(("Content-Type", ctype),),
        body=body.encode(),
        final_url=url,
        fetched_at="2025-01-01T00:00:00Z",
    )


def synthetic_site(index: int) -> SiteFetches:
    """Return the site-level files of synthetic origin *index* (deterministic)."""
    origin = f"https://site{index}.example"
    rng = random.Random(index)
    robots = _fetched(f"{origin}/robots.txt", 200, rng.choice(_ROBOTS))
    if rng.random() < 0.1:
        ai_txt = _fetched(f"{origin}/ai.txt", 200, "User-agent: *\nDisallow: /images/\n")
    else:
        ai_txt = _fetched(f"{origin}/ai.txt", 404, "not found")
    if rng.random() < 0.1:
        rules = [{"location": "/books/*", "tdm-reservation": 1}]
        tdmrep = _fetched(
            f"{origin}/.well-known/tdmrep.json", 200, json.dumps(rules), "application/json"
        )
    else:
        tdmrep = _fetched(f"{origin}/.well-known/tdmrep.json", 404, "not found")
    return SiteFetches(site=origin, origin=origin, robots=robots, ai_txt=ai_txt, tdmrep=tdmrep)


def synthetic_urls(count: int, origins: int, seed: int = 1) -> Iterator[str]:
    """Yield *count* URLs spread at random over *origins* synthetic origins."""
    rng = random.Random(seed)
    for n in range(count):
        site = rng.randrange(origins)
        yield f"https://site{site}.example" + rng.choice(_PATHS).format(n=n % 9973)


def fill_cache(path: Path, origins: int) -> float:
    """Store every synthetic origin in the cache at *path*; return the seconds it took."""
    start = time.perf_counter()
    with OriginCache(path) as cache:
        for first in range(0, origins, 1000):
            cache.put_many(synthetic_site(i) for i in range(first, min(origins, first + 1000)))
    return time.perf_counter() - start


#: CPU time of this process (every contender is single-threaded).
CLOCK = time.process_time


def bench_crawlcheck(
    path: Path, urls: list[str], purpose: str, agent: str | None = None
) -> tuple[float, float, float, dict[str, int]]:
    """Return URLs/s from the on-disk cache, prebuilt, prebuilt in rows, and the counts.

    The first pass loads and parses every origin's files from the warm SQLite cache as
    URLs need them; the second pass, with the same checker, finds them parsed in memory —
    the same footing as Protego's prebuilt parsers — and yields one ``UrlDecision`` per
    URL (``check_urls``); the third decides the same URLs as ``filter`` does, in the windows
    it reads (``window_sizes``), each window's outcomes shared (:func:`crawlcheck.tables.decide_rows`).
    """
    counts: dict[str, int] = {}
    with UrlChecker(agent, purpose, cache=path) as checker:
        start = CLOCK()
        for decision in checker.check(urls):
            counts[decision.decision] = counts.get(decision.decision, 0) + 1
        cold = len(urls) / (CLOCK() - start)
        start = CLOCK()
        for _ in checker.check(urls):
            pass
        prebuilt = len(urls) / (CLOCK() - start)
        start = CLOCK()
        sizes, first = checker.window_sizes(), 0  # the windows filter reads
        while first < len(urls):
            size = next(sizes)
            decide_rows(checker, urls[first : first + size])
            first += size
        rows = len(urls) / (CLOCK() - start)
    return cold, prebuilt, rows, counts


def protego_parsers(origins: int) -> dict[str, object]:
    """Return Protego's parser of each synthetic origin's robots.txt, by origin."""
    from protego import Protego

    parsers: dict[str, object] = {}
    for i in range(origins):
        site = synthetic_site(i)
        assert site.robots is not None
        parsers[site.origin] = Protego.parse(site.robots.body.decode())
    return parsers


def bench_protego(parsers: dict[str, Any], urls: list[str], agents: list[str]) -> tuple[float, int]:
    """Return (URLs per second, disallowed count) for Protego over *agents*, parsers prebuilt."""
    disallowed = 0
    start = CLOCK()
    for url in urls:
        parts = urlsplit(url)
        parser = parsers[f"{parts.scheme}://{parts.netloc}"]
        if not all(parser.can_fetch(url, agent) for agent in agents):
            disallowed += 1
    return len(urls) / (CLOCK() - start), disallowed


def protego_child(urls_file: str, origins: int) -> None:
    """Build Protego's parsers, then write each URL of *urls_file* GPTBot may fetch."""
    parsers: dict[str, Any] = protego_parsers(origins)
    out = sys.stdout
    with open(urls_file, encoding="utf-8") as lines:
        for line in lines:
            url = line.strip()
            parts = urlsplit(url)
            if parsers[f"{parts.scheme}://{parts.netloc}"].can_fetch(url, "GPTBot"):
                out.write(url + "\n")


def _child_cpu(command: list[str]) -> float:
    """Return the CPU seconds of running *command* (its output dropped)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    run = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if run.returncode != 0:
        raise SystemExit(f"{command[2:4]} failed ({run.returncode}): {run.stderr[-2000:]}")
    return (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)


def bench_commands(path: Path, urls: list[str], origins: int, rounds: int) -> None:
    """Print the whole filter command against the Protego script, median of *rounds*."""
    listing = path.with_name("urls.txt")
    listing.write_text("\n".join(urls) + "\n", encoding="utf-8")
    ours = [sys.executable, "-m", "crawlcheck", "filter", "--agent", "GPTBot"]
    ours += ["--cache", str(path), "-i", str(listing), "--format", "text"]
    theirs = [sys.executable, __file__, "--protego-child", str(listing), str(origins)]
    timed = [(_child_cpu(ours), _child_cpu(theirs)) for _ in range(rounds)]
    mine, other = (statistics.median(t[i] for t in timed) for i in range(2))
    ratio = statistics.median(t[1] / t[0] for t in timed)
    print(
        f"commands, {len(urls):,} lines: crawlcheck filter --agent GPTBot {mine:.1f} s CPU,"
        f" Protego script {other:.1f} s CPU: {ratio:.2f}x",
        flush=True,
    )


def _rss_mib() -> float:
    with open("/proc/self/statm") as handle:
        pages = int(handle.read().split()[1])
    return pages * resource.getpagesize() / 2**20


def memory_child(path: str, lines: int, origins: int) -> None:
    """Filter a generated stream of *lines* URLs; print RSS at checkpoints as JSON."""
    checkpoints = {lines // 10, lines // 2, lines}
    samples = []
    start = time.perf_counter()
    seen = 0
    for seen, _decision in enumerate(check_urls(synthetic_urls(lines, origins), cache=path), 1):
        if seen in checkpoints:
            samples.append({"lines": seen, "rss_mib": round(_rss_mib(), 1)})
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    elapsed = time.perf_counter() - start
    print(json.dumps({"samples": samples, "peak_mib": round(peak, 1), "seconds": elapsed}))


def main() -> int:
    """Run the benchmark and print the numbers."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--urls", type=int, default=1_000_000)
    parser.add_argument("--origins", type=int, default=10_000)
    parser.add_argument("--purpose", default="ai-train")
    parser.add_argument("--memory-lines", type=int, default=10_000_000)
    parser.add_argument("--quick", action="store_true", help="memory run over 1M lines")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--questions", choices=("one", "all", "both"), default="both")
    parser.add_argument("--cli", action="store_true", help="also time the commands end to end")
    parser.add_argument("--memory-child", nargs=3, metavar=("CACHE", "LINES", "ORIGINS"))
    parser.add_argument("--protego-child", nargs=2, metavar=("URLS", "ORIGINS"))
    args = parser.parse_args()
    if args.protego_child:
        protego_child(args.protego_child[0], int(args.protego_child[1]))
        return 0
    if args.memory_child:
        cache, lines, origins = args.memory_child
        memory_child(cache, int(lines), int(origins))
        return 0

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.sqlite3"
        filled = fill_cache(path, args.origins)
        compiled = compiled_modules()
        build = f"compiled ({len(compiled)} modules, mypyc)" if compiled else "pure Python"
        print(f"crawlcheck build: {build}; Python {sys.version.split()[0]}; CPU time")
        print(
            f"cache: {args.origins} origins stored in {filled:.1f} s ({path.stat().st_size} bytes)"
        )
        urls = list(synthetic_urls(args.urls, args.origins))
        agents = [a.token for a in load_ruleset().agents_for(args.purpose)]
        parsers = protego_parsers(args.origins)
        # Protego caches the rule set it picks per agent: a first pass warms it, as the
        # second crawlcheck pass finds its files parsed.
        bench_protego(parsers, urls[:100_000], agents)

        # The same question both ways: one agent, then every catalogued agent of the purpose.
        questions = [
            ("one agent (GPTBot)", "GPTBot", ["GPTBot"]),
            (f"all {len(agents)} {args.purpose} agents", None, agents),
        ]
        if args.questions != "both":
            questions = questions[:1] if args.questions == "one" else questions[1:]
        print(
            f"median of {args.rounds} rounds; {args.urls:,} URLs over {args.origins:,} origins"
            f"\n{'question':<26} {'crawlcheck, files loaded':>25} {'crawlcheck, prebuilt':>21}"
            f" {'prebuilt, in rows':>18} {'protego, prebuilt':>18}"
            "  ratios (prebuilt, in rows / protego)",
            flush=True,
        )
        for label, agent, baseline_agents in questions:
            rounds: list[tuple[float, float, float, float]] = []
            for _ in range(args.rounds):
                cold, prebuilt, rows, counts = bench_crawlcheck(path, urls, args.purpose, agent)
                theirs, blocked = bench_protego(parsers, urls, baseline_agents)
                rounds.append((cold, prebuilt, rows, theirs))
            cold, prebuilt, rows, theirs = (
                statistics.median(r[i] for r in rounds) for i in range(4)
            )
            ratio = statistics.median(r[1] / r[3] for r in rounds)
            rows_ratio = statistics.median(r[2] / r[3] for r in rounds)
            print(
                f"{label:<26} {cold:>19,.0f} URL/s {prebuilt:>15,.0f} URL/s"
                f" {rows:>12,.0f} URL/s {theirs:>12,.0f} URL/s  {ratio:.2f}x, {rows_ratio:.2f}x"
                f"\n  (crawlcheck {dict(counts)}; protego {blocked:,} disallowed)",
                flush=True,
            )

        if args.cli:
            bench_commands(path, urls, args.origins, args.rounds)

        lines = 1_000_000 if args.quick else args.memory_lines
        if lines:
            run = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--memory-child",
                    str(path),
                    str(lines),
                    str(args.origins),
                ],
                check=True,
                capture_output=True,
                text=True,
            )
            result = json.loads(run.stdout.strip().splitlines()[-1])
            rate = lines / result["seconds"]
            print(
                f"memory over a {lines:,}-line stream ({rate:,.0f} URLs/s): "
                + ", ".join(f"{s['lines']:,} lines {s['rss_mib']} MiB" for s in result["samples"])
                + f"; peak {result['peak_mib']} MiB"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
