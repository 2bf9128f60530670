"""What an image or document embeds, as an input of the per-URL decision.

:class:`MediaSignals` is to a media URL what :class:`~crawlcheck.parsers.page.PageSignals`
is to a page: the classified findings read from it, and what could not be read (each an
``error`` problem: the decision is then ``unknown`` unless something reserves the URL).
:func:`crawlcheck.decide.decide_url` takes it as its ``media`` input.
"""

from __future__ import annotations

from dataclasses import dataclass

from crawlcheck.model import Finding, MediaResult, Problem

__all__ = ["MediaSignals", "media_signals"]


@dataclass(frozen=True, slots=True, kw_only=True)
class MediaSignals:
    """The embedded signals of one media URL, classified, and what could not be read."""

    url: str
    media_type: str
    """Detected from the bytes (``""``: not read, or not an image or document)."""
    findings: tuple[Finding, ...] = ()
    unread: tuple[Problem, ...] = ()
    """Why the embedded signals are not known completely (``error`` problems)."""
    notes: tuple[Problem, ...] = ()
    """Other problems met (warnings, info), for the reasons shown."""


def media_signals(result: MediaResult | None, url: str, *, not_read: str = "") -> MediaSignals:
    """Return the decision input of a media read (*result* None: the file was not read).

    *not_read* says why there is no result (the fetch was refused by robots.txt…); a file
    that was not read is unknown, never allowed.

    >>> media_signals(None, "https://e.com/a.jpg", not_read="robots-disallowed").unread[0].code
    'media.not-read'
    """
    if result is None:
        problem = Problem(
            code="media.not-read",
            message=f"the file was not read ({not_read or 'not fetched'}): its embedded "
            "signals are unknown",
            source=url,
            level="error",
        )
        return MediaSignals(url=url, media_type="", unread=(problem,))
    return MediaSignals(
        url=url,
        media_type=result.media_type,
        findings=result.findings,
        unread=tuple(p for p in result.problems if p.level == "error"),
        notes=tuple(p for p in result.problems if p.level != "error"),
    )
