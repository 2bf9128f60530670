"""Parsers: pure functions from fetched bytes to frozen results; no I/O, no Scrapy.

The hot robots.txt modules may run compiled (mypyc); :func:`compiled_modules` says which
modules of the package run compiled. A compiled build is used only when it matches these
sources (``crawlcheck/_compiled.py``).
"""

from crawlcheck._compiled import compiled_modules

__all__ = ["compiled_modules"]
