"""The optional compiled build of crawlcheck's hot modules (mypyc).

Everything else about the package is in pyproject.toml. Builds are pure Python unless
``CRAWLCHECK_COMPILE=1`` is set when a wheel is built: then the modules listed in
``crawlcheck/_compiled.py`` (COMPILED: the robots.txt parser and matcher, URL reading, the
per-URL decision) are compiled with mypyc, and the SHA-256 of each of their sources is
written into the package (MANIFEST), so that an installed compiled module is used only
while its source is unchanged. Editable installs never compile (a
compiled file would hide edits to its source). When mypyc or the C compiler fails, the
wheel is built pure Python, with a message saying why. docs/signals/robots.md, "Speed".
"""

from __future__ import annotations

import hashlib
import json
import os
import runpy
import shutil
import sys
from pathlib import Path
from typing import Any

from setuptools import setup
from setuptools.command.build_ext import build_ext
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
PACKAGE = HERE / "crawlcheck"
_settings = runpy.run_path(str(PACKAGE / "_compiled.py"))  # stdlib-only module
COMPILED: tuple[str, ...] = _settings["COMPILED"]
MANIFEST: str = _settings["MANIFEST"]
source_of: Any = _settings["source_of"]


def _say(message: str) -> None:
    print(f"crawlcheck setup.py: {message}", file=sys.stderr)


def _compiled_extensions() -> list[Any]:
    """Return the mypyc extensions to build, or [] for a pure-Python build."""
    if os.environ.get("CRAWLCHECK_COMPILE", "") in ("", "0"):
        return []
    if any(command in sys.argv for command in ("editable_wheel", "develop")):
        _say("editable installs are never compiled (a compiled file would hide source edits)")
        return []
    if not any(command in sys.argv for command in ("bdist_wheel", "build", "build_ext")):
        return []  # metadata and requirements only: nothing is built yet
    try:
        from mypyc.build import mypycify

        sources = [str(source_of(name, PACKAGE).relative_to(HERE)) for name in COMPILED]
        # Other modules are analysed for their types only: their imports (Scrapy, PyYAML…)
        # need not be installed where the wheel is built.
        return list(mypycify(["--follow-imports=silent", *sources], opt_level="3"))
    except Exception as exc:  # any failure: build pure Python
        _say(f"mypyc could not compile ({type(exc).__name__}: {exc}); building pure Python")
        return []


class BuildPy(build_py):
    """Start from an empty build directory; write the sources' digests when compiling."""

    def run(self) -> None:
        # setuptools reuses build/: what an earlier build left there (a module since
        # removed, compiled files, a manifest) would be packed into this wheel too.
        build_lib = Path(self.build_lib)
        if not getattr(self, "editable_mode", False) and build_lib.resolve() != HERE:
            shutil.rmtree(build_lib / "crawlcheck", ignore_errors=True)
            for path in build_lib.glob("*__mypyc*"):
                path.unlink()
        super().run()
        if self.distribution.ext_modules:
            digests = {
                name: hashlib.sha256(source_of(name, PACKAGE).read_bytes()).hexdigest()
                for name in COMPILED
            }
            target = Path(self.build_lib) / "crawlcheck" / MANIFEST
            target.write_text(json.dumps(digests, indent=1) + "\n", encoding="utf-8")


class OptionalBuildExt(build_ext):
    """Build the compiled modules; when the C compiler fails, leave a pure-Python build."""

    def run(self) -> None:
        try:
            super().run()
        except Exception as exc:  # any failure: build pure Python
            _say(f"compiling failed ({type(exc).__name__}: {exc}); building pure Python")
            for extension in self.extensions:
                Path(self.get_ext_fullpath(extension.name)).unlink(missing_ok=True)
            manifest = Path(self.build_lib) / "crawlcheck" / MANIFEST
            manifest.unlink(missing_ok=True)


setup(
    ext_modules=_compiled_extensions(),
    cmdclass={"build_py": BuildPy, "build_ext": OptionalBuildExt},
)
