"""One module per CLI command; each exposes ``NAME``, ``HELP``, ``add_arguments`` and ``run``."""
