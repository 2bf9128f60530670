"""PEP 517 build backend: setuptools, plus mypy when a compiled build is asked for.

``CRAWLCHECK_COMPILE=1 pip wheel .`` needs mypyc (part of mypy) in the isolated build
environment; every other build needs nothing but setuptools. setup.py does the compiling
(and falls back to pure Python when it cannot); editable installs never compile.
"""

from __future__ import annotations

import os
from typing import Any

from setuptools import build_meta as _setuptools
from setuptools.build_meta import (
    build_editable,
    build_sdist,
    get_requires_for_build_editable,
    get_requires_for_build_sdist,
    prepare_metadata_for_build_editable,
    prepare_metadata_for_build_wheel,
)

__all__ = [
    "build_editable",
    "build_sdist",
    "build_wheel",
    "get_requires_for_build_editable",
    "get_requires_for_build_sdist",
    "get_requires_for_build_wheel",
    "prepare_metadata_for_build_editable",
    "prepare_metadata_for_build_wheel",
]

#: What compiling needs beyond setuptools (mypyc ships with mypy).
COMPILE_REQUIRES = ["mypy>=1.11"]


def compile_requested() -> bool:
    """Return True when the environment asks for the compiled build."""
    return os.environ.get("CRAWLCHECK_COMPILE", "") not in ("", "0")


def get_requires_for_build_wheel(config_settings: dict[str, Any] | None = None) -> list[str]:
    """Return setuptools' requirements, plus mypy for a compiled build."""
    requires = list(_setuptools.get_requires_for_build_wheel(config_settings))
    return requires + COMPILE_REQUIRES if compile_requested() else requires


def build_wheel(
    wheel_directory: str,
    config_settings: dict[str, Any] | None = None,
    metadata_directory: str | None = None,
) -> str:
    """Build the wheel with setuptools (setup.py decides whether to compile)."""
    return _setuptools.build_wheel(wheel_directory, config_settings, metadata_directory)
