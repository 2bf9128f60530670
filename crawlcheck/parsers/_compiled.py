"""The optional compiled build: used only when it was compiled from exactly these sources.

``CRAWLCHECK_COMPILE=1`` when building a wheel compiles :data:`COMPILED` with mypyc
(setup.py) and writes the SHA-256 of each compiled source into :data:`MANIFEST` beside
them. The pure-Python modules stay the reference: :func:`choose_build` runs before any of
these modules is imported (``crawlcheck.parsers`` calls it) and makes Python import the
``.py`` sources instead of the compiled files, with a :class:`RuntimeWarning` naming the
reason, whenever the compiled files could hide different code: a source edited after the
build, compiled files without the manifest (an in-place build), or only some modules
compiled. ``CRAWLCHECK_PURE=1`` asks for the sources quietly (to compare the builds).
This module itself is never compiled.
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

#: The hot modules of ``crawlcheck.parsers`` that a compiled build compiles (one mypyc group).
COMPILED = (
    "pattern",
    "_robots_syntax",
    "_robots_types",
    "_robots_build",
    "_robots_index",
    "robots",
)
#: Written by setup.py beside the compiled modules: ``{"module": "sha256 of module.py"}``.
MANIFEST = "_compiled_sources.json"
#: Set to ``1`` to run the pure-Python modules even when compiled ones are installed.
PURE_ENV = "CRAWLCHECK_PURE"

_PACKAGE = "crawlcheck.parsers"
_HERE = Path(__file__).resolve().parent


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
        return importlib.util.spec_from_file_location(fullname, source)


def _compiled_files() -> dict[str, Path]:
    """Return the compiled modules in this directory, by module name."""
    found: dict[str, Path] = {}
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        for path in _HERE.glob(f"*{suffix}"):
            name = path.name.removesuffix(suffix)
            if "." not in name:  # ("x.cpython-311-….so" also ends with ".so")
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
        source = _HERE / f"{name}.py"
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
        f"{_PACKAGE}.{name}": _HERE / f"{name}.py"
        for name in {*COMPILED, *compiled}
        if (_HERE / f"{name}.py").is_file()
    }
    sys.meta_path.insert(0, _SourcesFirst(sources))
    if reason is not None:
        warnings.warn(
            f"crawlcheck: {reason}; using the pure-Python modules instead "
            "(rebuild the wheel, or reinstall)",
            RuntimeWarning,
            stacklevel=3,
        )


def compiled_modules() -> tuple[str, ...]:
    """Return the modules of :data:`COMPILED` that run compiled (empty: pure Python)."""
    return tuple(
        name
        for name in COMPILED
        if not str(importlib.import_module(f"{_PACKAGE}.{name}").__file__).endswith(".py")
    )
