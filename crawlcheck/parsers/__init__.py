"""Parsers: pure functions from fetched bytes to frozen results; no I/O, no Scrapy.

The hot robots.txt modules may run compiled (mypyc); :func:`compiled_modules` says which.
A compiled build is used only when it matches these sources (``_compiled.py``).
"""

from crawlcheck.parsers._compiled import choose_build, compiled_modules

choose_build()

__all__ = ["compiled_modules"]
