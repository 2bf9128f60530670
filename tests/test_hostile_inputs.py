"""Damaged caches and hostile input files: no traceback, one line, and results still written.

Every command is run as a real process. What must hold (issue 7, contract "Exit codes"):
stderr never holds a traceback; the exit code is 0 (with every result written, and at
most a one-line warning per problem) or 2 (one line naming the bad file or argument).
The read-only directory and the full disk are real: a private mount namespace
(``unshare -rm``, no root needed) mounts a read-only bind or a tiny tmpfs for one command.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from webfixture import FixtureWeb, parse_site

SITES = [
    parse_site(
        {
            "host": "a.cache.test",
            "resources": {
                "/robots.txt": {"body": "User-agent: GPTBot\nDisallow: /private\n"},
                "*": {"body": "<p>page</p>"},
            },
        }
    ),
    parse_site({"host": "b.cache.test", "resources": {"*": {"body": "<p>page</p>"}}}),
    parse_site({"host": "c.cache.test", "resources": {"*": {"body": "<p>page</p>"}}}),
]
URLS = [
    "http://a.cache.test/private/1",
    "http://a.cache.test/public/1",
    "http://b.cache.test/x",
]
#: Origins not in the seed cache: a run over them must write to the cache (or fail to).
NEW_URLS = ["http://c.cache.test/x", "http://c.cache.test/y"]
RUN_LIMIT = 120
#: These servers answer at once; a generous timeout keeps a loaded machine from turning a
#: slow answer into "unknown" (no assertion here may depend on timing).
SLOW_MACHINE_TIMEOUT = "15"


def _namespaces() -> bool:
    """Return True when a private user and mount namespace can be made (``unshare -rm``)."""
    try:
        probe = ["unshare", "-rm", "sh", "-c", "mount -t tmpfs tmpfs /mnt"]
        return subprocess.run(probe, capture_output=True, timeout=30, check=False).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


needs_namespaces = pytest.mark.skipif(
    not _namespaces(),
    reason="needs 'unshare -rm' (user and mount namespaces) for a real read-only or full disk",
)


@pytest.fixture(scope="module")
def web() -> Iterator[FixtureWeb]:
    with FixtureWeb(SITES) as served:
        yield served


def _env(web: FixtureWeb, home: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k.lower() not in ("http_proxy", "https_proxy", "no_proxy", "all_proxy")
    }
    env["http_proxy"] = web.proxy_url
    env["XDG_CACHE_HOME"] = str(home)
    env.pop("CRAWLCHECK_CACHE", None)
    return env


def run(
    web: FixtureWeb,
    home: Path,
    *args: str,
    stdin: bytes = b"",
    namespace: str | None = None,
) -> subprocess.CompletedProcess[bytes]:
    """Run ``crawlcheck ARGS``; with *namespace*, first run that shell script in a private
    user and mount namespace (``$@`` is the command)."""
    command = [sys.executable, "-m", "crawlcheck", *args]
    if namespace is not None:
        command = ["unshare", "-rm", "sh", "-ec", namespace + '\nexec "$@"', "sh", *command]
    return subprocess.run(
        command,
        input=stdin,
        capture_output=True,
        env=_env(web, home),
        timeout=RUN_LIMIT,
        check=False,
    )


def assert_clean(
    result: subprocess.CompletedProcess[bytes],
    *,
    lines: int | None = None,
    codes: tuple[int, ...] = (0, 2),
) -> str:
    """Assert no traceback, an expected exit code, one line on exit 2; return stderr.

    With *lines*, exit 0 is required and stdout must hold that many JSON decisions.
    """
    err = result.stderr.decode("utf-8", "replace")
    assert "Traceback" not in err, err
    assert result.returncode in codes, (result.returncode, err)
    if result.returncode == 2:
        assert len(err.strip().splitlines()) == 1, err
        assert err.startswith("crawlcheck: error: "), err
    if lines is not None:
        assert result.returncode == 0, err
        decisions = [json.loads(line) for line in result.stdout.decode().splitlines()]
        assert len(decisions) == lines, result.stdout
        assert all(d["decision"] in ("allowed", "reserved", "unknown") for d in decisions)
    return err


def filter_jsonl(
    web: FixtureWeb, home: Path, cache: Path, urls: list[str], namespace: str | None = None
) -> subprocess.CompletedProcess[bytes]:
    stdin = "".join(u + "\n" for u in urls).encode()
    return run(
        web,
        home,
        "filter",
        "--cache",
        str(cache),
        "--format",
        "jsonl",
        "--timeout",
        SLOW_MACHINE_TIMEOUT,
        stdin=stdin,
        namespace=namespace,
    )


@pytest.fixture(scope="module")
def seed(web: FixtureWeb, tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """Return the bytes of a valid cache holding the origins of :data:`URLS`."""
    home = tmp_path_factory.mktemp("seed")
    cache = home / "seed.sqlite3"
    result = filter_jsonl(web, home, cache, URLS)
    assert_clean(result, lines=len(URLS))
    decisions = [json.loads(line)["decision"] for line in result.stdout.decode().splitlines()]
    assert decisions == ["reserved", "allowed", "allowed"]
    with sqlite3.connect(cache) as db:  # fold the WAL in: one self-contained file
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        db.execute("PRAGMA journal_mode = DELETE")
    db.close()
    return cache.read_bytes()


def _bit_flipped(data: bytes) -> bytes:
    """Return *data* with one bit flipped in 64 bytes spread past the 100-byte header."""
    flipped = bytearray(data)
    step = max(1, (len(data) - 100) // 64)
    for position in range(100, len(data), step):
        flipped[position] ^= 0x10
    return bytes(flipped)


DAMAGES = {
    "garbage": lambda seed: bytes((i * 131 + 7) % 256 for i in range(20_000)),
    "bit-flipped": _bit_flipped,
    "truncated": lambda seed: seed[: len(seed) // 2],
    "empty": lambda seed: b"",
    "header-only": lambda seed: seed[:100],
}


@pytest.mark.parametrize("damage", sorted(DAMAGES))
def test_filter_on_a_damaged_cache_writes_every_result(
    web: FixtureWeb, seed: bytes, tmp_path: Path, damage: str
) -> None:
    cache = tmp_path / "cache.sqlite3"
    cache.write_bytes(DAMAGES[damage](seed))
    result = filter_jsonl(web, tmp_path, cache, URLS)
    err = assert_clean(result, lines=len(URLS))
    decisions = [json.loads(line)["decision"] for line in result.stdout.decode().splitlines()]
    assert decisions == ["reserved", "allowed", "allowed"], err
    # A second run on what the first left behind is as good.
    again = filter_jsonl(web, tmp_path, cache, URLS)
    assert_clean(again, lines=len(URLS))


@pytest.mark.parametrize("damage", ["garbage", "bit-flipped"])
def test_check_on_a_damaged_cache_decides(
    web: FixtureWeb, seed: bytes, tmp_path: Path, damage: str
) -> None:
    cache = tmp_path / "cache.sqlite3"
    cache.write_bytes(DAMAGES[damage](seed))
    result = run(
        web,
        tmp_path,
        "check",
        URLS[0],
        "--cache",
        str(cache),
        "--format",
        "json",
        "--timeout",
        SLOW_MACHINE_TIMEOUT,
    )
    assert_clean(result)
    assert result.returncode == 0
    assert json.loads(result.stdout)["decision"] == "reserved"


@needs_namespaces
def test_a_read_only_cache_directory_is_read(web: FixtureWeb, seed: bytes, tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    cache = folder / "cache.sqlite3"
    cache.write_bytes(seed)
    readonly = f'mount --bind "{folder}" "{folder}"\nmount -o remount,bind,ro "{folder}"'
    result = filter_jsonl(web, tmp_path, cache, [*URLS, *NEW_URLS], namespace=readonly)
    err = assert_clean(result, lines=len(URLS) + len(NEW_URLS))
    said = [line for line in err.splitlines() if "read-only" in line]
    assert len(said) == 1, err  # said once


@needs_namespaces
def test_a_cache_on_a_full_disk_says_so_and_writes_every_result(
    web: FixtureWeb, seed: bytes, tmp_path: Path
) -> None:
    folder = tmp_path / "full"
    folder.mkdir()
    seed_file = tmp_path / "seed.sqlite3"
    seed_file.write_bytes(seed)
    # A 512 KiB disk holding the valid cache, then filled to the last byte.
    full = (
        f'mount -t tmpfs -o size=512k tmpfs "{folder}"\n'
        f'cp "{seed_file}" "{folder}/cache.sqlite3"\n'
        f'dd if=/dev/zero of="{folder}/filler" bs=4096 2>/dev/null || true\n'
        f'dd if=/dev/zero of="{folder}/filler2" bs=1 2>/dev/null || true'
    )
    urls = [*URLS, *NEW_URLS]
    result = filter_jsonl(web, tmp_path, folder / "cache.sqlite3", urls, namespace=full)
    err = assert_clean(result)
    if result.returncode == 0:
        lines = [json.loads(line) for line in result.stdout.decode().splitlines()]
        assert len(lines) == len(urls), err
        said = [line for line in err.splitlines() if "database or disk is full" in line]
        assert len(said) == 1, err  # said once, as a warning
    else:
        assert "full" in err, err  # the one line names the full disk


def test_a_foreign_database_is_left_alone(web: FixtureWeb, tmp_path: Path) -> None:
    cache = tmp_path / "theirs.sqlite3"
    with sqlite3.connect(cache) as db:
        db.execute("CREATE TABLE accounts (name TEXT)")
    db.close()
    before = cache.read_bytes()
    result = filter_jsonl(web, tmp_path, cache, URLS)
    err = assert_clean(result)
    assert result.returncode == 2
    assert "not a crawlcheck cache" in err
    assert cache.read_bytes() == before


def test_a_cache_path_that_is_a_directory_is_one_line(web: FixtureWeb, tmp_path: Path) -> None:
    result = filter_jsonl(web, tmp_path, tmp_path, URLS)
    assert_clean(result)
    assert result.returncode in (0, 2)


# -- hostile input files ------------------------------------------------------------------------


def test_filter_on_binary_garbage_is_one_line_naming_it(web: FixtureWeb, tmp_path: Path) -> None:
    # A NUL byte in the first block: not a URL list or table (crawlcheck.tables.sniff), so
    # the user's input is refused whole rather than decided row by row.
    garbage = bytes((i * 197 + 13) % 256 for i in range(64 * 1024))
    stdin = garbage + b"\n" + "\n".join(URLS).encode() + b"\n"
    result = run(web, tmp_path, "filter", "--no-cache", "--format", "jsonl", stdin=stdin)
    err = assert_clean(result)
    assert result.returncode == 2
    assert "is binary (a NUL byte at offset" in err
    assert err.count("\n") == 1
    assert result.stdout == b""


def test_filter_on_garbage_lines_after_urls(web: FixtureWeb, tmp_path: Path) -> None:
    # Past the first block, garbage lines (control bytes, invalid UTF-8) are malformed rows:
    # each `unknown`, never `allowed`, and the URLs around them still decided.
    garbage = bytes(b for b in ((i * 197 + 13) % 256 for i in range(64 * 1024)) if b)
    filler = "\n".join(f"http://a.cache.test/pad{i}" for i in range(400)).encode()
    stdin = filler + b"\n" + garbage + b"\n" + "\n".join(URLS).encode() + b"\n"
    result = run(web, tmp_path, "filter", "--no-cache", "--format", "jsonl", stdin=stdin)
    err = assert_clean(result)
    assert result.returncode == 0
    decisions = [json.loads(line) for line in result.stdout.decode().splitlines()]
    by_url = {d["url"]: d["decision"] for d in decisions}
    assert [by_url[u] for u in URLS] == ["reserved", "allowed", "allowed"]
    known = set(URLS) | {f"http://a.cache.test/pad{i}" for i in range(400)}
    garbage_lines = [d for d in decisions if d["url"] not in known]
    assert garbage_lines
    assert all(d["decision"] == "unknown" for d in garbage_lines)
    assert "malformed" in err
    assert all(line.startswith("crawlcheck") for line in err.splitlines()), err


def test_filter_on_a_huge_line_between_urls(web: FixtureWeb, tmp_path: Path) -> None:
    huge = b"http://a.cache.test/" + b"a" * (16 * 1024 * 1024)
    stdin = f"{URLS[0]}\n".encode() + huge + f"\n{URLS[1]}\n".encode()
    result = run(web, tmp_path, "filter", "--no-cache", "--format", "jsonl", stdin=stdin)
    assert_clean(result)
    decisions = [json.loads(line)["decision"] for line in result.stdout.decode().splitlines()]
    assert decisions == ["reserved", "unknown", "allowed"]


@pytest.mark.parametrize(
    "args",
    [
        ["filter", "-i", "."],
        ["filter", "-i", "does-not-exist.txt"],
        ["check", "http://a.cache.test\\@b.cache.test/x"],
        ["check", "ftp://a.cache.test/"],
        ["audit", "-i", "does-not-exist.txt"],
        ["robots", "does-not-exist.txt"],
    ],
)
def test_bad_arguments_are_one_line(web: FixtureWeb, tmp_path: Path, args: list[str]) -> None:
    result = run(web, tmp_path, *args)
    assert_clean(result)
    assert result.returncode == 2


def test_robots_on_binary_garbage(web: FixtureWeb, tmp_path: Path) -> None:
    garbage = tmp_path / "robots.txt"
    garbage.write_bytes(bytes((i * 89 + 3) % 256 for i in range(200_000)) + b"\x1b]0;x\x07")
    result = run(web, tmp_path, "robots", str(garbage), "--agent", "GPTBot", URLS[0])
    assert_clean(result, codes=(0, 1))  # 1: the URL is disallowed


def test_audit_on_a_garbage_sites_file(web: FixtureWeb, tmp_path: Path) -> None:
    sites = tmp_path / "sites.txt"
    sites.write_bytes(
        b"\x00\xff\xfe bad\n\x1b[31mred\n" + b"x" * 100_000 + b"\nhttp://b.cache.test\n"
    )
    result = run(
        web,
        tmp_path,
        "audit",
        "-i",
        str(sites),
        "--format",
        "jsonl",
        "--timeout",
        SLOW_MACHINE_TIMEOUT,
    )
    assert_clean(result)
    if result.returncode == 0:
        reports = [json.loads(line) for line in result.stdout.decode().splitlines()]
        assert any(r["site"] == "http://b.cache.test" for r in reports)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("binary.yaml", bytes((i * 31 + 5) % 256 for i in range(50_000))),
        ("deep.yaml", b"a: " + b"[" * 100_000 + b"]" * 100_000 + b"\n"),
        (
            "aliases.yaml",
            b"a: &a [x, x, x, x, x, x, x, x, x]\n"
            + b"".join(
                f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n".encode()
                for i in range(20)
            ),
        ),
        ("big.yaml", b"# comment line padding the file out\n" * 100_000),
    ],
)
def test_hostile_rules_files_are_one_line(
    web: FixtureWeb, tmp_path: Path, name: str, content: bytes
) -> None:
    rules = tmp_path / name
    rules.write_bytes(content)
    result = run(web, tmp_path, "filter", "--no-cache", "--rules", str(rules), stdin=b"")
    assert_clean(result)


def test_the_cache_directory_is_removed_under_a_run(web: FixtureWeb, tmp_path: Path) -> None:
    folder = tmp_path / "gone"
    folder.mkdir()
    cache = folder / "cache.sqlite3"
    result = filter_jsonl(web, tmp_path, cache, URLS)
    assert_clean(result, lines=len(URLS))
    shutil.rmtree(folder)
    again = filter_jsonl(web, tmp_path, cache, URLS)
    assert_clean(again, lines=len(URLS))
