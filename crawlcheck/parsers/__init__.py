"""Parsers: pure functions from fetched bytes to frozen results; no I/O, no Scrapy."""
