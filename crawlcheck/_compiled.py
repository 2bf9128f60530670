"""The optional compiled build: used only when it was compiled from exactly these sources.

``CRAWLCHECK_COMPILE=1`` when building a wheel compiles :data:`COMPILED` with mypyc
(setup.py) and writes the SHA-256 of each compiled source into :data:`MANIFEST`. The
pure-Python modules stay the reference: :func:`choose_build` runs when ``crawlcheck`` is
imported, before any of these modules is (``crawlcheck/__init__.py`` imports this module
first), and makes Python import the ``.py`` sources instead of the compiled files, with a
:class:`RuntimeWarning` naming the reason, whenever the compiled files could hide
different code: a source edited after the build, compiled files without the manifest (an
in-place build), only some modules compiled, or a module compiled that the list does not
name. ``CRAWLCHECK_PURE=1`` asks for the sources quietly (to compare the builds). This
module itself is never compiled, and uses the standard library only (setup.py reads it).
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.machinery
import importlib.util
import json
import os
import sys
import warnings
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from pathlib import Path
from types import ModuleType

#: The hot modules a compiled build compiles (one mypyc group), named within ``crawlcheck``:
#: the robots.txt parser and matcher, URL reading, and the per-URL decision.
COMPILED = (
    "parsers.pattern",
    "parsers._robots_syntax",
    "parsers._robots_types",
    "parsers._robots_build",
    "parsers._robots_index",
    "parsers.robots",
    "urls",
    "decide",
    "decide.plans",
)
#: Written by setup.py into the package: ``{"module": "sha256 of its source"}``.
MANIFEST = "_compiled_sources.json"
#: Set to ``1`` to run the pure-Python modules even when compiled ones are installed.
PURE_ENV = "CRAWLCHECK_PURE"

_PACKAGE = "crawlcheck"
_HERE = Path(__file__).resolve().parent


def source_of(name: str, root: Path = _HERE) -> Path:
    """Return the source file of module *name* (within the package at *root*)."""
    path = root.joinpath(*name.split("."))
    return path / "__init__.py" if path.is_dir() else path.with_suffix(".py")


def source_digest(path: Path) -> str:
    """Return the SHA-256 of a source file (what the manifest records)."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


class _SourcesFirst:
    """A meta path finder that imports the listed modules from their ``.py`` files."""

    def __init__(self, sources: dict[str, Path]) -> None:
        self.sources = sources

    def find_spec(
        self, fullname: str, path: Sequence[str] | None = None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        source = self.sources.get(fullname)
        if source is None:
            return None
        if source.name == "__init__.py":
            return importlib.util.spec_from_file_location(
                fullname, source, submodule_search_locations=[str(source.parent)]
            )
        return importlib.util.spec_from_file_location(fullname, source)


def _compiled_files() -> dict[str, Path]:
    """Return the compiled modules in the folders of :data:`COMPILED`, by module name."""
    folders = {name.rpartition(".")[0] for name in COMPILED}
    folders |= {name for name in COMPILED if source_of(name).name == "__init__.py"}
    found: dict[str, Path] = {}
    for folder in sorted(folders):
        directory = _HERE.joinpath(*folder.split(".")) if folder else _HERE
        prefix = f"{folder}." if folder else ""
        for suffix in importlib.machinery.EXTENSION_SUFFIXES:
            for path in directory.glob(f"*{suffix}"):
                stem = path.name.removesuffix(suffix)
                if "." in stem:  # ("x.cpython-311-….so" also ends with ".so")
                    continue
                name = folder if stem == "__init__" else prefix + stem
                found.setdefault(name, path)
    return found


def _stale(compiled: dict[str, Path]) -> str | None:
    """Return why the compiled files must not be used (None: they match the sources)."""
    unexpected = sorted(set(compiled) - set(COMPILED))
    if unexpected:
        return f"{_PACKAGE} has compiled modules it never compiles: {', '.join(unexpected)}"
    if set(compiled) != set(COMPILED):
        return f"only {', '.join(sorted(compiled))} of {_PACKAGE} are compiled"
    try:
        manifest = json.loads((_HERE / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return (
            f"compiled {_PACKAGE} modules without {MANIFEST} (not built by crawlcheck's setup.py)"
        )
    for name in COMPILED:
        source = source_of(name)
        if source.is_file() and manifest.get(name) != source_digest(source):
            return f"{_PACKAGE}.{name} was compiled from another version of {source}"
    return None


def choose_build() -> None:
    """Make the sources win over compiled files that could hide them (see the module doc)."""
    compiled = _compiled_files()
    if not compiled:
        return
    reason = _stale(compiled)
    if reason is None and os.environ.get(PURE_ENV, "") in ("", "0"):
        return
    sources = {
        f"{_PACKAGE}.{name}": source_of(name)
        for name in {*COMPILED, *compiled}
        if source_of(name).is_file()
    }
    sys.meta_path.insert(0, _SourcesFirst(sources))
    if reason is not None:
        warnings.warn(
            f"crawlcheck: {reason}; using the pure-Python modules instead "
            "(rebuild the wheel, or reinstall)",
            RuntimeWarning,
            stacklevel=2,
        )


def compiled_modules() -> tuple[str, ...]:
    """Return the modules of :data:`COMPILED` that run compiled (empty: pure Python)."""
    return tuple(
        name
        for name in COMPILED
        if not str(importlib.import_module(f"{_PACKAGE}.{name}").__file__).endswith(".py")
    )


if __name__ == f"{_PACKAGE}._compiled":  # imported as part of crawlcheck (not by setup.py)
    choose_build()
