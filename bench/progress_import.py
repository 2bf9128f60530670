"""Benchmark: what the progress line costs at start-up (tqdm, imported only when shown).

Times fresh interpreters: ``import crawlcheck.cli`` alone, then with tqdm (the library the
progress line uses), then with rich.progress (the named peer, when installed), and prints
the medians and the differences. Wall-clock, child start-up included, median of RUNS.

    python bench/progress_import.py          # 7 runs each
    python bench/progress_import.py 15       # more runs
"""

from __future__ import annotations

import importlib.util
import statistics
import subprocess
import sys
import time

CASES = {
    "crawlcheck.cli": "import crawlcheck.cli",
    "+ tqdm": "import crawlcheck.cli, tqdm",
    "+ rich.progress": "import crawlcheck.cli, rich.progress",
}


def timed(code: str) -> float:
    """Return the seconds one fresh interpreter takes to run *code*."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True)
    return time.perf_counter() - start


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    cases = {
        name: code
        for name, code in CASES.items()
        if "rich" not in code or importlib.util.find_spec("rich") is not None
    }
    times: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(runs):  # interleaved, so that machine load hits every case alike
        for name, code in cases.items():
            times[name].append(timed(code))
    base = statistics.median(times["crawlcheck.cli"])
    for name, samples in times.items():
        median = statistics.median(samples)
        extra = "" if name == "crawlcheck.cli" else f"  (+{(median - base) * 1000:.0f} ms)"
        print(f"{name:<18} {median * 1000:7.0f} ms median of {runs}{extra}")


if __name__ == "__main__":
    main()
