"""Memory stays bounded on hostile input: a 2 GiB line, 8 MB of headers, a 100 MB rules file.

Each command runs as a real process tree under a small wrapper that reports the peak
resident memory of its largest process (``getrusage(RUSAGE_CHILDREN).ru_maxrss``: the
crawl worker counts too). A watchdog reads ``VmHWM`` from ``/proc`` while it runs and stops
the tree the moment any process passes :data:`BOUND`, so a failure costs seconds, never
the machine. The bound is documented in docs/limits.md ("Memory").
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from webfixture import FixtureWeb, parse_site

#: Peak resident memory of any one crawlcheck process on hostile input (docs/limits.md).
BOUND = 300 * 1024 * 1024
#: Seconds a measured run may take (a 2 GiB stream included).
TIME_LIMIT = 120
_WRAPPER = (
    "import resource, subprocess, sys\n"
    "code = subprocess.run(sys.argv[1:]).returncode\n"
    "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024\n"
    "print(f'PEAK {peak}', file=sys.stderr)\n"
    "sys.exit(code)\n"
)


@dataclass(frozen=True, slots=True)
class Measured:
    """A finished run: exit code, stderr, and the peak resident bytes of its largest process."""

    returncode: int
    stderr: str
    peak: int
    stopped: bool
    """The watchdog stopped it at the bound."""


def _tree(root: int) -> list[int]:
    """Return *root* and every descendant process id (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as stat:
                parent = int(stat.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(entry))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, ()))
    return found


def _high_water(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0


def measure(
    args: list[str], env: dict[str, str], stdin: Iterable[bytes] = (), bound: int = BOUND
) -> Measured:
    """Run ``crawlcheck ARGS`` feeding *stdin* chunk by chunk; stop it past *bound* bytes."""
    command = [sys.executable, "-c", _WRAPPER, sys.executable, "-m", "crawlcheck", *args]
    proc = subprocess.Popen(
        command,
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
        start_new_session=True,
    )
    assert proc.stdin is not None
    assert proc.stderr is not None
    state = {"peak": 0, "stopped": False}
    done = threading.Event()

    def watch() -> None:
        deadline = time.monotonic() + TIME_LIMIT
        while not done.wait(0.05):
            tree = _tree(proc.pid)[1:]  # the wrapper itself is not crawlcheck
            peak = max((_high_water(pid) for pid in tree), default=0)
            state["peak"] = max(state["peak"], peak)
            if peak > bound or time.monotonic() > deadline:
                state["stopped"] = True
                os.killpg(proc.pid, signal.SIGKILL)
                return

    watchdog = threading.Thread(target=watch, daemon=True)
    watchdog.start()
    stderr: list[bytes] = []
    reader = threading.Thread(target=lambda: stderr.append(proc.stderr.read()), daemon=True)
    reader.start()
    try:
        for chunk in stdin:
            proc.stdin.write(chunk)
    except BrokenPipeError:
        pass  # stopped by the watchdog, or the command stopped reading: both are measured
    finally:
        with contextlib.suppress(OSError):
            proc.stdin.close()
    proc.wait(timeout=TIME_LIMIT + 30)
    done.set()
    watchdog.join()
    reader.join()
    proc.stderr.close()
    text = b"".join(stderr).decode("utf-8", "replace")
    reported = [int(line.split()[1]) for line in text.splitlines() if line.startswith("PEAK ")]
    peak = max([state["peak"], *reported])
    return Measured(proc.returncode, text, peak, bool(state["stopped"]))


def _env(web: FixtureWeb | None, home: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k.lower() not in ("http_proxy", "https_proxy", "no_proxy", "all_proxy")
    }
    if web is not None:
        env["http_proxy"] = web.proxy_url
    env["XDG_CACHE_HOME"] = str(home)
    env.pop("CRAWLCHECK_CACHE", None)
    return env


def _assert_bounded(run: Measured, what: str) -> None:
    mib = run.peak / 2**20
    print(f"{what}: peak {mib:.0f} MiB (bound {BOUND / 2**20:.0f} MiB)")
    assert not run.stopped, f"{what}: stopped past {BOUND / 2**20:.0f} MiB or {TIME_LIMIT} s"
    assert "Traceback" not in run.stderr, run.stderr[-3000:]
    assert run.returncode in (0, 2), (run.returncode, run.stderr[-3000:])
    assert run.peak <= BOUND, f"{what}: peak {mib:.0f} MiB"


def _one_line(size: int) -> Iterator[bytes]:
    """Yield an http URL line of *size* bytes (no newline until the end), 1 MiB at a time."""
    head = b"http://big.hostile.test/"
    yield head
    block = b"a" * (1024 * 1024)
    left = size - len(head)
    while left > 0:
        yield block[: min(left, len(block))]
        left -= len(block)
    yield b"\nhttp://big.hostile.test/after\n"


def test_a_2_gib_line_to_filter_is_read_in_bounded_memory(tmp_path: Path) -> None:
    run = measure(
        ["filter", "--no-cache", "--format", "jsonl", "--timeout", "1"],
        _env(None, tmp_path),
        _one_line(2 * 1024**3),
    )
    _assert_bounded(run, "filter, one 2 GiB line")


@pytest.fixture(scope="module")
def web() -> Iterator[FixtureWeb]:
    huge = {"body": "User-agent: *\nAllow: /\n", "header_bytes": 8 * 1024 * 1024}
    site = parse_site(
        {
            "host": "headers.hostile.test",
            "resources": {"/robots.txt": huge, "/ai.txt": huge, "*": {**huge, "body": "<p>x</p>"}},
        }
    )
    with FixtureWeb([site]) as served:
        yield served


@pytest.mark.parametrize("command", ["filter", "check"])
def test_8_mb_of_headers_are_read_in_bounded_memory(
    web: FixtureWeb, tmp_path: Path, command: str
) -> None:
    url = "http://headers.hostile.test/page"
    if command == "filter":
        args = ["filter", "--no-cache", "--pages", "--format", "jsonl", "--timeout", "5"]
        stdin: list[bytes] = [url.encode() + b"\n"]
    else:
        args = ["check", url, "--no-cache", "--format", "json", "--timeout", "5"]
        stdin = []
    run = measure(args, _env(web, tmp_path), stdin)
    _assert_bounded(run, f"{command}, 8 MB of response headers")


def _rules(size: int) -> Iterator[bytes]:
    """Yield a valid-looking rules file of *size* bytes: one agent after another."""
    yield b"agents:\n"
    written = 8
    index = 0
    while written < size:
        entry = f"  - token: HostileBot{index}\n    operator: Hostile\n    purposes: [ai-train]\n"
        chunk = entry.encode() * 1000
        index += 1000
        written += len(chunk)
        yield chunk


def test_a_100_mb_rules_file_is_refused_in_bounded_memory(tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    with rules.open("wb") as out:
        for chunk in _rules(100 * 1024 * 1024):
            out.write(chunk)
    run = measure(
        ["filter", "--no-cache", "--rules", str(rules), "--format", "jsonl"],
        _env(None, tmp_path),
        [b"http://rules.hostile.test/x\n"],
    )
    _assert_bounded(run, "filter, a 100 MB --rules file")
