"""``python -m crawlcheck``: the same program as the ``crawlcheck`` console script."""

from crawlcheck.cli import entry_point

entry_point()
