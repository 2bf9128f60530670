"""Bundled rule files (YAML); installed as ``crawlcheck.rules``."""
