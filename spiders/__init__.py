"""Bundled spiders; installed as ``crawlcheck.spiders``."""
