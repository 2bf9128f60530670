"""Packaging: bundled data and spiders resolve through the package, the version matches,
the wheel ships the package and nothing of the tests."""

from __future__ import annotations

import importlib.metadata
import os
import shutil
import subprocess
import sys
import zipfile
from importlib.resources import files
from pathlib import Path

import crawlcheck


def test_rules_ship_as_package_data() -> None:
    names = {entry.name for entry in files("crawlcheck.rules").iterdir()}
    assert {"agents.yaml", "signals.yaml"} <= names


ROOT = Path(__file__).resolve().parents[1]


def test_demo_web_ships_as_package_data() -> None:
    names = [entry.name for entry in files("crawlcheck.demo").iterdir()]
    assert any(name.endswith(".yaml") for name in names)


def test_wheel_ships_the_demo_web_but_not_the_test_fixture(tmp_path: Path) -> None:
    """``pip wheel .``: the static demo web is in, the tests' fault fixture web is not."""
    source = tmp_path / "src"  # build a copy: setuptools writes build/ beside the sources
    source.mkdir()
    for name in ("pyproject.toml", "setup.py", "README.md"):
        shutil.copy(ROOT / name, source / name)
    for folder in ("crawlcheck", "spiders", "rules", "tests", "build_support"):
        shutil.copytree(
            ROOT / folder, source / folder, ignore=shutil.ignore_patterns("__pycache__")
        )
    pip_wheel = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation"]
    subprocess.run(
        [*pip_wheel, "-q", "-w", str(tmp_path / "dist"), str(source)],
        capture_output=True,
        check=True,
        timeout=300,
        env={k: v for k, v in os.environ.items() if k != "CRAWLCHECK_COMPILE"},
    )
    (wheel,) = (tmp_path / "dist").glob("crawlcheck-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    # Without CRAWLCHECK_COMPILE=1 the wheel is pure Python (docs/signals/robots.md, "Speed").
    assert wheel.name.endswith("-py3-none-any.whl")
    assert not [name for name in names if name.endswith((".so", ".pyd", "_sources.json"))]
    demo_yaml = {f"crawlcheck/demo/{p.name}" for p in (ROOT / "crawlcheck" / "demo").glob("*.yaml")}
    demo = {name for name in names if name.startswith("crawlcheck/demo/")}
    assert demo_yaml
    assert demo == demo_yaml | {f"crawlcheck/demo/{m}.py" for m in ("__init__", "sites", "server")}
    assert {"crawlcheck/commands/demo.py", "crawlcheck/py.typed"} <= names
    # Every module of the source tree is in the wheel (pyproject lists packages by hand).
    modules = {
        "crawlcheck/" + path.relative_to(ROOT / "crawlcheck").as_posix()
        for path in (ROOT / "crawlcheck").rglob("*.py")
    }
    assert modules - names == set()
    assert not [name for name in names if "fixture" in name or name.startswith("tests/")]


def test_spiders_package_resolves() -> None:
    import crawlcheck.spiders

    assert crawlcheck.spiders.__name__ == "crawlcheck.spiders"


def test_version_matches_metadata() -> None:
    assert importlib.metadata.version("crawlcheck") == crawlcheck.__version__


def test_all_names_are_exported() -> None:
    """__all__ lists exactly the public non-module names (httpx's exported-members test)."""
    public = {
        name
        for name, value in vars(crawlcheck).items()
        if not name.startswith("_") and type(value).__name__ != "module" and name != "annotations"
    }
    assert set(crawlcheck.__all__) - {"__version__"} == public


def test_python_dash_m_and_version() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "crawlcheck", "--version"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert result.stdout.strip() == f"crawlcheck {crawlcheck.__version__}"
