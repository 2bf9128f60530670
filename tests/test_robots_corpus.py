"""Real robots.txt files: parsing never raises, and every decision can be explained."""

from __future__ import annotations

import functools
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from crawlcheck import parse_robots

CORPUS = Path(__file__).parent / "data" / "robots" / "corpus"
AGENTS = ("GPTBot", "ClaudeBot", "CCBot", "Google-Extended", "Googlebot", "AI2Bot", "*", "")


def corpus_files() -> Iterator[tuple[str, bytes]]:
    """Yield (name, bytes) for every real robots.txt file in the corpus archives."""
    yield from _corpus()


@functools.cache
def _corpus() -> tuple[tuple[str, bytes], ...]:
    """Return the corpus, decompressed once per test session (~25 MB)."""
    found: list[tuple[str, bytes]] = []
    for archive in sorted(CORPUS.glob("*.tar.xz")):
        with tarfile.open(archive) as tar:
            for member in tar:
                handle = tar.extractfile(member) if member.isfile() else None
                if handle is not None and not member.name.endswith(".json"):
                    found.append((f"{archive.stem}/{member.name}", handle.read()))
    return tuple(found)


def test_corpus_is_there() -> None:
    assert sum(1 for _ in corpus_files()) > 4300


@pytest.mark.parametrize("archive", sorted(p.name for p in CORPUS.glob("*.tar.xz")))
def test_never_raises_on_real_files(archive: str) -> None:
    checked = 0
    for name, body in corpus_files():
        if not name.startswith(archive.removesuffix(".xz").removesuffix(".tar")):
            continue
        robots = parse_robots(body, source=name)
        for agent in AGENTS:
            state = robots.agent_state(agent)
            assert state.state in ("disallowed", "restricted", "allowed")
            for url in ("/", "/search?q=x", "/a/b.pdf", "/%E3%83%84"):
                decision = robots.decide(agent, url)
                assert decision.allowed is robots.allows(agent, url)
                assert decision.allowed or decision.rule is not None
        robots.observations()
        checked += 1
    assert checked > 100
