"""Packaging: bundled data and spiders resolve through the package, the version matches."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
from importlib.resources import files

import crawlcheck


def test_rules_ship_as_package_data() -> None:
    names = {entry.name for entry in files("crawlcheck.rules").iterdir()}
    assert {"agents.yaml", "signals.yaml"} <= names


def test_demo_web_ships_as_package_data() -> None:
    names = [entry.name for entry in files("crawlcheck").joinpath("demo").iterdir()]
    assert any(name.endswith(".yaml") for name in names)


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
