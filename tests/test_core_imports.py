"""The pure core must import without Scrapy or Twisted (only crawl/ and spiders/ may)."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import crawlcheck

#: Packages allowed to import Scrapy/Twisted, and the modules that drive them.
_EDGE = ("crawlcheck.crawl", "crawlcheck.spiders")


def _core_modules() -> list[str]:
    names = []
    for info in pkgutil.walk_packages(crawlcheck.__path__, "crawlcheck."):
        if info.name.startswith(_EDGE) or info.name == "crawlcheck.__main__":
            continue
        names.append(info.name)
    return names


def test_core_modules_do_not_import_scrapy_or_twisted() -> None:
    modules = _core_modules()
    assert "crawlcheck.parsers.robots" in modules
    assert "crawlcheck.evaluate" in modules
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('scrapy', 'twisted'))\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert result.stdout.strip() == "", f"core imported: {result.stdout.strip()}"
