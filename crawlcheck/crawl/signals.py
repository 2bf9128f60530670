"""Scrapy signals that crawlcheck's middleware sends (docs/scrapy-addon.md, "The signal").

Module-level sentinels, as Scrapy's own ``scrapy.signals`` are; connect a handler with
``crawler.signals.connect(handler, signal=crawlcheck_decision)``.
"""

from __future__ import annotations

#: Sent for every decision the middleware makes, with the keyword arguments ``request``
#: (the user's request), ``response`` (None at the ``"request"`` stage), ``decision`` (a
#: :class:`crawlcheck.model.UrlDecision`) and ``stage`` (``"request"`` or ``"response"``).
#: Sent before a request or response that is not kept is dropped.
crawlcheck_decision = object()
