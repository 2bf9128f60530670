"""The demo web: the example sites bundled here (``*.yaml``), served on loopback for ``demo``.

:mod:`crawlcheck.demo.sites` reads and validates site definitions (host, description and, per
path, status, headers, content type, body); :mod:`crawlcheck.demo.server` serves them on
127.0.0.1 as origin server and HTTP proxy. The tests' fixture web (tests/webfixture.py, not
shipped) extends both with faults, expectations and a request log (docs/fixture-web.md).
"""
