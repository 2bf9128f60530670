"""The compiled build's guard: compiled files never hide the sources they were not built from.

Each case copies the package's sources into a temporary directory, adds stand-in compiled
files (empty: importing one would fail, so a passing case proves the sources were used)
and imports it in a subprocess. scripts/test-compiled checks the real compiled build.
"""

from __future__ import annotations

import importlib.machinery
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import crawlcheck
from crawlcheck._compiled import COMPILED, MANIFEST, PURE_ENV, source_digest, source_of

SUFFIX = importlib.machinery.EXTENSION_SUFFIXES[0]
_PROBE = """
import warnings
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    from crawlcheck.parsers import compiled_modules
    import crawlcheck.parsers.robots as robots
    import crawlcheck.decide as decide
print(robots.__file__.endswith(".py") and decide.__file__.endswith(".py"), compiled_modules())
for warning in caught:
    print(warning.category.__name__, warning.message)
"""


@pytest.fixture
def package(tmp_path: Path) -> Path:
    """Return a copy of the crawlcheck sources (no compiled files, no manifest)."""
    source = Path(crawlcheck.__file__).parent
    shutil.copytree(
        source,
        tmp_path / "crawlcheck",
        ignore=shutil.ignore_patterns("*.so", "*.pyd", "__pycache__", MANIFEST),
    )
    return tmp_path / "crawlcheck"


def _stand_ins(package: Path, names: tuple[str, ...] = COMPILED) -> None:
    for name in names:
        source = source_of(name, package)
        (source.parent / f"{source.stem}{SUFFIX}").write_bytes(b"")


def _manifest(package: Path) -> None:
    digests = {name: source_digest(source_of(name, package)) for name in COMPILED}
    (package / MANIFEST).write_text(json.dumps(digests), encoding="utf-8")


def _import(package: Path, **env: str) -> list[str]:
    root = package.parent
    done = subprocess.run(
        [sys.executable, "-c", _PROBE],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root), **env},
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return done.stdout.splitlines()


def test_sources_alone_are_the_pure_build(package: Path) -> None:
    assert _import(package) == ["True ()"]


def test_compiled_files_without_a_manifest_are_not_used(package: Path) -> None:
    _stand_ins(package)
    first, *warnings = _import(package)
    assert first == "True ()"
    assert len(warnings) == 1
    assert warnings[0].startswith("RuntimeWarning")
    assert MANIFEST in warnings[0]


@pytest.mark.parametrize("name", ["parsers._robots_index", "decide", "urls"])
def test_an_edited_source_wins_over_its_compiled_file(package: Path, name: str) -> None:
    _stand_ins(package)
    _manifest(package)
    with source_of(name, package).open("a", encoding="utf-8") as source:
        source.write("# edited after the build\n")
    first, *warnings = _import(package)
    assert first == "True ()"
    assert len(warnings) == 1
    assert f"crawlcheck.{name} was compiled from another version" in warnings[0]


@pytest.mark.parametrize("names", [COMPILED[:2], COMPILED[:-2]], ids=["parsers", "no-decide"])
def test_some_modules_compiled_are_not_used(package: Path, names: tuple[str, ...]) -> None:
    _stand_ins(package, names)
    first, *warnings = _import(package)
    assert first == "True ()"
    assert "only" in warnings[0]


def test_a_compiled_module_outside_the_list_is_reported(package: Path) -> None:
    _stand_ins(package)
    _manifest(package)
    _stand_ins(package, ("parsers.aitxt",))
    first, *warnings = _import(package)
    assert first == "True ()"
    assert "never compiles: parsers.aitxt" in warnings[0]


def test_the_pure_build_on_request_is_quiet(package: Path) -> None:
    _stand_ins(package)
    _manifest(package)
    assert _import(package, **{PURE_ENV: "1"}) == ["True ()"]
